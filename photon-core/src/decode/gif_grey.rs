//! GIFs whose first frame has no colour table, global or local: valid per the spec ("the
//! decoder may use a system default"), refused by the `gif` crate, read by Pillow with a grey
//! ramp. Given that same ramp as a global colour table, they decode as any GIF.

/// `bytes` with a 256-entry grey global colour table (index `i` is grey level `i`) in place of
/// the missing one, or `None` when the file is too short or already has a global table.
pub(super) fn with_grey_palette(bytes: &[u8]) -> Option<Vec<u8>> {
    const SCREEN_DESCRIPTOR_END: usize = 13;
    const PACKED: usize = 10;
    const HAS_GLOBAL_TABLE: u8 = 0x80;
    const TABLE_OF_256: u8 = 0x07;
    let header = bytes.get(..SCREEN_DESCRIPTOR_END)?;
    if header[PACKED] & HAS_GLOBAL_TABLE != 0 {
        return None;
    }
    let mut patched = Vec::with_capacity(bytes.len() + 768);
    patched.extend_from_slice(header);
    patched[PACKED] |= HAS_GLOBAL_TABLE | TABLE_OF_256;
    patched.extend((0..=255u8).flat_map(|level| [level; 3]));
    patched.extend_from_slice(&bytes[SCREEN_DESCRIPTOR_END..]);
    Some(patched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ramp_goes_right_after_the_screen_descriptor() {
        let gif = b"GIF89a\x02\x00\x01\x00\x00\x00\x00,rest";
        let patched = with_grey_palette(gif).unwrap();
        assert_eq!(patched[10], 0x87);
        assert_eq!(&patched[13..19], &[0, 0, 0, 1, 1, 1]);
        assert_eq!(&patched[13 + 768..], b",rest");
        assert!(with_grey_palette(&patched).is_none(), "already has a table");
        assert!(with_grey_palette(b"GIF89a").is_none());
    }
}

//! ISO from Canon maker notes: older Canon compacts (PowerShot S40, ...) record the ISO only in
//! their CameraSettings array, not in the standard EXIF tag.

use exif::{In, Tag, Value};

/// Index of CameraISO in Canon's CameraSettings array (maker-note tag 0x0001).
const CAMERA_ISO_INDEX: usize = 16;

/// The ISO a Canon camera recorded in its maker notes, when it is a fixed setting (not Auto).
pub(super) fn canon_iso(exif: &exif::Exif) -> Option<u32> {
    let make = exif.get_field(Tag::Make, In::PRIMARY)?;
    let Value::Ascii(make) = &make.value else {
        return None;
    };
    if !make.first()?.starts_with(b"Canon") {
        return None;
    }
    let Value::Undefined(_, ifd_offset) = &exif.get_field(Tag::MakerNote, In::PRIMARY)?.value
    else {
        return None;
    };
    let settings = short_array(
        exif.buf(),
        *ifd_offset as usize,
        0x0001,
        exif.little_endian(),
    )?;
    match *settings.get(CAMERA_ISO_INDEX)? {
        code @ 16..=24 => Some(50 << (code - 16)),
        code if code & 0x4000 != 0 => Some(u32::from(code & 0x3FFF)).filter(|v| *v > 0),
        _ => None, // 0: not recorded; 14, 15: Auto
    }
}

/// The SHORT array of entry `tag` in the IFD at `ifd` of a TIFF buffer.
fn short_array(buf: &[u8], ifd: usize, tag: u16, little_endian: bool) -> Option<Vec<u16>> {
    let u16_at = |at: usize| {
        let b = buf.get(at..at + 2)?;
        Some(if little_endian {
            u16::from_le_bytes([b[0], b[1]])
        } else {
            u16::from_be_bytes([b[0], b[1]])
        })
    };
    let u32_at = |at: usize| {
        let b: [u8; 4] = buf.get(at..at + 4)?.try_into().ok()?;
        Some(if little_endian {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let entries = usize::from(u16_at(ifd)?);
    (0..entries.min(512)).find_map(|i| {
        let entry = ifd + 2 + 12 * i;
        if u16_at(entry)? != tag || u16_at(entry + 2)? != 3 {
            return None;
        }
        let count = (u32_at(entry + 4)? as usize).min(4096);
        let data = if count * 2 <= 4 {
            entry + 8
        } else {
            u32_at(entry + 8)? as usize
        };
        (0..count).map(|k| u16_at(data + 2 * k)).collect()
    })
}

//! The sizes TIFF tags declare, checked before rawler reads them.
//!
//! rawler allocates each tag's values from the count the file declares, before reading them,
//! and an allocation the system refuses aborts the process, which no `catch_unwind` can turn
//! into an error: a bit-flipped count on a RATIONAL tag asks for up to 32 GiB. So the IFDs
//! rawler's TIFF reader walks (the root chain, and the SubIFD, EXIF, GPS, ICC and Kodak IFDs
//! it follows from them) are walked here first, and a file whose tag declares more bytes than
//! both the file and the allocation limit is refused. Tags that merely point past the end of
//! the file, which rawler skips, are left to it.

use photon_core::sniff::TiffBytes;
use std::collections::HashSet;

/// The tags whose values rawler's TIFF reader follows as IFD offsets from a root IFD.
const SUB_IFD_TAGS: [usize; 5] = [0x014a, 0x8769, 0x8825, 0x8773, 33424];
/// How many IFDs are walked at most: more than any camera writes, few enough to stay quick.
const MAX_IFDS: usize = 64;
/// Entries read per IFD at most, as rawler's own bound.
const MAX_ENTRIES: usize = 4096;

/// A tag that declares more value bytes than `limit`, as `(tag, declared bytes)`; `None` when
/// every tag in the walked IFDs fits, or `bytes` is not TIFF-based.
pub(super) fn oversized_tag(bytes: &[u8], limit: u64) -> Option<(usize, u64)> {
    let tiff = TiffBytes::new(bytes)?;
    let mut walk = Walk {
        tiff,
        limit: limit.max(bytes.len() as u64),
        seen: HashSet::new(),
    };
    let mut next = tiff.uint(4, 4)?;
    while next != 0 && walk.seen.len() < MAX_IFDS {
        let ifd = walk.ifd(next, true)?;
        if let Some(found) = ifd.oversized {
            return Some(found);
        }
        next = ifd.next;
    }
    None
}

struct Walk<'a> {
    tiff: TiffBytes<'a>,
    limit: u64,
    seen: HashSet<usize>,
}

/// What one IFD held: the first oversized tag, if any, and the offset of the next IFD.
struct Ifd {
    oversized: Option<(usize, u64)>,
    next: usize,
}

impl Walk<'_> {
    /// The IFD at `at`, and the sub-IFDs it names when `follow`; `None` when it was already
    /// walked or cannot be read (rawler then stops there too).
    fn ifd(&mut self, at: usize, follow: bool) -> Option<Ifd> {
        if !self.seen.insert(at) {
            return None;
        }
        let count = self.tiff.uint(at, 2)?.min(MAX_ENTRIES);
        let mut subs = Vec::new();
        let mut oversized = None;
        for i in 0..count {
            let Some(entry) = self.entry(at + 2 + 12 * i) else {
                break;
            };
            if entry.bytes > self.limit {
                oversized = oversized.or(Some((entry.tag, entry.bytes)));
            }
            if follow && SUB_IFD_TAGS.contains(&entry.tag) {
                subs.extend(self.offsets(&entry));
            }
        }
        let next = self.tiff.uint(at + 2 + 12 * count, 4).unwrap_or(0);
        for sub in subs {
            if self.seen.len() >= MAX_IFDS || oversized.is_some() {
                break;
            }
            oversized = self.ifd(sub, false).and_then(|ifd| ifd.oversized);
        }
        Some(Ifd { oversized, next })
    }

    fn entry(&self, at: usize) -> Option<Entry> {
        let tag = self.tiff.uint(at, 2)?;
        let kind = self.tiff.uint(at + 2, 2)?;
        let count = self.tiff.uint(at + 4, 4)? as u64;
        Some(Entry {
            tag,
            count,
            bytes: count << value_shift(kind),
            value_at: at + 8,
        })
    }

    /// The IFD offsets a sub-IFD tag holds: its LONG or IFD values, else where its data lies.
    fn offsets(&self, entry: &Entry) -> Vec<usize> {
        if entry.bytes <= 4 {
            return self.tiff.uint(entry.value_at, 4).into_iter().collect();
        }
        let Some(data) = self.tiff.uint(entry.value_at, 4) else {
            return Vec::new();
        };
        (0..entry.count.min(MAX_IFDS as u64) as usize)
            .map_while(|i| self.tiff.uint(data + 4 * i, 4))
            .collect()
    }
}

struct Entry {
    tag: usize,
    count: u64,
    /// The value bytes the count declares, which rawler allocates before reading them.
    bytes: u64,
    value_at: usize,
}

/// log2 of a TIFF type's value size, as rawler reads it (unknown types as bytes).
fn value_shift(kind: usize) -> u32 {
    match kind {
        3 | 8 => 1,
        4 | 9 | 11 | 13 => 2,
        5 | 10 | 12 => 3,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian TIFF with one IFD of one entry.
    fn tiff_with_entry(tag: u16, kind: u16, count: u32) -> Vec<u8> {
        let mut bytes = b"II*\0".to_vec();
        bytes.extend(8u32.to_le_bytes());
        bytes.extend(1u16.to_le_bytes());
        bytes.extend(tag.to_le_bytes());
        bytes.extend(kind.to_le_bytes());
        bytes.extend(count.to_le_bytes());
        bytes.extend(8u32.to_le_bytes());
        bytes.extend(0u32.to_le_bytes());
        bytes
    }

    #[test]
    fn a_count_beyond_file_and_limit_is_found() {
        let bytes = tiff_with_entry(0x829a, 5, u32::MAX);
        assert_eq!(
            oversized_tag(&bytes, 64 << 20),
            Some((0x829a, u64::from(u32::MAX) << 3))
        );
    }

    #[test]
    fn counts_within_the_limit_are_left_to_rawler() {
        let bytes = tiff_with_entry(0x829a, 5, 1 << 20);
        assert_eq!(oversized_tag(&bytes, 64 << 20), None);
        assert_eq!(oversized_tag(b"not a tiff", 0), None);
    }

    #[test]
    fn sub_ifds_are_walked_and_loops_end() {
        // Root IFD at 8 with an EXIF pointer to 26; the EXIF IFD's entry is oversized and its
        // next-IFD field points back at the root.
        let mut bytes = b"II*\0".to_vec();
        bytes.extend(8u32.to_le_bytes());
        bytes.extend(1u16.to_le_bytes());
        bytes.extend([0x69, 0x87, 4, 0, 1, 0, 0, 0, 26, 0, 0, 0]);
        bytes.extend(8u32.to_le_bytes());
        bytes.extend(1u16.to_le_bytes());
        bytes.extend([0x9a, 0x82, 12, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
        bytes.extend(8u32.to_le_bytes());
        assert_eq!(
            oversized_tag(&bytes, 64 << 20),
            Some((0x829a, u64::from(u32::MAX) << 3))
        );
    }
}

//! The JPEG renditions a camera raw embeds, found without decoding anything: in TIFF-based raws
//! (DNG, CR2, NEF, ARW, PEF, SRW, ...) every IFD's `JPEGInterchangeFormat` and every
//! single-strip JPEG-compressed image, in IFD0's chain and its SubIFDs; in RAF the header's
//! JPEG. Handing these bytes to the JPEG decoder lets it decode at the DCT scale the stages
//! need, where a raw library decodes its preview at full size.

use photon_core::sniff::TiffBytes;

/// IFDs visited at most: a loop or a hostile chain ends here.
const MAX_IFDS: usize = 32;

/// The embedded JPEGs of `bytes`, each starting with a JPEG SOI marker.
pub(super) fn embedded_jpegs(bytes: &[u8]) -> Vec<&[u8]> {
    let mut found = Vec::new();
    if let Some(raf) = raf_jpeg(bytes) {
        found.push(raf);
    }
    if let Some(tiff) = TiffBytes::new(bytes) {
        let mut pending = vec![tiff.uint(4, 4).unwrap_or(0)];
        let mut seen = Vec::new();
        while let Some(ifd) = pending.pop() {
            if ifd == 0 || seen.contains(&ifd) || seen.len() >= MAX_IFDS {
                continue;
            }
            seen.push(ifd);
            let entries = ifd_entries(&tiff, ifd);
            let jpegs = jpegs_of(&tiff, &entries);
            found.extend(
                jpegs
                    .into_iter()
                    .filter_map(|(at, len)| jpeg_at(bytes, at, len)),
            );
            pending.extend(sub_ifds(&tiff, &entries));
            let next = ifd + 2 + 12 * entries.len();
            pending.push(tiff.uint(next, 4).unwrap_or(0));
        }
    }
    found
}

/// One IFD entry: tag, type, count, and the offset of its value field.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: usize,
    kind: usize,
    count: usize,
    field: usize,
}

fn ifd_entries(tiff: &TiffBytes<'_>, ifd: usize) -> Vec<Entry> {
    let n = tiff.uint(ifd, 2).unwrap_or(0).min(1024);
    (0..n)
        .map_while(|i| {
            let at = ifd + 2 + 12 * i;
            Some(Entry {
                tag: tiff.uint(at, 2)?,
                kind: tiff.uint(at + 2, 2)?,
                count: tiff.uint(at + 4, 4)?,
                field: at + 8,
            })
        })
        .collect()
}

/// The `i`-th value of an entry of SHORT or LONG (or IFD) values.
fn value(tiff: &TiffBytes<'_>, e: &Entry, i: usize) -> Option<usize> {
    let size = match e.kind {
        3 => 2,
        4 | 13 => 4,
        _ => return None,
    };
    let start = if size * e.count <= 4 {
        e.field
    } else {
        tiff.uint(e.field, 4)?
    };
    tiff.uint(start.checked_add(i.checked_mul(size)?)?, size)
}

fn find(entries: &[Entry], tag: usize) -> Option<&Entry> {
    entries.iter().find(|e| e.tag == tag)
}

/// (offset, length) of the JPEGs an IFD points at: its `JPEGInterchangeFormat`, and its image
/// when that is one JPEG strip.
fn jpegs_of(tiff: &TiffBytes<'_>, entries: &[Entry]) -> Vec<(usize, usize)> {
    const JPEG_OFFSET: usize = 0x201;
    const JPEG_LENGTH: usize = 0x202;
    const COMPRESSION: usize = 259;
    const STRIP_OFFSETS: usize = 273;
    const STRIP_BYTE_COUNTS: usize = 279;
    let first = |tag| find(entries, tag).and_then(|e| value(tiff, e, 0));
    let mut found = Vec::new();
    if let (Some(at), Some(len)) = (first(JPEG_OFFSET), first(JPEG_LENGTH)) {
        found.push((at, len));
    }
    let one_strip = |tag| find(entries, tag).is_some_and(|e| e.count == 1);
    if matches!(first(COMPRESSION), Some(6 | 7))
        && one_strip(STRIP_OFFSETS)
        && one_strip(STRIP_BYTE_COUNTS)
        && let (Some(at), Some(len)) = (first(STRIP_OFFSETS), first(STRIP_BYTE_COUNTS))
    {
        found.push((at, len));
    }
    found
}

fn sub_ifds(tiff: &TiffBytes<'_>, entries: &[Entry]) -> Vec<usize> {
    const SUB_IFDS: usize = 330;
    find(entries, SUB_IFDS).map_or_else(Vec::new, |e| {
        (0..e.count.min(MAX_IFDS))
            .filter_map(|i| value(tiff, e, i))
            .collect()
    })
}

fn jpeg_at(bytes: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    let jpeg = bytes.get(at..at.checked_add(len)?)?;
    jpeg.starts_with(&[0xFF, 0xD8]).then_some(jpeg)
}

/// The JPEG a Fujifilm RAF's header points at (offset and length, big-endian, at 84 and 88).
fn raf_jpeg(bytes: &[u8]) -> Option<&[u8]> {
    if !bytes.starts_with(b"FUJIFILMCCD-RAW") {
        return None;
    }
    let be = |at: usize| -> Option<usize> {
        usize::try_from(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?)).ok()
    };
    jpeg_at(bytes, be(84)?, be(88)?)
}

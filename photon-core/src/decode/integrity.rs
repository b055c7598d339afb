//! What the `image` crate does not look at: a JPEG that stops before its end marker (zune-jpeg
//! fills the missing part with grey instead of failing), an MPO's `MPF` segment, PNG metadata
//! chunks that inflate to absurd sizes, a GIF frame larger than its screen, and camera raws in
//! TIFF containers.

use crate::tiff_bytes::TiffBytes;

/// Whether a JPEG's marker structure reaches its end-of-image marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JpegEnd {
    /// The EOI marker is there (data after it, like a motion photo's video, is fine).
    Complete,
    /// The data runs out first.
    Truncated,
    /// The structure is not what this scanner expects; leave the verdict to the decoder.
    Unknown,
}

/// Walks the JPEG's segments and entropy-coded data to its EOI marker.
pub fn jpeg_end(b: &[u8]) -> JpegEnd {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return JpegEnd::Unknown;
    }
    let mut i = 2;
    loop {
        if i >= b.len() {
            return JpegEnd::Truncated;
        }
        if b[i] != 0xFF {
            return JpegEnd::Unknown;
        }
        while i < b.len() && b[i] == 0xFF {
            i += 1; // fill bytes
        }
        let Some(&marker) = b.get(i) else {
            return JpegEnd::Truncated;
        };
        i += 1;
        match marker {
            0xD9 => return JpegEnd::Complete,
            0x01 | 0xD0..=0xD8 => continue, // markers without a length
            0x00 => return JpegEnd::Unknown,
            _ => {}
        }
        let Some(len) = b
            .get(i..i + 2)
            .map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
        else {
            return JpegEnd::Truncated;
        };
        if len < 2 {
            return JpegEnd::Unknown;
        }
        i += len;
        if marker == 0xDA {
            // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or a
            // restart marker.
            loop {
                let Some(at) = b.get(i..).and_then(|rest| memchr::memchr(0xFF, rest)) else {
                    return JpegEnd::Truncated;
                };
                let j = i + at;
                match b.get(j + 1) {
                    None => return JpegEnd::Truncated,
                    Some(0x00 | 0xD0..=0xD7 | 0xFF) => i = j + 1 + usize::from(b[j + 1] != 0xFF),
                    Some(_) => {
                        i = j;
                        break;
                    }
                }
            }
        }
    }
}

/// The marker segments of a JPEG's header, up to its first scan: `(marker, payload)`. Stops
/// quietly at anything malformed; the decoder gives the verdict on such files.
fn header_segments(b: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut i = 2;
    std::iter::from_fn(move || {
        loop {
            if b.get(i) != Some(&0xFF) {
                return None;
            }
            while b.get(i) == Some(&0xFF) {
                i += 1; // fill bytes
            }
            let marker = *b.get(i)?;
            i += 1;
            match marker {
                0x01 | 0xD0..=0xD7 => continue, // markers without a length
                0xDA | 0xD9 => return None,
                _ => {}
            }
            let len = usize::from(u16::from_be_bytes(b.get(i..i + 2)?.try_into().ok()?));
            let payload = b.get(i + 2..i + len.max(2))?;
            i += len.max(2);
            return Some((marker, payload));
        }
    })
}

/// A JPEG whose header has stray bytes between two marker segments (one segment's length off
/// by a byte or two, as in old Photoshop's short Adobe APP14) with those bytes dropped: what
/// libjpeg does with a warning while reading, and Pillow shows. `None` when the header has no
/// such gap, or is broken some other way.
pub fn jpeg_without_header_gaps(b: &[u8]) -> Option<Vec<u8>> {
    /// Markers a header may hold: SOFn, DHT, DAC, DQT, DRI, APPn, COM, SOS.
    fn is_header_marker(m: u8) -> bool {
        matches!(m, 0xC0..=0xCF | 0xDA..=0xDD | 0xE0..=0xEF | 0xFE) && m != 0xC8
    }
    const MAX_GAP: usize = 16;
    let mut repaired = b.get(..2)?.to_vec();
    let mut i = 2;
    let mut dropped = false;
    loop {
        if b.get(i) != Some(&0xFF) || !b.get(i + 1).copied().is_some_and(is_header_marker) {
            let gap = (i..(i + MAX_GAP).min(b.len().saturating_sub(1)))
                .find(|&j| b[j] == 0xFF && is_header_marker(b[j + 1]))?;
            i = gap;
            dropped = true;
        }
        let marker = b[i + 1];
        if marker == 0xDA {
            repaired.extend_from_slice(&b[i..]);
            return dropped.then_some(repaired);
        }
        let len = usize::from(u16::from_be_bytes(b.get(i + 2..i + 4)?.try_into().ok()?));
        let end = i.checked_add(2 + len.max(2))?;
        repaired.extend_from_slice(b.get(i..end)?);
        i = end;
    }
}

/// Whether a JPEG's first frame header (SOFn, before the first scan) is progressive, which
/// makes a decoder hold every DCT coefficient of the image at once. `None` when no frame header
/// is found before the first scan.
pub fn jpeg_is_progressive(b: &[u8]) -> Option<bool> {
    header_segments(b).find_map(|(marker, _)| match marker {
        0xC2 | 0xC6 | 0xCA | 0xCE => Some(true),
        0xC0 | 0xC1 | 0xC3 | 0xC5 | 0xC7 | 0xC9 | 0xCB | 0xCD | 0xCF => Some(false),
        _ => None,
    })
}

/// Width and height a JPEG's first frame header declares.
pub fn jpeg_size(b: &[u8]) -> Option<(u32, u32)> {
    header_segments(b).find_map(|(marker, payload)| {
        let frame = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        let size = |at: usize| {
            Some(u32::from(u16::from_be_bytes(
                payload.get(at..at + 2)?.try_into().ok()?,
            )))
        };
        frame.then(|| Some((size(3)?, size(1)?))).flatten()
    })
}

/// The record's format for a JPEG: `mpo` for a Multi-Picture Object (an APP2 `MPF` segment in
/// the first image's header: stereo cameras, and many phones for their depth maps), whose first
/// image is the primary one and decodes as any JPEG; else `jpeg`.
pub fn jpeg_format_name(b: &[u8]) -> &'static str {
    let mpf =
        header_segments(b).any(|(marker, payload)| marker == 0xE2 && payload.starts_with(b"MPF\0"));
    if mpf { "mpo" } else { "jpeg" }
}

/// A camera raw in a TIFF container, by content: its IFD0 is a raw image (CFA or linear raw
/// data), a reduced-resolution preview of an image stored elsewhere (as NEF, ARW, PEF and most
/// raws lay it out), or carries a `DNGVersion`; CR2 also says so in its header. `None` for an
/// ordinary TIFF. A TIFF decoder would read such a file's small first image, or its sensor data
/// as grey, so it is refused rather than recorded with the wrong pixels.
pub fn tiff_camera_raw(b: &[u8]) -> Option<&'static str> {
    let tiff = TiffBytes::new(b)?;
    if b.get(8..10) == Some(b"CR".as_slice()) {
        return Some("cr2");
    }
    let read = |at: usize, n: usize| tiff.uint(at, n);
    let ifd0 = read(4, 4)?;
    let entries = read(ifd0, 2)?;
    let mut raw = None;
    for entry in (0..entries.min(512)).map(|i| ifd0 + 2 + 12 * i) {
        let (tag, kind) = (read(entry, 2)?, read(entry + 2, 2)?);
        // SHORT values sit in the first two bytes of the value field, LONGs take all four.
        let value = if kind == 3 {
            read(entry + 8, 2)?
        } else {
            read(entry + 8, 4)?
        };
        raw = raw.or(match (tag, value) {
            (0xC612, _) => Some("dng"),
            (0x00FE, v) if v & 1 == 1 => Some("raw"),
            (0x0106, 32803 | 34892) => Some("raw"),
            _ => None,
        });
    }
    raw
}

/// The container of a camera raw, from its first bytes: a TIFF-based raw (see
/// [`tiff_camera_raw`]), or the signature of one of the raw containers that are not TIFF. A cheap
/// gate before asking the raw reader, and the record's format when that reader does not know the
/// camera.
pub fn camera_raw_format(b: &[u8]) -> Option<&'static str> {
    const SIGNATURES: [(&[u8], &str); 8] = [
        (b"FUJIFILMCCD-RAW", "raf"),
        (b"IIRO", "orf"),
        (b"IIRS", "orf"),
        (b"MMOR", "orf"),
        (b"IIU\0", "rw2"),
        (b"FOVb", "x3f"),
        (b"\0MRM", "mrw"),
        (b"II\x1a\0\0\0HEAPCCDR", "crw"),
    ];
    if b.get(4..12) == Some(b"ftypcrx ".as_slice()) {
        return Some("cr3");
    }
    SIGNATURES
        .iter()
        .find(|(signature, _)| b.starts_with(signature))
        .map(|(_, format)| *format)
        .or_else(|| tiff_camera_raw(b))
}

/// Whether a TIFF's first image is tiled with its samples in separate planes, which the `tiff`
/// crate 0.11 cannot lay out (it asserts and panics); libtiff reads them.
pub(super) fn tiff_tiled_planar(b: &[u8]) -> bool {
    const TILE_WIDTH: usize = 322;
    const PLANAR_CONFIGURATION: usize = 284;
    let Some(tiff) = TiffBytes::new(b) else {
        return false;
    };
    let read = |at: usize, n: usize| tiff.uint(at, n);
    let Some(ifd0) = read(4, 4) else {
        return false;
    };
    let entries = read(ifd0, 2).unwrap_or(0).min(512);
    let (mut tiled, mut planar) = (false, false);
    for entry in (0..entries).map(|i| ifd0 + 2 + 12 * i) {
        match read(entry, 2) {
            Some(TILE_WIDTH) => tiled = true,
            Some(PLANAR_CONFIGURATION) => planar = read(entry + 8, 2) == Some(2),
            _ => {}
        }
    }
    tiled && planar
}

/// Refuses a PNG whose text or ICC chunks inflate beyond `max_chunk` bytes. Inflation stops at
/// the cap, so checking a bomb costs at most `max_chunk` of memory.
pub(super) fn png_metadata_check(b: &[u8], max_chunk: u64) -> Result<(), String> {
    let cap = usize::try_from(max_chunk).unwrap_or(usize::MAX);
    let mut i = 8;
    while let Some(header) = b.get(i..i + 8) {
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = &header[4..8];
        let data = &b[(i + 8).min(b.len())..(i + 8).saturating_add(len).min(b.len())];
        let compressed = match kind {
            b"zTXt" | b"iCCP" => keyword_end(data).and_then(|k| data.get(k + 2..)),
            b"iTXt" => keyword_end(data)
                .filter(|k| data.get(k + 1) == Some(&1))
                .and_then(|k| {
                    // flag, method, language\0, translated keyword\0, then the text
                    let rest = data.get(k + 3..)?;
                    let lang = memchr::memchr(0, rest)?;
                    let translated = memchr::memchr(0, &rest[lang + 1..])?;
                    rest.get(lang + 1 + translated + 1..)
                }),
            b"tEXt" if len > cap => {
                return Err(format!("tEXt chunk of {len} bytes exceeds {cap}"));
            }
            b"IEND" => return Ok(()),
            _ => None,
        };
        if let Some(compressed) = compressed
            && let Err(e) = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(compressed, cap)
            && e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput
        {
            let name = String::from_utf8_lossy(kind);
            return Err(format!("{name} chunk inflates beyond {cap} bytes"));
        }
        i = i.saturating_add(12).saturating_add(len);
    }
    Ok(())
}

fn keyword_end(data: &[u8]) -> Option<usize> {
    memchr::memchr(0, &data[..data.len().min(80)])
}

/// The size of a GIF's first frame, which may be far larger than its logical screen (the
/// `image` crate sizes its canvas from the screen and would only discover the frame later).
pub(super) fn gif_first_frame_size(b: &[u8]) -> Option<(u32, u32)> {
    let d = gif_first_image_descriptor(b)?;
    Some((
        u32::from(u16::from_le_bytes([d[5], d[6]])),
        u32::from(u16::from_le_bytes([d[7], d[8]])),
    ))
}

/// Whether a GIF's first frame has no colour table, global or local: valid per the spec (the
/// decoder may use a default), refused by the `gif` crate.
pub(super) fn gif_lacks_colour_table(b: &[u8]) -> bool {
    const HAS_TABLE: u8 = 0x80;
    let global = b.get(10).is_some_and(|flags| flags & HAS_TABLE != 0);
    let local = gif_first_image_descriptor(b).is_some_and(|d| d[9] & HAS_TABLE != 0);
    !global && !local && gif_first_image_descriptor(b).is_some()
}

/// The first image descriptor of a GIF (its 10 bytes from the `,` separator), past the global
/// colour table and any extensions.
fn gif_first_image_descriptor(b: &[u8]) -> Option<&[u8]> {
    let flags = *b.get(10)?;
    let mut i = 13;
    if flags & 0x80 != 0 {
        i += 3 * (1 << ((flags & 0x07) + 1));
    }
    loop {
        match *b.get(i)? {
            0x2C => return b.get(i..i + 10),
            0x21 => {
                i += 2; // introducer and label, then data sub-blocks up to a zero length
                loop {
                    let len = usize::from(*b.get(i)?);
                    i += 1 + len;
                    if len == 0 {
                        break;
                    }
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gif_frame_size_is_read_past_extensions() {
        let bomb = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/hostile/decompression_bomb.gif"
        ))
        .unwrap();
        assert_eq!(gif_first_frame_size(&bomb), Some((65535, 1321)));
        assert_eq!(gif_first_frame_size(b"GIF89a"), None);
    }

    #[test]
    fn jpeg_scanner_handles_stuffing_restarts_and_trailers() {
        let sos = [0xFF, 0xDA, 0x00, 0x02];
        let scan = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56];
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB];
        jpeg.extend(sos);
        jpeg.extend(scan);
        assert_eq!(jpeg_end(&jpeg), JpegEnd::Truncated);
        jpeg.extend([0xFF, 0xD9, b'v', b'i', b'd']);
        assert_eq!(jpeg_end(&jpeg), JpegEnd::Complete);
        assert_eq!(jpeg_end(b"GIF89a"), JpegEnd::Unknown);
        assert_eq!(jpeg_is_progressive(&jpeg), None);
    }

    #[test]
    fn progressive_frames_are_told_apart() {
        let frame = |sof: u8| [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0xFF, sof, 0x00, 0x02];
        assert_eq!(jpeg_is_progressive(&frame(0xC0)), Some(false));
        assert_eq!(jpeg_is_progressive(&frame(0xC2)), Some(true));
        assert_eq!(jpeg_is_progressive(&frame(0xC4)[..8]), None);
    }

    /// A little-endian TIFF whose IFD0 holds `entries` (tag, type, value).
    fn tiff(entries: &[(u16, u16, u32)]) -> Vec<u8> {
        let mut b = b"II*\0".to_vec();
        b.extend(8u32.to_le_bytes());
        b.extend((entries.len() as u16).to_le_bytes());
        for &(tag, kind, value) in entries {
            b.extend(tag.to_le_bytes());
            b.extend(kind.to_le_bytes());
            b.extend(1u32.to_le_bytes());
            b.extend(value.to_le_bytes());
        }
        b.extend(0u32.to_le_bytes());
        b
    }

    #[test]
    fn camera_raws_in_tiff_containers_are_recognised() {
        let (short, long, byte) = (3, 4, 1);
        assert_eq!(
            tiff_camera_raw(&tiff(&[(0xC612, byte, 0x0104)])),
            Some("dng")
        );
        assert_eq!(tiff_camera_raw(&tiff(&[(0x00FE, long, 1)])), Some("raw"));
        assert_eq!(
            tiff_camera_raw(&tiff(&[(0x0106, short, 32803)])),
            Some("raw")
        );
        let mut cr2 = tiff(&[(0x0100, short, 10)]);
        cr2[8..10].copy_from_slice(b"CR");
        assert_eq!(tiff_camera_raw(&cr2), Some("cr2"));
        // An ordinary RGB TIFF, a full-resolution page, and what is no TIFF at all.
        assert_eq!(
            tiff_camera_raw(&tiff(&[(0x0106, short, 2), (0x00FE, long, 0)])),
            None
        );
        assert_eq!(tiff_camera_raw(b"II*\0\xff\xff"), None);
        assert_eq!(tiff_camera_raw(b"\xff\xd8\xff"), None);
    }

    #[test]
    fn mpo_is_told_from_jpeg_by_its_mpf_segment() {
        let app2 = |tag: &[u8]| {
            let mut j = vec![0xFF, 0xD8, 0xFF, 0xE2, 0x00, (2 + tag.len()) as u8];
            j.extend_from_slice(tag);
            j.extend([0xFF, 0xDA, 0x00, 0x02]);
            j
        };
        assert_eq!(jpeg_format_name(&app2(b"MPF\0")), "mpo");
        assert_eq!(jpeg_format_name(&app2(b"ICC_PROFILE\0")), "jpeg");
        assert_eq!(jpeg_format_name(&[0xFF, 0xD8, 0xFF]), "jpeg");
    }
}

//! Checks the `image` crate does not make: a JPEG that stops before its end marker (zune-jpeg
//! fills the missing part with grey instead of failing), and PNG metadata chunks that inflate to
//! absurd sizes.

/// Whether a JPEG's marker structure reaches its end-of-image marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JpegEnd {
    /// The EOI marker is there (data after it, like a motion photo's video, is fine).
    Complete,
    /// The data runs out first.
    Truncated,
    /// The structure is not what this scanner expects; leave the verdict to the decoder.
    Unknown,
}

/// Walks the JPEG's segments and entropy-coded data to its EOI marker.
pub(super) fn jpeg_end(b: &[u8]) -> JpegEnd {
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

/// Whether a JPEG's first frame header (SOFn, before the first scan) is progressive, which
/// makes a decoder hold every DCT coefficient of the image at once. `None` when no frame header
/// is found before the first scan.
#[cfg_attr(not(feature = "turbojpeg"), allow(dead_code))]
pub(super) fn jpeg_is_progressive(b: &[u8]) -> Option<bool> {
    let mut i = 2;
    while b.get(i) == Some(&0xFF) {
        while b.get(i) == Some(&0xFF) {
            i += 1;
        }
        let marker = *b.get(i)?;
        i += 1;
        match marker {
            0x01 | 0xD0..=0xD7 => continue,
            0xC2 | 0xC6 | 0xCA | 0xCE => return Some(true),
            0xC0 | 0xC1 | 0xC3 | 0xC5 | 0xC7 | 0xC9 | 0xCB | 0xCD | 0xCF => return Some(false),
            0xDA | 0xD9 => return None,
            _ => {}
        }
        let len = b.get(i..i + 2)?;
        i += usize::from(u16::from_be_bytes([len[0], len[1]]));
    }
    None
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
    let flags = *b.get(10)?;
    let mut i = 13;
    if flags & 0x80 != 0 {
        i += 3 * (1 << ((flags & 0x07) + 1));
    }
    loop {
        match *b.get(i)? {
            0x2C => {
                let d = b.get(i + 5..i + 9)?;
                return Some((
                    u32::from(u16::from_le_bytes([d[0], d[1]])),
                    u32::from(u16::from_le_bytes([d[2], d[3]])),
                ));
            }
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
}

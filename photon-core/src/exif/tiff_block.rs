//! The EXIF block proper (a TIFF structure), read with kamadak-exif.

use super::ExifFields;
use crate::tiff_bytes::TiffBytes;
use exif::{In, Reader, Tag, Value};

fn parse(bytes: &[u8]) -> Option<exif::Exif> {
    let exif = lenient_reader()
        .read_from_container(&mut std::io::Cursor::new(bytes))
        .or_else(|e| e.distill_partial_result(|_| {}))
        .ok()
        .or_else(|| prefixed_webp_exif(bytes))
        .or_else(|| jxl_exif(bytes))
        .or_else(|| raw_with_own_magic(bytes))?;
    ifd0_table_fits(exif.buf()).then_some(exif)
}

/// A reader that keeps what parsed even when one IFD entry is broken.
fn lenient_reader() -> Reader {
    let mut reader = Reader::new();
    reader.continue_on_error(true);
    reader
}

/// The EXIF chunk of a WebP that starts with JPEG's `Exif\0\0` header, as ImageMagick and some
/// phones write it; the container reader expects the TIFF structure at once and refuses it, and
/// the picture would then lose its orientation.
fn prefixed_webp_exif(bytes: &[u8]) -> Option<exif::Exif> {
    if !bytes.starts_with(b"RIFF") || bytes.get(8..12) != Some(b"WEBP".as_slice()) {
        return None;
    }
    let mut at = 12;
    while let Some(header) = bytes.get(at..at + 8) {
        let size = usize::try_from(u32::from_le_bytes(header[4..8].try_into().ok()?)).ok()?;
        let body = bytes.get(at + 8..(at + 8).checked_add(size)?)?;
        if &header[..4] == b"EXIF" {
            return raw_exif(body.strip_prefix(b"Exif\0\0")?);
        }
        at += 8 + size + (size & 1);
    }
    None
}

/// Olympus ORF and Panasonic RW2: TIFF structures under their own magic numbers (`IIRO`,
/// `IIRS`, `MMOR`, `IIU\0`), which the container reader refuses; read as TIFF with the standard
/// one. Only the start of the file is copied: the directories and EXIF sit there, the sensor
/// data after them.
fn raw_with_own_magic(bytes: &[u8]) -> Option<exif::Exif> {
    const METADATA_SPAN: usize = 4 << 20;
    let standard: &[u8; 4] = match bytes.get(..4)? {
        b"IIRO" | b"IIRS" | b"IIU\0" => b"II*\0",
        b"MMOR" => b"MM\0*",
        _ => return None,
    };
    let mut tiff = bytes[..bytes.len().min(METADATA_SPAN)].to_vec();
    tiff[..4].copy_from_slice(standard);
    lenient_reader()
        .read_raw(tiff)
        .or_else(|e| e.distill_partial_result(|_| {}))
        .ok()
}

/// The `Exif` box of a JPEG XL container.
fn jxl_exif(bytes: &[u8]) -> Option<exif::Exif> {
    if !bytes.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n") {
        return None;
    }
    let mut at = 0usize;
    while let Some(header) = bytes.get(at..at + 8) {
        let (size, header_len) = match u32::from_be_bytes(header[..4].try_into().ok()?) {
            0 => (bytes.len() - at, 8), // the last box runs to the end
            1 => {
                let large = bytes.get(at + 8..at + 16)?.try_into().ok()?;
                (usize::try_from(u64::from_be_bytes(large)).ok()?, 16)
            }
            n => (usize::try_from(n).ok()?, 8),
        };
        let body = bytes.get(at + header_len..at.checked_add(size)?)?;
        if &header[4..8] == b"Exif" {
            return raw_exif(exif_box_tiff(body)?);
        }
        at = at.checked_add(size.max(8))?;
    }
    None
}

/// The TIFF block of an `Exif` box: after the 4-byte offset the spec puts first, or at once, as
/// some writers (pillow-jxl-plugin) leave it.
fn exif_box_tiff(body: &[u8]) -> Option<&[u8]> {
    if body.starts_with(b"II*\0") || body.starts_with(b"MM\0*") {
        return Some(body);
    }
    let offset = usize::try_from(u32::from_be_bytes(body.get(..4)?.try_into().ok()?)).ok()?;
    let tiff = body.get(4usize.checked_add(offset)?..)?;
    Some(tiff.strip_prefix(b"Exif\0\0").unwrap_or(tiff))
}

/// A bare TIFF-structured EXIF block.
fn raw_exif(tiff: &[u8]) -> Option<exif::Exif> {
    lenient_reader()
        .read_raw(tiff.to_vec())
        .or_else(|e| e.distill_partial_result(|_| {}))
        .ok()
}

/// Whether IFD0's entry table lies inside the EXIF block. When it does not, every "entry" past
/// the end is garbage and none of the directory can be trusted (exiftool rejects it too);
/// sub-directories that merely point out of bounds are handled entry by entry instead.
fn ifd0_table_fits(buf: &[u8]) -> bool {
    let Some(tiff) = TiffBytes::new(buf) else {
        return false;
    };
    let read = |at: usize, n: usize| tiff.uint(at, n);
    let Some(ifd0) = read(4, 4) else { return false };
    let Some(entries) = read(ifd0, 2) else {
        return false;
    };
    ifd0 + 2 + 12 * entries <= buf.len()
}

/// The raw fields of the EXIF block; the caller sanitises them.
pub(super) fn read(bytes: &[u8]) -> Option<ExifFields> {
    let exif = parse(bytes)?;
    let (gps_latitude, gps_longitude) = gps(&exif).unzip();
    Some(ExifFields {
        captured_at: captured_at(&exif),
        camera_make: text(&exif, Tag::Make),
        camera_model: text(&exif, Tag::Model),
        lens_model: text(&exif, Tag::LensModel),
        iso: uint(&exif, Tag::PhotographicSensitivity).or_else(|| super::canon::canon_iso(&exif)),
        aperture: rational(&exif, Tag::FNumber),
        shutter_speed: rational(&exif, Tag::ExposureTime),
        focal_length: rational(&exif, Tag::FocalLength),
        orientation: orientation(&exif),
        gps_latitude,
        gps_longitude,
    })
}

pub(super) fn read_orientation(bytes: &[u8]) -> Option<u8> {
    orientation(&parse(bytes)?)
}

fn orientation(exif: &exif::Exif) -> Option<u8> {
    uint(exif, Tag::Orientation).and_then(|v| u8::try_from(v).ok())
}

fn text(exif: &exif::Exif, tag: Tag) -> Option<String> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(parts) => Some(String::from_utf8_lossy(parts.first()?).into_owned()),
        _ => None,
    }
}

fn uint(exif: &exif::Exif, tag: Tag) -> Option<u32> {
    exif.get_field(tag, In::PRIMARY)?.value.get_uint(0)
}

fn rational(exif: &exif::Exif, tag: Tag) -> Option<f64> {
    let v = match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Rational(v) => v.first().filter(|r| r.denom != 0)?.to_f64(),
        Value::SRational(v) => v.first().filter(|r| r.denom != 0)?.to_f64(),
        other => f64::from(other.get_uint(0)?),
    };
    v.is_finite().then_some(v)
}

fn captured_at(exif: &exif::Exif) -> Option<String> {
    let (tag, offset_tag, subsec_tag) = [
        (
            Tag::DateTimeOriginal,
            Tag::OffsetTimeOriginal,
            Tag::SubSecTimeOriginal,
        ),
        (
            Tag::DateTimeDigitized,
            Tag::OffsetTimeDigitized,
            Tag::SubSecTimeDigitized,
        ),
    ]
    .into_iter()
    .find(|(tag, ..)| exif.get_field(*tag, In::PRIMARY).is_some())?;
    let Value::Ascii(parts) = &exif.get_field(tag, In::PRIMARY)?.value else {
        return None;
    };
    let mut dt = exif::DateTime::from_ascii(parts.first()?).ok()?;
    type Parse = fn(&mut exif::DateTime, &[u8]) -> Result<(), exif::Error>;
    for (extra, parse) in [
        (subsec_tag, exif::DateTime::parse_subsec as Parse),
        (offset_tag, exif::DateTime::parse_offset as Parse),
    ] {
        if let Some(Value::Ascii(v)) = exif.get_field(extra, In::PRIMARY).map(|f| &f.value)
            && let Some(first) = v.first()
        {
            // A malformed sub-second or offset only loses that detail.
            let _ = parse(&mut dt, first);
        }
    }
    let millis = dt.nanosecond.map(|ns| ns / 1_000_000);
    super::xmp::format_timestamp(
        [
            dt.year.into(),
            dt.month.into(),
            dt.day.into(),
            dt.hour.into(),
            dt.minute.into(),
            dt.second.into(),
        ],
        millis,
        dt.offset.map(i32::from),
    )
}

fn gps(exif: &exif::Exif) -> Option<(f64, f64)> {
    let coordinate = |tag: Tag, ref_tag: Tag, negative: u8| -> Option<f64> {
        let Value::Rational(dms) = &exif.get_field(tag, In::PRIMARY)?.value else {
            return None;
        };
        if dms.len() < 3 || dms.iter().take(3).any(|r| r.denom == 0) {
            return None;
        }
        let (d, m, s) = (dms[0].to_f64(), dms[1].to_f64(), dms[2].to_f64());
        if !(0.0..60.0).contains(&m) || !(0.0..60.0).contains(&s) {
            return None;
        }
        let magnitude = d + m / 60.0 + s / 3600.0;
        let Value::Ascii(r) = &exif.get_field(ref_tag, In::PRIMARY)?.value else {
            return None;
        };
        match r.first()?.first()?.to_ascii_uppercase() {
            c if c == negative => Some(-magnitude),
            b'N' | b'E' => Some(magnitude),
            _ => None,
        }
    };
    Some((
        coordinate(Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S')?,
        coordinate(Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W')?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_boxes_are_read_with_and_without_their_offset() {
        let tiff = b"MM\0*\0\0\0\x08\0\0";
        assert_eq!(exif_box_tiff(tiff), Some(&tiff[..]));
        let mut spec = vec![0, 0, 0, 0];
        spec.extend_from_slice(tiff);
        assert_eq!(exif_box_tiff(&spec), Some(&tiff[..]));
        let mut jpeg_style = vec![0, 0, 0, 6];
        jpeg_style.extend_from_slice(b"Exif\0\0");
        jpeg_style.extend_from_slice(tiff);
        assert_eq!(exif_box_tiff(&jpeg_style), Some(&tiff[..]));
        assert_eq!(exif_box_tiff(&[0, 0, 1]), None);
    }
}

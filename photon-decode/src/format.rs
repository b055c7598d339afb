//! Formats told apart by their first bytes, never by a file's name: what the router keys its
//! decoders on.

use photon_core::sniff::camera_raw_format;

/// A format the [`DecoderRouter`](crate::DecoderRouter) can route, as [`Format::detect`] tells it
/// from a file's content. Formats not named here (TGA, PNM, QOI, ICO, DDS, HDR, EXR, ...) go to
/// the router's fallback decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// A camera raw: a TIFF-based raw (DNG, CR2, NEF, ARW, ...) or one of the raw containers that
    /// are not TIFF (CR3, RAF, ORF, RW2, X3F, MRW, CRW).
    CameraRaw,
    /// HEIF/HEIC or AVIF: an ISO base media `ftyp` box of a HEIF image brand.
    Heif,
    /// JPEG XL, bare codestream or container.
    JpegXl,
    /// TIFF, classic or BigTIFF, that is not a camera raw.
    Tiff,
    /// JPEG (MPO included: its first image is a JPEG).
    Jpeg,
    /// PNG and APNG.
    Png,
    /// GIF.
    Gif,
    /// WebP.
    WebP,
    /// BMP and DIB.
    Bmp,
}

impl Format {
    /// The format of `bytes`, or `None` for one the router does not name. A camera raw is told
    /// before TIFF (most raws are TIFF containers) and before HEIF (CR3 is an ISO box file).
    pub fn detect(bytes: &[u8]) -> Option<Format> {
        if camera_raw_format(bytes).is_some() {
            Some(Format::CameraRaw)
        } else if heif_format(bytes).is_some() {
            Some(Format::Heif)
        } else if is_jxl(bytes) {
            Some(Format::JpegXl)
        } else if is_tiff(bytes) {
            Some(Format::Tiff)
        } else {
            Self::simple_signature(bytes)
        }
    }

    /// The formats whose signature is a fixed prefix.
    fn simple_signature(bytes: &[u8]) -> Option<Format> {
        const PREFIXES: [(&[u8], Format); 5] = [
            (&[0xFF, 0xD8, 0xFF], Format::Jpeg),
            (b"\x89PNG\r\n\x1a\n", Format::Png),
            (b"GIF8", Format::Gif),
            (b"BM", Format::Bmp),
            (b"RIFF", Format::WebP),
        ];
        let (_, format) = PREFIXES
            .iter()
            .find(|(prefix, _)| bytes.starts_with(prefix))?;
        match format {
            Format::WebP if bytes.get(8..12) != Some(b"WEBP".as_slice()) => None,
            format => Some(*format),
        }
    }
}

/// `heif` or `avif` when `bytes` start with an ISO base media `ftyp` box of a HEIF image brand.
pub(crate) fn heif_format(bytes: &[u8]) -> Option<&'static str> {
    if bytes.get(4..8) != Some(b"ftyp".as_slice()) {
        return None;
    }
    let size = usize::try_from(u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?)).ok()?;
    let brands = bytes.get(8..size.min(bytes.len()))?;
    let brands: Vec<&[u8]> = brands
        .chunks_exact(4)
        .enumerate()
        .filter(|(i, _)| *i != 1) // the minor version, not a brand
        .map(|(_, brand)| brand)
        .collect();
    let has = |names: &[&[u8]]| brands.iter().any(|b| names.contains(b));
    if has(&[b"avif", b"avis"]) {
        Some("avif")
    } else if has(&[
        b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
    ]) {
        Some("heif")
    } else {
        None
    }
}

/// Whether `bytes` are JPEG XL: a bare codestream or the container's signature box.
pub(crate) fn is_jxl(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0x0A]) || bytes.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n")
}

/// Whether `bytes` start with a TIFF header, classic or BigTIFF, in either byte order.
pub(crate) fn is_tiff(bytes: &[u8]) -> bool {
    matches!(
        bytes.get(..4),
        Some(b"II*\0" | b"MM\0*" | b"II+\0" | b"MM\0+")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_is_told_by_its_signature() {
        let dog = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/photos/dog.jpg"
        ))
        .unwrap();
        assert_eq!(Format::detect(&dog), Some(Format::Jpeg));
        assert_eq!(Format::detect(b"\x89PNG\r\n\x1a\n...."), Some(Format::Png));
        assert_eq!(Format::detect(b"II*\0\x08\0\0\0"), Some(Format::Tiff));
        assert_eq!(
            Format::detect(b"FUJIFILMCCD-RAW 0201"),
            Some(Format::CameraRaw)
        );
        assert_eq!(Format::detect(&[0xFF, 0x0A, 0, 0]), Some(Format::JpegXl));
        assert_eq!(Format::detect(b"GIF89a"), Some(Format::Gif));
        assert_eq!(Format::detect(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::WebP));
        assert_eq!(Format::detect(b"hello"), None);
        assert_eq!(Format::detect(b""), None);
    }

    #[test]
    fn brands_say_which_format() {
        let ftyp = |major: &[u8], compatible: &[&[u8]]| {
            let mut b = ((16 + 4 * compatible.len()) as u32).to_be_bytes().to_vec();
            b.extend_from_slice(b"ftyp");
            b.extend_from_slice(major);
            b.extend_from_slice(&[0, 0, 0, 0]);
            compatible.iter().for_each(|c| b.extend_from_slice(c));
            b
        };
        assert_eq!(
            heif_format(&ftyp(b"heic", &[b"mif1", b"heic"])),
            Some("heif")
        );
        assert_eq!(
            heif_format(&ftyp(b"avif", &[b"avif", b"mif1"])),
            Some("avif")
        );
        assert_eq!(heif_format(&ftyp(b"mif1", &[b"avif"])), Some("avif"));
        assert_eq!(heif_format(&ftyp(b"isom", &[b"mp41"])), None, "a video");
        assert_eq!(heif_format(b"\xff\xd8\xff"), None);
        for cut in 0..20 {
            let header = ftyp(b"heic", &[b"mif1"]);
            assert!(heif_format(&header[..cut.min(header.len())]).is_none() || cut >= 12);
        }
    }
}

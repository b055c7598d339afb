//! EXIF-equivalent fields from an XMP packet (`exif:`, `tiff:`, `exifEX:`, `aux:` properties),
//! wherever the container keeps it: JPEG APP1, PNG iTXt, TIFF, WebP.

use super::ExifFields;
use roxmltree::{Document, Node};

const NS_EXIF: &str = "http://ns.adobe.com/exif/1.0/";
const NS_TIFF: &str = "http://ns.adobe.com/tiff/1.0/";
const NS_EXIF_EX: &str = "http://cipa.jp/exif/1.0/";
const NS_AUX: &str = "http://ns.adobe.com/exif/1.0/aux/";
const NS_RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

/// Packets larger than this are not parsed; real ones are a few kilobytes.
const MAX_PACKET: usize = 4 << 20;

/// The raw fields of the first XMP packet in `bytes`; the caller sanitises them.
pub(super) fn read(bytes: &[u8]) -> Option<ExifFields> {
    let start = memchr::memmem::find(bytes, b"<x:xmpmeta")?;
    let close = b"</x:xmpmeta>";
    let len = memchr::memmem::find(&bytes[start..], close)? + close.len();
    if len > MAX_PACKET {
        return None;
    }
    let text = std::str::from_utf8(&bytes[start..start + len]).ok()?;
    let doc = Document::parse(text).ok()?;
    let get = |ns: &str, name: &str| property(&doc, ns, name);
    let (gps_latitude, gps_longitude) =
        match (get(NS_EXIF, "GPSLatitude"), get(NS_EXIF, "GPSLongitude")) {
            (Some(lat), Some(lon)) => (coordinate(&lat, 'S'), coordinate(&lon, 'W')),
            _ => (None, None),
        };
    Some(ExifFields {
        captured_at: get(NS_EXIF, "DateTimeOriginal").and_then(|d| parse_xmp_date(&d)),
        camera_make: get(NS_TIFF, "Make"),
        camera_model: get(NS_TIFF, "Model"),
        lens_model: get(NS_EXIF_EX, "LensModel").or_else(|| get(NS_AUX, "Lens")),
        iso: get(NS_EXIF_EX, "PhotographicSensitivity")
            .or_else(|| get(NS_EXIF, "ISOSpeedRatings"))
            .and_then(|v| v.trim().parse().ok()),
        aperture: get(NS_EXIF, "FNumber").and_then(|v| rational(&v)),
        shutter_speed: get(NS_EXIF, "ExposureTime").and_then(|v| rational(&v)),
        focal_length: get(NS_EXIF, "FocalLength").and_then(|v| rational(&v)),
        orientation: get(NS_TIFF, "Orientation").and_then(|v| v.trim().parse().ok()),
        gps_latitude,
        gps_longitude,
    })
}

/// A property's value, whether written as an attribute of `rdf:Description` or as an element
/// (for arrays, the first `rdf:li`).
fn property(doc: &Document<'_>, ns: &str, name: &str) -> Option<String> {
    doc.descendants().find_map(|node| {
        if !node.is_element() {
            return None;
        }
        if node.tag_name().namespace() == Some(NS_RDF) && node.tag_name().name() == "Description" {
            return node.attribute((ns, name)).map(str::to_owned);
        }
        if node.tag_name().namespace() == Some(ns) && node.tag_name().name() == name {
            return element_text(node);
        }
        None
    })
}

fn element_text(node: Node<'_, '_>) -> Option<String> {
    let first_item = node
        .descendants()
        .find(|n| n.tag_name().namespace() == Some(NS_RDF) && n.tag_name().name() == "li");
    first_item
        .unwrap_or(node)
        .text()
        .map(|t| t.trim().to_owned())
}

/// `"8/1"`, `"1/6"` or a plain decimal.
fn rational(v: &str) -> Option<f64> {
    let value = match v.trim().split_once('/') {
        Some((n, d)) => {
            let d: f64 = d.trim().parse().ok()?;
            (d != 0.0).then_some(())?;
            n.trim().parse::<f64>().ok()? / d
        }
        None => v.trim().parse().ok()?,
    };
    value.is_finite().then_some(value)
}

/// XMP GPS: `"DDD,MM,SSk"` or `"DDD,MM.mmk"`, where k is N, S, E or W.
fn coordinate(v: &str, negative: char) -> Option<f64> {
    let v = v.trim();
    let hemisphere = v.chars().last()?.to_ascii_uppercase();
    let parts: Vec<f64> = v[..v.len() - hemisphere.len_utf8()]
        .split(',')
        .map(|p| p.trim().parse().ok())
        .collect::<Option<_>>()?;
    let magnitude = match parts.as_slice() {
        [d, m] if (0.0..60.0).contains(m) => d + m / 60.0,
        [d, m, s] if (0.0..60.0).contains(m) && (0.0..60.0).contains(s) => {
            d + m / 60.0 + s / 3600.0
        }
        _ => return None,
    };
    match hemisphere {
        c if c == negative => Some(-magnitude),
        'N' | 'E' => Some(magnitude),
        _ => None,
    }
}

/// `YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm]` to the record's timestamp form. Dates without a
/// time are too vague for `captured_at` and are dropped.
fn parse_xmp_date(v: &str) -> Option<String> {
    let (date, time) = v.trim().split_once('T')?;
    let mut ymd = date.split('-').map(|p| p.parse::<u32>().ok());
    let (y, mo, d) = (ymd.next()??, ymd.next()??, ymd.next()??);
    let (clock, offset) = match time.find(['Z', '+', '-']) {
        Some(i) if &time[i..] == "Z" => (&time[..i], Some(0)),
        Some(i) => {
            let sign = if time[i..].starts_with('-') { -1 } else { 1 };
            let (h, m) = time[i + 1..].split_once(':')?;
            (
                &time[..i],
                Some(sign * (h.parse::<i32>().ok()? * 60 + m.parse::<i32>().ok()?)),
            )
        }
        None => (time, None),
    };
    let (hms, fraction) = clock
        .split_once('.')
        .map_or((clock, None), |(a, b)| (a, Some(b)));
    let mut parts = hms.split(':').map(|p| p.parse::<u32>().ok());
    let (h, mi) = (parts.next()??, parts.next()??);
    let s = parts.next().flatten().unwrap_or(0);
    let millis = fraction.and_then(|f| format!("{f:0<3}")[..3].parse().ok());
    format_timestamp([y, mo, d, h, mi, s], millis, offset)
}

/// The record's timestamp form, `YYYY-MM-DDTHH:MM:SS[.fff][±HH:MM]`, or `None` for an
/// impossible date or time.
pub(super) fn format_timestamp(
    [year, month, day, hour, minute, second]: [u32; 6],
    millis: Option<u32>,
    offset_minutes: Option<i32>,
) -> Option<String> {
    let valid = (1800..=2200).contains(&year)
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second <= 60;
    if !valid {
        return None;
    }
    let mut out = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
    if let Some(ms) = millis.filter(|ms| (1..1000).contains(ms)) {
        out.push_str(&format!(".{ms:03}"));
    }
    if let Some(offset) = offset_minutes.filter(|o| o.abs() <= 14 * 60) {
        let sign = if offset < 0 { '-' } else { '+' };
        let offset = offset.unsigned_abs();
        out.push_str(&format!("{sign}{:02}:{:02}", offset / 60, offset % 60));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_attribute_and_element_forms() {
        let packet = br#"junk<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
          <rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
             exif:FNumber="28/10" tiff:Make="ACME" exif:GPSLatitude="37,46.5N" exif:GPSLongitude="122,25,12W"
             exif:DateTimeOriginal="2021-05-06T07:08:09.5+02:00">
            <exif:ISOSpeedRatings><rdf:Seq><rdf:li>400</rdf:li></rdf:Seq></exif:ISOSpeedRatings>
            <exif:ExposureTime>1/250</exif:ExposureTime>
          </rdf:Description></rdf:RDF></x:xmpmeta>junk"#;
        let f = read(packet).unwrap();
        assert_eq!(f.camera_make.as_deref(), Some("ACME"));
        assert_eq!(f.iso, Some(400));
        assert_eq!(f.aperture, Some(2.8));
        assert_eq!(f.shutter_speed, Some(0.004));
        assert!((f.gps_latitude.unwrap() - 37.775).abs() < 1e-9);
        assert!((f.gps_longitude.unwrap() + 122.42).abs() < 1e-9);
        assert_eq!(
            f.captured_at.as_deref(),
            Some("2021-05-06T07:08:09.500+02:00")
        );
    }

    #[test]
    fn rejects_impossible_dates_and_coordinates() {
        assert_eq!(parse_xmp_date("2021-13-01T00:00:00"), None);
        assert_eq!(parse_xmp_date("2021-01-01"), None);
        assert_eq!(coordinate("37,75N", 'S'), None);
        assert_eq!(coordinate("37,10Q", 'S'), None);
    }
}

//! Camera metadata agrees with exiftool's reading (testdata/expected_exif.tsv) for every real
//! photo and EXIF edge case.

use photon_core::{Pipeline, Record, Source};
use std::collections::HashMap;

fn expected() -> Vec<HashMap<String, String>> {
    let tsv =
        std::fs::read_to_string(photon_testkit::testdata().join("expected_exif.tsv")).unwrap();
    let mut lines = tsv.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .map(|line| {
            assert_eq!(line.split('\t').count(), header.len(), "{line}");
            header
                .iter()
                .map(|h| h.to_string())
                .zip(line.split('\t').map(String::from))
                .collect()
        })
        .collect()
}

fn num(v: &str) -> Option<f64> {
    (v != "-").then(|| v.parse().unwrap())
}

#[tokio::test]
async fn exif_matches_exiftool_for_every_photo() {
    let pipeline = Pipeline::builder()
        .thumbnail(None)
        .perceptual_hash(false)
        .build();
    let rows = expected();
    assert_eq!(
        rows.len(),
        photon_testkit::files_in("photos").len() + photon_testkit::files_in("exif").len()
    );
    for row in rows {
        let file = &row["file"];
        let record = pipeline
            .process(Source::Path(photon_testkit::testdata().join(file)))
            .await;
        let Record::Image(record) = record else {
            panic!("{file}: {record:?}");
        };
        assert_eq!(record.width.to_string(), row["width"], "{file} width");
        assert_eq!(record.height.to_string(), row["height"], "{file} height");
        let exif = record.exif.clone().unwrap_or_default();
        let text = |v: &str| (v != "-").then(|| v.to_owned());
        assert_eq!(exif.camera_make, text(&row["make"]), "{file} make");
        assert_eq!(exif.camera_model, text(&row["model"]), "{file} model");
        let date = row["date_time_original"]
            .replacen(':', "-", 2)
            .replacen(' ', "T", 1);
        assert_eq!(
            exif.captured_at.as_deref().map(|d| &d[..19]),
            text(&date).as_deref(),
            "{file} date"
        );
        assert_eq!(
            exif.orientation.map(f64::from),
            num(&row["orientation"]),
            "{file} orientation"
        );
        assert_eq!(exif.iso.map(f64::from), num(&row["iso"]), "{file} iso");
        let close = |ours: Option<f64>, theirs: Option<f64>, what: &str| match (ours, theirs) {
            (Some(a), Some(b)) => assert!(
                (a - b).abs() <= 1e-6 * b.abs().max(1.0),
                "{file} {what}: {a} vs {b}"
            ),
            (a, b) => assert_eq!(a, b, "{file} {what}"),
        };
        close(exif.aperture, num(&row["f_number"]), "f-number");
        close(
            exif.focal_length,
            num(&row["focal_length_mm"]),
            "focal length",
        );
        // exif_gps.jpg stores 0xFFFFFFFF as its exposure time: a sentinel, not 136 years.
        // Photon drops absurd values by design, so that one is expected to be absent.
        let exposure = num(&row["exposure_time_s"]).filter(|s| *s < 86_400.0);
        close(exif.shutter_speed, exposure, "exposure time");
        // A valid position (gps_paris, gps_rio: north-east and south-west, signed by their
        // references) is read as exiftool reads it; exif_gps.jpg's 0xFFFFFFFF sentinel is no
        // position, and a longitude only counts with a valid latitude.
        let latitude = num(&row["gps_latitude"]).filter(|v| v.abs() <= 90.0);
        let longitude = num(&row["gps_longitude"])
            .filter(|v| v.abs() <= 180.0)
            .filter(|_| latitude.is_some());
        close(exif.gps_latitude, latitude, "gps latitude");
        close(exif.gps_longitude, longitude, "gps longitude");
    }
}

#[test]
fn subseconds_and_orientation_come_through() {
    let bytes = std::fs::read(photon_testkit::testdata().join("exif/empty_gps_ifd.jpg")).unwrap();
    let exif = photon_core::read_exif(&bytes).unwrap();
    assert_eq!(exif.captured_at.as_deref(), Some("2020-07-27T14:46:48.780"));
    assert_eq!(exif.orientation, Some(6));
    assert_eq!(photon_core::read_orientation(&bytes), Some(6));
}

#[test]
fn xmp_fills_in_for_pngs_without_an_exif_chunk() {
    // chelsea.png keeps its camera data in an XMP packet (iTXt), not in eXIf.
    let bytes = std::fs::read(photon_testkit::testdata().join("photos/chelsea.png")).unwrap();
    let exif = photon_core::read_exif(&bytes).unwrap();
    assert_eq!(exif.camera_model.as_deref(), Some("PENTAX K100D Super"));
    assert_eq!(exif.iso, Some(800));
    assert!((exif.shutter_speed.unwrap() - 1.0 / 6.0).abs() < 1e-12);
}

//! The words sent with the image: the user's prompt, and the photo's EXIF facts only when the
//! user asked to send them.

use photon_core::ExifFields;
use std::fmt::Write;

/// `prompt`, followed by the EXIF facts a model can use (when, with what, where) when `exif` is
/// given. A model reads pixels, never the metadata inside a JPEG, so facts it should use go in
/// words.
pub(crate) fn prompt_text(prompt: &str, exif: Option<&ExifFields>) -> String {
    let Some(exif) = exif else {
        return prompt.to_owned();
    };
    let facts = exif_facts(exif);
    match facts.is_empty() {
        true => prompt.to_owned(),
        false => format!("{prompt}\n\nThe photo's metadata: {}.", facts.join("; ")),
    }
}

fn exif_facts(exif: &ExifFields) -> Vec<String> {
    let mut facts = Vec::new();
    if let Some(at) = &exif.captured_at {
        facts.push(format!("taken {at}"));
    }
    let camera: Vec<&str> = [&exif.camera_make, &exif.camera_model]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    if !camera.is_empty() {
        facts.push(format!("camera {}", camera.join(" ")));
    }
    if let Some(lens) = &exif.lens_model {
        facts.push(format!("lens {lens}"));
    }
    if let (Some(lat), Some(lon)) = (exif.gps_latitude, exif.gps_longitude) {
        let mut at = String::new();
        let _ = write!(at, "GPS {lat:.5}, {lon:.5}");
        facts.push(at);
    }
    facts
}

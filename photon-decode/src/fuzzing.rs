//! What the fuzz targets in `fuzz/` run (feature `fuzzing`), shared with the tests below that
//! replay the inputs fuzzing found, so a fixed crash stays fixed. Not a stable API.
//!
//! The stages are called directly, not through the pipeline, which turns
//! panics into error records: here any panic, or a broken invariant, is a finding.

use photon_core::{
    DecodeError, DecodeLimits, DecodeRequest, DecodedImage, Decoder, ImageCrateDecoder,
    ResumeIndex, apply_orientation, perceptual_hash, read_exif, read_orientation,
};

/// Every decoder this build has, the EXIF and XMP readers, orientation and the perceptual hash,
/// on arbitrary bytes. Panics if a decoded image breaks the limits it was given.
pub fn decode_bytes(bytes: &[u8]) {
    // Small limits keep each run quick; the limit checks themselves are under test too.
    let mut limits = DecodeLimits::default();
    limits.max_width = 2048;
    limits.max_height = 2048;
    limits.max_alloc = 64 << 20;
    limits.max_metadata_chunk = 64 << 10;
    let request = DecodeRequest::new(limits)
        .with_min_side(Some(64))
        .with_min_long_side(Some(256));
    if let Some(fields) = read_exif(bytes) {
        serde_json::to_string(&fields).expect("EXIF fields serialise");
    }
    let orientation = read_orientation(bytes).unwrap_or(1);
    let decoders: &[&dyn Decoder] = &[
        &ImageCrateDecoder,
        #[cfg(feature = "turbojpeg")]
        &crate::turbo::TurboJpegDecoder,
        #[cfg(feature = "heif")]
        &crate::heif::HeifDecoder,
        #[cfg(feature = "jxl")]
        &crate::jxl::JxlDecoder,
        #[cfg(feature = "libtiff")]
        &crate::libtiff::LibTiffDecoder,
    ];
    let results = decoders
        .iter()
        .map(|decoder| decoder.decode(bytes, &request))
        .chain(raw_decode(bytes, &request));
    for decoded in results.flatten() {
        let (w, h) = decoded.pixels.dimensions();
        assert!(w > 0 && h > 0, "empty {w}x{h} image");
        assert!(
            decoded.stored_width <= 2048 && decoded.stored_height <= 2048,
            "{}x{} passed 2048x2048 limits",
            decoded.stored_width,
            decoded.stored_height
        );
        let upright = apply_orientation(decoded.pixels, orientation);
        let _ = perceptual_hash(&upright);
    }
}

/// The raw decoder, both ways. rawler asserts and indexes freely on hostile input, and
/// `RawDecoder` catches that and reports the file as malformed; libFuzzer's panic hook would
/// count each caught panic as a crash, so it is silenced for these calls (this target runs on
/// one thread). Its own code (the preview walk, the limits) still runs under the fuzzer.
#[cfg(feature = "raw")]
fn raw_decode(bytes: &[u8], request: &DecodeRequest) -> Vec<Result<DecodedImage, DecodeError>> {
    use crate::raw::RawDecoder;
    use crate::raw_policy::RawPolicy;
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let results = [RawPolicy::PreviewFirst, RawPolicy::Develop]
        .map(|policy| RawDecoder::new(policy).decode(bytes, request));
    std::panic::set_hook(hook);
    results.into()
}

#[cfg(not(feature = "raw"))]
fn raw_decode(_: &[u8], _: &DecodeRequest) -> Vec<Result<DecodedImage, DecodeError>> {
    Vec::new()
}

/// Arbitrary bytes as an earlier run's JSON Lines output. Panics if the reader keeps anything
/// that does not end on a line boundary inside the input.
pub fn read_resume(bytes: &[u8]) {
    let (index, report) = ResumeIndex::from_reader(bytes).expect("reading a slice cannot fail");
    let valid = usize::try_from(report.valid_len).expect("fits");
    assert!(
        valid <= bytes.len(),
        "valid_len {valid} past {}",
        bytes.len()
    );
    assert!(
        valid == 0
            || bytes[valid - 1] == b'\n'
            || (report.missing_final_newline && valid == bytes.len()),
        "valid_len {valid} is not on a line boundary"
    );
    assert!(index.len() as u64 <= report.records);
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    fn testdata() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata")
    }

    /// Runs every file of `testdata/fuzz/<target>/` through `run`; returns how many.
    fn replay(target: &str, run: fn(&[u8])) -> usize {
        let dir = testdata().join("fuzz").join(target);
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            if let Err(panic) = std::panic::catch_unwind(|| run(&bytes)) {
                panic!("{} still fails: {panic:?}", path.display());
            }
            count += 1;
        }
        count
    }

    #[test]
    fn inputs_fuzzing_found_no_longer_fail() {
        // docs/robustness.md counts them: ten corpus seeds and three crashes for `decode`, six
        // hand-made cases for `resume_reader`. Keep the text in step when adding seeds.
        assert_eq!(replay("decode", super::decode_bytes), 13);
        assert_eq!(replay("resume_reader", super::read_resume), 6);
    }

    #[test]
    fn the_fixtures_pass_the_decode_target() {
        for dir in ["photos", "exif", "orientation", "heif", "jxl", "hostile"] {
            for entry in std::fs::read_dir(testdata().join(dir)).unwrap() {
                super::decode_bytes(&std::fs::read(entry.unwrap().path()).unwrap());
            }
        }
    }
}

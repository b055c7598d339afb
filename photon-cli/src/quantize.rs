//! `photon models quantize SRC OUT`: [`photon_models::quantize`] with the command's defaults
//! (the repository's sample photos for calibration, every decoder), its report printed.

use crate::args::{QuantizeArgs, QuantizeModeArg};
use photon_models::{QuantizeError, QuantizeMode, QuantizeOptions, models_dir};
use std::path::PathBuf;

/// Quantizes, measures, and writes `out` (or refuses, writing nothing).
pub async fn quantize(args: &QuantizeArgs) -> Result<(), String> {
    let calibration = match &args.calibration {
        Some(dir) => dir.clone(),
        None => default_calibration()?,
    };
    let mut options = QuantizeOptions::new(calibration);
    options.mode = args.mode.map(|mode| match mode {
        QuantizeModeArg::Dynamic => QuantizeMode::Dynamic,
        QuantizeModeArg::Static => QuantizeMode::Static,
    });
    options.max_loss = args.max_loss;
    options.python = args.python.clone();
    options.models = models_dir();
    options.decoder = photon_decode::default_decoder();
    match photon_models::quantize(&args.src, &args.out, &options).await {
        Ok(report) => {
            let accuracy = report.accuracy.map(|a| a.to_string()).unwrap_or_default();
            println!(
                "quantized {} into {}: {accuracy}",
                args.src.display(),
                args.out.display()
            );
            Ok(())
        }
        Err(QuantizeError::Refused { report }) => Err(format!(
            "refused: {}, below --max-loss {}; nothing written",
            report.accuracy.map(|a| a.to_string()).unwrap_or_default(),
            args.max_loss
        )),
        Err(e) => Err(crate::report::chain(&e)),
    }
}

/// The repository's sample photos, when the command runs from a checkout.
fn default_calibration() -> Result<PathBuf, String> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/photos"));
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err("no calibration images: pass --calibration DIR".into())
    }
}

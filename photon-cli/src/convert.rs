//! `photon convert`: a records file into the other format.

use crate::args::{ConvertArgs, OutputFormat};
use crate::report::chain;
use std::process::ExitCode;

pub fn run(args: &ConvertArgs) -> ExitCode {
    let format = OutputFormat::chosen(args.format, Some(&args.output)).record_format();
    match photon_arrow::convert(&args.input, &args.output, format) {
        Ok(converted) => {
            let skipped = match converted.skipped_lines {
                0 => String::new(),
                n => format!(", {n} lines that were not records skipped"),
            };
            eprintln!(
                "photon: {} records written to {}{skipped}",
                converted.records,
                args.output.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("photon: {}", chain(&e));
            ExitCode::from(2)
        }
    }
}

//! Command-line arguments.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Photon turns images into structured records: content hash, size and format, camera
/// metadata, perceptual hash and thumbnail, one JSON object per line.
#[derive(Debug, Parser)]
#[command(name = "photon", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Process images and folders of images into JSON Lines records.
    ///
    /// Every input gets exactly one record: a successful one, or an error record naming the
    /// stage that failed. Folders are walked recursively for .jpg .jpeg .png .webp .gif .bmp
    /// .tif .tiff files (any case); files named directly are taken whatever their extension.
    ///
    /// Exit status: 0 when every input was processed, 1 when some inputs failed (their error
    /// records are in the output), 2 when the run could not be done (bad arguments, output not
    /// writable), 130 when interrupted (the output holds every record finished before).
    #[command(verbatim_doc_comment)]
    Process(ProcessArgs),
}

/// Arguments of `photon process`.
#[derive(Debug, clap::Args)]
pub struct ProcessArgs {
    /// Image files or folders to process.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Write records to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Images processed at once [default: number of cores].
    #[arg(short, long, value_name = "N")]
    pub parallel: Option<usize>,

    /// Resume: keep the records already in --output and skip inputs they cover (same path and
    /// size, and same modification time or content hash). A torn last line is repaired.
    #[arg(long, requires = "output")]
    pub skip_existing: bool,

    /// Order of the output records.
    #[arg(long, value_enum, default_value_t = Order::Completion)]
    pub order: Order,

    /// Leave EXIF fields out (orientation is still applied).
    #[arg(long)]
    pub no_exif: bool,

    /// Leave the perceptual hash out.
    #[arg(long)]
    pub no_phash: bool,

    /// Make no thumbnails.
    #[arg(long, conflicts_with_all = ["thumbnail_size", "thumbnail_dir", "thumbnail_quality"])]
    pub no_thumbnail: bool,

    /// Longest side of thumbnails, in pixels.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub thumbnail_size: u32,

    /// JPEG quality of thumbnails (1-100).
    #[arg(long, value_name = "Q", default_value_t = 80, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub thumbnail_quality: u8,

    /// Write thumbnails as DIR/<content_hash>.jpg instead of base64 inside the records.
    #[arg(long, value_name = "DIR")]
    pub thumbnail_dir: Option<PathBuf>,

    /// No progress bar and no summary line.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Order {
    /// As each input finishes (fastest).
    Completion,
    /// The order the inputs were given and walked in.
    Input,
}

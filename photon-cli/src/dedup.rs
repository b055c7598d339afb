//! `photon dedup`: duplicate groups among records files, reported for people or as JSON.

use crate::args::DedupArgs;
use crate::report::chain;
use photon_core::Record;
use photon_index::dedup::{DedupOptions, Distance, Duplicates, Group, find_duplicates};
use std::io::{self, Write};
use std::process::ExitCode;

pub fn run(args: &DedupArgs) -> ExitCode {
    match dedup(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("photon: {e}");
            ExitCode::from(2)
        }
    }
}

fn dedup(args: &DedupArgs) -> Result<(), String> {
    if let Some(cosine) = args.similarity
        && !(-1.0..=1.0).contains(&cosine)
    {
        return Err(format!(
            "--similarity {cosine}: a cosine is between -1 and 1"
        ));
    }
    let records = read_all(args)?;
    let options = DedupOptions::default()
        .max_distance(args.max_distance)
        .similarity(args.similarity)
        .keep(args.keep);
    let found = find_duplicates(records, &options);
    let mut out = io::stdout().lock();
    let written = if args.json {
        found
            .groups
            .iter()
            .try_for_each(|g| write_json(&mut out, g))
    } else {
        found
            .groups
            .iter()
            .try_for_each(|g| write_report(&mut out, g))
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing the groups: {}", chain(&e)))?;
    eprintln!("photon: {}", summary(&found));
    Ok(())
}

/// Every record of every file, in order (a later file's record of a path wins). A line that is
/// not a record (a torn tail) is counted and left out, never fatal.
fn read_all(args: &DedupArgs) -> Result<Vec<Record>, String> {
    let mut records = Vec::new();
    for path in &args.records {
        let reader = photon_arrow::read_records(path)
            .map_err(|e| format!("{}: {}", path.display(), chain(&e)))?;
        let mut unreadable = 0usize;
        for record in reader {
            match record {
                Ok(record) => records.push(record),
                Err(_) => unreadable += 1,
            }
        }
        if unreadable > 0 {
            eprintln!(
                "photon: {}: {unreadable} lines are not records and were left out",
                path.display()
            );
        }
    }
    Ok(records)
}

fn write_json(out: &mut impl Write, group: &Group) -> io::Result<()> {
    serde_json::to_writer(&mut *out, group)?;
    writeln!(out)
}

fn write_report(out: &mut impl Write, group: &Group) -> io::Result<()> {
    let kind = serde_json::to_value(group.kind).map_err(io::Error::other)?;
    let distance = match group.distance {
        Distance::Bits(0) => "identical bytes".to_owned(),
        Distance::Bits(bits) => format!("up to {bits} bits apart"),
        Distance::Cosine(cosine) => format!("cosine at least {cosine:.3}"),
        _ => String::new(),
    };
    writeln!(
        out,
        "{} group of {} ({distance}):",
        kind.as_str().unwrap_or("?"),
        group.files.len()
    )?;
    for file in &group.files {
        let mark = if *file == group.keep { "keep" } else { "    " };
        writeln!(out, "  {mark}  {file}")?;
    }
    writeln!(out)
}

fn summary(found: &Duplicates) -> String {
    let redundant: usize = found.groups.iter().map(|g| g.files.len() - 1).sum();
    let mut line = format!(
        "{} images, {} duplicate groups, {redundant} files besides the ones to keep",
        found.images,
        found.groups.len()
    );
    if found.failed > 0 {
        line += &format!("; {} failed inputs left out", found.failed);
    }
    if found.without_hash > 0 {
        line += &format!(
            "; {} images without a perceptual hash (exact copies only)",
            found.without_hash
        );
    }
    if found.without_embedding > 0 {
        line += &format!("; {} images without an embedding", found.without_embedding);
    }
    line
}

//! `photon`: a folder of photos in, one record per image out (JSON Lines or Parquet).

mod args;
mod convert;
mod dedup;
mod describe;
mod model_setup;
mod models;
mod models_show;
mod output;
mod people;
mod people_state;
mod process;
mod quantize;
mod report;
mod search;
mod serve;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    // Before the runtime's threads exist, so that all of them share one malloc arena.
    if let args::Command::Serve(serve) = &cli.command
        && serve.unloads_models()
    {
        photon_serve::use_one_malloc_arena();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("photon: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        match cli.command {
            args::Command::Process(args) => process::run(*args).await,
            args::Command::Search(args) => search::run(args).await,
            args::Command::Serve(args) => serve::run(args).await,
            args::Command::Dedup(args) => dedup::run(&args),
            args::Command::Faces(args) => people::run(&args),
            args::Command::Convert(args) => convert::run(&args),
            args::Command::Index {
                action: args::IndexAction::Build(args),
            } => search::build_index(&args),
            args::Command::Models { action } => {
                let result = match action.unwrap_or(args::ModelsAction::List) {
                    args::ModelsAction::List => models::list(),
                    args::ModelsAction::Show { dir } => models_show::show(&dir),
                    args::ModelsAction::Quantize(request) => quantize::quantize(&request).await,
                    args::ModelsAction::Fetch { python, force, gpu } => {
                        models::fetch(&python, force, gpu)
                    }
                };
                match result {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("photon: {e}");
                        ExitCode::from(2)
                    }
                }
            }
        }
    })
}

//! `photon serve`: the arguments into photon-serve's options, and the server run until SIGTERM
//! or Ctrl-C.

use crate::args::ServeArgs;
use crate::report::chain;
use photon_models::models_dir;
use photon_serve::{ServeOptions, Server};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

impl ServeArgs {
    /// Whether models are unloaded when idle (so the allocator should be able to give their
    /// memory back).
    pub fn unloads_models(&self) -> bool {
        self.model_ttl > 0
    }
}

pub async fn run(args: ServeArgs) -> ExitCode {
    if args.openapi {
        println!("{}", photon_serve::openapi_json());
        return ExitCode::SUCCESS;
    }
    match serve(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("photon: {e}");
            ExitCode::from(2)
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let options = options(&args)?;
    let server = Server::new(options).await.map_err(|e| chain(&e))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("listening on {}: {e}", args.listen))?;
    server.preload().await.map_err(|e| chain(&e))?;
    eprintln!("photon: serving on http://{}", args.listen);
    server
        .serve(listener, shutdown_signal())
        .await
        .map_err(|e| chain(&e))
}

fn options(args: &ServeArgs) -> Result<ServeOptions, String> {
    let token = match &args.token_file {
        Some(file) => Some(read_token(file)?),
        None => None,
    };
    Ok(
        ServeOptions::new(args.models.clone().unwrap_or_else(models_dir))
            .preload(args.preload.clone())
            .model_ttl((args.model_ttl > 0).then(|| Duration::from_secs(args.model_ttl)))
            .max_batch(args.max_batch)
            .parallelism(args.sessions, args.threads)
            .batch_wait(Duration::from_millis(args.batch_wait_ms))
            .max_body_bytes(args.max_body_mib.saturating_mul(1 << 20))
            .max_queue(args.max_queue)
            .request_timeout(Duration::from_secs(args.request_timeout.max(1)))
            .token(token)
            .index(args.index.clone())
            .default_model(Some(args.default_model.clone()))
            .tags(!args.no_tags)
            .backend(args.backend.into()),
    )
}

/// The token, without the line end an editor adds; never echoed back.
fn read_token(file: &PathBuf) -> Result<String, String> {
    let text =
        std::fs::read_to_string(file).map_err(|e| format!("token file {}: {e}", file.display()))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(format!("token file {} is empty", file.display()));
    }
    Ok(token.to_owned())
}

/// SIGTERM (what container runtimes send) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    eprintln!("photon: stopping: finishing the requests in flight");
}

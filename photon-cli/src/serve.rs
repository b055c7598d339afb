//! `photon serve`: the arguments into photon-serve's options, and the server run until SIGTERM
//! or Ctrl-C.

use crate::args::Backend;
use crate::report::chain;
use photon_models::models_dir;
use photon_serve::{ServeOptions, Server};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// `photon serve`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; loopback unless you choose otherwise.
    #[arg(long, default_value = "127.0.0.1:3003")]
    listen: SocketAddr,
    /// Models folder (default: $PHOTON_MODELS, else ./models, else ~/.local/share/photon/models).
    #[arg(long)]
    models: Option<PathBuf>,
    /// Model names to load at start, comma-separated (both towers of each).
    #[arg(long, value_delimiter = ',')]
    preload: Vec<String>,
    /// Unload a model unused for this many seconds (0: keep models loaded).
    #[arg(long, default_value_t = 0)]
    model_ttl: u64,
    /// Most images or texts gathered into one model call.
    #[arg(long, default_value_t = 8)]
    max_batch: usize,
    /// Longest a request waits for others to share its model call, in milliseconds.
    #[arg(long, default_value_t = 10)]
    batch_wait_ms: u64,
    /// Largest request body, in MiB.
    #[arg(long, default_value_t = 64)]
    max_body_mib: usize,
    /// Requests waiting for models at once; past it, 503 with Retry-After.
    #[arg(long, default_value_t = 256)]
    max_queue: usize,
    /// Longest one request may take, in seconds (body upload, decode and model).
    #[arg(long, default_value_t = 60)]
    request_timeout: u64,
    /// File holding a token that every route but /ping requires as `Authorization: Bearer`.
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Records (JSON Lines or Parquet) or an index folder that /v1/search/* ranks.
    #[arg(long)]
    index: Option<PathBuf>,
    /// Model for /v1 requests that name none.
    #[arg(long, default_value = photon_models::DEFAULT_MODEL)]
    default_model: String,
    /// Leave tags out of /v1/records.
    #[arg(long)]
    no_tags: bool,
    /// Inference engine.
    #[arg(long, value_enum, default_value_t = Backend::Ort)]
    backend: Backend,
    /// Print the OpenAPI document of the /v1 API and exit.
    #[arg(long)]
    openapi: bool,
}

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

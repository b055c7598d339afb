//! A provider on loopback: records every request (method, path, headers, body) and answers each
//! as the test's script says, after an optional delay, counting the requests in flight.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use photon_core::{DescribeImage, Describer, Pipeline, Record, RunOptions, Source};
use photon_describe::{ApiKey, DescriberOptions, HttpDescriber};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What the server does with request number `n` (0-based).
pub enum Reply {
    /// A status, a body and extra headers.
    Answer(u16, String, Vec<(&'static str, String)>),
    /// Nothing, for longer than any client waits.
    Hang,
    /// A 200 whose body breaks off mid-JSON with the connection.
    Cut,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Self {
        Reply::Answer(status, body.to_owned(), Vec::new())
    }
}

type Script = dyn Fn(usize) -> Reply + Send + Sync;

struct Shared {
    seen: Mutex<Vec<Seen>>,
    script: Box<Script>,
    delay: Duration,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// The running server.
pub struct TestServer {
    pub url: String,
    shared: Arc<Shared>,
}

impl TestServer {
    /// Starts on 127.0.0.1, answering after `delay` as `script` says.
    pub async fn start(
        delay: Duration,
        script: impl Fn(usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let shared = Arc::new(Shared {
            seen: Mutex::new(Vec::new()),
            script: Box::new(script),
            delay,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let router = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { url, shared }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }

    pub fn requests(&self) -> usize {
        self.shared.seen.lock().unwrap().len()
    }

    /// The most requests that were ever in the server at once.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }
}

/// Counts a request in flight until dropped (a hung request the client gave up on included).
struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let _counted = InFlight(shared.clone());
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let n = {
        let mut seen = shared.seen.lock().unwrap();
        seen.push(Seen {
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers: parts.headers,
            body,
        });
        seen.len() - 1
    };
    tokio::time::sleep(shared.delay).await;
    match (shared.script)(n) {
        Reply::Answer(status, body, headers) => {
            let mut response = Response::builder()
                .status(StatusCode::from_u16(status).unwrap())
                .header("content-type", "application/json");
            for (name, value) in headers {
                response = response.header(name, value);
            }
            response.body(Body::from(body)).unwrap()
        }
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(600)).await;
            Response::new(Body::empty())
        }
        Reply::Cut => {
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(
                    br#"{"choices":[{"message":{"content":"A d"#,
                )),
                Err(std::io::Error::other("connection cut")),
            ];
            Response::new(Body::from_stream(futures_util::stream::iter(chunks)))
        }
    }
}

/// An OpenAI chat completion saying `text`.
pub fn openai_answer(text: &str) -> String {
    serde_json::json!({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 1_700_000_000, "model": "test-vlm",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": null}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 812, "completion_tokens": 9, "total_tokens": 821},
    })
    .to_string()
}

/// An Anthropic message saying `text`.
pub fn anthropic_answer(text: &str) -> String {
    serde_json::json!({
        "id": "msg_test", "type": "message", "role": "assistant", "model": "claude-test",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 1130, "output_tokens": 11},
    })
    .to_string()
}

/// The key every test sends, to be found nowhere but in its header.
pub const KEY: &str = "sk-test-0123456789abcdefSECRET";

/// A describer of `options` with [`KEY`], pointed at `server`.
pub fn describer(server: &TestServer, options: DescriberOptions) -> HttpDescriber {
    let options = options.url(&server.url).model("test-vlm");
    HttpDescriber::new(options, ApiKey::new(KEY)).unwrap()
}

/// A small image to describe directly.
pub fn image() -> DescribeImage {
    DescribeImage::new(photon_testkit::fixture("photos", "rocket.jpg"), 640, 427)
}

/// `describer` on one image, straight, with no pipeline.
pub async fn describe_one(describer: &HttpDescriber) -> Result<photon_core::Description, String> {
    describer
        .describe(image())
        .await
        .map_err(|e| format!("{}: {e}", e.kind()))
}

/// `n` copies of a photo through a pipeline describing with `describer`.
pub async fn run_copies(pipeline: Pipeline, n: usize, opts: RunOptions) -> Vec<Record> {
    use futures_util::StreamExt;
    let bytes = photon_testkit::fixture("photos", "rocket.jpg");
    let inputs = futures_util::stream::iter((0..n).map(move |i| {
        Ok(Source::Bytes {
            name: format!("{i:03}.jpg"),
            bytes: bytes.clone(),
        })
    }));
    pipeline.run(inputs, opts).collect().await
}

//! The faults a provider's server can throw at a describer, each ending as documented, with the
//! exact count of requests it took.

use crate::server::{KEY, Reply, TestServer, describe_one, describer, openai_answer};
use photon_describe::{DescriberOptions, Provider};
use std::time::{Duration, Instant};

/// Three tries, quick backoff, a short time limit.
fn options() -> DescriberOptions {
    DescriberOptions::new(Provider::OpenAi)
        .tries(3)
        .backoff(Duration::from_millis(20), Duration::from_secs(5))
        .timeout(Duration::from_millis(500))
}

/// The outcome and the requests it took, the server answering as `script` says.
async fn outcome(
    script: impl Fn(usize) -> Reply + Send + Sync + 'static,
) -> (Result<String, String>, usize) {
    let server = TestServer::start(Duration::ZERO, script).await;
    let result = describe_one(&describer(&server, options())).await;
    (result.map(|d| d.text), server.requests())
}

fn kind<T: std::fmt::Debug>(result: &Result<T, String>) -> &str {
    result.as_ref().unwrap_err().split(':').next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_waited_out_as_the_server_asks() {
    let started = Instant::now();
    let (result, requests) = outcome(|n| match n {
        0 => Reply::Answer(
            429,
            r#"{"error":{"message":"slow down"}}"#.into(),
            vec![("retry-after", "1".into())],
        ),
        _ => Reply::json(200, &openai_answer("A rocket.")),
    })
    .await;
    assert_eq!((result.as_deref(), requests), (Ok("A rocket."), 2));
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 honoured"
    );

    let (result, requests) =
        outcome(|_| Reply::json(429, r#"{"error":{"message":"slow down"}}"#)).await;
    assert_eq!((kind(&result), requests), ("rate_limited", 3));
    let message = result.unwrap_err();
    assert!(
        message.contains("429")
            && message.contains("slow down")
            && message.contains("tried 3 times"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_then_reported() {
    let (result, requests) = outcome(|_| Reply::json(500, r#"{"error":{"message":"boom"}}"#)).await;
    assert_eq!((kind(&result), requests), ("server", 3));
    let (result, requests) = outcome(|n| match n {
        0 => Reply::json(503, "Service Unavailable"),
        _ => Reply::json(200, &openai_answer("A rocket.")),
    })
    .await;
    assert_eq!((result.as_deref(), requests), (Ok("A rocket."), 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hang_past_the_time_limit_is_a_timeout_after_every_try() {
    let started = Instant::now();
    let (result, requests) = outcome(|_| Reply::Hang).await;
    assert_eq!((kind(&result), requests), ("timeout", 3));
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1500) && elapsed < Duration::from_secs(10),
        "{elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_cut_short_is_retried_and_one_that_is_not_json_is_not() {
    let (result, requests) = outcome(|_| Reply::Cut).await;
    assert_eq!((kind(&result), requests), ("network", 3));
    let (result, requests) =
        outcome(|_| Reply::json(200, r#"{"choices":[{"message":{"content":"A ro"#)).await;
    assert_eq!((kind(&result), requests), ("bad_response", 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_empty_answers_are_not_retried() {
    let refusal = r#"{"choices":[{"message":{"role":"assistant","content":null,"refusal":"I can't describe this."},"finish_reason":"stop"}]}"#;
    let (result, requests) = outcome(move |_| Reply::json(200, refusal)).await;
    assert_eq!((kind(&result), requests), ("refused", 1));
    assert!(result.unwrap_err().contains("I can't describe this."));
    let (result, requests) = outcome(|_| Reply::json(200, &openai_answer("  "))).await;
    assert_eq!((kind(&result), requests), ("empty", 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_model_is_reported_with_the_servers_words_at_once() {
    let unknown = r#"{"error":{"message":"The model `test-vlm` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#;
    let (result, requests) = outcome(move |_| Reply::json(404, unknown)).await;
    assert_eq!((kind(&result), requests), ("not_found", 1));
    assert!(
        result
            .unwrap_err()
            .contains("The model `test-vlm` does not exist")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_the_server_echoes_back_is_cleaned_from_the_error() {
    let echo = format!(
        r#"{{"error":{{"message":"Incorrect API key provided: {KEY}. Or {}***.","type":"invalid_request_error"}}}}"#,
        &KEY[..8]
    );
    let (result, requests) = outcome(move |_| Reply::json(401, &echo)).await;
    assert_eq!((kind(&result), requests), ("unauthorized", 1));
    let message = result.unwrap_err();
    assert!(
        !message.contains(KEY) && !message.contains(&KEY[..8]),
        "{message}"
    );
    assert!(
        message.contains("Incorrect API key provided: <redacted>"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_listening_is_a_network_error_after_every_try() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    let options = options().url(url).model("m");
    let describer = photon_describe::HttpDescriber::new(options, None).unwrap();
    let result = describe_one(&describer).await;
    assert_eq!(kind(&result), "network", "{result:?}");
    assert!(result.unwrap_err().contains("tried 3 times"));
}

//! The run-wide limits: requests in flight never past `parallel`, and the request budget.

use crate::server::{Reply, TestServer, describer, openai_answer, run_copies};
use photon_core::{DescribeOptions, OutputOrder, Pipeline, Record, RunOptions};
use photon_describe::{DescriberOptions, Provider};
use std::time::Duration;

fn described(records: &[Record]) -> usize {
    records
        .iter()
        .filter(|r| matches!(r, Record::Image(i) if i.description.is_some()))
        .count()
}

fn describe_errors(records: &[Record]) -> Vec<&photon_core::ItemError> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Image(image) => Some(image.errors.iter()),
            _ => None,
        })
        .flatten()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_flight_never_exceed_parallel() {
    for parallel in [1, 3] {
        let server = TestServer::start(Duration::from_millis(150), |_| {
            Reply::json(200, &openai_answer("A rocket."))
        })
        .await;
        let options = DescriberOptions::new(Provider::OpenAi).parallel(parallel);
        let pipeline = Pipeline::builder()
            .describer(describer(&server, options), DescribeOptions::default())
            .build();
        let opts = RunOptions::default()
            .parallel(4)
            .order(OutputOrder::Completion);
        let records = run_copies(pipeline, 12, opts).await;
        assert_eq!(
            (records.len(), described(&records), server.requests()),
            (12, 12, 12)
        );
        assert_eq!(
            server.max_in_flight(),
            parallel,
            "exactly the cap, reached and never passed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_stops_describing_and_every_other_record_says_so() {
    let server = TestServer::start(Duration::ZERO, |n| match n {
        0 => Reply::json(503, "busy"),
        _ => Reply::json(200, &openai_answer("A rocket.")),
    })
    .await;
    let options = DescriberOptions::new(Provider::OpenAi)
        .parallel(1)
        .max_requests(Some(5))
        .backoff(Duration::from_millis(10), Duration::from_millis(10));
    let describer = std::sync::Arc::new(describer(&server, options));
    let pipeline = Pipeline::builder()
        .describer(describer.clone(), DescribeOptions::default())
        .build();
    let records = run_copies(pipeline, 10, RunOptions::default()).await;
    assert_eq!(
        (describer.requests_sent(), describer.refused_by_budget()),
        (5, 6)
    );
    assert_eq!(records.len(), 10, "one record per input");
    assert_eq!(server.requests(), 5, "the retry counted against the budget");
    assert_eq!(described(&records), 4);
    let errors = describe_errors(&records);
    assert_eq!(errors.len(), 6);
    for error in errors {
        assert_eq!(
            (error.stage, error.kind.as_str()),
            (photon_core::Stage::Describe, "budget")
        );
        assert!(
            error.message.contains("budget of 5 requests"),
            "{}",
            error.message
        );
    }
    let kept = records
        .iter()
        .all(|r| matches!(r, Record::Image(i) if i.perceptual_hash.is_some()));
    assert!(
        kept,
        "a record that was not described keeps its other fields"
    );
}

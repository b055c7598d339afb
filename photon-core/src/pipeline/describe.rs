//! The describe stage: after every local stage, each record waits for its description while
//! the local stages of the next images go on; `concurrency` calls in flight, never more.
//!
//! A failure here never costs the record: it keeps every other field and carries the error in
//! `errors`.

use super::feed::decoupled;
use crate::OutputOrder;
use crate::describe::{DescribeImage, Describer};
use crate::error::{ItemError, Stage, StageError};
use crate::record::Record;
use futures_util::FutureExt;
use futures_util::stream::{BoxStream, StreamExt};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// A record whose local stages are done, with the image its describer is to get (or why there
/// is none), when images are described.
pub(super) struct Done {
    pub(super) record: Record,
    pub(super) describe: Option<Result<DescribeImage, ItemError>>,
}

impl Done {
    /// A record with nothing left to do.
    pub(super) fn finished(record: Record) -> Self {
        Self {
            record,
            describe: None,
        }
    }
}

/// The describer, shared by the calls in flight.
pub(super) struct DescribeStage {
    describer: Arc<dyn Describer>,
}

impl DescribeStage {
    pub(super) fn new(describer: Arc<dyn Describer>) -> Self {
        Self { describer }
    }

    /// Calls in flight at once.
    fn concurrency(&self) -> usize {
        self.describer.concurrency().max(1)
    }

    /// The record, with its description or its `describe` error; an error record as it is.
    pub(super) async fn finish(&self, done: Done) -> Record {
        let (mut image, input) = match (done.record, done.describe) {
            (Record::Image(image), Some(input)) => (image, input),
            (record, _) => return record,
        };
        let described = match input {
            Ok(jpeg) => self.describe(jpeg).await,
            Err(error) => Err(error),
        };
        match described {
            Ok(description) => image.description = Some(description),
            Err(error) => image.errors.push(error),
        }
        Record::Image(image)
    }

    async fn describe(&self, image: DescribeImage) -> Result<crate::Description, ItemError> {
        let call = AssertUnwindSafe(self.describer.describe(image)).catch_unwind();
        match call.await {
            Ok(Ok(description)) => Ok(description),
            Ok(Err(error)) => Err(error.to_item_error()),
            Err(panic) => Err(ItemError::panic(Stage::Describe, panic.as_ref())),
        }
    }
}

/// Records into the describer, `concurrency` calls in flight. Up to `queue` records wait in a
/// channel fed by a task of its own, so the stages before keep their pace while the describer
/// waits on the network.
pub(super) fn describe_stage(
    done: BoxStream<'static, Done>,
    stage: Arc<DescribeStage>,
    queue: usize,
    order: OutputOrder,
) -> BoxStream<'static, Record> {
    let in_flight = stage.concurrency();
    let described = decoupled(done, queue).map(move |done| {
        let stage = stage.clone();
        async move { stage.finish(done).await }
    });
    match order {
        OutputOrder::Input => described.buffered(in_flight).boxed(),
        _ => described.buffer_unordered(in_flight).boxed(),
    }
}

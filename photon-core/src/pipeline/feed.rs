//! A stream drained by a task of its own into a bounded channel: what lets one stage keep going
//! while the next is busy, up to the channel's capacity.

use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::mpsc;

/// A stream of one receiver, fed with `items` by a task spawned when the stream is first polled
/// (inside the run's runtime). The task stops when the receiver is dropped.
pub(super) fn fed_channel<T: Send + 'static>(
    items: impl Stream<Item = T> + Send + 'static,
    capacity: usize,
) -> impl Stream<Item = mpsc::Receiver<T>> + Send + 'static {
    stream::once(async move {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        tokio::spawn(async move {
            let mut items = std::pin::pin!(items);
            while let Some(item) = items.next().await {
                if tx.send(item).await.is_err() {
                    break; // the consumer is gone
                }
            }
        });
        rx
    })
}

/// `items` through a channel of `capacity` fed by a task of its own, as a stream again.
pub(super) fn decoupled<T: Send + 'static>(
    items: impl Stream<Item = T> + Send + 'static,
    capacity: usize,
) -> impl Stream<Item = T> + Send + 'static {
    fed_channel(items, capacity).flat_map(|rx| {
        stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
    })
}

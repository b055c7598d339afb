//! The bounded queue in front of the models: a request holds a place while it waits for and
//! uses a model, and past `max_queue` places it is answered 503 at once instead of waiting in
//! unbounded memory.

use crate::error::ApiError;
use prometheus_client::metrics::gauge::Gauge;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub(crate) struct Queue {
    places: Arc<Semaphore>,
    depth: Gauge,
}

/// A held place; dropping it frees the place.
pub(crate) struct Place {
    _permit: OwnedSemaphorePermit,
    depth: Gauge,
}

impl Queue {
    pub fn new(places: usize, depth: Gauge) -> Self {
        Self {
            places: Arc::new(Semaphore::new(places.max(1))),
            depth,
        }
    }

    pub fn enter(&self) -> Result<Place, ApiError> {
        let permit = self
            .places
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::busy("the server is at its queue limit; retry shortly"))?;
        self.depth.inc();
        Ok(Place {
            _permit: permit,
            depth: self.depth.clone(),
        })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.depth.dec();
    }
}

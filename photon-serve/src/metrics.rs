//! What `GET /metrics` reports, in Prometheus' text format.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Answered {
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Tower {
    tower: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The server's counters, shared by the handlers and the batchers.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<Answered, Counter>,
    errors: Family<Route, Counter>,
    latency: HistogramFamily<Route>,
    batch_sizes: HistogramFamily<Tower>,
    queue_depth: Gauge,
    models_loaded: Gauge,
    resident: Gauge<u64, AtomicU64>,
}

fn latency_buckets() -> Histogram {
    // 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

fn batch_buckets() -> Histogram {
    // 1, 2, 4, ... 128 images per model call.
    Histogram::new(exponential_buckets(1.0, 2.0, 8))
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("photon");
        let requests = Family::<Answered, Counter>::default();
        let errors = Family::<Route, Counter>::default();
        let latency: HistogramFamily<Route> = Family::new_with_constructor(latency_buckets);
        let batch_sizes: HistogramFamily<Tower> = Family::new_with_constructor(batch_buckets);
        let queue_depth = Gauge::default();
        let models_loaded = Gauge::default();
        let resident = Gauge::<u64, AtomicU64>::default();
        registry.register(
            "requests",
            "Requests answered, by route and status",
            requests.clone(),
        );
        registry.register(
            "request_errors",
            "Requests answered with 4xx or 5xx",
            errors.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time to answer a request",
            latency.clone(),
        );
        registry.register(
            "batch_size",
            "Inputs per model call, by tower",
            batch_sizes.clone(),
        );
        registry.register(
            "queue_depth",
            "Requests waiting for a model",
            queue_depth.clone(),
        );
        registry.register(
            "models_loaded",
            "Model towers loaded",
            models_loaded.clone(),
        );
        registry.register(
            "resident_memory_bytes",
            "Resident set size of the process",
            resident.clone(),
        );
        Self {
            registry,
            requests,
            errors,
            latency,
            batch_sizes,
            queue_depth,
            models_loaded,
            resident,
        }
    }

    pub fn answered(&self, route: &str, status: u16, seconds: f64) {
        let labels = Answered {
            route: route.to_owned(),
            status: status.to_string(),
        };
        self.requests.get_or_create(&labels).inc();
        if status >= 400 {
            self.errors
                .get_or_create(&Route {
                    route: route.to_owned(),
                })
                .inc();
        }
        self.latency
            .get_or_create(&Route {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    pub fn batch(&self, tower: &str, size: usize) {
        let labels = Tower {
            tower: tower.to_owned(),
        };
        self.batch_sizes.get_or_create(&labels).observe(size as f64);
    }

    pub fn queue_depth(&self) -> &Gauge {
        &self.queue_depth
    }

    pub fn models_loaded(&self) -> &Gauge {
        &self.models_loaded
    }

    /// The text exposition, with the resident memory read now.
    pub fn render(&self) -> String {
        if let Some(bytes) = crate::memory::resident_bytes() {
            self.resident.set(bytes);
        }
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

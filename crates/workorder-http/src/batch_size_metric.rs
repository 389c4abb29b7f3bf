//! The sizes of the database's batches of attaches, as a histogram read from the store's
//! counts at each scrape: the store counts batches as it writes them, and this only renders
//! them, so a scrape costs no lock on the write path.

use std::sync::Arc;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};
use std::sync::Mutex;
use workorder_domain::BatchSizes;

/// The last sample of the store's batch sizes; all zero until one is taken.
#[derive(Debug, Clone, Default)]
pub(crate) struct BatchSizeHistogram(Arc<Mutex<BatchSizes>>);

impl BatchSizeHistogram {
    /// Replaces the sample, before rendering.
    pub(crate) fn set(&self, sizes: BatchSizes) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = sizes;
    }
}

impl TypedMetric for BatchSizeHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for BatchSizeHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let sizes = *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Per-bucket counts, as prometheus-client's own histogram keeps them (the encoder
        // accumulates); the last bucket is +Inf, so the bucket of "256 or more" is counted
        // there rather than under a bound it may exceed.
        let last = BatchSizes::BOUNDS.len() - 1;
        let buckets: Vec<(f64, u64)> = BatchSizes::BOUNDS
            .iter()
            .zip(sizes.counts)
            .enumerate()
            .map(|(i, (&bound, count))| (if i == last { f64::MAX } else { bound as f64 }, count))
            .collect();
        encoder.encode_histogram::<NoLabelSet>(sizes.photos as f64, sizes.batches(), &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

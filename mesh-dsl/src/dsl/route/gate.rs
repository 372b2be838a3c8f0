//! The gates of a canary: what the canary's own metrics must show before its share rises
//! (read by `mesh_dsl::rollout`, which builds the Prometheus queries).

use std::fmt;
use std::time::Duration;

/// A latency percentile of a [`Gate::latency`] gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Percentile {
    /// The median.
    P50,
    /// The 90th percentile.
    P90,
    /// The 99th percentile.
    P99,
}

impl Percentile {
    /// The quantile, e.g. `0.99`.
    pub fn quantile(self) -> f64 {
        match self {
            Self::P50 => 0.5,
            Self::P90 => 0.9,
            Self::P99 => 0.99,
        }
    }
}

impl fmt::Display for Percentile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::P50 => "p50",
            Self::P90 => "p90",
            Self::P99 => "p99",
        })
    }
}

/// How a measured value compares with a gate's threshold to pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// The value must be at least the threshold (`>=`).
    AtLeast,
    /// The value must be at most the threshold (`<=`).
    AtMost,
}

impl Comparison {
    /// Whether `value` passes against `threshold`.
    pub fn passes(self, value: f64, threshold: f64) -> bool {
        match self {
            Self::AtLeast => value >= threshold,
            Self::AtMost => value <= threshold,
        }
    }

    /// `>=` or `<=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::AtLeast => ">=",
            Self::AtMost => "<=",
        }
    }
}

/// A gate a canary stage must pass before the next stage: measured on the canary's
/// workload over the stage's bake time (see [`Canary::bake`](super::Canary::bake)).
///
/// The built-in gates read Istio's standard metrics as reported by the canary's own
/// sidecar (`reporter="destination"`); [`Gate::query`] takes any PromQL.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Gate {
    /// The share of the canary's requests answered without a 5xx, in percent, at least
    /// `min_percent`.
    SuccessRate {
        /// The lowest passing success rate, in percent (e.g. `99.0`).
        min_percent: f64,
    },
    /// A latency percentile of the canary's requests at most `max`.
    Latency {
        /// p50, p90 or p99.
        percentile: Percentile,
        /// The highest passing latency.
        max: Duration,
    },
    /// A PromQL query whose value (one number: a scalar, or a vector of one sample) must
    /// compare with `threshold` as `comparison` says. `{window}` in the query is
    /// replaced with the bake time as a PromQL range (e.g. `60s`).
    Query {
        /// A name for reports, e.g. `"error budget"`.
        name: String,
        /// The PromQL expression.
        promql: String,
        /// At least or at most.
        comparison: Comparison,
        /// The threshold.
        threshold: f64,
    },
}

// Thresholds are never NaN (the builders refuse it), so equality is an equivalence.
impl Eq for Gate {}

impl Gate {
    /// A success-rate gate: at least `min_percent` percent of the canary's requests
    /// answered without a 5xx.
    ///
    /// # Panics
    /// When `min_percent` is not between 0 and 100.
    pub fn success_rate(min_percent: f64) -> Self {
        assert!(
            (0.0..=100.0).contains(&min_percent),
            "a success rate is a percentage from 0 to 100, not {min_percent}"
        );
        Self::SuccessRate { min_percent }
    }

    /// A latency gate: the `percentile` of the canary's request durations at most `max`.
    pub fn latency(percentile: Percentile, max: Duration) -> Self {
        Self::Latency { percentile, max }
    }

    /// A custom gate named `name` on a PromQL query; say how it passes with
    /// [`Gate::at_most`] or [`Gate::at_least`] (until then: at most 0).
    pub fn query(name: impl Into<String>, promql: impl Into<String>) -> Self {
        Self::Query {
            name: name.into(),
            promql: promql.into(),
            comparison: Comparison::AtMost,
            threshold: 0.0,
        }
    }

    /// A custom gate passes when its value is at most `threshold`.
    ///
    /// # Panics
    /// On a gate other than [`Gate::query`], or a NaN threshold.
    pub fn at_most(self, threshold: f64) -> Self {
        self.compare(Comparison::AtMost, threshold)
    }

    /// A custom gate passes when its value is at least `threshold`.
    ///
    /// # Panics
    /// On a gate other than [`Gate::query`], or a NaN threshold.
    pub fn at_least(self, threshold: f64) -> Self {
        self.compare(Comparison::AtLeast, threshold)
    }

    fn compare(self, comparison: Comparison, threshold: f64) -> Self {
        assert!(!threshold.is_nan(), "a gate's threshold cannot be NaN");
        match self {
            Self::Query { name, promql, .. } => Self::Query {
                name,
                promql,
                comparison,
                threshold,
            },
            other => panic!("only a Gate::query takes a threshold, not {other:?}"),
        }
    }

    /// The gate's name in reports: `success rate`, `p99 latency`, or the query's name.
    pub fn name(&self) -> String {
        match self {
            Self::SuccessRate { .. } => "success rate".into(),
            Self::Latency { percentile, .. } => format!("{percentile} latency"),
            Self::Query { name, .. } => name.clone(),
        }
    }
}

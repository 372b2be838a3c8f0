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
    /// replaced with the window measured, as a PromQL range (e.g. `60s`): the time since
    /// the stage was applied, the bake time at its end.
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

// A NaN threshold is reported by `compile` (MESH0008); equality is meant between gates
// that compile.
impl Eq for Gate {}

impl Gate {
    /// A success-rate gate: at least `min_percent` percent (0 to 100) of the canary's
    /// requests answered without a 5xx.
    pub fn success_rate(min_percent: f64) -> Self {
        Self::SuccessRate { min_percent }
    }

    /// A latency gate: the `percentile` of the canary's request durations at most `max`.
    pub fn latency(percentile: Percentile, max: Duration) -> Self {
        Self::Latency { percentile, max }
    }

    /// A custom gate named `name` on a PromQL query; [`QueryGate::at_most`] or
    /// [`QueryGate::at_least`] gives its threshold.
    pub fn query(name: impl Into<String>, promql: impl Into<String>) -> QueryGate {
        QueryGate {
            name: name.into(),
            promql: promql.into(),
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

/// A custom gate waiting for its threshold ([`Gate::query`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct QueryGate {
    name: String,
    promql: String,
}

impl QueryGate {
    /// The gate passes when the query's value is at most `threshold`.
    pub fn at_most(self, threshold: f64) -> Gate {
        self.compare(Comparison::AtMost, threshold)
    }

    /// The gate passes when the query's value is at least `threshold`.
    pub fn at_least(self, threshold: f64) -> Gate {
        self.compare(Comparison::AtLeast, threshold)
    }

    fn compare(self, comparison: Comparison, threshold: f64) -> Gate {
        Gate::Query {
            name: self.name,
            promql: self.promql,
            comparison,
            threshold,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Canary, Mesh, Namespace, Port, Service, Version};

    #[test]
    fn gates_rollout_cannot_evaluate_are_mesh0008() {
        let mut mesh = Mesh::new();
        let ns = mesh.namespace(Namespace::new("shop"));
        let user = mesh.service(
            Service::new(&ns, "user")
                .port(Port::http(80))
                .version(Version::new("v1", "user:1"))
                .version(Version::new("v2", "user:2")),
        );
        mesh.canary(
            Canary::new(user.subset("v1"), user.subset("v2"))
                .success_rate(150.0)
                .gate(Gate::query("empty", " ").at_least(f64::NAN))
                .bake(Duration::ZERO),
        );
        let err = mesh.compile().unwrap_err().to_string();
        for m in [
            "MESH0008",
            "canary of shop/user: its bake time is zero",
            "canary of shop/user: its success-rate gate asks for 150%; a success rate is 0 to 100",
            "canary of shop/user: its gate \"empty\" has an empty query",
            "canary of shop/user: its gate \"empty\" has a NaN threshold",
        ] {
            assert!(err.contains(m), "{m:?} in {err}");
        }
        assert_eq!(Gate::query("q", "x").at_most(1.0).name(), "q");
        assert_eq!(
            Gate::latency(Percentile::P90, Duration::from_millis(1)).name(),
            "p90 latency"
        );
    }
}

//! Staged canaries: a split between two versions that changes stage by stage.

use std::time::Duration;

use super::gate::{Gate, Percentile};
use crate::dsl::service::SubsetRef;

/// The bake time of a stage unless [`Canary::bake`] says otherwise.
pub const DEFAULT_BAKE: Duration = Duration::from_secs(300);
/// The requests a stage needs for a verdict unless [`Canary::min_requests`] says otherwise.
pub const DEFAULT_MIN_REQUESTS: u64 = 100;

/// A staged canary: traffic that a route sends to the whole service is split between two
/// versions, with the new version's share rising stage by stage (e.g. 10 -> 25 -> 50 ->
/// 100). Each stage compiles to its own resource set (`Mesh::compile_stage`).
///
/// ```
/// use mesh_dsl::{Canary, Mesh, Namespace, Port, Service, Version};
/// let mut mesh = Mesh::new();
/// let ns = mesh.namespace(Namespace::new("shop"));
/// let user = mesh.service(
///     Service::new(&ns, "user")
///         .port(Port::http(80))
///         .version(Version::new("v1", "user:1"))
///         .version(Version::new("v2", "user:2")),
/// );
/// mesh.canary(Canary::new(user.subset("v1"), user.subset("v2")).stages([10, 25, 50, 100]));
/// assert_eq!(mesh.stage_count(), 4);
/// ```
///
/// Gates make the progression automatic (`mesh_dsl::rollout`, or the deploy program's
/// `rollout`): each stage bakes for [`Canary::bake`], then every gate must pass on the
/// canary's own metrics, with at least [`Canary::min_requests`] requests measured:
///
/// ```
/// # use mesh_dsl::{Canary, Mesh, Namespace, Port, Service, Version};
/// use std::time::Duration;
/// use mesh_dsl::route::{Gate, Percentile};
/// # let mut mesh = Mesh::new();
/// # let ns = mesh.namespace(Namespace::new("shop"));
/// # let user = mesh.service(Service::new(&ns, "user").port(Port::http(80))
/// #     .version(Version::new("v1", "user:1")).version(Version::new("v2", "user:2")));
/// mesh.canary(
///     Canary::new(user.subset("v1"), user.subset("v2"))
///         .stages([10, 50, 100])
///         .success_rate(99.0)
///         .latency(Percentile::P99, Duration::from_millis(500))
///         .min_requests(200)
///         .bake(Duration::from_secs(120))
///         .gate(Gate::query("cpu", "max(rate(container_cpu_usage_seconds_total{pod=~\"user-v2-.*\"}[{window}]))").at_most(0.8)),
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Canary {
    pub(crate) stable: SubsetRef,
    pub(crate) canary: SubsetRef,
    pub(crate) stages: Vec<i32>,
    pub(crate) gates: Vec<Gate>,
    pub(crate) min_requests: u64,
    pub(crate) bake: Duration,
}

impl Canary {
    /// A canary from `stable` to `canary` (two versions of the same service), with one
    /// stage at 100% until [`Canary::stages`] says otherwise.
    pub fn new(stable: SubsetRef, canary: SubsetRef) -> Self {
        Self {
            stable,
            canary,
            stages: vec![100],
            gates: Vec::new(),
            min_requests: DEFAULT_MIN_REQUESTS,
            bake: DEFAULT_BAKE,
        }
    }

    /// The canary's share in percent at each stage, in order.
    pub fn stages(mut self, percents: impl IntoIterator<Item = i32>) -> Self {
        self.stages = percents.into_iter().collect();
        self
    }

    /// Gate: at least `min_percent` percent (0 to 100) of the canary's requests answered
    /// without a 5xx ([`Gate::success_rate`]).
    pub fn success_rate(self, min_percent: f64) -> Self {
        self.gate(Gate::success_rate(min_percent))
    }

    /// Gate: the `percentile` of the canary's request durations at most `max`
    /// ([`Gate::latency`]).
    pub fn latency(self, percentile: Percentile, max: Duration) -> Self {
        self.gate(Gate::latency(percentile, max))
    }

    /// Adds a gate (any [`Gate`], e.g. a [`Gate::query`]); a canary has none by default.
    pub fn gate(mut self, gate: Gate) -> Self {
        self.gates.push(gate);
        self
    }

    /// The requests the canary must have served during a stage for a verdict (default
    /// 100): a stage with fewer by the end of its bake time fails, it never promotes.
    pub fn min_requests(mut self, requests: u64) -> Self {
        self.min_requests = requests;
        self
    }

    /// How long each stage runs before its verdict, and the window its gates measure
    /// (default 5 minutes).
    pub fn bake(mut self, bake: Duration) -> Self {
        self.bake = bake;
        self
    }

    /// The stable version.
    pub fn stable_subset(&self) -> &SubsetRef {
        &self.stable
    }

    /// The canary version.
    pub fn canary_subset(&self) -> &SubsetRef {
        &self.canary
    }

    /// The canary's share at each stage, in percent.
    pub fn shares(&self) -> &[i32] {
        &self.stages
    }

    /// The gates, in the order declared.
    pub fn gates(&self) -> &[Gate] {
        &self.gates
    }

    /// The requests a stage needs for a verdict.
    pub fn required_requests(&self) -> u64 {
        self.min_requests
    }

    /// The bake time of each stage.
    pub fn bake_time(&self) -> Duration {
        self.bake
    }

    /// The canary's share at `stage` (the last stage's share past the end).
    pub(crate) fn share_at(&self, stage: usize) -> i32 {
        self.stages
            .get(stage)
            .or(self.stages.last())
            .copied()
            .unwrap_or(100)
    }
}

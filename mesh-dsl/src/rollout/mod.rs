//! Progressive delivery without a controller: walk a mesh's canary stages, promoting or
//! rolling back on the canary's own metrics in Prometheus.
//!
//! ```no_run
//! # async fn run(mesh: mesh_dsl::Mesh) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use mesh_dsl::apply::{self, ApplyOptions};
//! use mesh_dsl::rollout::{self, Outcome, Plan, Prometheus, RolloutOptions};
//!
//! let plan = Plan::new(&mesh, None)?; // every stage compiled, and the stable plan
//! let client = apply::client(None, None).await?;
//! let prometheus = Prometheus::new("http://127.0.0.1:9090")?;
//! let options = RolloutOptions::new(ApplyOptions::new("shop")).interval(Duration::from_secs(15));
//! match rollout::rollout(&client, &plan, &prometheus, &options).await? {
//!     Outcome::Promoted { stage } => println!("promoted: stage {stage}"),
//!     Outcome::RolledBack { stage, failure } => println!("stage {stage} failed: {failure}"),
//!     other => println!("{other:?}"),
//! }
//! # Ok(()) }
//! ```
//!
//! # How a rollout runs
//! 1. Every stage and the stable plan (every canary at 0%) are compiled first
//!    ([`Plan::new`]); nothing is touched if one does not compile.
//! 2. The ApplySet parent's record ([`record`]) says where to start: the stage applied
//!    last (re-applied, then baked again), or 0. A rollout recorded as promoted or
//!    rolled back is not run again unless [`RolloutOptions::restart`].
//! 3. Each stage is applied as `apply` does (server-side dry run of everything first,
//!    then the writes, then waiting for Deployments), and recorded.
//! 4. It bakes for the plan's bake time; every [`RolloutOptions::interval`] the checks
//!    ([`query::checks`]) are measured over the time since the stage was applied (so
//!    only its own requests count; the whole bake time at its end). A failing gate fails
//!    the stage as soon as the canary has served its required requests; at the end of
//!    the bake, too few requests or a gate without data fail it too.
//! 5. A stage that fails is rolled back: the stable plan is applied and recorded; the
//!    outcome names the failing check, its value and threshold. Metrics that cannot be
//!    read stop the rollout at the stage applied last (recorded as stopped), as an
//!    interrupt does.

mod metrics;
mod outcome;
mod plan;
pub mod query;
pub mod record;
mod run;

pub use metrics::{MetricsError, MetricsSource, Prometheus};
pub use outcome::{Outcome, Progress, Reading, RolloutError};
pub use plan::{CanaryChecks, Plan};
pub use query::Check;
pub use record::{Position, StageRecord, State};
pub use run::{ProgressObserver, RolloutOptions, rollout};

//! Deploying compiled resources to a cluster: server-side apply with all-or-nothing
//! validation, ordering, bounded concurrency, retries, prune, wait, diff and delete.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use mesh_dsl::apply::{self, ApplyOptions};
//! # let mesh = mesh_dsl::Mesh::new();
//! let compiled = mesh.compile()?;
//! let client = apply::client(None, None).await?; // the usual kubeconfig
//! let options = ApplyOptions::new("shop").prune().wait();
//! let report = apply::apply(&client, &compiled.resources, &options).await?;
//! println!("{report}");
//! assert!(report.is_success());
//! # Ok(()) }
//! ```
//!
//! # How an apply runs
//! 1. **Preflight**: the ApplySet parent is read (and refused if another tool owns it),
//!    then discovery checks that the cluster serves every kind (one request per
//!    group-version, each retried on its own); missing Istio CRDs are one error naming
//!    the missing group/version/kinds.
//! 2. **Validation**: a server-side dry run of every object (namespaces first: a
//!    namespaced dry run fails while its namespace does not exist). If the server refuses
//!    any object, or another field manager owns a field (a conflict, unless
//!    [`ApplyOptions::force_conflicts`]), nothing is written.
//! 3. **Writes**, in phases: the ApplySet parent (recording old and new kinds), namespaces,
//!    then the objects in namespaces that did not exist before are dry-run too (if the
//!    server refuses one, those namespaces and the parent are removed again, or the
//!    parent's former record restored, and nothing else is written), then
//!    service accounts, services and deployments, then Istio kinds, then anything else.
//!    Inside a phase, [`ApplyOptions::concurrency`] requests run at once. A failed phase
//!    stops the later ones.
//! 4. **Prune** ([`ApplyOptions::prune`]): objects labelled as members of this ApplySet
//!    that are no longer declared are deleted (Istio kinds first, namespaces last; a
//!    namespace holding objects outside the set is kept, see [`delete()`]); then the parent
//!    records only the current kinds.
//! 5. **Wait** ([`ApplyOptions::wait`]): until every Deployment has rolled out.
//!
//! Requests that fail for a reason that may pass (429, 5xx other than a schema error,
//! timeouts, dropped connections) are retried with exponential backoff and jitter,
//! honouring `Retry-After`; a conflict (409 on apply), a schema error (500 "field not
//! declared in schema") and an invalid object (422) are not. Server-side apply is
//! idempotent, so running an interrupted apply again converges.

mod applyset;
mod client;
mod delete;
mod diff;
mod dry_run;
mod error;
mod options;
mod plan;
mod prune;
mod redact;
mod report;
mod request;
mod results;
mod run;
mod served;
mod wait;

use futures_util::stream::{self, StreamExt as _};

pub use applyset::{
    GROUP_KINDS_ANNOTATION, ID_LABEL, NAMESPACES_ANNOTATION, PART_OF_LABEL, TOOLING_ANNOTATION,
    id as applyset_id,
};
pub use client::client;
pub use delete::delete;
pub use diff::{Change, DiffEntry, DiffReport, diff, strip_server_fields};
pub use error::{ApplyError, MissingKinds};
pub use options::{ApplyOptions, ApplySetParent, Observer, ParentKind, Retry};
pub use report::{
    Action, ApplyReport, Conflict, Event, NotReady, ResourceResult, Step, Stopped, WaitReport,
};
pub use request::{ApiStatus, RequestError};
pub use run::apply;
pub use wait::{rollout_pending, wait};

/// Runs `f` over `items` with at most `n` at once; results in input order.
async fn concurrently<T, R, F, Fut>(n: usize, items: Vec<T>, f: F) -> Vec<R>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = R>,
{
    stream::iter(items.into_iter().map(f))
        .buffered(n.max(1))
        .collect()
        .await
}

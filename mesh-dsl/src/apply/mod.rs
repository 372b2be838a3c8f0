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
//!    then discovery checks that the cluster serves every kind; missing Istio CRDs are
//!    one error naming the missing group/version/kinds.
//! 2. **Validation**: a server-side dry run of every object (namespaces first: a
//!    namespaced dry run fails while its namespace does not exist). If the server refuses
//!    any object, or another field manager owns a field (a conflict, unless
//!    [`ApplyOptions::force_conflicts`]), nothing is written.
//! 3. **Writes**, in phases: the ApplySet parent (recording old and new kinds), namespaces,
//!    then the objects in namespaces that did not exist before are dry-run too, then
//!    service accounts, services and deployments, then Istio kinds, then anything else.
//!    Inside a phase, [`ApplyOptions::concurrency`] requests run at once. A failed phase
//!    stops the later ones.
//! 4. **Prune** ([`ApplyOptions::prune`]): objects labelled as members of this ApplySet
//!    that are no longer declared are deleted (Istio kinds first, namespaces last); then
//!    the parent records only the current kinds.
//! 5. **Wait** ([`ApplyOptions::wait`]): until every Deployment has rolled out.
//!
//! Requests that fail for a reason that may pass (429, 5xx other than a schema error,
//! timeouts, dropped connections) are retried with exponential backoff and jitter,
//! honouring `Retry-After`; a conflict (409 on apply), a schema error (500 "field not
//! declared in schema") and an invalid object (422) are not. Server-side apply is
//! idempotent, so running an interrupted apply again converges.

mod applyset;
mod diff;
mod options;
mod report;
mod request;
mod wait;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::Path;

use futures_util::stream::{self, StreamExt as _};
use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::{ApiCapabilities, Discovery, Scope};
use serde_json::Value;
use tokio::time::Instant;

pub use applyset::{
    GROUP_KINDS_ANNOTATION, ID_LABEL, NAMESPACES_ANNOTATION, PART_OF_LABEL, TOOLING_ANNOTATION,
    id as applyset_id,
};
pub use diff::{Change, DiffEntry, DiffReport, strip_server_fields};
pub use options::{ApplyOptions, ApplySetParent, Observer, ParentKind, Retry};
pub use report::{
    Action, ApplyReport, Conflict, Event, NotReady, ResourceResult, Step, Stopped, WaitReport,
};
pub use request::{ApiStatus, RequestError};
pub use wait::rollout_pending;

use crate::diag::ResourceRef;
use crate::resources::{Resource, Resources};
use applyset::Recorded;
use request::Requester;

/// Kinds the cluster does not serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingKinds {
    /// `group/version Kind`, e.g. `networking.istio.io/v1 VirtualService`, sorted.
    pub missing: Vec<String>,
}

impl MissingKinds {
    /// Whether every missing kind is one of Istio's.
    pub fn all_istio(&self) -> bool {
        self.missing.iter().all(|m| {
            m.split('/')
                .next()
                .is_some_and(|g| g.ends_with(".istio.io"))
        })
    }
}

impl fmt::Display for MissingKinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.all_istio() {
            write!(
                f,
                "Istio's CRDs are not installed in this cluster: it does not serve {} (install Istio, or at least its CRDs, first)",
                self.missing.join(", ")
            )
        } else {
            write!(f, "the cluster does not serve {}", self.missing.join(", "))
        }
    }
}

/// Why an apply, diff or delete could not run at all (per-object failures are in the
/// report instead).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// The kubeconfig could not be read or does not have the context.
    #[error("cannot load the kubeconfig: {0}")]
    Kubeconfig(#[source] kube::config::KubeconfigError),
    /// No kubeconfig and not inside a cluster.
    #[error("cannot find a cluster configuration: {0}")]
    InferConfig(#[source] kube::config::InferConfigError),
    /// The client could not be built from the configuration.
    #[error("cannot create a Kubernetes client: {0}")]
    Client(#[source] kube::Error),
    /// Discovery failed: the cluster is unreachable or refused us.
    #[error("cannot reach the cluster: {0}")]
    Unreachable(#[source] kube::Error),
    /// Kinds are not served (e.g. Istio is not installed).
    #[error("{0}")]
    MissingKinds(MissingKinds),
    /// The ApplySet parent belongs to another tool.
    #[error("the ApplySet {parent} is managed by {tooling}, not mesh-dsl: refusing to change it")]
    ForeignApplySet {
        /// The parent.
        parent: String,
        /// Its tooling annotation.
        tooling: String,
    },
    /// The ApplySet parent cannot be read or written (its namespace does not exist, RBAC
    /// refuses it, ...).
    #[error("cannot use the ApplySet parent {parent}: {source}")]
    Parent {
        /// The parent.
        parent: String,
        /// Why.
        #[source]
        source: RequestError,
    },
    /// A request the operation cannot go on without failed (listing members for prune).
    #[error("cannot {what}: {source}")]
    Request {
        /// What was being done.
        what: String,
        /// Why it failed.
        #[source]
        source: RequestError,
    },
}

impl ApplyError {
    fn request(what: impl Into<String>, source: RequestError) -> Self {
        Self::Request {
            what: what.into(),
            source,
        }
    }

    fn parent(options: &ApplyOptions, source: RequestError) -> Self {
        Self::Parent {
            parent: options.applyset.to_string(),
            source,
        }
    }

    /// Whether this is about reaching the cluster (configuration, network, discovery,
    /// missing kinds) rather than about the objects.
    pub fn is_preflight(&self) -> bool {
        !matches!(self, Self::Request { .. })
    }
}

/// A client from a kubeconfig: `path` (or `KUBECONFIG` / `~/.kube/config`, or the
/// in-cluster configuration when neither is given) and `context` (or the current one).
///
/// The client's own retry layer is switched off: [`apply`] retries with its own policy
/// ([`ApplyOptions::retry`]).
///
/// # Errors
/// [`ApplyError::Kubeconfig`] or [`ApplyError::InferConfig`] when there is no usable
/// configuration, [`ApplyError::Client`] when the client cannot be built.
pub async fn client(path: Option<&Path>, context: Option<&str>) -> Result<Client, ApplyError> {
    let options = KubeConfigOptions {
        context: context.map(String::from),
        ..Default::default()
    };
    let mut config = match (path, context) {
        (Some(p), _) => {
            let kc = Kubeconfig::read_from(p).map_err(ApplyError::Kubeconfig)?;
            kube::Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(ApplyError::Kubeconfig)?
        }
        (None, Some(_)) => kube::Config::from_kubeconfig(&options)
            .await
            .map_err(ApplyError::Kubeconfig)?,
        (None, None) => kube::Config::infer()
            .await
            .map_err(ApplyError::InferConfig)?,
    };
    config.default_retry = false;
    Client::try_from(config).map_err(ApplyError::Client)
}

/// One declared object, resolved against discovery.
struct Member {
    reference: ResourceRef,
    api_version: String,
    group_kind: String,
    namespace: Option<String>,
    /// 0 namespaces, 1 core objects and workloads, 2 Istio kinds, 3 anything else.
    group: u8,
    object: Value,
    ar: ApiResource,
}

fn apply_group(phase: u8) -> u8 {
    match phase {
        0 => 0,
        1..=3 => 1,
        4 => 2,
        _ => 3,
    }
}

/// The apply group of a group-kind (for prune and delete order).
fn group_of_gk(gk: &str) -> u8 {
    let (group, kind) = applyset::split_group_kind(gk);
    match (group.as_str(), kind.as_str()) {
        ("", "Namespace") => 0,
        ("", "ServiceAccount" | "Service") | ("apps", "Deployment") => 1,
        (g, _) if g.ends_with(".istio.io") => 2,
        _ => 3,
    }
}

fn namespace_ref(ns: Option<&str>, kind: &str, name: &str) -> ResourceRef {
    ResourceRef::new(kind, ns, name)
}

/// Everything known before the first request that changes anything.
struct Plan {
    members: Vec<Member>,
    discovery: Discovery,
    parent_ar: ApiResource,
    recorded: Recorded,
    parent_exists: bool,
    set_id: String,
}

fn parent_resource(options: &ApplyOptions) -> ApiResource {
    let kind = options.applyset.kind.kind();
    ApiResource {
        group: String::new(),
        version: "v1".into(),
        api_version: "v1".into(),
        kind: kind.into(),
        plural: format!("{}s", kind.to_ascii_lowercase()),
    }
}

async fn discover(api: &Requester<'_>, groups: &BTreeSet<String>) -> Result<Discovery, ApplyError> {
    let names: Vec<&str> = groups.iter().map(String::as_str).collect();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = tokio::time::timeout(
            api.options.request_timeout * 4,
            Discovery::new(api.client.clone()).filter(&names).run(),
        )
        .await;
        let error = match result {
            Ok(Ok(d)) => return Ok(d),
            Ok(Err(e)) => e,
            Err(_) => {
                return Err(ApplyError::request(
                    "discover the cluster's API",
                    RequestError::Timeout(api.options.request_timeout * 4),
                ));
            }
        };
        let transient = match &error {
            kube::Error::Api(s) => matches!(s.code, 429 | 500 | 502 | 503 | 504),
            kube::Error::HyperError(_) | kube::Error::Service(_) => true,
            _ => false,
        };
        let delay = request::backoff(api.options, attempt);
        if !transient
            || attempt >= api.options.retry.attempts
            || Instant::now() + delay >= api.deadline
        {
            return Err(ApplyError::Unreachable(error));
        }
        tokio::time::sleep(delay).await;
    }
}

fn resolve_gk(discovery: &Discovery, gk: &str) -> Option<(ApiResource, ApiCapabilities)> {
    let (group, kind) = applyset::split_group_kind(gk);
    discovery.get(&group)?.recommended_kind(&kind)
}

impl Plan {
    async fn prepare(
        api: &Requester<'_>,
        resources: &Resources,
        extra_groups: bool,
    ) -> Result<Self, ApplyError> {
        let options = api.options;
        let parent_ar = parent_resource(options);
        let set_id = applyset::id(&options.applyset);
        let parent = api
            .get(
                &parent_ar,
                Some(&options.applyset.namespace),
                &options.applyset.name,
            )
            .await
            .map_err(|e| ApplyError::parent(options, e))?;
        let recorded = parent.as_ref().map(Recorded::of).unwrap_or_default();
        if let Some(tooling) = recorded.foreign_tool() {
            return Err(ApplyError::ForeignApplySet {
                parent: options.applyset.to_string(),
                tooling: tooling.to_string(),
            });
        }
        let mut groups: BTreeSet<String> = BTreeSet::from([String::new()]);
        for r in resources {
            if let Some((g, _)) = r.api_version().rsplit_once('/') {
                groups.insert(g.to_string());
            }
        }
        if extra_groups {
            for gk in &recorded.group_kinds {
                groups.insert(applyset::split_group_kind(gk).0);
            }
        }
        let discovery = discover(api, &groups).await?;

        let mut missing = BTreeSet::new();
        let mut members = Vec::new();
        for r in resources {
            let api_version = r.api_version().to_string();
            let (group, version) = api_version.rsplit_once('/').unwrap_or(("", &api_version));
            let gvk = GroupVersionKind::gvk(group, version, r.kind());
            let Some((ar, caps)) = discovery.resolve_gvk(&gvk) else {
                missing.insert(format!("{api_version} {}", r.kind()));
                continue;
            };
            let namespace = match caps.scope {
                Scope::Cluster => None,
                Scope::Namespaced => Some(
                    r.namespace()
                        .unwrap_or(api.client.default_namespace())
                        .to_string(),
                ),
            };
            let mut object = r.to_json();
            if let Some(ns) = &namespace {
                object["metadata"]["namespace"] = Value::String(ns.clone());
            }
            applyset::label_member(&mut object, &set_id);
            members.push(Member {
                reference: namespace_ref(namespace.as_deref(), r.kind(), r.name()),
                group_kind: applyset::group_kind(&api_version, r.kind()),
                api_version,
                namespace,
                group: apply_group(r.phase()),
                object,
                ar,
            });
        }
        if !missing.is_empty() {
            return Err(ApplyError::MissingKinds(MissingKinds {
                missing: missing.into_iter().collect(),
            }));
        }
        Ok(Self {
            members,
            discovery,
            parent_ar,
            parent_exists: parent.is_some(),
            recorded,
            set_id,
        })
    }

    /// Server-side applies the ApplySet parent listing `group_kinds` and `namespaces` (only
    /// checks it with `dry_run`).
    async fn write_parent(
        &self,
        api: &Requester<'_>,
        options: &ApplyOptions,
        group_kinds: &BTreeSet<String>,
        namespaces: &BTreeSet<String>,
        dry_run: bool,
    ) -> Result<(), ApplyError> {
        let parent = applyset::parent_object(&options.applyset, group_kinds, namespaces);
        api.apply(
            &self.parent_ar,
            Some(&options.applyset.namespace),
            &options.applyset.name,
            &parent,
            dry_run,
        )
        .await
        .map(drop)
        .map_err(|e| ApplyError::parent(options, e))
    }

    fn group_kinds(&self) -> BTreeSet<String> {
        self.members.iter().map(|m| m.group_kind.clone()).collect()
    }

    fn namespaces(&self, parent_ns: &str) -> BTreeSet<String> {
        let mut ns: BTreeSet<String> = self
            .members
            .iter()
            .filter_map(|m| m.namespace.clone())
            .collect();
        ns.insert(parent_ns.to_string());
        ns
    }
}

/// Conflicts per field manager, from a 409's causes.
fn conflicts_of(status: &ApiStatus) -> Vec<Conflict> {
    if status.code != 409 {
        return Vec::new();
    }
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (reason, message, field) in &status.causes {
        if reason != "FieldManagerConflict" {
            continue;
        }
        let manager = message
            .split('"')
            .nth(1)
            .unwrap_or("another field manager")
            .to_string();
        by.entry(manager).or_default().push(field.clone());
    }
    by.into_iter()
        .map(|(manager, fields)| Conflict { manager, fields })
        .collect()
}

fn failure(reference: &ResourceRef, api_version: &str, error: &RequestError) -> ResourceResult {
    let mut r = ResourceResult::new(reference.clone(), api_version, Action::Failed)
        .message(error.to_string());
    if let Some(s) = error.status() {
        r.status = Some(s.code);
        r.message = Some(s.message.clone());
        r.conflicts = conflicts_of(s);
    }
    r
}

fn resource_version(v: &Value) -> Option<&str> {
    v["metadata"]["resourceVersion"]
        .as_str()
        .filter(|s| !s.is_empty())
}

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

fn is_deadline(results: &[ResourceResult]) -> bool {
    results.iter().any(|r| {
        r.action == Action::Failed
            && r.message.as_deref() == Some(&RequestError::Deadline.to_string())
    })
}

/// Applies `resources` with server-side apply; see the [module docs](self) for the
/// order of events.
///
/// # Errors
/// [`ApplyError`] when the operation cannot start (cluster unreachable, kinds not served,
/// an ApplySet of another tool) or a request it depends on fails (writing the ApplySet
/// parent, listing for prune). Objects the server refuses are reported in the
/// [`ApplyReport`], whose [`ApplyReport::is_success`] must be checked.
pub async fn apply(
    client: &Client,
    resources: &Resources,
    options: &ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    let started = Instant::now();
    let api = Requester {
        client,
        options,
        deadline: started + options.timeout,
    };
    let plan = Plan::prepare(&api, resources, options.prune).await?;
    let mut run = Run {
        api: &api,
        plan: &plan,
        results: vec![None; plan.members.len()],
        answers: vec![None; plan.members.len()],
        written: vec![false; plan.members.len()],
    };
    options.notify(&Event::Started {
        step: Step::Validate,
        total: plan.members.len(),
    });
    // Validation: namespaces, then everything whose namespace exists already.
    let namespaces: Vec<usize> = run.indices(|m| m.group == 0);
    let mut ok = run.validate(namespaces).await;
    let new_namespaces: HashSet<String> = run
        .indices(|m| m.group == 0)
        .into_iter()
        .filter(|i| matches!(&run.answers[*i], Some((code, v)) if *code == 201 || resource_version(v).is_none()))
        .map(|i| plan.members[i].reference.name.clone())
        .collect();
    let in_new_ns = |m: &Member| {
        m.namespace
            .as_ref()
            .is_some_and(|ns| new_namespaces.contains(ns))
    };
    let existing = run.indices(|m| m.group > 0 && !in_new_ns(m));
    ok &= run.validate(existing).await;
    let parent_ns = options.applyset.namespace.clone();
    if !new_namespaces.contains(&parent_ns) {
        plan.write_parent(
            &api,
            options,
            &plan.group_kinds(),
            &plan.namespaces(&parent_ns),
            true,
        )
        .await?;
    }
    if !ok {
        return Ok(run.stopped(
            Stopped::Validation,
            started,
            "not applied: the server refused other objects in the dry run",
        ));
    }
    if options.dry_run {
        return dry_run_report(run, &in_new_ns, started).await;
    }

    // Writes. The parent first records the kinds and namespaces of old and new members,
    // so that an interrupted apply can still be pruned later.
    let superset_kinds: BTreeSet<String> = plan
        .group_kinds()
        .union(&plan.recorded.group_kinds)
        .cloned()
        .collect();
    let superset_ns: BTreeSet<String> = plan
        .namespaces(&parent_ns)
        .union(&plan.recorded.namespaces)
        .cloned()
        .collect();
    options.notify(&Event::Started {
        step: Step::Apply,
        total: plan.members.len(),
    });
    if new_namespaces.contains(&parent_ns) {
        let first = run.indices(|m| m.group == 0 && m.reference.name == parent_ns);
        run.write(first).await;
    }
    plan.write_parent(&api, options, &superset_kinds, &superset_ns, false)
        .await?;

    for group in 0..=3u8 {
        if group == 1 {
            // Objects in namespaces created just now get their dry run now.
            let deferred = run.indices(|m| m.group > 0 && in_new_ns(m));
            if !run.validate(deferred).await {
                return Ok(run.stopped(
                    Stopped::Validation,
                    started,
                    "not applied: the server refused other objects in the dry run",
                ));
            }
        }
        let todo: Vec<usize> = run
            .indices(|m| m.group == group)
            .into_iter()
            .filter(|i| !run.written[*i])
            .collect();
        if !run.write(todo).await {
            return Ok(run.stopped(
                Stopped::WriteFailed,
                started,
                "not applied: an earlier phase failed",
            ));
        }
    }
    let mut report = ApplyReport {
        results: run.results.into_iter().flatten().collect(),
        ..ApplyReport::default()
    };

    if options.prune {
        let keep: HashSet<(String, Option<String>, String)> =
            plan.members.iter().map(member_key).collect();
        let candidates = prune_candidates(&api, &plan, &keep).await?;
        options.notify(&Event::Started {
            step: Step::Prune,
            total: candidates.len(),
        });
        let pruned = delete_in_order(&api, candidates, Action::Pruned, Step::Prune).await;
        let ok = pruned.iter().all(|r| r.action != Action::Failed);
        report.results.extend(pruned);
        if ok {
            plan.write_parent(
                &api,
                options,
                &plan.group_kinds(),
                &plan.namespaces(&parent_ns),
                false,
            )
            .await?;
        } else {
            report.stopped = Some(Stopped::WriteFailed);
        }
    }

    if options.wait {
        let deployments: Vec<&Member> = plan
            .members
            .iter()
            .filter(|m| m.group_kind == "Deployment.apps")
            .collect();
        report.wait = Some(match deployments.first() {
            Some(first) => {
                options.notify(&Event::Started {
                    step: Step::Wait,
                    total: deployments.len(),
                });
                let refs: Vec<ResourceRef> =
                    deployments.iter().map(|m| m.reference.clone()).collect();
                wait::wait_for(&api, &first.ar, &refs, api.deadline).await
            }
            None => WaitReport::default(),
        });
    }
    if is_deadline(&report.results) {
        report.stopped = Some(Stopped::Timeout);
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The state of one apply: per member, its result, its dry-run answer, whether it was
/// written.
struct Run<'a> {
    api: &'a Requester<'a>,
    plan: &'a Plan,
    results: Vec<Option<ResourceResult>>,
    answers: Vec<Option<(u16, Value)>>,
    written: Vec<bool>,
}

impl Run<'_> {
    fn indices(&self, f: impl Fn(&Member) -> bool) -> Vec<usize> {
        (0..self.plan.members.len())
            .filter(|i| f(&self.plan.members[*i]))
            .collect()
    }

    /// Dry-runs these members; whether the server accepted all of them.
    async fn validate(&mut self, indices: Vec<usize>) -> bool {
        let api = self.api;
        let plan = self.plan;
        let answers = concurrently(api.options.concurrency, indices, |i| async move {
            let m = &plan.members[i];
            let r = api
                .apply(
                    &m.ar,
                    m.namespace.as_deref(),
                    &m.reference.name,
                    &m.object,
                    true,
                )
                .await;
            let result = match &r {
                Ok(_) => {
                    ResourceResult::new(m.reference.clone(), &m.api_version, Action::Unchanged)
                }
                Err(e) => failure(&m.reference, &m.api_version, e),
            };
            api.options.notify(&Event::Done {
                step: Step::Validate,
                result: &result,
            });
            (i, r)
        })
        .await;
        let mut ok = true;
        for (i, r) in answers {
            match r {
                Ok(answer) => self.answers[i] = Some(answer),
                Err(e) => {
                    ok = false;
                    let m = &plan.members[i];
                    self.results[i] = Some(failure(&m.reference, &m.api_version, &e));
                }
            }
        }
        ok
    }

    /// Writes these members; whether all writes succeeded.
    async fn write(&mut self, indices: Vec<usize>) -> bool {
        let api = self.api;
        let plan = self.plan;
        let answers = &self.answers;
        let done = concurrently(api.options.concurrency, indices, |i| async move {
            let validated = answers[i].as_ref().and_then(|(_, v)| resource_version(v));
            (i, write(api, &plan.members[i], validated).await)
        })
        .await;
        let mut ok = true;
        for (i, r) in done {
            ok &= r.action != Action::Failed;
            self.written[i] = r.action != Action::Failed;
            self.results[i] = Some(r);
        }
        ok
    }

    /// The report of an apply that stopped: what was written or failed, the rest skipped.
    fn stopped(self, why: Stopped, started: Instant, message: &str) -> ApplyReport {
        let results: Vec<ResourceResult> = self
            .results
            .into_iter()
            .zip(&self.written)
            .zip(&self.plan.members)
            .map(|((r, written), m)| match r {
                Some(r) if *written || r.action == Action::Failed => r,
                _ => ResourceResult::new(m.reference.clone(), &m.api_version, Action::Skipped)
                    .message(message),
            })
            .collect();
        let timed_out = is_deadline(&results);
        ApplyReport {
            dry_run: self.api.options.dry_run,
            results,
            stopped: Some(if timed_out { Stopped::Timeout } else { why }),
            wait: None,
            elapsed: started.elapsed(),
        }
    }
}

/// The report of a dry run: created (201), or configured/unchanged by comparing the live
/// objects with the dry-run answers; what prune would delete.
async fn dry_run_report(
    run: Run<'_>,
    in_new_ns: &dyn Fn(&Member) -> bool,
    started: Instant,
) -> Result<ApplyReport, ApplyError> {
    let Run {
        api, plan, answers, ..
    } = run;
    let existing: Vec<usize> = (0..plan.members.len())
        .filter(|i| matches!(&answers[*i], Some((code, _)) if *code != 201))
        .collect();
    let lives: HashMap<usize, Result<Option<Value>, RequestError>> =
        concurrently(api.options.concurrency, existing, |i| async move {
            let m = &plan.members[i];
            (
                i,
                api.get(&m.ar, m.namespace.as_deref(), &m.reference.name)
                    .await,
            )
        })
        .await
        .into_iter()
        .collect();
    let mut report = ApplyReport {
        dry_run: true,
        ..ApplyReport::default()
    };
    for (i, m) in plan.members.iter().enumerate() {
        let created = ResourceResult::new(m.reference.clone(), &m.api_version, Action::Created);
        report.results.push(match (&answers[i], lives.get(&i)) {
            (Some((_, answer)), Some(Ok(Some(live)))) => {
                let same = strip_server_fields(answer) == strip_server_fields(live);
                ResourceResult::new(
                    m.reference.clone(),
                    &m.api_version,
                    if same {
                        Action::Unchanged
                    } else {
                        Action::Configured
                    },
                )
            }
            (_, Some(Err(e))) => failure(&m.reference, &m.api_version, e),
            (None, _) if in_new_ns(m) => created.message(format!(
                "namespace {} does not exist yet: not checked by the server",
                m.namespace.as_deref().unwrap_or("")
            )),
            _ => created,
        });
    }
    if api.options.prune {
        let keep = plan.members.iter().map(member_key).collect();
        for c in prune_candidates(api, plan, &keep).await? {
            report.results.push(ResourceResult::new(
                c.reference,
                &c.api_version,
                Action::Pruned,
            ));
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

fn member_key(m: &Member) -> (String, Option<String>, String) {
    (
        m.group_kind.clone(),
        m.namespace.clone(),
        m.reference.name.clone(),
    )
}

/// Writes one member; the action comes from the answer: 201 created, otherwise the
/// resourceVersion against the dry run's (the same: nothing changed).
async fn write(api: &Requester<'_>, m: &Member, validated_rv: Option<&str>) -> ResourceResult {
    let result = match api
        .apply(
            &m.ar,
            m.namespace.as_deref(),
            &m.reference.name,
            &m.object,
            false,
        )
        .await
    {
        Ok((201, _)) => ResourceResult::new(m.reference.clone(), &m.api_version, Action::Created),
        Ok((_, v)) => {
            let action = if validated_rv.is_some() && resource_version(&v) == validated_rv {
                Action::Unchanged
            } else {
                Action::Configured
            };
            ResourceResult::new(m.reference.clone(), &m.api_version, action)
        }
        Err(e) => failure(&m.reference, &m.api_version, &e),
    };
    api.options.notify(&Event::Done {
        step: Step::Apply,
        result: &result,
    });
    result
}

/// An object of the set found in the cluster.
struct Candidate {
    reference: ResourceRef,
    api_version: String,
    namespace: Option<String>,
    ar: ApiResource,
    group: u8,
    live: Value,
}

/// The members of the set in the cluster that are not in `keep`: every recorded and
/// current group-kind, listed by the part-of label in every recorded namespace.
async fn prune_candidates(
    api: &Requester<'_>,
    plan: &Plan,
    keep: &HashSet<(String, Option<String>, String)>,
) -> Result<Vec<Candidate>, ApplyError> {
    let options = api.options;
    let kinds: BTreeSet<String> = plan
        .group_kinds()
        .union(&plan.recorded.group_kinds)
        .cloned()
        .collect();
    let namespaces: BTreeSet<String> = plan
        .namespaces(&options.applyset.namespace)
        .union(&plan.recorded.namespaces)
        .cloned()
        .collect();
    let selector = format!("{PART_OF_LABEL}={}", plan.set_id);
    let mut lists = Vec::new();
    for gk in &kinds {
        let Some((ar, caps)) = resolve_gk(&plan.discovery, gk) else {
            tracing::warn!("{gk} is recorded in the ApplySet but no longer served: not pruned");
            continue;
        };
        match caps.scope {
            Scope::Cluster => lists.push((gk.clone(), ar, None)),
            Scope::Namespaced => {
                for ns in &namespaces {
                    lists.push((gk.clone(), ar.clone(), Some(ns.clone())));
                }
            }
        }
    }
    let listed = concurrently(options.concurrency, lists, |(gk, ar, ns)| {
        let selector = &selector;
        async move {
            let r = api.list(&ar, ns.as_deref(), selector).await;
            (gk, ar, ns, r)
        }
    })
    .await;
    let mut out = Vec::new();
    for (gk, ar, ns, r) in listed {
        let items = r.map_err(|e| {
            ApplyError::request(
                format!(
                    "list {} in {} for prune",
                    ar.plural,
                    ns.as_deref().unwrap_or("the cluster")
                ),
                e,
            )
        })?;
        for item in items {
            let name = item["metadata"]["name"].as_str().unwrap_or("").to_string();
            let item_ns = item["metadata"]["namespace"].as_str().map(String::from);
            let owned = item["metadata"]["labels"][PART_OF_LABEL] == plan.set_id.as_str();
            if !owned || keep.contains(&(gk.clone(), item_ns.clone(), name.clone())) {
                continue;
            }
            out.push(Candidate {
                reference: namespace_ref(item_ns.as_deref(), &ar.kind, &name),
                api_version: ar.api_version.clone(),
                namespace: item_ns,
                ar: ar.clone(),
                group: group_of_gk(&gk),
                live: item,
            });
        }
    }
    Ok(out)
}

/// Deletes candidates, Istio kinds first and namespaces last.
async fn delete_in_order(
    api: &Requester<'_>,
    candidates: Vec<Candidate>,
    action: Action,
    step: Step,
) -> Vec<ResourceResult> {
    let mut by_group: BTreeMap<u8, Vec<Candidate>> = BTreeMap::new();
    for c in candidates {
        by_group.entry(c.group).or_default().push(c);
    }
    let mut results = Vec::new();
    for (_, mut these) in by_group.into_iter().rev() {
        these.sort_by(|a, b| a.reference.cmp(&b.reference));
        let done = concurrently(api.options.concurrency, these, |c| async move {
            let r = match api
                .delete(
                    &c.ar,
                    c.namespace.as_deref(),
                    &c.reference.name,
                    api.options.dry_run,
                )
                .await
            {
                Ok(_) => ResourceResult::new(c.reference.clone(), &c.api_version, action),
                Err(e) => failure(&c.reference, &c.api_version, &e),
            };
            api.options.notify(&Event::Done { step, result: &r });
            r
        })
        .await;
        results.extend(done);
    }
    results
}

/// Compares every declared object with the cluster: the live object against the
/// server's dry-run answer (so defaults the server fills in do not show as changes),
/// server-managed fields left out. With [`ApplyOptions::prune`], objects prune would
/// delete are listed too.
///
/// # Errors
/// As [`apply`]'s preflight.
pub async fn diff(
    client: &Client,
    resources: &Resources,
    options: &ApplyOptions,
) -> Result<DiffReport, ApplyError> {
    let api = Requester {
        client,
        options,
        deadline: Instant::now() + options.timeout,
    };
    let plan = Plan::prepare(&api, resources, options.prune).await?;
    let yaml = |v: &Value| istio_types::yaml::to_yaml(&strip_server_fields(v)).unwrap_or_default();
    let entries = concurrently(options.concurrency, plan.members.iter().collect(), |m| {
        let api = &api;
        async move {
            let ns = m.namespace.as_deref();
            let live = api.get(&m.ar, ns, &m.reference.name).await;
            let merged = api
                .apply(&m.ar, ns, &m.reference.name, &m.object, true)
                .await;
            let mut entry = DiffEntry {
                resource: m.reference.clone(),
                api_version: m.api_version.clone(),
                change: Change::Unchanged,
                live: None,
                desired: None,
                message: None,
            };
            let live = match live {
                Ok(l) => l,
                Err(e) => {
                    entry.change = Change::Failed;
                    entry.message = Some(e.to_string());
                    return entry;
                }
            };
            entry.live = live.as_ref().map(yaml);
            match merged {
                Ok((_, v)) => entry.desired = Some(yaml(&v)),
                Err(e) if e.is_not_found() && live.is_none() => {
                    entry.desired = Some(yaml(&m.object));
                    entry.message =
                        Some("its namespace does not exist yet: not checked by the server".into());
                }
                Err(e) => {
                    entry.change = Change::Failed;
                    entry.message = Some(
                        e.status()
                            .map_or_else(|| e.to_string(), |s| s.message.clone()),
                    );
                    return entry;
                }
            }
            entry.change = match &entry.live {
                None => Change::Create,
                Some(l) if Some(l) == entry.desired.as_ref() => Change::Unchanged,
                Some(_) => Change::Update,
            };
            entry
        }
    })
    .await;
    let mut report = DiffReport { entries };
    if options.prune {
        let keep = plan.members.iter().map(member_key).collect();
        for c in prune_candidates(&api, &plan, &keep).await? {
            report.entries.push(DiffEntry {
                resource: c.reference,
                api_version: c.api_version,
                change: Change::Prune,
                live: Some(yaml(&c.live)),
                desired: None,
                message: None,
            });
        }
    }
    Ok(report)
}

/// Deletes every object of the ApplySet (Istio kinds first, namespaces last), then the
/// ApplySet parent. Objects without the set's label are never touched. Deleting a
/// namespace deletes everything in it, as in Kubernetes.
///
/// # Errors
/// As [`apply`]'s preflight; a set whose parent does not exist has nothing to delete
/// and gives an empty report.
pub async fn delete(client: &Client, options: &ApplyOptions) -> Result<ApplyReport, ApplyError> {
    let started = Instant::now();
    let api = Requester {
        client,
        options,
        deadline: started + options.timeout,
    };
    let mut report = ApplyReport {
        dry_run: options.dry_run,
        ..ApplyReport::default()
    };
    let plan = Plan::prepare(&api, &Resources::new(), true).await?;
    if !plan.parent_exists {
        report.elapsed = started.elapsed();
        return Ok(report);
    }
    let candidates = prune_candidates(&api, &plan, &HashSet::new()).await?;
    options.notify(&Event::Started {
        step: Step::Delete,
        total: candidates.len() + 1,
    });
    report.results = delete_in_order(&api, candidates, Action::Deleted, Step::Delete).await;
    if report.results.iter().all(|r| r.action != Action::Failed) {
        let parent_ref = ResourceRef::new(
            options.applyset.kind.kind(),
            Some(&options.applyset.namespace),
            &options.applyset.name,
        );
        let r = match api
            .delete(
                &plan.parent_ar,
                Some(&options.applyset.namespace),
                &options.applyset.name,
                options.dry_run,
            )
            .await
        {
            Ok(_) => ResourceResult::new(parent_ref, "v1", Action::Deleted),
            Err(e) => failure(&parent_ref, "v1", &e),
        };
        report.results.push(r);
    } else {
        report.stopped = Some(Stopped::WriteFailed);
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The resources' Deployments rolled out? Waits like [`ApplyOptions::wait`], on its own.
///
/// # Errors
/// As [`apply`]'s preflight.
pub async fn wait(
    client: &Client,
    resources: &Resources,
    options: &ApplyOptions,
) -> Result<WaitReport, ApplyError> {
    let api = Requester {
        client,
        options,
        deadline: Instant::now() + options.timeout,
    };
    let deployments: Resources = resources
        .iter()
        .filter(|r| matches!(r, Resource::Deployment(_)))
        .cloned()
        .collect();
    let plan = Plan::prepare(&api, &deployments, false).await?;
    let Some(m) = plan.members.first() else {
        return Ok(WaitReport::default());
    };
    let refs: Vec<ResourceRef> = plan.members.iter().map(|m| m.reference.clone()).collect();
    Ok(wait::wait_for(&api, &m.ar, &refs, api.deadline).await)
}

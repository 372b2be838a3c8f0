//! [`ApplyOptions`]: how [`apply`](super::apply), [`diff`](super::diff) and
//! [`delete`](super::delete) talk to the cluster.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::report::Event;

/// The kind of object that records an ApplySet (the set of objects one program applies).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParentKind {
    /// A ConfigMap (needs RBAC on configmaps only; the default).
    ConfigMap,
    /// A Secret (what `kubectl apply --applyset=NAME` uses).
    Secret,
}

impl ParentKind {
    /// `ConfigMap` or `Secret`.
    pub fn kind(self) -> &'static str {
        match self {
            Self::ConfigMap => "ConfigMap",
            Self::Secret => "Secret",
        }
    }
}

/// The ApplySet parent: the object that records which kinds and namespaces a program's
/// objects are in, so that a later run can prune what it no longer declares.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ApplySetParent {
    /// ConfigMap or Secret.
    pub kind: ParentKind,
    /// Its name.
    pub name: String,
    /// Its namespace (must exist, or be declared by the mesh).
    pub namespace: String,
}

impl ApplySetParent {
    /// A ConfigMap parent.
    pub fn config_map(name: impl Into<String>, namespace: impl Into<String>) -> Self {
        Self {
            kind: ParentKind::ConfigMap,
            name: name.into(),
            namespace: namespace.into(),
        }
    }

    /// A Secret parent.
    pub fn secret(name: impl Into<String>, namespace: impl Into<String>) -> Self {
        Self {
            kind: ParentKind::Secret,
            name: name.into(),
            namespace: namespace.into(),
        }
    }

    /// The API resource of the parent's kind (core `v1` ConfigMaps or Secrets).
    pub(crate) fn api_resource(&self) -> kube::api::ApiResource {
        let kind = self.kind.kind();
        kube::api::ApiResource {
            group: String::new(),
            version: "v1".into(),
            api_version: "v1".into(),
            kind: kind.into(),
            plural: format!("{}s", kind.to_ascii_lowercase()),
        }
    }
}

impl fmt::Display for ApplySetParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.kind.kind(), self.namespace, self.name)
    }
}

/// Retries of requests that failed for a reason that may pass: 429, 5xx (but not a schema
/// error), 409 other than an apply conflict, timeouts and dropped connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Retry {
    /// Attempts per request, the first included (default 6).
    pub attempts: u32,
    /// The first backoff (default 200 ms); it doubles on each retry, with jitter.
    pub initial: Duration,
    /// The longest backoff (default 10 s). A server's `Retry-After` is honoured instead when
    /// it gives one.
    pub max_delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            attempts: 6,
            initial: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl Retry {
    /// Retries with these settings.
    pub fn new(attempts: u32, initial: Duration, max_delay: Duration) -> Self {
        Self {
            attempts: attempts.max(1),
            initial,
            max_delay,
        }
    }

    /// No retries: one attempt per request.
    pub fn none() -> Self {
        Self::new(1, Duration::ZERO, Duration::ZERO)
    }
}

/// A function told about progress (for progress bars).
pub type Observer = Arc<dyn Fn(&Event<'_>) + Send + Sync>;

/// How to apply, diff or delete.
///
/// ```
/// use std::time::Duration;
/// use mesh_dsl::apply::{ApplyOptions, ApplySetParent};
///
/// let options = ApplyOptions::new("shop")
///     .applyset(ApplySetParent::config_map("shop", "platform"))
///     .prune()
///     .wait()
///     .timeout(Duration::from_secs(300));
/// assert_eq!(options.field_manager, "mesh-dsl");
/// ```
#[derive(Clone)]
#[must_use]
#[non_exhaustive]
pub struct ApplyOptions {
    /// The field manager of server-side apply (default `mesh-dsl`).
    pub field_manager: String,
    /// Take over fields another field manager owns, instead of reporting the conflict
    /// (default `false`).
    pub force_conflicts: bool,
    /// Only ask the server (`dryRun=All`): nothing is changed (default `false`).
    pub dry_run: bool,
    /// Delete objects of this ApplySet that are no longer declared (default `false`).
    pub prune: bool,
    /// Let prune and [`delete`](super::delete()) delete a namespace of the set even when it
    /// holds objects outside the set, which Kubernetes then deletes with it (default
    /// `false`: such a namespace is kept and the report names what keeps it).
    pub delete_populated_namespaces: bool,
    /// After applying, wait until every Deployment has rolled out (default `false`).
    pub wait: bool,
    /// How many requests run at once inside a phase (default 16).
    pub concurrency: usize,
    /// The bound on the whole operation, waiting included (default 5 minutes).
    pub timeout: Duration,
    /// The bound on one request attempt (default 30 s).
    pub request_timeout: Duration,
    /// Retries of transient failures (default: [`Retry::default`]).
    pub retry: Retry,
    /// The ApplySet parent (default: a ConfigMap named as given to [`ApplyOptions::new`],
    /// in namespace `default`).
    pub applyset: ApplySetParent,
    /// Told about progress (default: nobody).
    pub observer: Option<Observer>,
}

impl fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("field_manager", &self.field_manager)
            .field("force_conflicts", &self.force_conflicts)
            .field("dry_run", &self.dry_run)
            .field("prune", &self.prune)
            .field(
                "delete_populated_namespaces",
                &self.delete_populated_namespaces,
            )
            .field("wait", &self.wait)
            .field("concurrency", &self.concurrency)
            .field("timeout", &self.timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("applyset", &self.applyset)
            .field("observer", &self.observer.as_ref().map(|_| "..."))
            .finish()
    }
}

impl ApplyOptions {
    /// Options for the ApplySet `name`: a program's objects are recorded under this name,
    /// and prune and delete only touch objects recorded under it. Give every deploy
    /// program its own name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            field_manager: "mesh-dsl".into(),
            force_conflicts: false,
            dry_run: false,
            prune: false,
            delete_populated_namespaces: false,
            wait: false,
            concurrency: 16,
            timeout: Duration::from_secs(300),
            request_timeout: Duration::from_secs(30),
            retry: Retry::default(),
            applyset: ApplySetParent::config_map(name, "default"),
            observer: None,
        }
    }

    /// Sets the field manager (default `mesh-dsl`).
    pub fn field_manager(mut self, manager: impl Into<String>) -> Self {
        self.field_manager = manager.into();
        self
    }

    /// Takes over conflicting fields (default: conflicts are reported and nothing is written).
    pub fn force_conflicts(mut self) -> Self {
        self.force_conflicts = true;
        self
    }

    /// Server-side dry run only (default: off).
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }

    /// Prunes objects no longer declared (default: off).
    pub fn prune(mut self) -> Self {
        self.prune = true;
        self
    }

    /// Deletes namespaces of the set even when they hold objects outside it, and with them
    /// those objects (default: off, such namespaces are kept).
    pub fn delete_populated_namespaces(mut self) -> Self {
        self.delete_populated_namespaces = true;
        self
    }

    /// Waits for Deployments to roll out (default: off).
    pub fn wait(mut self) -> Self {
        self.wait = true;
        self
    }

    /// Requests at once inside a phase (default 16; at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// The bound on the whole operation (default 5 minutes).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The bound on one request attempt (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Retry settings (default: [`Retry::default`]).
    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// The ApplySet parent (default: ConfigMap `<name>` in `default`).
    pub fn applyset(mut self, parent: ApplySetParent) -> Self {
        self.applyset = parent;
        self
    }

    /// Calls `observer` on progress (default: nobody).
    pub fn observer(mut self, observer: impl Fn(&Event<'_>) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    pub(crate) fn notify(&self, event: &Event<'_>) {
        if let Some(o) = &self.observer {
            o(event);
        }
    }
}

//! A fake Kubernetes API server for tests, on `127.0.0.1`, speaking the real HTTP API so
//! that a real client (kube-rs, kubectl) talks to it through a generated kubeconfig.
//!
//! It serves:
//! - discovery: `/api`, `/apis`, and the resource list of every group/version, for the
//!   core kinds mesh-dsl emits (Namespace, ServiceAccount, Service, ConfigMap, Secret,
//!   Deployment), Istio's kinds as istio-types knows them ([`ServerOptions::istio`], no CRD
//!   file needed) and the kinds of any CRDs it is given;
//! - get, list (with a label selector, in one namespace or all), delete (a Namespace takes
//!   its objects with it);
//! - server-side apply (`PATCH` with `application/apply-patch+yaml`): create or merge,
//!   fields owned per field manager, `409 Conflict` when another manager owns a field with
//!   another value unless `force=true`; `resourceVersion`, `generation`, `uid`,
//!   `creationTimestamp` and `managedFields` kept; `dryRun=All` changes nothing; a
//!   namespaced object in a namespace that does not exist is `404`;
//! - schema checks of Istio objects by istio-types' strict decoding and generated checks
//!   ([`ServerOptions::istio`]), or against CRD schemas through a
//!   [`testkit::SchemaValidator`] ([`ServerOptions::validator`]): a field the schema does
//!   not declare (or a wrong type) is `500` "field not declared in schema", as a Kubernetes
//!   1.32 server answers a server-side apply; other violations are `422 Invalid` with
//!   `details.causes`; core kinds get `422` from [`testkit::core_shape_problems`];
//! - Deployments that roll out: their status reports the current generation as updated and
//!   available after a configurable delay, so waiting can be tested;
//! - faults ([`Faults`]): latency on every request, and 429 (with `Retry-After`), 500, 503,
//!   delays and dropped connections on chosen requests, or on a reproducible random share
//!   of them ([`Faults::inject_rate`]).
//!
//! Every request is logged ([`FakeApiServer::requests`]) and the store can be read and
//! seeded directly ([`FakeApiServer::object`], [`FakeApiServer::apply_as`]).
//!
//! Simplifications: ownership is per field with maps followed and lists atomic (Istio's
//! lists are atomic for server-side apply anyway; a Deployment's containers, merged by
//! name on a real server, are one field here); every manager's operation is `Apply`; no
//! watch, no create/update/merge-patch, no admission, no authentication; CEL rules only as
//! istio-types' generated checks ([`ServerOptions::istio`]).
//!
//! ```
//! let server = fake_apiserver::FakeApiServer::start(fake_apiserver::ServerOptions::new());
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! assert!(server.kubeconfig().contains(&server.url()));
//! ```

mod faults;
mod http;
mod kinds;
mod store;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};

pub use faults::{Fault, Faults, RequestMatch};
pub use kinds::{Kind, core_kinds, crd_kinds, istio_kinds};

use store::{ApplyRequest, Store};

/// How a server starts.
#[derive(Clone, Debug)]
#[must_use]
pub struct ServerOptions {
    kinds: Vec<Kind>,
    validator: Option<&'static testkit::SchemaValidator>,
    istio_checks: bool,
    rollout: Option<Duration>,
    namespaces: Vec<String>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerOptions {
    /// The core kinds only, namespaces `default`, `kube-system` and `istio-system`,
    /// Deployments that never roll out, and no schema checks of custom resources.
    pub fn new() -> Self {
        Self {
            kinds: core_kinds(),
            validator: None,
            istio_checks: false,
            rollout: None,
            namespaces: vec![
                "default".into(),
                "kube-system".into(),
                "istio-system".into(),
            ],
        }
    }

    /// Also serves every Istio kind istio-types knows ([`istio_kinds`]) and checks Istio
    /// objects as the CRDs would, with istio-types' strict decoding (unknown fields and
    /// wrong types are `500`, other problems `422`) and its generated schema and CEL checks
    /// (`422`). Needs no CRD file.
    pub fn istio(mut self) -> Self {
        self.kinds.extend(istio_kinds());
        self.istio_checks = true;
        self
    }

    /// Also serves the kinds of these CRDs (every served version).
    pub fn crds(mut self, crds: &testkit::Crds) -> Self {
        self.kinds.extend(crd_kinds(crds));
        self
    }

    /// Also serves this kind.
    pub fn kind(mut self, kind: Kind) -> Self {
        self.kinds.push(kind);
        self
    }

    /// Checks custom resources against their CRD schemas (default: no check; takes
    /// precedence over the checks of [`ServerOptions::istio`]).
    pub fn validator(mut self, validator: &'static testkit::SchemaValidator) -> Self {
        self.validator = Some(validator);
        self
    }

    /// Deployments report a completed rollout this long after each change of their spec
    /// (default: never).
    pub fn deployments_ready_after(mut self, delay: Duration) -> Self {
        self.rollout = Some(delay);
        self
    }

    /// Namespaces that exist from the start (replacing the defaults).
    pub fn namespaces(mut self, namespaces: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.namespaces = namespaces.into_iter().map(Into::into).collect();
        self
    }
}

/// One request the server answered (or dropped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// `GET`, `PATCH`, `DELETE`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string.
    pub query: String,
    /// Whether it was a dry run.
    pub dry_run: bool,
    /// The status answered; 0 for a dropped connection.
    pub status: u16,
}

pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    pub(crate) kinds: Vec<Kind>,
    pub(crate) validator: Option<&'static testkit::SchemaValidator>,
    pub(crate) istio_checks: bool,
    pub(crate) faults: Faults,
    pub(crate) requests: Mutex<Vec<RequestRecord>>,
    pub(crate) addr: SocketAddr,
}

impl Shared {
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn kind_of(&self, group: &str, kind: &str) -> Option<&Kind> {
        self.kinds
            .iter()
            .find(|k| k.group == group && k.kind == kind)
    }
}

/// A running server; it stops when dropped.
pub struct FakeApiServer {
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for FakeApiServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeApiServer")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

impl FakeApiServer {
    /// Starts a server on `127.0.0.1` on a free port, on a thread of its own (so it works
    /// from synchronous and asynchronous tests alike).
    ///
    /// # Panics
    /// When no port can be bound or the thread cannot start.
    pub fn start(options: ServerOptions) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind 127.0.0.1:0 for the fake API server");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let addr = listener.local_addr().expect("the listener's address");
        let store = Store {
            rollout: options.rollout,
            ..Store::default()
        };
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            kinds: options.kinds,
            validator: options.validator,
            istio_checks: options.istio_checks,
            faults: Faults::default(),
            requests: Mutex::new(Vec::new()),
            addr,
        });
        let server = {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let for_thread = Arc::clone(&shared);
            let thread = std::thread::Builder::new()
                .name("fake-apiserver".into())
                .spawn(move || http::serve(listener, for_thread, rx))
                .expect("start the fake API server thread");
            Self {
                shared,
                shutdown: Some(tx),
                thread: Some(thread),
            }
        };
        for ns in &options.namespaces {
            server
                .apply_as(
                    "fake-apiserver",
                    &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
                )
                .expect("a namespace applies");
        }
        server
    }

    /// The server's URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// A kubeconfig with one context, `fake`, pointing at this server.
    pub fn kubeconfig(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\n\
             contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n    namespace: default\n\
             current-context: fake\nusers:\n- name: fake\n  user:\n    token: fake-token\n",
            self.url()
        )
    }

    /// Writes [`FakeApiServer::kubeconfig`] to `path`.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write_kubeconfig(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.kubeconfig())
    }

    /// The fault settings.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Forgets the requests logged so far.
    pub fn clear_requests(&self) {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// An object as a client would get it (`namespace` `None` for cluster-scoped kinds).
    pub fn object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let k = self.shared.kind_of(group, kind)?;
        let store = self.shared.store();
        let stored = store.objects.get(&(
            group.to_string(),
            kind.to_string(),
            namespace.unwrap_or("").to_string(),
            name.to_string(),
        ))?;
        Some(store.render(k, version, stored))
    }

    /// Every stored object, as `(kind, namespace, name)`, sorted.
    pub fn object_keys(&self) -> Vec<(String, String, String)> {
        self.shared
            .store()
            .objects
            .keys()
            .map(|(_, k, ns, n)| (k.clone(), ns.clone(), n.clone()))
            .collect()
    }

    /// How many objects are stored.
    pub fn object_count(&self) -> usize {
        self.shared.store().objects.len()
    }

    /// Server-side applies `object` as `manager` (forced), as another tool would: to seed
    /// objects, or to take fields over. Skips schema checks and faults.
    ///
    /// # Errors
    /// The `Status` the server would answer (unknown kind, missing namespace).
    pub fn apply_as(&self, manager: &str, object: &Value) -> Result<Value, Value> {
        let api_version = object["apiVersion"].as_str().unwrap_or("");
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let kind_name = object["kind"].as_str().unwrap_or("");
        let Some(kind) = self.shared.kind_of(group, kind_name) else {
            return Err(store::status(404, "NotFound", "unknown kind", None));
        };
        let namespace = object["metadata"]["namespace"].as_str().unwrap_or("");
        let name = object["metadata"]["name"].as_str().unwrap_or("");
        let mut store = self.shared.store();
        if kind.namespaced && !store.has_namespace(namespace) {
            return Err(store::status(404, "NotFound", "namespace not found", None));
        }
        store
            .apply(
                &ApplyRequest {
                    kind,
                    version,
                    namespace,
                    name,
                    manager,
                    force: true,
                    dry_run: false,
                },
                object,
            )
            .map(|a| a.object)
            .map_err(|f| f.body)
    }

    /// Deletes an object directly; whether it existed.
    pub fn delete_object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> bool {
        let (group, _) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let Some(k) = self.shared.kind_of(group, kind) else {
            return false;
        };
        self.shared
            .store()
            .delete(k, namespace.unwrap_or(""), name, false)
            .is_some()
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

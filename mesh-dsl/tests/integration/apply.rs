//! `mesh_dsl::apply` against the fake API server: the real kube client over HTTP on
//! 127.0.0.1, through a generated kubeconfig. One scenario per test.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fake_apiserver::{FakeApiServer, Fault, RequestMatch, ServerOptions};
use istio_types::Duration as IstioDuration;
use mesh_dsl::apply::{
    self, Action, ApplyError, ApplyOptions, Change, PART_OF_LABEL, Retry, Stopped, applyset_id,
};
use mesh_dsl::{
    Mesh, Mtls, MtlsMode, Namespace, OutlierDetection, Policy, Port, Resource, Resources, Route,
    Routes, Service, Version,
};
use serde_json::{Value, json};

/// The test mesh: `user` (v1, v2) with a route, STRICT mTLS, and optionally `product`
/// with a circuit breaker and a route.
pub(crate) fn shop(with_product: bool, user_timeout_secs: u64) -> Resources {
    let mut mesh = Mesh::new();
    let ns = mesh.namespace(Namespace::new("shop").sidecar_injection());
    let user = mesh.service(
        Service::new(&ns, "user")
            .port(Port::http(80).target(8080))
            .version(Version::new("v1", "example/user:1").replicas(2))
            .version(Version::new("v2", "example/user:2")),
    );
    mesh.routes(
        Routes::new(&user).route(
            Route::new()
                .timeout(IstioDuration::from_secs(user_timeout_secs))
                .to(&user),
        ),
    );
    mesh.mtls(Mtls::namespace(&ns, MtlsMode::Strict));
    if with_product {
        let product = mesh.service(
            Service::new(&ns, "product")
                .port(Port::http(80).target(8080))
                .version(Version::new("v1", "example/product:1")),
        );
        mesh.policy(
            &product,
            Policy::new().outlier_detection(OutlierDetection::new().consecutive_5xx_errors(5)),
        );
        mesh.routes(Routes::new(&product).route(Route::new().to(&product)));
    }
    mesh.compile().expect("the test mesh compiles").resources
}

/// A server with Istio's kinds and schema checks, from istio-types (no reference data needed).
pub(crate) fn istio_server() -> ServerOptions {
    ServerOptions::new().istio()
}

/// A running fake server and a kubeconfig file for it.
pub(crate) struct Cluster {
    pub(crate) server: FakeApiServer,
    pub(crate) kubeconfig: PathBuf,
}

impl Cluster {
    pub(crate) fn start(options: ServerOptions) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let server = FakeApiServer::start(options);
        let kubeconfig = std::env::temp_dir().join(format!(
            "mesh-dsl-apply-{}-{}.kubeconfig",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        server.write_kubeconfig(&kubeconfig).unwrap();
        Self { server, kubeconfig }
    }

    pub(crate) async fn client(&self) -> kube::Client {
        apply::client(Some(&self.kubeconfig), Some("fake"))
            .await
            .expect("a client from the generated kubeconfig")
    }

    pub(crate) fn get(
        &self,
        api_version: &str,
        kind: &str,
        ns: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        self.server.object(api_version, kind, ns, name)
    }

    /// The real (not dry-run) writes logged so far: `(method, path)`.
    pub(crate) fn writes(&self) -> Vec<(String, String)> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| matches!(r.method.as_str(), "PATCH" | "DELETE") && !r.dry_run)
            .map(|r| (r.method, r.path))
            .collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.kubeconfig);
    }
}

/// Fast retries, so that failure tests do not take long.
pub(crate) fn options() -> ApplyOptions {
    ApplyOptions::new("shop-deploy").retry(Retry::new(
        4,
        Duration::from_millis(20),
        Duration::from_millis(200),
    ))
}

/// Applies with [`options`] and checks that everything succeeded.
pub(crate) async fn apply_ok(client: &kube::Client, resources: &Resources) {
    let report = apply::apply(client, resources, &options()).await.unwrap();
    assert!(report.is_success(), "{report}");
}

fn actions(report: &apply::ApplyReport) -> Vec<(String, Action)> {
    report
        .results
        .iter()
        .map(|r| (r.resource.to_string(), r.action))
        .collect()
}

#[tokio::test]
async fn first_apply_creates_everything_in_order() {
    let opts = istio_server();
    let cluster = Cluster::start(opts);
    let resources = shop(true, 5);
    let report = apply::apply(&cluster.client().await, &resources, &options())
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(report.results.len(), resources.len());
    assert!(
        report.results.iter().all(|r| r.action == Action::Created),
        "{report}"
    );
    assert!(
        report
            .summary()
            .contains(&format!("{} created", resources.len()))
    );

    // Every object is there, labelled as a member of the set.
    let id = applyset_id(&options().applyset);
    for r in &resources {
        let live = cluster
            .get(r.api_version(), r.kind(), r.namespace(), r.name())
            .unwrap_or_else(|| panic!("{} exists", r.reference()));
        assert_eq!(live["metadata"]["labels"][PART_OF_LABEL], id.as_str());
        assert_eq!(live["metadata"]["managedFields"][0]["manager"], "mesh-dsl");
    }
    // The parent records the kinds and namespaces.
    let parent = cluster
        .get("v1", "ConfigMap", Some("default"), "shop-deploy")
        .unwrap();
    let annotations = &parent["metadata"]["annotations"];
    assert_eq!(
        parent["metadata"]["labels"]["applyset.kubernetes.io/id"],
        id.as_str()
    );
    assert!(
        annotations["applyset.kubernetes.io/tooling"]
            .as_str()
            .unwrap()
            .starts_with("mesh-dsl/v")
    );
    assert_eq!(
        annotations["applyset.kubernetes.io/contains-group-kinds"],
        "Deployment.apps,DestinationRule.networking.istio.io,Namespace,PeerAuthentication.security.istio.io,Service,ServiceAccount,VirtualService.networking.istio.io"
    );
    assert_eq!(
        annotations["applyset.kubernetes.io/additional-namespaces"],
        "shop"
    );

    // Every dry run comes before the first write of a member (namespaces aside, as the
    // dry run of a namespaced object needs its namespace), and writes go namespaces,
    // then core objects and workloads, then Istio kinds.
    let log = cluster.server.requests();
    let patches: Vec<_> = log.iter().filter(|r| r.method == "PATCH").collect();
    let last_dry_run = patches.iter().rposition(|r| r.dry_run).unwrap();
    let first_member_write = patches
        .iter()
        .position(|r| {
            !r.dry_run && !r.path.contains("/configmaps/") && !r.path.ends_with("/namespaces/shop")
        })
        .unwrap();
    assert!(last_dry_run < first_member_write, "{patches:#?}");
    let rank = |path: &str| {
        if path.contains("istio.io") {
            2
        } else if path.ends_with("/namespaces/shop") {
            0
        } else {
            1
        }
    };
    let ranks: Vec<u8> = patches
        .iter()
        .filter(|r| !r.dry_run && !r.path.contains("/configmaps/"))
        .map(|r| rank(&r.path))
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "write order {ranks:?}"
    );
}

#[tokio::test]
async fn a_second_apply_reports_everything_unchanged() {
    let opts = istio_server();
    let cluster = Cluster::start(opts);
    let client = cluster.client().await;
    let resources = shop(true, 5);
    let first = apply::apply(&client, &resources, &options()).await.unwrap();
    assert!(first.is_success(), "{first}");
    let before = cluster.get(
        "networking.istio.io/v1",
        "VirtualService",
        Some("shop"),
        "user",
    );
    let second = apply::apply(&client, &resources, &options()).await.unwrap();
    assert!(second.is_success(), "{second}");
    assert_eq!(second.count(Action::Unchanged), resources.len(), "{second}");
    let after = cluster.get(
        "networking.istio.io/v1",
        "VirtualService",
        Some("shop"),
        "user",
    );
    assert_eq!(
        before.unwrap()["metadata"]["resourceVersion"],
        after.unwrap()["metadata"]["resourceVersion"]
    );
}

#[tokio::test]
async fn a_change_updates_exactly_that_object() {
    let opts = istio_server();
    let cluster = Cluster::start(opts);
    let client = cluster.client().await;
    apply_ok(&client, &shop(true, 5)).await;
    let changed = shop(true, 9);
    // diff shows just that change, without server-managed fields.
    let diff = apply::diff(&client, &changed, &options()).await.unwrap();
    assert_eq!(diff.count(Change::Update), 1, "{}", diff.render(false));
    let text = diff.render(false);
    assert!(
        text.contains("\n-    timeout: 5s\n+    timeout: 9s\n"),
        "{text}"
    );
    for server_field in [
        "managedFields",
        "resourceVersion",
        "uid:",
        "creationTimestamp",
        "generation",
    ] {
        assert!(!text.contains(server_field), "{server_field} in\n{text}");
    }
    assert!(
        diff.render(true)
            .contains("\x1b[32m+    timeout: 9s\x1b[0m")
    );

    let report = apply::apply(&client, &changed, &options()).await.unwrap();
    assert!(report.is_success(), "{report}");
    let configured: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.action != Action::Unchanged)
        .map(|r| format!("{} {}", r.resource, r.action))
        .collect();
    assert_eq!(configured, ["VirtualService shop/user configured"]);
    let vs = cluster
        .get(
            "networking.istio.io/v1",
            "VirtualService",
            Some("shop"),
            "user",
        )
        .unwrap();
    assert_eq!(vs["spec"]["http"][0]["timeout"], "9s");
    assert_eq!(vs["metadata"]["generation"], 2);
    assert!(
        !apply::diff(&client, &changed, &options())
            .await
            .unwrap()
            .has_changes()
    );
}

#[tokio::test]
async fn prune_deletes_only_objects_of_this_applyset() {
    let opts = istio_server();
    let cluster = Cluster::start(opts.namespaces(["default", "istio-system", "other"]));
    let client = cluster.client().await;
    let first = apply::apply(&client, &shop(true, 5), &options().prune())
        .await
        .unwrap();
    assert!(first.is_success(), "{first}");
    // Objects of the same kinds (and names) that this set does not own.
    let vs = |ns: &str, name: &str, labels: Value| {
        json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"hosts": [name], "http": [{"route": [{"destination": {"host": name}}]}]}})
    };
    cluster
        .server
        .apply_as("kubectl", &vs("other", "product", json!({})))
        .unwrap();
    cluster
        .server
        .apply_as("kubectl", &vs("shop", "legacy", json!({"team": "a"})))
        .unwrap();
    cluster
        .server
        .apply_as(
            "other-tool",
            &vs(
                "shop",
                "foreign",
                json!({PART_OF_LABEL: "applyset-someone-else-v1"}),
            ),
        )
        .unwrap();

    let smaller = shop(false, 5);
    // Dry run and diff list what prune would delete, and delete nothing.
    let dry = apply::apply(&client, &smaller, &options().prune().dry_run())
        .await
        .unwrap();
    let mut would: Vec<String> = dry
        .results
        .iter()
        .filter(|r| r.action == Action::Pruned)
        .map(|r| r.resource.to_string())
        .collect();
    would.sort();
    let expected = [
        "Deployment shop/product-v1",
        "DestinationRule shop/product",
        "Service shop/product",
        "ServiceAccount shop/product",
        "VirtualService shop/product",
    ];
    assert_eq!(would, expected);
    let diff = apply::diff(&client, &smaller, &options().prune())
        .await
        .unwrap();
    assert_eq!(diff.count(Change::Prune), 5, "{}", diff.render(false));
    assert!(
        diff.render(false)
            .contains("--- live/VirtualService/shop/product")
    );
    assert!(
        cluster
            .get("v1", "Service", Some("shop"), "product")
            .is_some()
    );

    let report = apply::apply(&client, &smaller, &options().prune())
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    let mut pruned: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.action == Action::Pruned)
        .map(|r| r.resource.to_string())
        .collect();
    pruned.sort();
    assert_eq!(pruned, expected);
    assert!(
        cluster
            .get("v1", "Service", Some("shop"), "product")
            .is_none()
    );
    assert!(
        cluster
            .get(
                "networking.istio.io/v1",
                "VirtualService",
                Some("shop"),
                "product"
            )
            .is_none()
    );
    for (ns, name) in [
        ("other", "product"),
        ("shop", "legacy"),
        ("shop", "foreign"),
        ("shop", "user"),
    ] {
        assert!(
            cluster
                .get("networking.istio.io/v1", "VirtualService", Some(ns), name)
                .is_some(),
            "{ns}/{name} must stay"
        );
    }
    // The parent records the kinds still declared.
    let parent = cluster
        .get("v1", "ConfigMap", Some("default"), "shop-deploy")
        .unwrap();
    let mut kinds: Vec<String> = smaller
        .iter()
        .map(|r| match r.api_version().split_once('/') {
            Some((group, _)) => format!("{}.{group}", r.kind()),
            None => r.kind().to_string(),
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"],
        kinds.join(",")
    );
}

#[tokio::test]
async fn a_conflict_is_reported_then_resolved_with_force() {
    let opts = istio_server();
    let cluster = Cluster::start(opts);
    let client = cluster.client().await;
    let resources = shop(true, 5);
    apply_ok(&client, &resources).await;
    // Someone edits the routes by hand (and so owns spec.http).
    let mut edited = cluster
        .get(
            "networking.istio.io/v1",
            "VirtualService",
            Some("shop"),
            "user",
        )
        .unwrap();
    edited["spec"]["http"][0]["timeout"] = json!("1s");
    let edited = json!({"apiVersion": edited["apiVersion"], "kind": "VirtualService",
        "metadata": {"name": "user", "namespace": "shop"}, "spec": {"http": edited["spec"]["http"]}});
    cluster.server.apply_as("kubectl-edit", &edited).unwrap();
    cluster.server.clear_requests();

    let report = apply::apply(&client, &resources, &options()).await.unwrap();
    assert!(!report.is_success());
    assert_eq!(report.stopped, Some(Stopped::Validation));
    let failed: Vec<_> = report.failed().collect();
    assert_eq!(failed.len(), 1, "{report}");
    assert_eq!(failed[0].resource.to_string(), "VirtualService shop/user");
    assert_eq!(failed[0].status, Some(409));
    assert_eq!(failed[0].conflicts.len(), 1);
    assert_eq!(failed[0].conflicts[0].manager, "kubectl-edit");
    assert_eq!(failed[0].conflicts[0].fields, [".spec.http"]);
    assert!(
        report
            .to_string()
            .contains("conflict with field manager \"kubectl-edit\": .spec.http"),
        "{report}"
    );
    assert!(
        cluster.writes().is_empty(),
        "nothing is written: {:?}",
        cluster.writes()
    );

    let forced = apply::apply(&client, &resources, &options().force_conflicts())
        .await
        .unwrap();
    assert!(forced.is_success(), "{forced}");
    assert_eq!(
        forced
            .get("VirtualService", Some("shop"), "user")
            .unwrap()
            .action,
        Action::Configured
    );
    let vs = cluster
        .get(
            "networking.istio.io/v1",
            "VirtualService",
            Some("shop"),
            "user",
        )
        .unwrap();
    assert_eq!(vs["spec"]["http"][0]["timeout"], "5s");
    let managers: Vec<&str> = vs["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["manager"].as_str().unwrap())
        .collect();
    assert_eq!(
        managers,
        ["mesh-dsl"],
        "kubectl-edit lost spec.http to the forced apply"
    );
}

#[tokio::test]
async fn requests_are_retried_after_429_and_500() {
    let opts = istio_server();
    let cluster = Cluster::start(opts);
    let faults = cluster.server.faults();
    faults.inject(
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
        RequestMatch::writes().path_contains("virtualservices"),
        2,
    );
    faults.inject(
        Fault::InternalError,
        RequestMatch::writes().path_contains("deployments"),
        2,
    );
    faults.inject(Fault::Unavailable, RequestMatch::any().method("GET"), 1);
    let report = apply::apply(&cluster.client().await, &shop(true, 5), &options())
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    let statuses: Vec<u16> = cluster.server.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2);
    assert_eq!(statuses.iter().filter(|s| **s == 500).count(), 2);
    assert_eq!(statuses.iter().filter(|s| **s == 503).count(), 1);
    assert!(
        cluster
            .get(
                "networking.istio.io/v1",
                "VirtualService",
                Some("shop"),
                "product"
            )
            .is_some()
    );
}

#[tokio::test]
async fn an_invalid_object_stops_the_apply_before_any_write() {
    let opts = istio_server();
    let cluster = Cluster::start(opts.namespaces(["default", "istio-system", "shop"]));
    let mut resources = shop(true, 5);
    // A typo the API server drops on `kubectl apply` but refuses on server-side apply...
    resources.push(Resource::Other(json!({
        "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
        "metadata": {"name": "typo", "namespace": "shop"},
        "spec": {"hosts": ["typo"], "http": [{"timout": "5s", "route": [{"destination": {"host": "typo"}}]}]}
    })));
    // ...and a value the schema does not allow (a 422).
    resources.push(Resource::Other(json!({
        "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
        "metadata": {"name": "range", "namespace": "shop"},
        "spec": {"host": "range", "trafficPolicy": {"loadBalancer": {"simple": "FASTEST"}}}
    })));
    let report = apply::apply(&cluster.client().await, &resources, &options())
        .await
        .unwrap();
    assert!(!report.is_success());
    assert_eq!(report.stopped, Some(Stopped::Validation));
    let typo = report.get("VirtualService", Some("shop"), "typo").unwrap();
    assert_eq!(typo.action, Action::Failed);
    assert_eq!(typo.status, Some(500));
    assert!(
        typo.message
            .as_deref()
            .unwrap()
            .contains("timout: field not declared in schema"),
        "{typo}"
    );
    let range = report
        .get("DestinationRule", Some("shop"), "range")
        .unwrap();
    assert_eq!(range.action, Action::Failed, "{report}");
    assert_eq!(range.status, Some(422), "{range}");
    assert!(
        range.message.as_deref().unwrap().contains("is invalid"),
        "{range}"
    );
    assert_eq!(
        report.count(Action::Skipped),
        resources.len() - 2,
        "{report}"
    );
    assert!(
        cluster.writes().is_empty(),
        "no write at all: {:?}",
        cluster.writes()
    );
    assert!(
        cluster
            .get("v1", "ConfigMap", Some("default"), "shop-deploy")
            .is_none()
    );
    // A schema error is not retried: one dry run each.
    let typo_requests = cluster
        .server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/virtualservices/typo"))
        .count();
    assert_eq!(typo_requests, 1);
}

#[tokio::test]
async fn missing_istio_crds_are_one_clear_error() {
    let cluster = Cluster::start(ServerOptions::new());
    let err = apply::apply(&cluster.client().await, &shop(true, 5), &options())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ApplyError::MissingKinds(_)), "{err:?}");
    assert!(err.is_preflight());
    assert!(
        text.starts_with("Istio's CRDs are not installed in this cluster"),
        "{text}"
    );
    for gvk in [
        "networking.istio.io/v1 DestinationRule",
        "networking.istio.io/v1 VirtualService",
        "security.istio.io/v1 PeerAuthentication",
    ] {
        assert!(text.contains(gvk), "{text}");
    }
    assert!(!text.contains('\n'), "one sentence: {text}");
    assert!(cluster.writes().is_empty());
}

#[tokio::test]
async fn an_interrupted_apply_converges_when_run_again() {
    let opts = istio_server();
    let cluster = Cluster::start(opts);
    let client = cluster.client().await;
    let resources = shop(true, 5);
    // The connection drops on every write after the fifth: the apply stops part-way.
    cluster
        .server
        .faults()
        .inject_after(Fault::Disconnect, RequestMatch::writes(), 5, 10_000);
    let broken = apply::apply(&client, &resources, &options()).await.unwrap();
    assert!(!broken.is_success());
    assert_eq!(broken.stopped, Some(Stopped::WriteFailed), "{broken}");
    let failed = broken.failed().next().expect("a failed write");
    assert!(
        failed
            .message
            .as_deref()
            .unwrap()
            .contains("no answer from the API server"),
        "{failed}"
    );
    assert!(resources.iter().any(|r| {
        cluster
            .get(r.api_version(), r.kind(), r.namespace(), r.name())
            .is_none()
    }));

    // Answers lost after the server applied a write are retried harmlessly.
    cluster.server.faults().clear();
    cluster
        .server
        .faults()
        .inject(Fault::DisconnectAfterHandling, RequestMatch::writes(), 3);
    let again = apply::apply(&client, &resources, &options()).await.unwrap();
    assert!(again.is_success(), "{again}");
    for r in &resources {
        let live = cluster.get(r.api_version(), r.kind(), r.namespace(), r.name());
        assert!(live.is_some(), "{} exists", r.reference());
    }
    let third = apply::apply(&client, &resources, &options()).await.unwrap();
    assert_eq!(third.count(Action::Unchanged), resources.len(), "{third}");
}

#[tokio::test]
async fn wait_reports_rollouts_and_what_is_not_ready() {
    let opts = istio_server();
    let cluster = Cluster::start(opts.deployments_ready_after(Duration::from_millis(300)));
    let report = apply::apply(&cluster.client().await, &shop(true, 5), &options().wait())
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    let wait = report.wait.as_ref().unwrap();
    assert_eq!(wait.ready.len(), 3, "{wait}");

    let opts = istio_server();
    let never = Cluster::start(opts);
    let report = apply::apply(
        &never.client().await,
        &shop(false, 5),
        &options().wait().timeout(Duration::from_secs(3)),
    )
    .await
    .unwrap();
    assert!(!report.is_success());
    let wait = report.wait.as_ref().unwrap();
    assert_eq!(wait.not_ready.len(), 2, "{wait}");
    assert!(
        report
            .to_string()
            .contains("Deployment shop/user-v1 not ready: "),
        "{report}"
    );
    assert_eq!(report.count(Action::Created), report.results.len());
}

#[tokio::test]
async fn a_dry_run_reports_without_writing() {
    let opts = istio_server();
    let cluster = Cluster::start(opts);
    let client = cluster.client().await;
    let report = apply::apply(&client, &shop(true, 5), &options().dry_run())
        .await
        .unwrap();
    assert!(report.dry_run && report.is_success(), "{report}");
    assert_eq!(report.count(Action::Created), report.results.len());
    assert!(cluster.writes().is_empty());
    apply_ok(&client, &shop(true, 5)).await;
    let report = apply::apply(&client, &shop(true, 7), &options().dry_run())
        .await
        .unwrap();
    assert_eq!(report.count(Action::Configured), 1, "{report}");
    assert_eq!(report.count(Action::Unchanged), report.results.len() - 1);
}

#[tokio::test]
async fn delete_removes_everything_the_applyset_owns() {
    let opts = istio_server();
    let cluster = Cluster::start(opts.namespaces(["default", "istio-system", "other"]));
    let client = cluster.client().await;
    apply_ok(&client, &shop(true, 5)).await;
    cluster
        .server
        .apply_as(
            "kubectl",
            &json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "user", "namespace": "other"}}),
        )
        .unwrap();
    let report = apply::delete(&client, &options()).await.unwrap();
    assert!(report.is_success(), "{report}");
    // The objects, then the parent; namespaces last among the members.
    assert_eq!(report.count(Action::Deleted), shop(true, 5).len() + 1);
    let order = actions(&report);
    assert_eq!(order[order.len() - 2].0, "Namespace shop");
    assert_eq!(order[order.len() - 1].0, "ConfigMap default/shop-deploy");
    assert!(
        order[0].0.contains("istio")
            || order[0].0.starts_with("DestinationRule")
            || order[0].0.starts_with("PeerAuthentication")
            || order[0].0.starts_with("VirtualService")
    );
    assert!(cluster.get("v1", "Namespace", None, "shop").is_none());
    assert!(
        cluster
            .get("v1", "Service", Some("other"), "user")
            .is_some()
    );
    // Nothing left to delete.
    let again = apply::delete(&client, &options()).await.unwrap();
    assert!(again.results.is_empty());
}

#[tokio::test]
async fn an_applyset_of_another_tool_is_refused() {
    let opts = istio_server();
    let cluster = Cluster::start(opts);
    cluster
        .server
        .apply_as(
            "kubectl",
            &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shop-deploy", "namespace": "default",
                "annotations": {"applyset.kubernetes.io/tooling": "kubectl/v1.32"}}}),
        )
        .unwrap();
    let err = apply::apply(&cluster.client().await, &shop(true, 5), &options().prune())
        .await
        .unwrap_err();
    assert!(matches!(err, ApplyError::ForeignApplySet { .. }), "{err}");
    assert!(err.to_string().contains("kubectl/v1.32"));
}

/// End to end against a real cluster with Istio installed: runs when
/// `MESH_E2E_KUBECONFIG` names a kubeconfig, and is skipped with a message otherwise.
#[tokio::test]
async fn end_to_end_against_a_real_cluster() {
    let Some(path) = std::env::var_os("MESH_E2E_KUBECONFIG") else {
        eprintln!(
            "SKIPPED end_to_end_against_a_real_cluster: set MESH_E2E_KUBECONFIG to a kubeconfig of a cluster with Istio installed"
        );
        return;
    };
    let client = apply::client(Some(std::path::Path::new(&path)), None)
        .await
        .expect("a client for MESH_E2E_KUBECONFIG");
    let options = ApplyOptions::new("mesh-dsl-e2e").timeout(Duration::from_secs(180));
    let resources = shop(true, 5);
    let first = apply::apply(&client, &resources, &options).await.unwrap();
    assert!(first.is_success(), "{first}");
    let second = apply::apply(&client, &resources, &options).await.unwrap();
    assert_eq!(second.count(Action::Unchanged), resources.len(), "{second}");
    assert!(
        !apply::diff(&client, &resources, &options)
            .await
            .unwrap()
            .has_changes()
    );
    let pruned = apply::apply(&client, &shop(false, 5), &options.clone().prune())
        .await
        .unwrap();
    assert_eq!(pruned.count(Action::Pruned), 5, "{pruned}");
    let deleted = apply::delete(&client, &options).await.unwrap();
    assert!(deleted.is_success(), "{deleted}");
}

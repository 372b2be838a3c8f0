//! Issue #19 against the fake API server: delete and prune take only what the set
//! deployed (a namespace holding objects of others is kept), a refused dry run leaves a
//! fresh cluster as it was, one root cause is reported once, lost answers are counted
//! right, and transport errors name their cause.

use std::time::Duration;

use fake_apiserver::{Fault, RequestMatch};
use mesh_dsl::apply::{self, Action, ApplySetParent, Change, PART_OF_LABEL, Retry, Stopped};
use mesh_dsl::{Resource, Resources};
use serde_json::{Value, json};

use super::apply::{Cluster, apply_ok, istio_server, options, shop};

fn config_map(ns: &str, name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, "labels": labels}, "data": {"k": "v"}})
}

fn virtual_service(ns: &str, name: &str, labels: Value) -> Value {
    json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"hosts": [name], "http": [{"route": [{"destination": {"host": name}}]}]}})
}

/// What Kubernetes puts in every namespace: these never keep a namespace alive.
fn seed_kubernetes_made(cluster: &Cluster, ns: &str) {
    let server = &cluster.server;
    server
        .apply_as(
            "kube-controller-manager",
            &config_map(ns, "kube-root-ca.crt", json!({})),
        )
        .unwrap();
    server
        .apply_as(
            "kube-controller-manager",
            &json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": ns}}),
        )
        .unwrap();
}

fn actions_of(report: &apply::ApplyReport) -> Vec<String> {
    report
        .results
        .iter()
        .map(|r| format!("{} {}", r.resource, r.action))
        .collect()
}

fn exists(cluster: &Cluster, api_version: &str, kind: &str, ns: Option<&str>, name: &str) -> bool {
    cluster.get(api_version, kind, ns, name).is_some()
}

#[tokio::test]
async fn delete_keeps_a_namespace_that_holds_objects_of_others() {
    let cluster = Cluster::start(istio_server());
    let client = cluster.client().await;
    apply_ok(&client, &shop(true, 5)).await;
    seed_kubernetes_made(&cluster, "shop");
    // Someone else's ConfigMap and VirtualService, and one of another ApplySet, in `shop`.
    let server = &cluster.server;
    server
        .apply_as("kubectl", &config_map("shop", "settings", json!({})))
        .unwrap();
    server
        .apply_as("kubectl", &virtual_service("shop", "legacy", json!({})))
        .unwrap();
    server
        .apply_as(
            "other-tool",
            &virtual_service(
                "shop",
                "foreign",
                json!({PART_OF_LABEL: "applyset-other-v1"}),
            ),
        )
        .unwrap();
    let kept_message = |report: &apply::ApplyReport| {
        let ns = report
            .get("Namespace", None, "shop")
            .expect("the namespace");
        assert_eq!(ns.action, Action::Skipped, "{report}");
        ns.message.clone().unwrap()
    };

    // The dry run says the same as the real delete, and deletes nothing.
    let dry = apply::delete(&client, &options().dry_run()).await.unwrap();
    assert!(dry.is_success(), "{dry}");
    let message = kept_message(&dry);
    for named in [
        "ConfigMap shop/settings",
        "VirtualService shop/legacy",
        "VirtualService shop/foreign",
        "--delete-namespaces=force",
    ] {
        assert!(message.contains(named), "{message}");
    }
    assert!(!message.contains("kube-root-ca.crt"), "{message}");
    assert!(
        !message.contains("ServiceAccount shop/default"),
        "{message}"
    );
    assert!(exists(&cluster, "v1", "Service", Some("shop"), "user"));

    let report = apply::delete(&client, &options()).await.unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(kept_message(&report), message);
    assert!(
        report.to_string().contains(
            "Namespace shop skipped: kept: it holds objects this ApplySet did not deploy"
        ),
        "{report}"
    );
    assert!(exists(&cluster, "v1", "Namespace", None, "shop"));
    for (kind, api_version, name) in [
        ("ConfigMap", "v1", "settings"),
        ("VirtualService", "networking.istio.io/v1", "legacy"),
        ("VirtualService", "networking.istio.io/v1", "foreign"),
    ] {
        assert!(
            exists(&cluster, api_version, kind, Some("shop"), name),
            "{name} stays"
        );
    }
    // The set's own objects are gone; the parent stays, recording only the namespace.
    assert!(!exists(&cluster, "v1", "Service", Some("shop"), "user"));
    let parent = report
        .get("ConfigMap", Some("default"), "shop-deploy")
        .unwrap();
    assert_eq!(parent.action, Action::Skipped, "{report}");
    let live_parent = cluster
        .get("v1", "ConfigMap", Some("default"), "shop-deploy")
        .unwrap();
    assert_eq!(
        live_parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"],
        "Namespace"
    );

    // Once the others are gone, only what Kubernetes made is left: delete run again
    // deletes the namespace, then the parent.
    for (api_version, kind, name) in [
        ("v1", "ConfigMap", "settings"),
        ("networking.istio.io/v1", "VirtualService", "legacy"),
        ("networking.istio.io/v1", "VirtualService", "foreign"),
    ] {
        assert!(server.delete_object(api_version, kind, Some("shop"), name));
    }
    let report = apply::delete(&client, &options()).await.unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(
        actions_of(&report),
        [
            "Namespace shop deleted",
            "ConfigMap default/shop-deploy deleted"
        ]
    );
    assert!(!exists(&cluster, "v1", "Namespace", None, "shop"));
    assert!(!exists(
        &cluster,
        "v1",
        "ConfigMap",
        Some("default"),
        "shop-deploy"
    ));
}

#[tokio::test]
async fn delete_populated_namespaces_deletes_them_when_asked() {
    let cluster = Cluster::start(istio_server());
    let client = cluster.client().await;
    apply_ok(&client, &shop(false, 5)).await;
    cluster
        .server
        .apply_as("kubectl", &config_map("shop", "settings", json!({})))
        .unwrap();
    let report = apply::delete(&client, &options().delete_populated_namespaces())
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(
        report.get("Namespace", None, "shop").unwrap().action,
        Action::Deleted
    );
    assert!(!exists(&cluster, "v1", "Namespace", None, "shop"));
    assert!(!exists(
        &cluster,
        "v1",
        "ConfigMap",
        Some("shop"),
        "settings"
    ));
}

#[tokio::test]
async fn prune_keeps_a_namespace_that_holds_objects_of_others() {
    let cluster = Cluster::start(istio_server());
    let client = cluster.client().await;
    let mut with_scratch = shop(false, 5);
    with_scratch.push(Resource::Other(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "scratch"}}),
    ));
    let first = apply::apply(&client, &with_scratch, &options().prune())
        .await
        .unwrap();
    assert!(first.is_success(), "{first}");
    cluster
        .server
        .apply_as("kubectl", &config_map("scratch", "notes", json!({})))
        .unwrap();

    // diff --prune shows it kept, not pruned.
    let diff = apply::diff(&client, &shop(false, 5), &options().prune())
        .await
        .unwrap();
    assert_eq!(diff.count(Change::Prune), 0, "{}", diff.render(false));
    assert!(
        diff.render(false).contains(
            "Namespace scratch kept: it holds objects this ApplySet did not deploy: ConfigMap scratch/notes"
        ),
        "{}",
        diff.render(false)
    );

    let dry = apply::apply(&client, &shop(false, 5), &options().prune().dry_run())
        .await
        .unwrap();
    let scratch = dry.get("Namespace", None, "scratch").unwrap();
    assert_eq!(scratch.action, Action::Skipped, "{dry}");
    assert!(
        scratch
            .message
            .as_deref()
            .unwrap()
            .contains("ConfigMap scratch/notes"),
        "{scratch}"
    );

    let report = apply::apply(&client, &shop(false, 5), &options().prune())
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(report.get("Namespace", None, "scratch"), Some(scratch));
    assert!(exists(
        &cluster,
        "v1",
        "ConfigMap",
        Some("scratch"),
        "notes"
    ));
    // It stays recorded, so that a later prune finds it again.
    let again = apply::apply(&client, &shop(false, 5), &options().prune())
        .await
        .unwrap();
    assert_eq!(
        again.get("Namespace", None, "scratch").unwrap().action,
        Action::Skipped,
        "{again}"
    );

    // Asked explicitly, prune deletes it.
    let forced = apply::apply(
        &client,
        &shop(false, 5),
        &options().prune().delete_populated_namespaces(),
    )
    .await
    .unwrap();
    assert!(forced.is_success(), "{forced}");
    assert_eq!(
        forced.get("Namespace", None, "scratch").unwrap().action,
        Action::Pruned,
        "{forced}"
    );
    assert!(!exists(&cluster, "v1", "Namespace", None, "scratch"));
}

/// The shop mesh with one object the server refuses (a 422 on its dry run).
fn shop_with_a_refused_object() -> Resources {
    let mut resources = shop(true, 5);
    resources.push(Resource::Other(json!({
        "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
        "metadata": {"name": "range", "namespace": "shop"},
        "spec": {"host": "range", "trafficPolicy": {"loadBalancer": {"simple": "FASTEST"}}}
    })));
    resources
}

/// Nothing but the namespaces the server started with.
fn assert_untouched(cluster: &Cluster, parent_ns: &str) {
    assert!(!exists(cluster, "v1", "Namespace", None, "shop"));
    assert!(!exists(
        cluster,
        "v1",
        "ConfigMap",
        Some(parent_ns),
        "shop-deploy"
    ));
    let keys = cluster.server.object_keys();
    assert!(
        keys.iter().all(|(kind, _, _)| kind == "Namespace"),
        "only the initial namespaces: {keys:?}"
    );
}

#[tokio::test]
async fn a_refused_dry_run_on_a_fresh_cluster_leaves_nothing_written() {
    for parent_ns in ["default", "shop"] {
        let cluster = Cluster::start(istio_server());
        let options = options().applyset(ApplySetParent::config_map("shop-deploy", parent_ns));
        let report = apply::apply(
            &cluster.client().await,
            &shop_with_a_refused_object(),
            &options,
        )
        .await
        .unwrap();
        assert_eq!(report.stopped, Some(Stopped::Validation), "{report}");
        let range = report
            .get("DestinationRule", Some("shop"), "range")
            .unwrap();
        assert_eq!((range.action, range.status), (Action::Failed, Some(422)));
        assert_eq!(report.count(Action::Failed), 1, "{report}");
        let ns = report.get("Namespace", None, "shop").unwrap();
        assert_eq!(ns.action, Action::Skipped, "{report}");
        assert!(
            ns.message.as_deref().unwrap().contains("deleted again"),
            "{ns}"
        );
        assert_untouched(&cluster, parent_ns);
    }
}

#[tokio::test]
async fn a_refused_dry_run_in_a_new_namespace_restores_the_parent() {
    let cluster = Cluster::start(istio_server());
    let client = cluster.client().await;
    apply_ok(&client, &shop(false, 5)).await;
    let parent = || {
        cluster
            .get("v1", "ConfigMap", Some("default"), "shop-deploy")
            .unwrap()["metadata"]["annotations"]
            .clone()
    };
    let before = parent();
    // A new namespace with a ConfigMap (a kind the set never had) and a refused object.
    let mut more = shop(false, 5);
    more.push(Resource::Other(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "extra"}}),
    ));
    more.push(Resource::Other(config_map("extra", "settings", json!({}))));
    more.push(Resource::Other(json!({
        "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
        "metadata": {"name": "range", "namespace": "extra"},
        "spec": {"host": "range", "trafficPolicy": {"loadBalancer": {"simple": "FASTEST"}}}
    })));
    let report = apply::apply(&client, &more, &options()).await.unwrap();
    assert_eq!(report.stopped, Some(Stopped::Validation), "{report}");
    assert!(!exists(&cluster, "v1", "Namespace", None, "extra"));
    assert_eq!(parent(), before, "the parent's record is as it was");
}

#[tokio::test]
async fn a_dry_run_refused_after_the_retry_budget_leaves_nothing_written() {
    let cluster = Cluster::start(istio_server());
    let faults = cluster.server.faults();
    // About 30 % of all requests (discovery too) answer 429 or 500, and every dry run of
    // a ServiceAccount fails until the retries are spent.
    faults.inject(
        Fault::InternalError,
        RequestMatch::any()
            .method("PATCH")
            .path_contains("/serviceaccounts/")
            .dry_run(true),
        10_000,
    );
    faults.inject_rate(
        Fault::TooManyRequests {
            retry_after_secs: 0,
        },
        RequestMatch::any(),
        15,
        19,
    );
    faults.inject_rate(Fault::InternalError, RequestMatch::any(), 18, 7);
    let options = options().retry(Retry::new(
        8,
        Duration::from_millis(1),
        Duration::from_millis(10),
    ));
    let report = apply::apply(&cluster.client().await, &shop(true, 5), &options)
        .await
        .unwrap();
    assert_eq!(report.stopped, Some(Stopped::Validation), "{report}");
    let failed: Vec<String> = report.failed().map(|r| r.resource.to_string()).collect();
    assert!(
        !failed.is_empty() && failed.iter().all(|f| f.starts_with("ServiceAccount ")),
        "{report}"
    );
    let statuses: Vec<u16> = cluster.server.requests().iter().map(|r| r.status).collect();
    assert!(statuses.contains(&429) && statuses.contains(&500));
    faults.clear();
    assert_untouched(&cluster, "default");
}

#[tokio::test]
async fn a_refused_namespace_is_one_failure_not_one_per_object() {
    let cluster = Cluster::start(istio_server());
    cluster.server.faults().inject(
        Fault::InternalError,
        RequestMatch::any()
            .method("PATCH")
            .path_ends_with("/namespaces/shop")
            .dry_run(true),
        10_000,
    );
    let resources = shop(true, 5);
    let report = apply::apply(&cluster.client().await, &resources, &options())
        .await
        .unwrap();
    assert_eq!(report.stopped, Some(Stopped::Validation), "{report}");
    let failed: Vec<String> = report.failed().map(|r| r.resource.to_string()).collect();
    assert_eq!(failed, ["Namespace shop"], "{report}");
    assert_eq!(report.count(Action::Skipped), resources.len() - 1);
    for r in report
        .results
        .iter()
        .filter(|r| r.action == Action::Skipped)
    {
        assert_eq!(
            r.message.as_deref(),
            Some("not tried: namespace shop refused"),
            "{r}"
        );
    }
    assert!(!report.to_string().contains("not found"), "{report}");
    // None of them was sent.
    let sent = cluster
        .server
        .requests()
        .iter()
        .filter(|r| r.path.contains("/namespaces/shop/"))
        .count();
    assert_eq!(sent, 0);
    assert!(cluster.writes().is_empty(), "{:?}", cluster.writes());
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_counted_as_created() {
    let cluster = Cluster::start(istio_server());
    // Every other write is handled, then its answer is lost: the retry finds the object.
    cluster.server.faults().inject_rate(
        Fault::DisconnectAfterHandling,
        RequestMatch::writes(),
        50,
        3,
    );
    let resources = shop(true, 5);
    let report = apply::apply(
        &cluster.client().await,
        &resources,
        &options().retry(Retry::new(
            10,
            Duration::from_millis(1),
            Duration::from_millis(5),
        )),
    )
    .await
    .unwrap();
    assert!(report.is_success(), "{report}");
    assert!(
        cluster.server.requests().iter().any(|r| r.status == 0),
        "answers were lost"
    );
    assert_eq!(report.count(Action::Created), resources.len(), "{report}");
    assert_eq!(report.count(Action::Configured), 0, "{report}");
}

/// A TLS server whose certificate the client does not trust (`openssl s_server` with a
/// fresh self-signed certificate), and its port; `None` without the `openssl` command.
struct TlsServer {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl TlsServer {
    fn start(name: &str) -> Option<Self> {
        let dir = std::env::temp_dir().join(format!("mesh-dsl-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let made = std::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-addext",
                "basicConstraints=critical,CA:FALSE",
                "-keyout",
            ])
            .arg(dir.join("key.pem"))
            .arg("-out")
            .arg(dir.join("cert.pem"))
            .output()
            .ok()?;
        if !made.status.success() {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = std::process::Command::new("openssl")
            .args(["s_server", "-quiet", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(dir.join("cert.pem"))
            .arg("-key")
            .arg(dir.join("key.pem"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(Self { child, port, dir });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn a_tls_failure_names_the_certificate_problem() {
    let has_openssl = std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_openssl {
        testkit::missing_program("a_tls_failure_names_the_certificate_problem", "openssl");
        return;
    }
    let tls = TlsServer::start("untrusted").expect("an openssl s_server on 127.0.0.1");
    // Another self-signed certificate as the (wrong) CA.
    let other = TlsServer::start("other-ca").expect("an openssl s_server on 127.0.0.1");
    let wrong_ca = std::fs::read(other.dir.join("cert.pem")).unwrap();
    use base64::Engine as _;
    let wrong_ca = base64::engine::general_purpose::STANDARD.encode(wrong_ca);
    for (case, ca) in [
        ("no CA", String::new()),
        (
            "wrong CA",
            format!("\n    certificate-authority-data: {wrong_ca}"),
        ),
    ] {
        let kubeconfig = tls
            .dir
            .join(format!("{}.kubeconfig", case.replace(' ', "-")));
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster:\n    server: https://127.0.0.1:{}{ca}\n\
                 contexts:\n- name: t\n  context:\n    cluster: t\n    user: t\ncurrent-context: t\n\
                 users:\n- name: t\n  user:\n    token: t\n",
                tls.port
            ),
        )
        .unwrap();
        let client = apply::client(Some(&kubeconfig), None).await.unwrap();
        let err = apply::apply(&client, &shop(false, 5), &options().retry(Retry::none()))
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(err.is_preflight(), "{case}: {text}");
        assert!(
            text.contains("invalid peer certificate: UnknownIssuer")
                || text.contains("invalid peer certificate: BadSignature"),
            "{case}: the certificate problem is named: {text}"
        );
        assert!(!text.contains('\n'), "{case}: one line: {text}");
    }
}

/// The library's errors, `Display` and `Debug` alike, quote no credential of a kubeconfig
/// that does not parse, nor of an exec plugin's output (the deploy program's output at
/// every log level is checked by the ecommerce example's `deploy_safety` tests).
#[tokio::test]
async fn library_errors_quote_no_credential() {
    let dir = std::env::temp_dir().join(format!("mesh-dsl-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let head = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:1\n\
                contexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n";
    let broken = [
        "    token: \"s3cr3t-token\n",
        "    token: [s3cr3t-token]\n",
        "    password: s3cr3t-password: x\n",
        "    client-key-data: 's3cr3tKeyData\n",
        "    client-certificate-data: s3cr3tCert\n\tx: y\n",
        "    auth-provider:\n      name: oidc\n      config:\n        id-token: s3cr3t-id\n      x: [y\n",
        "    exec:\n      command: p\n      env:\n      - name: T\n        value: \"s3cr3t-env\n",
    ];
    let plugin = dir.join("plugin.sh");
    std::fs::write(
        &plugin,
        "#!/bin/sh\necho '{\"apiVersion\": \"client.authentication.k8s.io/v1\", \"kind\": \"ExecCredential\", \"status\": {\"token\": \"s3cr3t-exec\"'\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let exec = format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      args: [\"--s3cr3t-arg\"]\n      env:\n      - name: T\n        value: s3cr3t-env\n      interactiveMode: Never\n",
        plugin.display()
    );
    let path = dir.join("kubeconfig");
    for (i, user) in broken.iter().copied().chain([exec.as_str()]).enumerate() {
        std::fs::write(&path, format!("{head}{user}")).unwrap();
        let err = match apply::client(Some(&path), None).await {
            Ok(client) => apply::apply(&client, &shop(false, 5), &options().retry(Retry::none()))
                .await
                .unwrap_err(),
            Err(e) => e,
        };
        let shown = format!("{err}\n{err:?}");
        assert!(!shown.contains("s3cr3t"), "case {i}: {shown}");
        assert!(err.is_preflight());
        assert!(std::error::Error::source(&err).is_none());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_apply_under_30_percent_faults_succeeds_and_counts_right() {
    let cluster = Cluster::start(istio_server());
    let faults = cluster.server.faults();
    faults.inject_rate(
        Fault::TooManyRequests {
            retry_after_secs: 0,
        },
        RequestMatch::any(),
        15,
        5,
    );
    faults.inject_rate(Fault::InternalError, RequestMatch::any(), 18, 11);
    let options = options().retry(Retry::new(
        10,
        Duration::from_millis(1),
        Duration::from_millis(10),
    ));
    let client = cluster.client().await;
    let resources = shop(true, 5);
    let report = apply::apply(&client, &resources, &options).await.unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(report.count(Action::Created), resources.len(), "{report}");
    let again = apply::apply(&client, &resources, &options.clone().prune())
        .await
        .unwrap();
    assert_eq!(again.count(Action::Unchanged), resources.len(), "{again}");
    let statuses: Vec<u16> = cluster.server.requests().iter().map(|r| r.status).collect();
    assert!(statuses.contains(&429) && statuses.contains(&500));
}

//! `mesh_dsl::rollout` against the fake API server and a real Prometheus process that
//! scrapes a test exporter of Istio-shaped metrics (testkit::prometheus). Without the
//! `prometheus` binary the tests that need it fail under CI and are skipped elsewhere.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fake_apiserver::{FakeApiServer, ServerOptions};
use mesh_dsl::apply::{self, ApplyOptions};
use mesh_dsl::rollout::{
    self, Outcome, Plan, Position, Progress, Prometheus as Client, RolloutError, RolloutOptions,
    State,
};
use mesh_dsl::route::{Gate, Percentile};
use mesh_dsl::{Canary, Mesh, Namespace, Port, Route, Routes, Service, Version};
use testkit::prometheus::{IstioExporter, Prometheus, Traffic, Workload};

/// `user` v1 -> v2 in stages 10, 50, 100, with a 99% success-rate gate, a p99 gate of
/// 500 ms and at least 20 requests a stage.
fn mesh() -> Mesh {
    mesh_with("example/user:2")
}

/// The same with another image of v2.
fn mesh_with(v2_image: &str) -> Mesh {
    mesh_gated(v2_image, None)
}

/// The same with another image of v2 and one more gate.
fn mesh_gated(v2_image: &str, gate: Option<Gate>) -> Mesh {
    let mut mesh = Mesh::new();
    let ns = mesh.namespace(Namespace::new("shop").sidecar_injection());
    let user = mesh.service(
        Service::new(&ns, "user")
            .port(Port::http(80).target(8080))
            .version(Version::new("v1", "example/user:1"))
            .version(Version::new("v2", v2_image)),
    );
    mesh.routes(Routes::new(&user).route(Route::new().to(&user)));
    let canary = Canary::new(user.subset("v1"), user.subset("v2"))
        .stages([10, 50, 100])
        .success_rate(99.0)
        .latency(Percentile::P99, Duration::from_millis(500))
        .min_requests(20);
    mesh.canary(match gate {
        Some(g) => canary.gate(g),
        None => canary,
    });
    mesh
}

const BAKE: Duration = Duration::from_secs(4);

/// The cluster, the metrics and their source.
struct Setup {
    server: FakeApiServer,
    kubeconfig: PathBuf,
    /// The canary's traffic (`user-v2`).
    canary: Arc<Workload>,
    _exporter: IstioExporter,
    prometheus: Option<Prometheus>,
}

impl Setup {
    /// `None` when Prometheus is missing outside CI (the test is skipped).
    fn start(test: &str, canary: Traffic, with_prometheus: bool) -> Option<Self> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let canary = Workload::new("shop", "user", "v2", canary);
        // The stable version fails and is slow: only the canary's own metrics count.
        let stable = Workload::new(
            "shop",
            "user",
            "v1",
            Traffic {
                rps: 50.0,
                error_ratio: 0.5,
                latency_ms: 3000.0,
            },
        );
        let exporter = IstioExporter::start(vec![Arc::clone(&canary), stable]);
        let prometheus = if with_prometheus {
            let p = Prometheus::start(test, &[exporter.addr()])?;
            p.wait_for_scrapes(3);
            Some(p)
        } else {
            None
        };
        let server = FakeApiServer::start(
            ServerOptions::new()
                .istio()
                .deployments_ready_after(Duration::from_millis(100)),
        );
        let kubeconfig = std::env::temp_dir().join(format!(
            "mesh-dsl-rollout-{}-{}.kubeconfig",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        server.write_kubeconfig(&kubeconfig).unwrap();
        Some(Self {
            server,
            kubeconfig,
            canary,
            _exporter: exporter,
            prometheus,
        })
    }

    async fn client(&self) -> kube::Client {
        apply::client(Some(&self.kubeconfig), Some("fake"))
            .await
            .unwrap()
    }

    fn metrics(&self) -> Client {
        Client::new(self.prometheus.as_ref().expect("prometheus").url()).unwrap()
    }

    /// The weights of v1 and v2 in the VirtualService of `user`.
    fn weights(&self) -> (i64, i64) {
        let vs = self
            .server
            .object(
                "networking.istio.io/v1",
                "VirtualService",
                Some("shop"),
                "user",
            )
            .expect("the VirtualService of user");
        let mut w = (0, 0);
        for d in vs["spec"]["http"][0]["route"].as_array().unwrap() {
            let weight = d["weight"].as_i64().unwrap_or(0);
            match d["destination"]["subset"].as_str() {
                Some("v1") => w.0 = weight,
                Some("v2") => w.1 = weight,
                _ => {}
            }
        }
        w
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.kubeconfig);
    }
}

fn options() -> RolloutOptions {
    RolloutOptions::new(ApplyOptions::new("shop").timeout(Duration::from_secs(30)))
        .interval(Duration::from_secs(1))
}

/// The progress events, as short strings (`applying 0`, `passed 0`, ...).
fn recorder() -> (
    Arc<Mutex<Vec<String>>>,
    impl Fn(&Progress) + Send + Sync + 'static,
) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = Arc::clone(&log);
    (log, move |p: &Progress| {
        let s = match p {
            Progress::Resuming {
                stage,
                other_plan: true,
                ..
            } => format!("start {stage} (another plan)"),
            Progress::Resuming { stage, .. } => format!("start {stage}"),
            Progress::Applying { stage, .. } => format!("applying {stage}"),
            Progress::Passed { stage } => format!("passed {stage}"),
            Progress::RollingBack { stage, .. } => format!("rolling back {stage}"),
            _ => return,
        };
        l.lock().unwrap().push(s);
    })
}

fn plan() -> Plan {
    Plan::new(&mesh(), Some(BAKE)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_canary_is_promoted_to_the_last_stage() {
    let Some(s) = Setup::start(
        "rollout::a_healthy_canary_is_promoted_to_the_last_stage",
        Traffic::healthy(50.0),
        true,
    ) else {
        return;
    };
    let client = s.client().await;
    let (log, observer) = recorder();
    let out = rollout::rollout(
        &client,
        &plan(),
        &s.metrics(),
        &options().observer(observer),
    )
    .await
    .unwrap();
    assert_eq!(out, Outcome::Promoted { stage: 2 });
    assert_eq!(
        *log.lock().unwrap(),
        [
            "start 0",
            "applying 0",
            "passed 0",
            "applying 1",
            "passed 1",
            "applying 2",
            "passed 2"
        ]
    );
    assert_eq!(s.weights(), (0, 100));
    let record = rollout::record::read(&client, &ApplyOptions::new("shop").applyset)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (record.position, record.state),
        (Position::Stage(2), State::Promoted)
    );
    // Run again: nothing to do.
    let again = rollout::rollout(&client, &plan(), &s.metrics(), &options())
        .await
        .unwrap();
    assert_eq!(again, Outcome::AlreadyPromoted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_failing_its_success_rate_at_the_second_stage_is_rolled_back() {
    let Some(s) = Setup::start(
        "rollout::a_canary_failing_its_success_rate_at_the_second_stage_is_rolled_back",
        Traffic::healthy(50.0),
        true,
    ) else {
        return;
    };
    let client = s.client().await;
    let canary = Arc::clone(&s.canary);
    // From stage 1 on, a fifth of the canary's answers are 503s.
    let options = options().observer(move |p| {
        if let Progress::Applied { stage: 1 } = p {
            canary.set(Traffic {
                error_ratio: 0.2,
                ..Traffic::healthy(50.0)
            });
        }
    });
    let out = rollout::rollout(&client, &plan(), &s.metrics(), &options)
        .await
        .unwrap();
    let Outcome::RolledBack { stage, failure } = out else {
        panic!("{out:?}")
    };
    assert_eq!(stage, 1);
    assert_eq!(failure.check.name, "success rate");
    let v = failure.value.unwrap();
    assert!(v < 99.0 && v > 70.0, "{failure}");
    assert!(failure.to_string().contains("(>= 99%)"), "{failure}");
    assert_eq!(s.weights(), (100, 0));
    let record = rollout::record::read(&client, &ApplyOptions::new("shop").applyset)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (record.position, record.state),
        (Position::Stable, State::RolledBack)
    );
    assert!(
        record
            .message
            .contains("stage 1 failed: shop/user v2 success rate"),
        "{record}"
    );
    // Not run again without a restart.
    let again = rollout::rollout(&client, &plan(), &s.metrics(), &options_plain())
        .await
        .unwrap();
    assert!(
        matches!(again, Outcome::PreviouslyRolledBack { .. }),
        "{again:?}"
    );
}

fn options_plain() -> RolloutOptions {
    options()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_latency_regression_is_rolled_back() {
    let slow = Traffic {
        latency_ms: 800.0,
        ..Traffic::healthy(50.0)
    };
    let Some(s) = Setup::start("rollout::a_latency_regression_is_rolled_back", slow, true) else {
        return;
    };
    let client = s.client().await;
    let out = rollout::rollout(&client, &plan(), &s.metrics(), &options())
        .await
        .unwrap();
    let Outcome::RolledBack { stage, failure } = out else {
        panic!("{out:?}")
    };
    assert_eq!((stage, failure.check.name.as_str()), (0, "p99 latency"));
    // Every request in the (500, 1000] bucket: the p99 is interpolated near 1000 ms.
    assert!(failure.value.unwrap() > 500.0, "{failure}");
    assert_eq!(s.weights(), (100, 0));

    // At 0% v2 serves nothing, until a fixed v2 (another plan) is rolled out: that
    // rollout starts at stage 0 without --restart, and measures only its own requests.
    s.canary.set(Traffic::healthy(0.0));
    tokio::time::sleep(BAKE).await;
    let fixed = Plan::new(&mesh_with("example/user:2.0.1"), Some(BAKE)).unwrap();
    assert_ne!(fixed.fingerprint, plan().fingerprint);
    let (log, observer) = recorder();
    let canary = Arc::clone(&s.canary);
    let options = options().observer(move |p| {
        if let Progress::Applied { stage: 0 } = p {
            canary.set(Traffic::healthy(50.0));
        }
        observer(p);
    });
    let out = rollout::rollout(&client, &fixed, &s.metrics(), &options)
        .await
        .unwrap();
    assert_eq!(out, Outcome::Promoted { stage: 2 });
    assert_eq!(log.lock().unwrap()[0], "start 0 (another plan)");
    assert_eq!(s.weights(), (0, 100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_little_traffic_fails_the_stage() {
    let Some(s) = Setup::start(
        "rollout::too_little_traffic_fails_the_stage",
        Traffic::healthy(1.0),
        true,
    ) else {
        return;
    };
    let client = s.client().await;
    let out = rollout::rollout(&client, &plan(), &s.metrics(), &options())
        .await
        .unwrap();
    let Outcome::RolledBack { stage, failure } = out else {
        panic!("{out:?}")
    };
    assert_eq!((stage, failure.check.name.as_str()), (0, "requests"));
    assert!(failure.value.is_none_or(|v| v < 20.0), "{failure}");
    assert_eq!(s.weights(), (100, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_down_stops_without_promoting() {
    let s = Setup::start(
        "rollout::prometheus_down_stops_without_promoting",
        Traffic::healthy(50.0),
        false,
    )
    .unwrap();
    let client = s.client().await;
    let port = testkit::prometheus::free_port();
    let down = Client::new(&format!("http://127.0.0.1:{port}")).unwrap();
    let err = rollout::rollout(&client, &plan(), &down, &options())
        .await
        .unwrap_err();
    assert!(
        matches!(err, RolloutError::Metrics { stage: 0, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("stopped at stage 0 without promoting: Prometheus at http://127.0.0.1:{port} is unreachable")),
        "{err}"
    );
    // The mesh stays at the stage applied, recorded as stopped.
    assert_eq!(s.weights(), (90, 10));
    let record = rollout::record::read(&client, &ApplyOptions::new("shop").applyset)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (record.position, record.state),
        (Position::Stage(0), State::Stopped)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_killed_mid_stage_resumes_where_it_stopped() {
    let Some(s) = Setup::start(
        "rollout::a_rollout_killed_mid_stage_resumes_where_it_stopped",
        Traffic::healthy(50.0),
        true,
    ) else {
        return;
    };
    let client = s.client().await;
    // Killed: the future is dropped while stage 1 bakes, with no chance to clean up.
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = Mutex::new(Some(tx));
    let first = options().observer(move |p| {
        if let Progress::Measured { stage: 1, .. } = p
            && let Some(tx) = tx.lock().unwrap().take()
        {
            let _ = tx.send(());
        }
    });
    let plan = plan();
    let metrics = s.metrics();
    tokio::select! {
        out = rollout::rollout(&client, &plan, &metrics, &first) => panic!("not killed: {out:?}"),
        _ = rx => {}
    }
    assert_eq!(s.weights(), (50, 50));
    let record = rollout::record::read(&client, &ApplyOptions::new("shop").applyset)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (record.position, record.state),
        (Position::Stage(1), State::Progressing)
    );
    // Run again: stage 1 again (applied again, baked in full), then 2.
    let (log, observer) = recorder();
    let out = rollout::rollout(&client, &plan, &metrics, &options().observer(observer))
        .await
        .unwrap();
    assert_eq!(out, Outcome::Promoted { stage: 2 });
    assert_eq!(
        *log.lock().unwrap(),
        [
            "start 1",
            "applying 1",
            "passed 1",
            "applying 2",
            "passed 2"
        ]
    );
    assert_eq!(s.weights(), (0, 100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_leaves_the_mesh_at_the_stage_applied_last() {
    let s = Setup::start(
        "rollout::an_interrupt_leaves_the_mesh_at_the_stage_applied_last",
        Traffic::healthy(50.0),
        false,
    )
    .unwrap();
    let client = s.client().await;
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let f = Arc::clone(&flag);
    let options = options().interrupt(Arc::clone(&flag)).observer(move |p| {
        if let Progress::Applied { stage: 0 } = p {
            f.store(true, Ordering::SeqCst);
        }
    });
    // No Prometheus is asked: the interrupt comes first.
    let down = Client::new("http://127.0.0.1:1").unwrap();
    let out = rollout::rollout(&client, &plan(), &down, &options)
        .await
        .unwrap();
    assert_eq!(out, Outcome::Interrupted { stage: 0 });
    assert_eq!(s.weights(), (90, 10));
    let record = rollout::record::read(&client, &ApplyOptions::new("shop").applyset)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (record.position, record.state),
        (Position::Stage(0), State::Stopped)
    );
}

#[test]
fn the_plan_lists_stages_gates_and_queries() {
    let text = plan().describe();
    assert!(
        text.starts_with(
            "3 stage(s), each applied then baked for 4s:\n  stage 0: shop/user v2 at 10%\n"
        ),
        "{text}"
    );
    assert!(text.contains("gates of shop/user v2:\n  requests >= 20\n    sum(increase(istio_requests_total{reporter=\"destination\",destination_workload=\"user-v2\",destination_workload_namespace=\"shop\"}[4s]))\n"), "{text}");
    assert!(text.contains("  p99 latency <= 500ms\n"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_prometheus_refuses_stops_without_promoting() {
    let Some(s) = Setup::start(
        "rollout::a_query_prometheus_refuses_stops_without_promoting",
        Traffic::healthy(50.0),
        true,
    ) else {
        return;
    };
    let client = s.client().await;
    let broken = mesh_gated(
        "example/user:2",
        Some(Gate::query("broken", "sum(").at_most(1.0)),
    );
    let plan = Plan::new(&broken, Some(BAKE)).unwrap();
    let err = rollout::rollout(&client, &plan, &s.metrics(), &options())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, RolloutError::Metrics { stage: 0, .. }),
        "{text}"
    );
    assert!(
        text.starts_with("stopped at stage 0 without promoting: Prometheus refused the query \"sum(\": bad_data: "),
        "{text}"
    );
    assert_eq!(s.weights(), (90, 10));
    let record = rollout::record::read(&client, &ApplyOptions::new("shop").applyset)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (record.position, record.state),
        (Position::Stage(0), State::Stopped)
    );
    assert!(record.message.contains("bad_data"), "{record}");
}

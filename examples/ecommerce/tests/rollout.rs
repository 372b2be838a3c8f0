//! `ecommerce rollout` end to end: the real binary against the fake API server and a real
//! Prometheus scraping Istio-shaped metrics of `user` v2 (testkit::prometheus). Without
//! the `prometheus` binary these tests fail under CI and are skipped elsewhere.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fake_apiserver::{FakeApiServer, ServerOptions};
use testkit::prometheus::{IstioExporter, Prometheus, Traffic, Workload};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

struct Setup {
    server: FakeApiServer,
    kubeconfig: PathBuf,
    _exporter: IstioExporter,
    prometheus: Prometheus,
}

impl Setup {
    fn start(test: &str, canary: Traffic) -> Option<Self> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let v2 = Workload::new("shop", "user", "v2", canary);
        let v1 = Workload::new("shop", "user", "v1", Traffic::healthy(100.0));
        let exporter = IstioExporter::start(vec![v2, v1]);
        let prometheus = Prometheus::start(test, &[exporter.addr()])?;
        prometheus.wait_for_scrapes(3);
        let server = FakeApiServer::start(
            ServerOptions::new()
                .istio()
                .deployments_ready_after(Duration::from_millis(100)),
        );
        let kubeconfig = std::env::temp_dir().join(format!(
            "ecommerce-rollout-{}-{}.kubeconfig",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        server.write_kubeconfig(&kubeconfig).unwrap();
        Some(Self {
            server,
            kubeconfig,
            _exporter: exporter,
            prometheus,
        })
    }

    fn command(&self, extra: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ecommerce"));
        c.arg("rollout")
            .args(extra)
            .args(["--kubeconfig", self.kubeconfig.to_str().unwrap()])
            .args(["--prometheus", self.prometheus.url()])
            .args(["--interval", "1s", "--bake", "4s", "--timeout", "60s"])
            .env_remove("RUST_LOG");
        c
    }

    fn run(&self, extra: &[&str]) -> Output {
        self.command(extra).output().unwrap()
    }

    /// Starts a rollout and returns it once it printed `line`.
    fn run_until(&self, line: &str) -> (Child, Vec<String>) {
        let mut child = self
            .command(&[])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut seen = Vec::new();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        loop {
            let mut l = String::new();
            assert!(
                out.read_line(&mut l).unwrap() > 0,
                "ended before {line:?}: {seen:?}"
            );
            let done = l.trim_end() == line;
            seen.push(l.trim_end().to_string());
            if done {
                break;
            }
        }
        // Keep reading, so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut rest = String::new();
            while out.read_line(&mut rest).unwrap_or(0) > 0 {}
        });
        (child, seen)
    }

    /// The weights of v1 and v2 in VirtualService `name` (its first route to `user`).
    fn weights(&self, name: &str) -> (i64, i64) {
        let vs = self
            .server
            .object(
                "networking.istio.io/v1",
                "VirtualService",
                Some("shop"),
                name,
            )
            .unwrap_or_else(|| panic!("VirtualService {name}"));
        let mut w = (0, 0);
        for http in vs["spec"]["http"].as_array().unwrap() {
            for d in http["route"].as_array().unwrap() {
                if d["destination"]["host"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("user")
                {
                    let weight = d["weight"].as_i64().unwrap_or(0);
                    match d["destination"]["subset"].as_str() {
                        Some("v1") => w.0 = weight,
                        Some("v2") => w.1 = weight,
                        _ => {}
                    }
                }
            }
        }
        w
    }

    fn status(&self) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_ecommerce"))
            .args(["rollout", "--status", "--kubeconfig"])
            .arg(&self.kubeconfig)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.kubeconfig);
    }
}

#[test]
fn dry_run_prints_the_plan_without_a_cluster() {
    let out = Command::new(env!("CARGO_BIN_EXE_ecommerce"))
        .args(["rollout", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let plan = text(&out.stdout);
    assert!(
        plan.starts_with(
            "4 stage(s), each applied then baked for 300s:\n  stage 0: shop/user v2 at 10%\n"
        ),
        "{plan}"
    );
    for line in [
        "gates of shop/user v2:",
        "  requests >= 100",
        "  success rate >= 99%",
        "  p99 latency <= 500ms",
        "    histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{reporter=\"destination\",destination_workload=\"user-v2\",destination_workload_namespace=\"shop\"}[300s])))",
    ] {
        assert!(plan.lines().any(|l| l == line), "{line:?} in\n{plan}");
    }
    // Without --dry-run or --status, --prometheus is required.
    let usage = Command::new(env!("CARGO_BIN_EXE_ecommerce"))
        .arg("rollout")
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
    assert!(text(&usage.stderr).contains("--prometheus"));
}

#[test]
fn a_healthy_canary_is_promoted_and_the_cluster_shows_it() {
    let Some(s) = Setup::start(
        "a_healthy_canary_is_promoted_and_the_cluster_shows_it",
        Traffic::healthy(60.0),
    ) else {
        return;
    };
    let out = s.run(&[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("stage 0 (shop/user v2 at 10%): applying\n"),
        "{stdout}"
    );
    assert!(stdout.contains("stage 2: gates passed\n"), "{stdout}");
    assert!(
        stdout.ends_with("promoted: stage 3 (shop/user v2 at 100%)\n"),
        "{stdout}"
    );
    assert_eq!(s.weights("user"), (0, 100));
    assert_eq!(s.weights("storefront"), (0, 100));
    assert_eq!(s.status(), "stage 3: promoted (shop/user v2 at 100%)\n");
    let again = s.run(&[]);
    assert_eq!(again.status.code(), Some(0));
    assert!(text(&again.stdout).starts_with("already promoted: stage 3"));
}

#[test]
fn a_failing_canary_is_rolled_back_with_its_own_exit_code() {
    let failing = Traffic {
        error_ratio: 0.1,
        ..Traffic::healthy(60.0)
    };
    let Some(s) = Setup::start(
        "a_failing_canary_is_rolled_back_with_its_own_exit_code",
        failing,
    ) else {
        return;
    };
    let out = s.run(&[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(7), "{stdout}{}", text(&out.stderr));
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(
            "rolled back at stage 0 (shop/user v2 at 10%): shop/user v2 success rate 9"
        ) && last.ends_with("% (>= 99%); all traffic goes to the stable versions"),
        "{stdout}"
    );
    assert_eq!(s.weights("user"), (100, 0));
    assert_eq!(s.weights("storefront"), (100, 0));
    assert!(
        s.status()
            .starts_with("stable versions: rolled-back (stage 0 failed: shop/user v2 success rate")
    );
    // Not again without --restart.
    let again = s.run(&[]);
    assert_eq!(again.status.code(), Some(7));
    assert!(text(&again.stderr).contains("--restart starts again from stage 0"));
}

#[test]
fn ctrl_c_and_kill_leave_a_declared_stage_and_rollout_resumes() {
    let Some(s) = Setup::start(
        "ctrl_c_and_kill_leave_a_declared_stage_and_rollout_resumes",
        Traffic::healthy(60.0),
    ) else {
        return;
    };
    // Ctrl-C while stage 0 bakes: exit 130, the mesh stays at stage 0.
    let (mut child, _) = s.run_until("stage 0: applied, baking for 4s");
    let int = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(int.success());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert_eq!(s.weights("user"), (90, 10));
    assert_eq!(
        s.status(),
        "stage 0: stopped (interrupted) (shop/user v2 at 10%)\n"
    );

    // Killed while stage 1 bakes: the record says stage 1, the mesh is at stage 1.
    let (mut child, seen) = s.run_until("stage 1: applied, baking for 4s");
    assert_eq!(
        seen[0],
        "recorded: stage 0: stopped (interrupted); starting at stage 0"
    );
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(s.weights("user"), (75, 25));
    assert_eq!(s.status(), "stage 1: progressing (shop/user v2 at 25%)\n");

    let out = s.run(&[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.starts_with("recorded: stage 1: progressing; starting at stage 1\nstage 1 (shop/user v2 at 25%): applying\n"), "{stdout}");
    assert!(
        stdout.ends_with("promoted: stage 3 (shop/user v2 at 100%)\n"),
        "{stdout}"
    );
    assert_eq!(s.weights("storefront"), (0, 100));
}

//! Applying to the fake API server with 5 ms of latency per request: the ecommerce
//! example and a 1,000-service mesh (the shape of `../shared/bench/WORKLOAD.md`), with
//! the default concurrency (16) against one request at a time. Each sample is a first
//! apply (every object created) to a fresh server; starting it is not timed.
//!
//! `cargo bench -p mesh-dsl --bench apply`.

use std::sync::LazyLock;
use std::time::Duration;

use divan::Bencher;
use fake_apiserver::{FakeApiServer, ServerOptions};
use mesh_dsl::apply::{self, ApplyOptions};
use mesh_dsl::{
    ConnectionPool, Gateway, Mesh, Namespace, OutlierDetection, Policy, Port, Resources, Route,
    Routes, Service, Version, exact,
};

// The reference example itself (mesh-dsl cannot depend on the example's crate).
#[allow(dead_code)]
#[path = "../../examples/ecommerce/src/lib.rs"]
mod ecommerce;

fn main() {
    divan::main();
}

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
});

/// The scale workload with `n` services.
fn services(n: usize) -> Resources {
    let mut mesh = Mesh::new();
    let shop = mesh.namespace(Namespace::new("shop").sidecar_injection());
    mesh.gateway(Gateway::new(&shop, "shop-gateway").http(["shop.example.com"]));
    for i in 0..n {
        let name = format!("svc-{i}");
        let version = |v: &str| {
            Version::new(v, format!("example/{name}:{v}"))
                .replicas(1)
                .requests("100m", "128Mi")
        };
        let svc = mesh.service(
            Service::new(&shop, &name)
                .port(Port::http(80).target(8080))
                .version(version("v1"))
                .version(version("v2")),
        );
        mesh.policy(
            &svc,
            Policy::new()
                .connection_pool(
                    ConnectionPool::new()
                        .max_connections(100)
                        .max_pending_requests(10)
                        .max_requests_per_connection(1),
                )
                .outlier_detection(
                    OutlierDetection::new()
                        .consecutive_5xx_errors(5)
                        .interval(istio_types::Duration::from_secs(10))
                        .base_ejection_time(istio_types::Duration::from_secs(30))
                        .max_ejection_percent(50),
                ),
        );
        mesh.routes(
            Routes::new(&svc)
                .route(
                    Route::new()
                        .when(mesh_dsl::Match::any().header("end-user", exact("tester")))
                        .to(svc.subset("v2")),
                )
                .route(
                    Route::new()
                        .split([(svc.subset("v1"), 90), (svc.subset("v2"), 10)])
                        .timeout(istio_types::Duration::from_secs(10))
                        .delay(istio_types::Duration::from_secs(5), 10.0),
                ),
        );
    }
    mesh.compile().expect("the workload compiles").resources
}

/// A fresh server with 5 ms latency and a client for it.
fn cluster() -> Option<(FakeApiServer, kube::Client, std::path::PathBuf)> {
    // Istio's kinds from istio-types, without schema checks (as before, with the CRD file).
    let options = fake_apiserver::istio_kinds()
        .into_iter()
        .fold(ServerOptions::new(), ServerOptions::kind);
    let server = FakeApiServer::start(options);
    server.faults().set_latency(Duration::from_millis(5));
    let path =
        std::env::temp_dir().join(format!("mesh-dsl-bench-{}.kubeconfig", std::process::id()));
    server.write_kubeconfig(&path).ok()?;
    let client = RUNTIME.block_on(apply::client(Some(&path), None)).ok()?;
    Some((server, client, path))
}

fn bench_apply(bencher: Bencher, resources: &Resources, concurrency: usize) {
    let options = ApplyOptions::new("bench")
        .concurrency(concurrency)
        .timeout(Duration::from_secs(1800));
    bencher
        .with_inputs(|| cluster().expect("a fake API server"))
        .bench_local_values(|(server, client, path)| {
            let report = RUNTIME
                .block_on(apply::apply(&client, resources, &options))
                .expect("apply runs");
            assert!(report.is_success(), "{report}");
            assert_eq!(report.results.len(), resources.len());
            let _ = std::fs::remove_file(&path);
            (server, client)
        });
}

#[divan::bench(args = [1, 16], sample_count = 5, sample_size = 1)]
fn ecommerce_example(bencher: Bencher, concurrency: usize) {
    let resources = ecommerce::mesh().compile().expect("compiles").resources;
    bench_apply(bencher, &resources, concurrency);
}

#[divan::bench(args = [1, 16], sample_count = 1, sample_size = 1)]
fn services_1000(bencher: Bencher, concurrency: usize) {
    bench_apply(bencher, &services(1000), concurrency);
}

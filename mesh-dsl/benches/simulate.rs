//! Routing decisions per second on a 1,000-service mesh (the shape of
//! `../shared/bench/WORKLOAD.md`: per service a Service, a DestinationRule with two
//! subsets and a VirtualService with a header route and a 90/10 split with retries,
//! timeout and a delay fault).
//!
//! `cargo bench -p mesh-dsl --bench simulate`; divan prints decisions per second in the
//! `item/s` column. Indexing is measured apart: a Simulator is built once per mesh.

use std::cell::Cell;

use divan::Bencher;
use divan::counter::ItemsCount;
use mesh_dsl::Resources;
use mesh_dsl::simulate::{Request, Simulator};

const SERVICES: usize = 1_000;

fn main() {
    divan::main();
}

/// The mesh, one YAML snippet per service built in code (a YAML stream holds at most
/// 1,024 documents).
fn resources(n: usize) -> Resources {
    let mut docs = parse(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\n\
         apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: shop-gateway, namespace: shop}\n\
         spec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [shop.example.com]\n",
    );
    for i in 0..n {
        docs.extend(parse(&service_yaml(i)));
    }
    Resources::from_documents(docs)
}

fn parse(yaml: &str) -> Vec<istio_types::document::SourceDocument> {
    istio_types::document::parse_stream(yaml, "bench")
        .unwrap_or_else(|e| panic!("the generated mesh is valid: {e}"))
}

/// Service `i`: a Service, a DestinationRule and a VirtualService.
fn service_yaml(i: usize) -> String {
    format!(
        r#"apiVersion: v1
kind: Service
metadata: {{name: svc-{i}, namespace: shop}}
spec:
  selector: {{app: svc-{i}}}
  ports: [{{name: http, port: 80, targetPort: 8080}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: svc-{i}, namespace: shop}}
spec:
  host: svc-{i}
  trafficPolicy:
    connectionPool:
      tcp: {{maxConnections: 100}}
      http: {{http1MaxPendingRequests: 10, maxRequestsPerConnection: 1}}
    outlierDetection: {{consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50}}
  subsets:
  - {{name: v1, labels: {{version: v1}}}}
  - {{name: v2, labels: {{version: v2}}}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: svc-{i}, namespace: shop}}
spec:
  hosts: [svc-{i}]
  http:
  - match: [{{headers: {{end-user: {{exact: tester}}}}}}]
    route: [{{destination: {{host: svc-{i}, subset: v2}}}}]
  - route:
    - {{destination: {{host: svc-{i}, subset: v1}}, weight: 90}}
    - {{destination: {{host: svc-{i}, subset: v2}}, weight: 10}}
    retries: {{attempts: 3, perTryTimeout: 2s, retryOn: "5xx,reset"}}
    timeout: 10s
    fault: {{delay: {{fixedDelay: 5s, percentage: {{value: 10}}}}}}
"#
    )
}

/// One request per service, cycled, so that every decision looks a different host up.
fn requests(tester: bool) -> Vec<Request> {
    (0..SERVICES)
        .map(|i| {
            let r = Request::new(format!("svc-{i}"))
                .from_namespace("shop")
                .path("/items/42");
            if tester {
                r.header("end-user", "tester")
            } else {
                r
            }
        })
        .collect()
}

fn decide(bencher: Bencher<'_, '_>, tester: bool) {
    let sim = Simulator::new(&resources(SERVICES));
    let reqs = requests(tester);
    let next = Cell::new(0usize);
    bencher.counter(ItemsCount::new(1usize)).bench_local(|| {
        let i = next.get();
        next.set((i + 1) % reqs.len());
        sim.simulate(divan::black_box(&reqs[i]))
            .unwrap_or_else(|e| panic!("valid request: {e}"))
    });
}

/// The split route (the header route is tried and fails first): two destinations, each
/// with its merged DestinationRule policy, plus retries, timeout and fault.
#[divan::bench(sample_count = 500, sample_size = 100)]
fn decision_split(bencher: Bencher<'_, '_>) {
    decide(bencher, false);
}

/// The header route: matched first, one destination.
#[divan::bench(sample_count = 500, sample_size = 100)]
fn decision_header_match(bencher: Bencher<'_, '_>) {
    decide(bencher, true);
}

/// Indexing the whole mesh once (what `Simulator::new` costs).
#[divan::bench(sample_count = 10)]
fn index_1000_services(bencher: Bencher<'_, '_>) {
    let res = resources(SERVICES);
    bencher.bench_local(|| Simulator::new(divan::black_box(&res)));
}

//! Cross-resource analysis of the scale workload of `../shared/bench/WORKLOAD.md` (one
//! namespace, one Gateway, and per service two Deployments, a Service, a DestinationRule
//! and a VirtualService) at 1,000 and 5,000 services, built as typed objects in code.
//!
//! `cargo bench -p mesh-dsl --bench analyze`. The cost must grow linearly: compare the
//! 5,000-service time with five times the 1,000-service one (`analyze_mesh` also runs
//! 10,000 services, to see the trend past the point where the objects outgrow the CPU
//! caches).
//!
//! - `analyze_mesh`: every analyzer over typed resources (what `compile()` runs).
//! - `read_and_analyze`: what `mesh analyze -f mesh.yaml` does after reading the file:
//!   lenient strict decoding of the YAML stream (schema checks), then every analyzer.

use std::collections::BTreeMap;

use divan::Bencher;
use divan::counter::ItemsCount;
use istio_types::Duration;
use istio_types::networking::v1::{
    ConnectionPoolSettings, Delay, DelayKind, Destination, DestinationRule, DestinationRuleSpec,
    Gateway, GatewaySpec, HttpFaultInjection, HttpMatchRequest, HttpRetry, HttpRoute,
    HttpRouteDestination, HttpSettings, OutlierDetection, Percent, Server, ServerPort, StringMatch,
    Subset, TcpSettings, TrafficPolicy, VirtualService, VirtualServiceSpec,
};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, Namespace, PodSpec, PodTemplateSpec, ResourceRequirements, Service,
    ServicePort, ServiceSpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use mesh_dsl::analyze::{AnalyzeOptions, analyze, load_stream};
use mesh_dsl::{Resource, Resources};

fn main() {
    divan::main();
}

const NS: &str = "shop";

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn meta(name: &str, labels: Option<BTreeMap<String, String>>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(NS.to_string()),
        labels,
        ..Default::default()
    }
}

fn deployment(svc: &str, version: &str) -> Deployment {
    let l = labels(&[("app", svc), ("version", version)]);
    Deployment {
        metadata: meta(&format!("{svc}-{version}"), Some(l.clone())),
        spec: Some(DeploymentSpec {
            replicas: Some(1),
            selector: LabelSelector {
                match_labels: Some(l.clone()),
                ..Default::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(l),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![Container {
                        name: "app".into(),
                        image: Some(format!("example/{svc}:{version}")),
                        ports: Some(vec![ContainerPort {
                            container_port: 8080,
                            ..Default::default()
                        }]),
                        resources: Some(ResourceRequirements {
                            requests: Some(
                                [
                                    ("cpu".to_string(), Quantity("100m".into())),
                                    ("memory".to_string(), Quantity("128Mi".into())),
                                ]
                                .into(),
                            ),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn dest(host: &str, subset: &str, weight: Option<i32>) -> HttpRouteDestination {
    HttpRouteDestination {
        destination: Destination {
            host: host.into(),
            subset: Some(subset.into()),
            ..Default::default()
        },
        weight,
        ..Default::default()
    }
}

/// The workload's mesh with `n` services: 2 + 5n objects.
fn mesh(n: usize) -> Resources {
    let mut items: Vec<Resource> = Vec::with_capacity(2 + 5 * n);
    items.push(
        Namespace {
            metadata: ObjectMeta {
                name: Some(NS.into()),
                labels: Some(labels(&[("istio-injection", "enabled")])),
                ..Default::default()
            },
            ..Default::default()
        }
        .into(),
    );
    items.push(Resource::Istio(istio_types::IstioResource::Gateway(
        Box::new(Gateway::new(
            NS,
            "shop-gateway",
            GatewaySpec {
                selector: labels(&[("istio", "ingressgateway")]),
                servers: vec![Server {
                    port: ServerPort {
                        number: 80,
                        name: "http".into(),
                        protocol: "HTTP".into(),
                        target_port: None,
                    },
                    hosts: vec!["shop.example.com".into()],
                    ..Default::default()
                }],
            },
        )),
    )));
    for i in 0..n {
        let svc = format!("svc-{i}");
        items.push(deployment(&svc, "v1").into());
        items.push(deployment(&svc, "v2").into());
        items.push(
            Service {
                metadata: meta(&svc, None),
                spec: Some(ServiceSpec {
                    selector: Some(labels(&[("app", &svc)])),
                    ports: Some(vec![ServicePort {
                        name: Some("http".into()),
                        port: 80,
                        target_port: Some(IntOrString::Int(8080)),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }),
                ..Default::default()
            }
            .into(),
        );
        items.push(Resource::Istio(
            istio_types::IstioResource::DestinationRule(Box::new(DestinationRule::new(
                NS,
                svc.clone(),
                DestinationRuleSpec {
                    host: svc.clone(),
                    subsets: ["v1", "v2"]
                        .iter()
                        .map(|v| Subset {
                            name: (*v).into(),
                            labels: labels(&[("version", v)]),
                            ..Default::default()
                        })
                        .collect(),
                    traffic_policy: Some(TrafficPolicy {
                        connection_pool: Some(ConnectionPoolSettings {
                            tcp: Some(TcpSettings {
                                max_connections: Some(100),
                                ..Default::default()
                            }),
                            http: Some(HttpSettings {
                                http1_max_pending_requests: Some(10),
                                max_requests_per_connection: Some(1),
                                ..Default::default()
                            }),
                        }),
                        outlier_detection: Some(OutlierDetection {
                            consecutive5xx_errors: Some(5),
                            interval: Some(Duration::from_secs(10)),
                            base_ejection_time: Some(Duration::from_secs(30)),
                            max_ejection_percent: Some(50),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ))),
        ));
        items.push(Resource::Istio(istio_types::IstioResource::VirtualService(
            Box::new(VirtualService::new(
                NS,
                svc.clone(),
                VirtualServiceSpec {
                    hosts: vec![svc.clone()],
                    http: vec![
                        HttpRoute {
                            r#match: vec![HttpMatchRequest {
                                headers: [("end-user".into(), StringMatch::Exact("tester".into()))]
                                    .into(),
                                ..Default::default()
                            }],
                            route: vec![dest(&svc, "v2", None)],
                            ..Default::default()
                        },
                        HttpRoute {
                            route: vec![dest(&svc, "v1", Some(90)), dest(&svc, "v2", Some(10))],
                            retries: Some(HttpRetry {
                                attempts: Some(3),
                                per_try_timeout: Some(Duration::from_secs(2)),
                                retry_on: Some("5xx,reset".into()),
                                ..Default::default()
                            }),
                            timeout: Some(Duration::from_secs(10)),
                            fault: Some(HttpFaultInjection {
                                delay: Some(Delay {
                                    http_delay_type: Some(DelayKind::FixedDelay(
                                        Duration::from_secs(5),
                                    )),
                                    percentage: Some(Percent { value: Some(10.0) }),
                                    ..Default::default()
                                }),
                                ..Default::default()
                            }),
                            ..Default::default()
                        },
                    ],
                    ..Default::default()
                },
            )),
        )));
    }
    Resources::from_vec(items)
}

#[divan::bench(args = [1_000, 5_000, 10_000], sample_count = 10)]
fn analyze_mesh(bencher: Bencher, services: usize) {
    let resources = mesh(services);
    let opts = AnalyzeOptions::default();
    let findings = analyze(&resources, &opts);
    assert!(findings.is_empty(), "the workload is clean:\n{findings}");
    bencher
        .counter(ItemsCount::new(resources.len()))
        .bench(|| analyze(&resources, &opts));
}

#[divan::bench(args = [1_000, 5_000], sample_count = 10)]
fn read_and_analyze(bencher: Bencher, services: usize) {
    let resources = mesh(services);
    // As a directory of files of 1,000 documents each.
    let docs: Vec<&Resource> = resources.iter().collect();
    let files: Vec<String> = docs
        .chunks(1_000)
        .map(|c| istio_types::yaml::to_yaml_stream(c.iter().copied()).expect("renders"))
        .collect();
    let opts = AnalyzeOptions::default();
    bencher.counter(ItemsCount::new(resources.len())).bench(|| {
        let mut read = Vec::with_capacity(resources.len());
        for (i, text) in files.iter().enumerate() {
            let loaded = load_stream(text, &format!("mesh-{i}.yaml")).expect("reads");
            assert!(loaded.diagnostics.is_empty());
            read.extend(loaded.resources);
        }
        analyze(&Resources::from_vec(read), &opts)
    });
}

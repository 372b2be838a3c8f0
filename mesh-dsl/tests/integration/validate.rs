//! `mesh_dsl::validate`: schema and CEL checks (IST0106), Istio's webhook checks
//! (MESH0100, IST0130/IST0131), Kubernetes' own checks (MESH0101), and the results over
//! Istio's corpus.

use std::collections::{BTreeMap, BTreeSet};

use istio_types::Duration;
use istio_types::IstioResource;
use istio_types::common::{PolicyTargetReference, WorkloadSelector};
use istio_types::document::Document;
use istio_types::extensions::common::VmConfig;
use istio_types::extensions::v1alpha1::{EnvValueSource, EnvVar, WasmPlugin, WasmPluginSpec};
use istio_types::networking::v1::*;
use istio_types::networking::v1alpha3::{
    ApplyTo, EnvoyConfigObjectMatch, EnvoyConfigObjectPatch, EnvoyFilter, EnvoyFilterSpec,
    ListenerMatch, ObjectTypeMatch, Patch, PatchOperation,
};
use istio_types::security::v1::*;
use istio_types::telemetry::v1::{
    MetricSelector, Metrics, MetricsOverrides, ProviderRef, TagOperation, TagOverride, Telemetry,
    TelemetrySpec, Tracing,
};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Container, Namespace, PodSpec, PodTemplateSpec, Service, ServicePort as K8sServicePort,
    ServiceSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use mesh_dsl::validate::{self, ValidateOptions};
use mesh_dsl::{Diagnostics, Resource, Resources, Severity};

fn check(r: impl Into<Resource>) -> Diagnostics {
    validate::validate(&Resources::from_vec(vec![r.into()]))
}

fn istio(r: impl Into<IstioResource>) -> Resource {
    Resource::Istio(r.into())
}

/// (code, path) of every error, sorted.
fn errors(d: &Diagnostics) -> Vec<(String, String)> {
    d.iter()
        .filter(|x| x.severity == Severity::Error)
        .map(|x| (x.code.to_string(), x.path.clone().unwrap_or_default()))
        .collect()
}

/// (code, path) of every warning, sorted.
fn warnings(d: &Diagnostics) -> Vec<(String, String)> {
    d.iter()
        .filter(|x| x.severity == Severity::Warning)
        .map(|x| (x.code.to_string(), x.path.clone().unwrap_or_default()))
        .collect()
}

fn has(d: &Diagnostics, code: &str, path: &str) -> bool {
    d.iter()
        .any(|x| x.code == code && x.path.as_deref() == Some(path))
}

#[track_caller]
fn assert_has(d: &Diagnostics, code: &str, path: &str) {
    assert!(has(d, code, path), "expected {code} at {path}; got:\n{d}");
}

#[track_caller]
fn assert_clean(d: &Diagnostics) {
    assert!(d.is_empty(), "expected no diagnostics; got:\n{d}");
}

fn dest(host: &str, subset: Option<&str>) -> Destination {
    Destination {
        host: host.into(),
        subset: subset.map(String::from),
        ..Default::default()
    }
}

fn route_to(host: &str, subset: Option<&str>, weight: Option<i32>) -> HttpRouteDestination {
    HttpRouteDestination {
        destination: dest(host, subset),
        weight,
        ..Default::default()
    }
}

fn vs(spec: VirtualServiceSpec) -> Resource {
    istio(VirtualService::new("shop", "reviews", spec))
}

// ---------------------------------------------------------------------------------------
// A realistic, valid mesh passes without a single diagnostic.

#[test]
fn a_valid_canary_mesh_has_no_diagnostics() {
    let route = VirtualServiceSpec {
        hosts: vec!["reviews".into(), "reviews.shop.svc.cluster.local".into()],
        http: vec![
            HttpRoute {
                name: Some("jason".into()),
                r#match: vec![HttpMatchRequest {
                    headers: [("end-user".into(), StringMatch::Exact("jason".into()))].into(),
                    uri: Some(StringMatch::Regex("^/api/v[0-9]+/.*$".into())),
                    ..Default::default()
                }],
                route: vec![route_to("reviews", Some("v2"), None)],
                ..Default::default()
            },
            HttpRoute {
                route: vec![
                    route_to("reviews", Some("v1"), Some(90)),
                    route_to("reviews", Some("v2"), Some(10)),
                ],
                timeout: Some(Duration::from_secs(5)),
                retries: Some(HttpRetry {
                    attempts: Some(3),
                    per_try_timeout: Some(Duration::from_millis(1500)),
                    retry_on: Some("5xx,reset,503".into()),
                    ..Default::default()
                }),
                headers: Some(Headers {
                    request: Some(HeaderOperations {
                        set: [("x-version".into(), "%HOSTNAME%".into())].into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                cors_policy: Some(CorsPolicy {
                    allow_origins: vec![StringMatch::Exact("https://shop.example.com".into())],
                    allow_methods: vec!["GET".into(), "POST".into()],
                    allow_headers: vec!["*".into(), "x-request-id".into()],
                    max_age: Some(Duration::from_secs(3600)),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let dr = DestinationRuleSpec {
        host: "reviews.shop.svc.cluster.local".into(),
        traffic_policy: Some(TrafficPolicy {
            connection_pool: Some(ConnectionPoolSettings {
                tcp: Some(TcpSettings {
                    max_connections: Some(100),
                    connect_timeout: Some(Duration::from_millis(30)),
                    ..Default::default()
                }),
                ..Default::default()
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
        subsets: ["v1", "v2"]
            .iter()
            .map(|v| Subset {
                name: (*v).into(),
                labels: [("version".into(), (*v).into())].into(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let gw = GatewaySpec {
        selector: [("istio".into(), "ingressgateway".into())].into(),
        servers: vec![
            Server {
                port: ServerPort {
                    number: 443,
                    name: "https".into(),
                    protocol: "HTTPS".into(),
                    ..Default::default()
                },
                hosts: vec!["shop/shop.example.com".into()],
                tls: Some(ServerTlsSettings {
                    mode: Some(ServerTlsMode::Simple),
                    credential_name: Some("shop-cert".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            Server {
                port: ServerPort {
                    number: 80,
                    name: "http".into(),
                    protocol: "HTTP".into(),
                    ..Default::default()
                },
                hosts: vec!["shop.example.com".into()],
                tls: Some(ServerTlsSettings {
                    https_redirect: Some(true),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ],
    };
    let pa = PeerAuthenticationSpec {
        mtls: Some(MutualTls {
            mode: Some(MutualTlsMode::Strict),
        }),
        ..Default::default()
    };
    let ap = AuthorizationPolicySpec {
        selector: Some(WorkloadSelector {
            match_labels: [("app".into(), "reviews".into())].into(),
        }),
        action: Some(AuthorizationPolicyAction::Allow),
        rules: vec![Rule {
            from: vec![RuleFrom {
                source: Some(Source {
                    principals: vec!["cluster.local/ns/shop/sa/productpage".into()],
                    ..Default::default()
                }),
            }],
            to: vec![RuleTo {
                operation: Some(Operation {
                    methods: vec!["GET".into()],
                    paths: vec!["/reviews/{*}".into()],
                    ..Default::default()
                }),
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let resources = Resources::from_vec(vec![
        Namespace {
            metadata: ObjectMeta {
                name: Some("shop".into()),
                ..Default::default()
            },
            ..Default::default()
        }
        .into(),
        istio(VirtualService::new("shop", "reviews", route)),
        istio(DestinationRule::new("shop", "reviews", dr)),
        istio(Gateway::new("shop", "shop-gateway", gw)),
        istio(PeerAuthentication::new("shop", "default", pa)),
        istio(AuthorizationPolicy::new("shop", "reviews-viewer", ap)),
    ]);
    let report = validate::validate_with(&resources, &ValidateOptions::default());
    assert_clean(&report.diagnostics);
    assert_eq!(report.resources, 6);
    assert!(report.rules_evaluated > 0, "the CEL rules ran");
    assert_eq!(report.rules_skipped, 0);
}

// ---------------------------------------------------------------------------------------
// IST0106: the CRD schema and its CEL rules, on values built in code.

#[test]
fn schema_ranges_and_cel_rules_apply_to_typed_values() {
    let se = ServiceEntry::new(
        "shop",
        "payments",
        ServiceEntrySpec {
            hosts: vec!["*".into(), "payments.example.com".into()],
            ports: vec![
                ServicePort {
                    number: 0,
                    name: "http".into(),
                    protocol: Some("HTTP".into()),
                    ..Default::default()
                },
                ServicePort {
                    number: 443,
                    name: "https".into(),
                    protocol: Some("HTTPS".into()),
                    ..Default::default()
                },
                ServicePort {
                    number: 443,
                    name: "tls".into(),
                    protocol: Some("TLS".into()),
                    ..Default::default()
                },
            ],
            resolution: Some(Resolution::None),
            endpoints: vec![WorkloadEntrySpec {
                address: Some("unix://relative.sock".into()),
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    let d = check(istio(se));
    // CEL rules at the place the CRD puts them.
    assert_has(&d, "IST0106", "spec.hosts[0]");
    assert_has(&d, "IST0106", "spec.ports[0].number");
    assert_has(&d, "IST0106", "spec.ports");
    assert_has(&d, "IST0106", "spec");
    assert_has(&d, "IST0106", "spec.endpoints[0].address");
    let messages: Vec<&str> = d
        .iter()
        .filter(|x| x.code == "IST0106")
        .map(|x| x.message.as_str())
        .collect();
    assert!(
        messages.contains(&"hostname cannot be wildcard"),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"port number cannot be duplicated"),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"NONE mode cannot set endpoints"),
        "{messages:?}"
    );
    // The rule text is the hint.
    let hint = d
        .iter()
        .find(|x| x.path.as_deref() == Some("spec.hosts[0]") && x.code == "IST0106")
        .and_then(|x| x.hint.clone());
    assert_eq!(hint.as_deref(), Some("CRD rule: self != \"*\""));
    // Istio's webhook says the same things in its own words.
    assert_has(&d, "MESH0100", "spec.hosts[0]");
    assert_has(&d, "MESH0100", "spec.ports[2].number");
}

#[test]
fn cel_rules_on_maps_lists_and_durations() {
    let pa = PeerAuthentication::new(
        "shop",
        "ports",
        PeerAuthenticationSpec {
            port_level_mtls: [
                ("0".into(), MutualTls::default()),
                ("8080".into(), MutualTls::default()),
            ]
            .into(),
            ..Default::default()
        },
    );
    let d = check(istio(pa));
    assert_has(&d, "IST0106", "spec");
    assert_has(&d, "IST0106", "spec.portLevelMtls");
    assert_has(&d, "MESH0100", "spec.portLevelMtls[\"0\"]");

    let we = WorkloadEntry::new(
        "shop",
        "vm",
        WorkloadEntrySpec {
            address: Some("10.0.0.1".into()),
            ports: [("-http".into(), 70000)].into(),
            ..Default::default()
        },
    );
    let d = check(istio(we));
    assert_has(&d, "IST0106", "spec.ports");
    assert_has(&d, "IST0106", "spec.ports[\"-http\"]");

    let dr = DestinationRule::new(
        "shop",
        "slow",
        DestinationRuleSpec {
            host: "reviews".into(),
            traffic_policy: Some(TrafficPolicy {
                connection_pool: Some(ConnectionPoolSettings {
                    tcp: Some(TcpSettings {
                        connect_timeout: Some(Duration::from_nanos(999_999)),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    let d = check(istio(dr));
    assert_has(
        &d,
        "IST0106",
        "spec.trafficPolicy.connectionPool.tcp.connectTimeout",
    );
    assert_has(
        &d,
        "MESH0100",
        "spec.trafficPolicy.connectionPool.tcp.connectTimeout",
    );
}

#[test]
fn schema_patterns_lengths_sizes_formats_and_unique_keys() {
    let ap = AuthorizationPolicy::new(
        "shop",
        "targets",
        AuthorizationPolicySpec {
            target_refs: vec![PolicyTargetReference {
                group: Some("Gateway.Networking".into()),
                kind: "-Gateway".into(),
                name: "x".repeat(254),
                namespace: Some("other".into()),
            }],
            action: Some(AuthorizationPolicyAction::Allow),
            ..Default::default()
        },
    );
    let d = check(istio(ap));
    for p in [
        "spec.targetRefs[0].group",
        "spec.targetRefs[0].kind",
        "spec.targetRefs[0].name",
        "spec.targetRefs[0].namespace",
    ] {
        assert_has(&d, "IST0106", p);
    }
    let body = VirtualService::new(
        "shop",
        "direct",
        VirtualServiceSpec {
            hosts: vec!["direct.example.com".into()],
            http: vec![HttpRoute {
                direct_response: Some(HttpDirectResponse {
                    status: 200,
                    body: Some(HttpBody::Bytes("not base64!".into())),
                }),
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    assert_has(
        &check(istio(body)),
        "IST0106",
        "spec.http[0].directResponse.body.bytes",
    );
    let gw = Gateway::new(
        "shop",
        "gw",
        GatewaySpec {
            servers: vec![Server {
                port: ServerPort {
                    number: 443,
                    name: "https".into(),
                    protocol: "HTTPS".into(),
                    ..Default::default()
                },
                hosts: vec!["*/shop.example.com".into()],
                tls: Some(ServerTlsSettings {
                    mode: Some(ServerTlsMode::Simple),
                    credential_names: vec!["a".into(), "b".into(), "c".into()],
                    credential_name: Some("d".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    let d = check(istio(gw));
    assert_has(&d, "IST0106", "spec.servers[0].tls.credentialNames");
    assert_has(&d, "IST0106", "spec.servers[0].tls");
    let wasm = WasmPlugin::new(
        "shop",
        "filter",
        WasmPluginSpec {
            url: "oci://ghcr.io/example/filter:1".into(),
            sha256: Some("ABC".into()),
            vm_config: Some(VmConfig {
                env: vec![
                    EnvVar {
                        name: "A".into(),
                        value: Some("1".into()),
                        ..Default::default()
                    },
                    EnvVar {
                        name: "A".into(),
                        value_from: Some(EnvValueSource::Host),
                        value: Some("x".into()),
                    },
                ],
            }),
            ..Default::default()
        },
    );
    let d = check(istio(wasm));
    assert_has(&d, "IST0106", "spec.sha256");
    assert_has(&d, "IST0106", "spec.vmConfig.env[1]");
    let dup = d
        .iter()
        .filter(|x| {
            x.path.as_deref() == Some("spec.vmConfig.env[1]") && x.message.contains("duplicate")
        })
        .count();
    assert_eq!(dup, 1, "{d}");
    assert_has(&d, "MESH0100", "spec.sha256");
    assert_has(&d, "MESH0100", "spec.vmConfig.env[1].name");
}

// ---------------------------------------------------------------------------------------
// MESH0100: Istio's webhook.

#[test]
fn virtual_service_checks() {
    let d = check(vs(VirtualServiceSpec {
        hosts: vec!["Reviews_1".into(), "*.shop.com".into(), "a.shop.com".into()],
        gateways: vec!["shop/gw".into(), "bad_ns/gw".into()],
        http: vec![
            HttpRoute {
                r#match: vec![HttpMatchRequest {
                    headers: [
                        ("bad header".into(), StringMatch::Exact("x".into())),
                        ("x-ok".into(), StringMatch::Regex("(unclosed".into())),
                        ("x-empty".into(), StringMatch::Prefix(String::new())),
                    ]
                    .into(),
                    uri: Some(StringMatch::Prefix(String::new())),
                    port: Some(70000),
                    source_namespace: Some("Not_A_Namespace".into()),
                    ..Default::default()
                }],
                route: vec![
                    route_to("*", None, Some(0)),
                    HttpRouteDestination {
                        destination: Destination {
                            host: "reviews".into(),
                            subset: Some("v_2".into()),
                            port: Some(PortSelector {
                                number: Some(70000),
                            }),
                        },
                        weight: Some(-1),
                        headers: Some(Headers {
                            request: Some(HeaderOperations {
                                set: [(":path".into(), "x".into())].into(),
                                remove: vec!["Host".into()],
                                ..Default::default()
                            }),
                            response: Some(HeaderOperations {
                                add: [("x-bad-value".into(), "100%".into())].into(),
                                ..Default::default()
                            }),
                        }),
                    },
                ],
                redirect: Some(HttpRedirect {
                    uri: Some("/x".into()),
                    redirect_code: Some(200),
                    ..Default::default()
                }),
                fault: Some(HttpFaultInjection {
                    abort: Some(Abort {
                        error_type: Some(AbortError::GrpcStatus("NOPE".into())),
                        percentage: Some(Percent { value: Some(150.0) }),
                    }),
                    delay: Some(Delay {
                        http_delay_type: Some(DelayKind::ExponentialDelay(Duration::from_secs(1))),
                        ..Default::default()
                    }),
                }),
                retries: Some(HttpRetry {
                    retry_on: Some("5xx,bogus".into()),
                    ..Default::default()
                }),
                rewrite: Some(HttpRewrite::default()),
                timeout: Some(Duration::from_micros(1500)),
                mirror_percentage: Some(Percent { value: Some(101.0) }),
                cors_policy: Some(CorsPolicy {
                    allow_methods: vec!["FETCH".into()],
                    allow_origins: vec![StringMatch::Prefix(String::new())],
                    max_age: Some(Duration::from_millis(1500)),
                    ..Default::default()
                }),
                ..Default::default()
            },
            HttpRoute {
                route: vec![],
                ..Default::default()
            },
        ],
        ..Default::default()
    }));
    let got: BTreeSet<String> = errors(&d)
        .into_iter()
        .filter(|(c, _)| c == "MESH0100")
        .map(|(_, p)| p)
        .collect();
    for p in [
        "spec.hosts[0]",
        "spec.gateways[1]",
        "spec.http[0]",
        "spec.http[0].match[0].headers[\"bad header\"]",
        "spec.http[0].match[0].headers[\"x-ok\"]",
        "spec.http[0].match[0].headers[\"x-empty\"]",
        "spec.http[0].match[0].port",
        "spec.http[0].match[0].sourceNamespace",
        "spec.http[0].route[0].destination.host",
        "spec.http[0].route[1].destination.subset",
        "spec.http[0].route[1].destination.port.number",
        "spec.http[0].route[1].weight",
        "spec.http[0].route[1].headers.request.set[\":path\"]",
        "spec.http[0].route[1].headers.request.remove[0]",
        "spec.http[0].route[1].headers.response.add[\"x-bad-value\"]",
        "spec.http[0].redirect.redirectCode",
        "spec.http[0].fault.abort.grpcStatus",
        "spec.http[0].fault.abort.percentage",
        "spec.http[0].fault.delay.exponentialDelay",
        "spec.http[0].retries",
        "spec.http[0].retries.retryOn",
        "spec.http[0].rewrite",
        "spec.http[0].timeout",
        "spec.http[0].mirrorPercentage",
        "spec.http[0].corsPolicy.allowMethods[0]",
        "spec.http[0].corsPolicy.allowOrigins[0]",
        "spec.http[0].corsPolicy.maxAge",
        "spec.http[1]",
    ] {
        assert!(got.contains(p), "missing MESH0100 at {p}; got:\n{d}");
    }
    // An empty URI prefix is fine (Envoy allows it), unlike other prefixes.
    assert!(!got.contains("spec.http[0].match[0].uri"), "{d}");
}

#[test]
fn weights_are_relative_but_must_not_all_be_zero() {
    let split = |w1, w2| {
        vs(VirtualServiceSpec {
            hosts: vec!["reviews".into()],
            http: vec![HttpRoute {
                route: vec![
                    route_to("reviews", Some("v1"), w1),
                    route_to("reviews", Some("v2"), w2),
                ],
                ..Default::default()
            }],
            ..Default::default()
        })
    };
    // Istio normalizes weights: 30/30 is an even split, not an error.
    assert_clean(&check(split(Some(30), Some(30))));
    assert_clean(&check(split(Some(90), Some(10))));
    assert_eq!(
        errors(&check(split(None, None))),
        [("MESH0100".to_string(), "spec.http[0].route".to_string())]
    );
}

#[test]
fn mesh_and_gateway_hosts_differ() {
    let mesh = check(vs(VirtualServiceSpec {
        hosts: vec!["*".into()],
        http: vec![HttpRoute {
            route: vec![route_to("reviews", None, None)],
            ..Default::default()
        }],
        ..Default::default()
    }));
    assert_has(&mesh, "MESH0100", "spec.hosts[0]");
    let gateway = check(vs(VirtualServiceSpec {
        hosts: vec!["*".into()],
        gateways: vec!["shop/gw".into()],
        http: vec![HttpRoute {
            route: vec![route_to("reviews", None, None)],
            ..Default::default()
        }],
        ..Default::default()
    }));
    assert_clean(&gateway);
    let claims = check(vs(VirtualServiceSpec {
        hosts: vec!["reviews".into()],
        http: vec![HttpRoute {
            r#match: vec![HttpMatchRequest {
                headers: [(
                    "@request.auth.claims.group".into(),
                    StringMatch::Exact("a".into()),
                )]
                .into(),
                ..Default::default()
            }],
            route: vec![route_to("reviews", None, None)],
            ..Default::default()
        }],
        ..Default::default()
    }));
    assert_has(
        &claims,
        "MESH0100",
        "spec.http[0].match[0].headers[\"@request.auth.claims.group\"]",
    );
    let duplicates = check(vs(VirtualServiceSpec {
        hosts: vec![
            "*.shop.com".into(),
            "a.shop.com".into(),
            "b.shop.org".into(),
        ],
        http: vec![HttpRoute {
            route: vec![route_to("reviews", None, None)],
            ..Default::default()
        }],
        ..Default::default()
    }));
    assert_eq!(
        errors(&duplicates),
        [("MESH0100".to_string(), "spec.hosts[1]".to_string())]
    );
}

#[test]
fn unreachable_rules_are_warnings_with_istioctl_codes() {
    let d = check(vs(VirtualServiceSpec {
        hosts: vec!["reviews".into()],
        http: vec![
            HttpRoute {
                route: vec![route_to("reviews", None, None)],
                ..Default::default()
            },
            HttpRoute {
                r#match: vec![HttpMatchRequest {
                    uri: Some(StringMatch::Prefix("/api".into())),
                    ..Default::default()
                }],
                route: vec![route_to("reviews", None, None)],
                ..Default::default()
            },
            HttpRoute {
                r#match: vec![HttpMatchRequest {
                    uri: Some(StringMatch::Prefix("/api/v1".into())),
                    ..Default::default()
                }],
                route: vec![route_to("reviews", None, None)],
                ..Default::default()
            },
            HttpRoute {
                route: vec![route_to("reviews", None, None)],
                ..Default::default()
            },
        ],
        ..Default::default()
    }));
    assert!(errors(&d).is_empty(), "{d}");
    assert_eq!(
        warnings(&d),
        [
            ("IST0131".to_string(), "spec.http[2].match[0]".to_string()),
            ("IST0130".to_string(), "spec.http[3]".to_string()),
        ]
    );
}

#[test]
fn destination_rule_checks() {
    let dr = DestinationRule::new(
        "shop",
        "reviews",
        DestinationRuleSpec {
            host: "reviews..shop".into(),
            traffic_policy: Some(TrafficPolicy {
                load_balancer: Some(LoadBalancerSettings {
                    lb_policy: Some(LbPolicy::ConsistentHash(ConsistentHashLb {
                        hash_algorithm: Some(HashAlgorithm::Maglev(MagLev {
                            table_size: Some(1000),
                        })),
                        ..Default::default()
                    })),
                    locality_lb_setting: Some(LocalityLoadBalancerSetting {
                        distribute: vec![LocalityDistribute {
                            from: Some("us-west/*".into()),
                            to: [("us-west/zone1/*".into(), 50), ("us-east/*".into(), 40)].into(),
                        }],
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                outlier_detection: Some(OutlierDetection {
                    consecutive_local_origin_failures: Some(3),
                    max_ejection_percent: Some(120),
                    consecutive_errors: Some(5),
                    ..Default::default()
                }),
                connection_pool: Some(ConnectionPoolSettings {
                    http: Some(HttpSettings {
                        max_retries: Some(-1),
                        h2_upgrade_policy: Some(H2UpgradePolicy::Upgrade),
                        use_client_protocol: Some(true),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                tls: Some(ClientTlsSettings {
                    mode: Some(ClientTlsMode::Mutual),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            subsets: vec![
                Subset {
                    name: "v1".into(),
                    ..Default::default()
                },
                Subset {
                    name: "v1".into(),
                    ..Default::default()
                },
                Subset {
                    name: "V.2".into(),
                    labels: [("version".into(), "-v2".into())].into(),
                    ..Default::default()
                },
                Subset {
                    name: "v3".into(),
                    traffic_policy: Some(TrafficPolicy::default()),
                    ..Default::default()
                },
            ],
            export_to: vec![".".into(), "*".into()],
            ..Default::default()
        },
    );
    let d = check(istio(dr));
    for p in [
        "spec.host",
        "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize",
        "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to",
        "spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures",
        "spec.trafficPolicy.outlierDetection.maxEjectionPercent",
        "spec.trafficPolicy.connectionPool.http.maxRetries",
        "spec.trafficPolicy.connectionPool.http",
        "spec.trafficPolicy.tls.clientCertificate",
        "spec.trafficPolicy.tls.privateKey",
        "spec.subsets[1].name",
        "spec.subsets[2].name",
        "spec.subsets[2].labels[\"version\"]",
        "spec.subsets[3].trafficPolicy",
        "spec.exportTo",
    ] {
        assert_has(&d, "MESH0100", p);
    }
    assert!(warnings(&d).contains(&(
        "MESH0100".into(),
        "spec.trafficPolicy.outlierDetection.consecutiveErrors".into()
    )));
}

#[test]
fn gateway_server_and_tls_checks() {
    let server = |name: &str, number: u32, protocol: &str, tls: Option<ServerTlsSettings>| Server {
        port: ServerPort {
            number,
            name: name.into(),
            protocol: protocol.into(),
            ..Default::default()
        },
        hosts: vec!["shop.example.com".into()],
        tls,
        ..Default::default()
    };
    let gw = Gateway::new(
        "shop",
        "shop.gateway",
        GatewaySpec {
            servers: vec![
                server("https", 443, "HTTPS", None),
                server(
                    "mtls",
                    8443,
                    "HTTPS",
                    Some(ServerTlsSettings {
                        mode: Some(ServerTlsMode::Mutual),
                        ..Default::default()
                    }),
                ),
                server(
                    "http",
                    80,
                    "HTTP",
                    Some(ServerTlsSettings {
                        mode: Some(ServerTlsMode::Simple),
                        https_redirect: Some(true),
                        ..Default::default()
                    }),
                ),
                server(
                    "tcp",
                    9000,
                    "TCP",
                    Some(ServerTlsSettings {
                        https_redirect: Some(true),
                        ..Default::default()
                    }),
                ),
                server("tcp", 9001, "QUIC", None),
                Server {
                    hosts: vec![],
                    ..server("", 0, "HTTP", None)
                },
                Server {
                    hosts: vec!["shop/short".into(), "a*.example.com".into()],
                    bind: Some("localhost".into()),
                    ..server("grpc", 9090, "GRPC", None)
                },
                server(
                    "istio",
                    15443,
                    "TLS",
                    Some(ServerTlsSettings {
                        mode: Some(ServerTlsMode::IstioMutual),
                        credential_name: Some("x".into()),
                        ..Default::default()
                    }),
                ),
            ],
            ..Default::default()
        },
    );
    let d = check(istio(gw));
    for p in [
        "metadata.name",
        "spec.servers[0]",
        "spec.servers[1].tls.serverCertificate",
        "spec.servers[1].tls.privateKey",
        "spec.servers[1].tls.caCertificates",
        "spec.servers[2].tls",
        "spec.servers[3].tls",
        "spec.servers[4].port.protocol",
        "spec.servers[4].port.name",
        "spec.servers[5].hosts",
        "spec.servers[5].port.number",
        "spec.servers[5].port.name",
        "spec.servers[6].hosts[0]",
        "spec.servers[6].hosts[1]",
        "spec.servers[6].bind",
        "spec.servers[7].tls.credentialName",
    ] {
        assert_has(&d, "MESH0100", p);
    }
    assert!(
        warnings(&d).contains(&(
            "MESH0100".into(),
            "spec.servers[3].tls.httpsRedirect".into()
        )),
        "{d}"
    );
}

#[test]
fn sidecar_checks() {
    let empty = check(istio(Sidecar::new(
        "shop",
        "default",
        SidecarSpec::default(),
    )));
    assert_eq!(
        errors(&empty),
        [("MESH0100".to_string(), "spec".to_string())]
    );
    let sc = Sidecar::new(
        "shop",
        "default",
        SidecarSpec {
            egress: vec![
                IstioEgressListener {
                    hosts: vec!["./*".into()],
                    ..Default::default()
                },
                IstioEgressListener {
                    port: Some(SidecarPort {
                        number: Some(0),
                        protocol: Some("HTTP".into()),
                        ..Default::default()
                    }),
                    hosts: vec!["reviews".into(), "~/*".into(), "bad ns/x.com".into()],
                    ..Default::default()
                },
                IstioEgressListener {
                    hosts: vec![],
                    ..Default::default()
                },
            ],
            ingress: vec![IstioIngressListener {
                port: SidecarPort {
                    number: Some(8080),
                    protocol: Some("HTTP".into()),
                    name: Some("http_1".into()),
                    ..Default::default()
                },
                default_endpoint: Some("10.0.0.1:8080".into()),
                tls: Some(ServerTlsSettings {
                    mode: Some(ServerTlsMode::IstioMutual),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            outbound_traffic_policy: Some(OutboundTrafficPolicy {
                mode: Some(OutboundTrafficPolicyMode::RegistryOnly),
                egress_proxy: Some(dest("egress.example.com", None)),
            }),
            ..Default::default()
        },
    );
    let d = check(istio(sc));
    for p in [
        "spec.egress[0]",
        "spec.egress[1].bind",
        "spec.egress[1].hosts[0]",
        "spec.egress[1].hosts[2]",
        "spec.egress[2].hosts",
        "spec.ingress[0].port.name",
        "spec.ingress[0].defaultEndpoint",
        "spec.ingress[0].tls.mode",
        "spec.outboundTrafficPolicy.egressProxy",
    ] {
        assert_has(&d, "MESH0100", p);
    }
    assert!(
        !has(&d, "MESH0100", "spec.egress[1].hosts[1]"),
        "~/* is allowed in sidecars: {d}"
    );
}

#[test]
fn service_entry_checks() {
    let se = ServiceEntry::new(
        "shop",
        "external",
        ServiceEntrySpec {
            hosts: vec!["*.example.com".into(), "api.example.com".into()],
            addresses: vec!["10.0.0.0/8".into(), "300.0.0.1".into()],
            ports: vec![
                ServicePort {
                    number: 5432,
                    name: "pg".into(),
                    protocol: Some("TCP".into()),
                    ..Default::default()
                },
                ServicePort {
                    number: 80,
                    name: "pg".into(),
                    protocol: Some("HTTPX".into()),
                    ..Default::default()
                },
            ],
            resolution: Some(Resolution::Dns),
            ..Default::default()
        },
    );
    let d = check(istio(se));
    for p in [
        "spec.addresses",
        "spec.addresses[1]",
        "spec.ports[1].name",
        "spec.ports[1].protocol",
        "spec.hosts[0]",
        "spec.ports[0]",
    ] {
        assert_has(&d, "MESH0100", p);
    }
    let static_se = ServiceEntry::new(
        "shop",
        "vms",
        ServiceEntrySpec {
            hosts: vec!["vms.internal".into()],
            ports: vec![ServicePort {
                number: 80,
                name: "http".into(),
                protocol: Some("HTTP".into()),
                ..Default::default()
            }],
            resolution: Some(Resolution::Static),
            endpoints: vec![
                WorkloadEntrySpec {
                    address: Some("vm1.internal".into()),
                    ..Default::default()
                },
                WorkloadEntrySpec {
                    address: Some("10.0.0.2".into()),
                    ports: [("grpc".into(), 9090)].into(),
                    ..Default::default()
                },
                WorkloadEntrySpec {
                    network: Some("net1".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );
    let d = check(istio(static_se));
    assert_has(&d, "MESH0100", "spec.endpoints[0].address");
    assert_has(&d, "MESH0100", "spec.endpoints[1].ports[\"grpc\"]");
    assert!(
        warnings(&d).contains(&("MESH0100".into(), "spec.endpoints[2].address".into())),
        "{d}"
    );
}

#[test]
fn authorization_policy_checks() {
    let ap = AuthorizationPolicy::new(
        "shop",
        "deny",
        AuthorizationPolicySpec {
            action: Some(AuthorizationPolicyAction::Deny),
            provider: Some(ExtensionProvider {
                name: Some("ext-authz".into()),
            }),
            selector: Some(WorkloadSelector {
                match_labels: [("app".into(), "*".into())].into(),
            }),
            target_ref: Some(PolicyTargetReference {
                kind: "Deployment".into(),
                name: "x".into(),
                ..Default::default()
            }),
            rules: vec![Rule {
                from: vec![
                    RuleFrom { source: None },
                    RuleFrom {
                        source: Some(Source {
                            ip_blocks: vec!["10.0.0.0/33".into(), "".into()],
                            ..Default::default()
                        }),
                    },
                    RuleFrom {
                        source: Some(Source::default()),
                    },
                ],
                to: vec![RuleTo {
                    operation: Some(Operation {
                        ports: vec!["http".into()],
                        paths: vec!["/a/{**}/b/{*}".into(), "/x{y}".into()],
                        ..Default::default()
                    }),
                }],
                when: vec![
                    Condition {
                        key: "request.headers".into(),
                        values: vec!["x".into()],
                        ..Default::default()
                    },
                    Condition {
                        key: "source.ip".into(),
                        values: vec!["nope".into()],
                        ..Default::default()
                    },
                    Condition {
                        key: "destination.port".into(),
                        ..Default::default()
                    },
                    Condition {
                        key: "destination.namespace".into(),
                        values: vec!["a".into()],
                        ..Default::default()
                    },
                ],
            }],
            ..Default::default()
        },
    );
    let d = check(istio(ap));
    for p in [
        "spec",
        "spec.selector.matchLabels[\"app\"]",
        "spec.targetRef",
        "spec.provider",
        "spec.rules[0].from[0].source",
        "spec.rules[0].from[1].source.ipBlocks[0]",
        "spec.rules[0].from[1].source.ipBlocks",
        "spec.rules[0].from[2].source",
        "spec.rules[0].to[0].operation.ports[0]",
        "spec.rules[0].to[0].operation.paths[0]",
        "spec.rules[0].to[0].operation.paths[1]",
        "spec.rules[0].when[0].values",
        "spec.rules[0].when[1].values",
        "spec.rules[0].when[2]",
        "spec.rules[0].when[3].values",
    ] {
        assert_has(&d, "MESH0100", p);
    }
    let custom = AuthorizationPolicy::new(
        "shop",
        "custom",
        AuthorizationPolicySpec {
            action: Some(AuthorizationPolicyAction::Custom),
            ..Default::default()
        },
    );
    assert_has(&check(istio(custom)), "MESH0100", "spec.rules");
    let deny_all = AuthorizationPolicy::new(
        "shop",
        "deny-all",
        AuthorizationPolicySpec {
            action: Some(AuthorizationPolicyAction::Deny),
            ..Default::default()
        },
    );
    assert_has(&check(istio(deny_all)), "MESH0100", "spec.rules");
    let mut dry = AuthorizationPolicy::new(
        "shop",
        "dry",
        AuthorizationPolicySpec {
            rules: vec![Rule::default()],
            ..Default::default()
        },
    );
    dry.metadata.annotations = Some([("istio.io/dry-run".into(), "maybe".into())].into());
    assert_has(
        &check(istio(dry)),
        "MESH0100",
        "metadata.annotations[\"istio.io/dry-run\"]",
    );
}

#[test]
fn peer_and_request_authentication_checks() {
    let pa = PeerAuthentication::new(
        "shop",
        "ports",
        PeerAuthenticationSpec {
            selector: Some(WorkloadSelector::default()),
            port_level_mtls: [("8080".into(), MutualTls::default())].into(),
            ..Default::default()
        },
    );
    let d = check(istio(pa));
    assert_has(&d, "MESH0100", "spec.portLevelMtls");
    assert!(
        warnings(&d).contains(&("MESH0100".into(), "spec.selector".into())),
        "{d}"
    );
    let ra = RequestAuthentication::new(
        "shop",
        "jwt",
        RequestAuthenticationSpec {
            jwt_rules: vec![JwtRule {
                jwks_uri: Some("ftp://keys.example.com/jwks.json".into()),
                jwks: Some("{not json".into()),
                audiences: vec![String::new()],
                from_headers: vec![JwtHeader {
                    name: String::new(),
                    prefix: None,
                }],
                output_claim_to_headers: vec![ClaimToHeader {
                    claim: "sub".into(),
                    header: "x sub".into(),
                }],
                timeout: Some(Duration::from_nanos(10)),
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    let d = check(istio(ra));
    for p in [
        "spec.jwtRules[0].issuer",
        "spec.jwtRules[0].jwksUri",
        "spec.jwtRules[0].jwks",
        "spec.jwtRules[0].audiences[0]",
        "spec.jwtRules[0].fromHeaders[0].name",
        "spec.jwtRules[0].outputClaimToHeaders[0].header",
        "spec.jwtRules[0].timeout",
    ] {
        assert_has(&d, "MESH0100", p);
    }
    // The CRD checks the URL scheme too, and that only one of jwks and jwksUri is set.
    assert_has(&d, "IST0106", "spec.jwtRules[0].jwksUri");
    assert_has(&d, "IST0106", "spec.jwtRules[0]");
}

#[test]
fn telemetry_wasm_and_envoy_filter_checks() {
    let t = Telemetry::new(
        "shop",
        "telemetry",
        TelemetrySpec {
            metrics: vec![Metrics {
                providers: vec![ProviderRef {
                    name: String::new(),
                }],
                overrides: vec![MetricsOverrides {
                    r#match: Some(MetricSelector {
                        metric_match: Some(istio_types::telemetry::v1::MetricMatch::CustomMetric(
                            String::new(),
                        )),
                        ..Default::default()
                    }),
                    tag_overrides: [(
                        "response_code".into(),
                        TagOverride {
                            operation: Some(TagOperation::Upsert),
                            value: None,
                        },
                    )]
                    .into(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            tracing: vec![Tracing {
                random_sampling_percentage: Some(120.0),
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    let d = check(istio(t));
    for p in [
        "spec.metrics[0].providers[0].name",
        "spec.metrics[0].overrides[0].match.customMetric",
        "spec.metrics[0].overrides[0].tagOverrides[\"response_code\"].value",
        "spec.tracing[0].randomSamplingPercentage",
    ] {
        assert_has(&d, "MESH0100", p);
    }
    assert_has(
        &d,
        "IST0106",
        "spec.metrics[0].overrides[0].tagOverrides[\"response_code\"]",
    );
    let wasm = |url: &str| {
        check(istio(WasmPlugin::new(
            "shop",
            "w",
            WasmPluginSpec {
                url: url.into(),
                ..Default::default()
            },
        )))
    };
    assert_clean(&wasm("oci://ghcr.io/example/filter:1"));
    assert_clean(&wasm("ghcr.io/example/filter:1"));
    assert_clean(&wasm("file:///opt/filter.wasm"));
    assert_has(
        &wasm("ftp://example.com/filter.wasm"),
        "MESH0100",
        "spec.url",
    );
    assert_has(
        &wasm("ftp://example.com/filter.wasm"),
        "IST0106",
        "spec.url",
    );
    assert_has(&wasm(""), "MESH0100", "spec.url");
    let ef = EnvoyFilter::new(
        "shop",
        "ef",
        EnvoyFilterSpec {
            config_patches: vec![
                EnvoyConfigObjectPatch {
                    apply_to: Some(ApplyTo::HttpFilter),
                    ..Default::default()
                },
                EnvoyConfigObjectPatch {
                    apply_to: Some(ApplyTo::Cluster),
                    r#match: Some(EnvoyConfigObjectMatch {
                        object_types: Some(ObjectTypeMatch::Listener(ListenerMatch::default())),
                        ..Default::default()
                    }),
                    patch: Some(Patch {
                        operation: Some(PatchOperation::Merge),
                        ..Default::default()
                    }),
                },
                EnvoyConfigObjectPatch {
                    apply_to: Some(ApplyTo::Cluster),
                    r#match: Some(EnvoyConfigObjectMatch {
                        object_types: Some(ObjectTypeMatch::Listener(ListenerMatch::default())),
                        ..Default::default()
                    }),
                    patch: Some(Patch {
                        operation: Some(PatchOperation::Remove),
                        ..Default::default()
                    }),
                },
            ],
            ..Default::default()
        },
    );
    let d = check(istio(ef));
    assert_has(&d, "MESH0100", "spec.configPatches[0].patch");
    assert_has(&d, "MESH0100", "spec.configPatches[1].patch.value");
    assert_has(&d, "MESH0100", "spec.configPatches[2].match");
    assert!(
        warnings(&d).contains(&("MESH0100".into(), "spec".into())),
        "EnvoyFilter always warns: {d}"
    );
}

#[test]
fn regular_expressions_follow_re2() {
    let re = |r: &str| {
        check(vs(VirtualServiceSpec {
            hosts: vec!["reviews".into()],
            http: vec![HttpRoute {
                r#match: vec![HttpMatchRequest {
                    uri: Some(StringMatch::Regex(r.into())),
                    ..Default::default()
                }],
                route: vec![route_to("reviews", None, None)],
                ..Default::default()
            }],
            ..Default::default()
        }))
    };
    for ok in [
        "^/api/.*",
        r"\p{Greek}+",
        "(?i)shop",
        "(?P<id>[0-9]+)",
        "a{2,1000}",
        // RE2 reads a malformed count as literal text, and knows one-letter classes.
        "/a{,5}",
        r"/\pN+",
    ] {
        assert_clean(&re(ok));
    }
    for bad in [
        "(unclosed",
        "a(?=b)",
        r"(a)\1",
        "a{1001}",
        "[z-a]",
        "*",
        // A repetition of a repetition, and nested counts above 1000 (Go's regexp).
        "a**",
        "a{2}{3}",
        "a{1000}{1000}",
        "(a{1000}){1000}",
        // Too large a program for Envoy (Istio's limit of 32768 instructions).
        &"(?:abcdefghij){1000}".repeat(4),
    ] {
        assert_has(&re(bad), "MESH0100", "spec.http[0].match[0].uri");
    }
}

// ---------------------------------------------------------------------------------------
// MESH0101: Kubernetes.

fn meta(name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: namespace.map(String::from),
        ..Default::default()
    }
}

#[test]
fn kubernetes_metadata_rules() {
    let mut r = VirtualService::new(
        "Shop_NS",
        "Reviews",
        VirtualServiceSpec {
            hosts: vec!["reviews".into()],
            http: vec![HttpRoute {
                route: vec![route_to("reviews", None, None)],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    r.metadata.labels = Some(
        [
            ("app.kubernetes.io/name".into(), "reviews".into()),
            ("bad key!".into(), "x".into()),
            ("UPPER.example.com/x".into(), "x".into()),
            ("version".into(), "-v1".into()),
            ("long".into(), "v".repeat(64)),
        ]
        .into(),
    );
    r.metadata.annotations = Some(
        [
            ("x/y/z".into(), "v".into()),
            ("big".into(), "v".repeat(300 * 1024)),
        ]
        .into(),
    );
    let d = check(istio(r));
    for p in [
        "metadata.name",
        "metadata.namespace",
        "metadata.labels[\"bad key!\"]",
        "metadata.labels[\"UPPER.example.com/x\"]",
        "metadata.labels[\"version\"]",
        "metadata.labels[\"long\"]",
        "metadata.annotations[\"x/y/z\"]",
        "metadata.annotations",
    ] {
        assert_has(&d, "MESH0101", p);
    }
    assert!(!has(
        &d,
        "MESH0101",
        "metadata.labels[\"app.kubernetes.io/name\"]"
    ));
    let unnamed = check(istio(VirtualService::default()));
    assert_has(&unnamed, "MESH0101", "metadata.name");
    let ns = check(Namespace {
        metadata: meta("shop.prod", Some("default")),
        ..Default::default()
    });
    assert_has(&ns, "MESH0101", "metadata.name");
    assert_has(&ns, "MESH0101", "metadata.namespace");
}

#[test]
fn core_kinds_rules() {
    let svc = Service {
        metadata: meta("9reviews", Some("shop")),
        spec: Some(ServiceSpec {
            selector: Some([("app".into(), "reviews".into())].into()),
            ports: Some(vec![
                K8sServicePort {
                    port: 9080,
                    protocol: Some("HTTP".into()),
                    target_port: Some(IntOrString::String("http-web-port-long".into())),
                    ..Default::default()
                },
                K8sServicePort {
                    name: Some("grpc".into()),
                    port: 0,
                    target_port: Some(IntOrString::Int(70000)),
                    ..Default::default()
                },
                K8sServicePort {
                    name: Some("grpc".into()),
                    port: 9081,
                    ..Default::default()
                },
            ]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let d = check(svc);
    for p in [
        "metadata.name",
        "spec.ports[0].name",
        "spec.ports[0].protocol",
        "spec.ports[0].targetPort",
        "spec.ports[1].port",
        "spec.ports[1].targetPort",
        "spec.ports[2].name",
    ] {
        assert_has(&d, "MESH0101", p);
    }
    let ok_svc = Service {
        metadata: meta("reviews", Some("shop")),
        spec: Some(ServiceSpec {
            selector: Some([("app".into(), "reviews".into())].into()),
            ports: Some(vec![K8sServicePort {
                name: Some("http".into()),
                port: 9080,
                target_port: Some(IntOrString::String("http".into())),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_clean(&check(ok_svc));
    let deploy = Deployment {
        metadata: meta("reviews-v1", Some("shop")),
        spec: Some(DeploymentSpec {
            replicas: Some(-1),
            selector: LabelSelector {
                match_labels: Some([("app".into(), "reviews".into())].into()),
                ..Default::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some([("app".into(), "ratings".into())].into()),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![
                        Container {
                            name: "reviews".into(),
                            image: None,
                            ..Default::default()
                        },
                        Container {
                            name: "reviews".into(),
                            image: Some("reviews:1".into()),
                            ..Default::default()
                        },
                        Container {
                            name: "Side_Car".into(),
                            image: Some(" bad ".into()),
                            ..Default::default()
                        },
                    ],
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    };
    let d = check(deploy);
    for p in [
        "spec.replicas",
        "spec.template.metadata.labels",
        "spec.template.spec.containers[0].image",
        "spec.template.spec.containers[1].name",
        "spec.template.spec.containers[2].name",
        "spec.template.spec.containers[2].image",
    ] {
        assert_has(&d, "MESH0101", p);
    }
}

// ---------------------------------------------------------------------------------------
// Robustness: hostile values never panic, and all problems come in one pass.

#[test]
fn hostile_values_never_panic() {
    let weird = [
        "",
        "*",
        "é",
        "\u{0}",
        "%",
        "[",
        "a".repeat(5000).as_str(),
        "::",
        "unix://",
        "/",
        "..",
        "@",
    ]
    .map(String::from);
    let mut resources = Vec::new();
    for w in &weird {
        resources.push(vs(VirtualServiceSpec {
            hosts: vec![w.clone()],
            gateways: vec![w.clone()],
            export_to: vec![w.clone()],
            http: vec![HttpRoute {
                r#match: vec![HttpMatchRequest {
                    uri: Some(StringMatch::Regex(w.clone())),
                    headers: [(w.clone(), StringMatch::Prefix(w.clone()))].into(),
                    ..Default::default()
                }],
                route: vec![HttpRouteDestination {
                    destination: dest(w, Some(w)),
                    weight: Some(i32::MIN),
                    ..Default::default()
                }],
                retries: Some(HttpRetry {
                    attempts: Some(i32::MIN),
                    retry_on: Some(w.clone()),
                    ..Default::default()
                }),
                timeout: Some(Duration::from_nanos(i64::MIN)),
                ..Default::default()
            }],
            ..Default::default()
        }));
        resources.push(istio(ServiceEntry::new(
            w.as_str(),
            w.as_str(),
            ServiceEntrySpec {
                hosts: vec![w.clone()],
                addresses: vec![w.clone()],
                endpoints: vec![WorkloadEntrySpec {
                    address: Some(w.clone()),
                    ports: [(w.clone(), u32::MAX)].into(),
                    ..Default::default()
                }],
                ports: vec![ServicePort {
                    number: u32::MAX,
                    name: w.clone(),
                    target_port: Some(u32::MAX),
                    protocol: Some(w.clone()),
                }],
                resolution: Some(Resolution::DnsRoundRobin),
                ..Default::default()
            },
        )));
        resources.push(istio(PeerAuthentication::new(
            w.as_str(),
            w.as_str(),
            PeerAuthenticationSpec {
                port_level_mtls: [(w.clone(), MutualTls::default())].into(),
                ..Default::default()
            },
        )));
        resources.push(Resource::Other(serde_json::json!({"apiVersion": "v1", "kind": w, "metadata": {"name": w, "labels": {w.as_str(): w}}})));
    }
    let n = resources.len();
    let report =
        validate::validate_with(&Resources::from_vec(resources), &ValidateOptions::default());
    assert_eq!(report.resources, n);
    assert!(
        report.diagnostics.len() > n,
        "every object has several problems, all reported"
    );
}

// ---------------------------------------------------------------------------------------
// Istio's corpus.

/// Who refuses a document of the corpus that validation rejects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// Istio's validating webhook rejects it.
    IstioWebhook,
    /// The API server rejects it, from the Istio CRD's schema or CEL rules.
    IstioCrd,
    /// The API server rejects it for Kubernetes' own reasons (core kinds, metadata).
    Kubernetes,
    /// A field the Istio CRD does not declare: the API server refuses it under strict
    /// field validation (kubectl's default and server-side apply) and drops it silently
    /// otherwise; rejected here on purpose.
    UnknownField,
    /// Not a Kubernetes object at all (a MeshConfig file in the analyzer test data).
    NotAnObject,
}

/// Where the analyzer test inputs are.
const A: &str = "pkg/config/analysis/analyzers/testdata/";

/// Every corpus document validation rejects: folder, file, document index, the codes
/// expected, and who in a real cluster refuses it (decided from Istio's and Kubernetes'
/// sources and from what each analyzer test input is for).
const REJECTED: &[(&str, &str, usize, &[&str], Verdict)] = &[
    (
        A,
        "authorizationpolicies.yaml",
        3,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "common/meshconfig.yaml",
        0,
        &["IST0106"],
        Verdict::NotAnObject,
    ),
    (
        A,
        "common/meshnetworks.yaml",
        0,
        &["IST0106"],
        Verdict::NotAnObject,
    ),
    (
        A,
        "condition-analyzer.yaml",
        0,
        &["MESH0101"],
        Verdict::Kubernetes,
    ),
    (
        A,
        "condition-analyzer.yaml",
        1,
        &["IST0106"],
        Verdict::IstioCrd,
    ),
    (
        A,
        "conflicting-gateways-invalid-port.yaml",
        0,
        &["IST0106"],
        Verdict::IstioCrd,
    ),
    (
        A,
        "conflicting-gateways-invalid-port.yaml",
        1,
        &["IST0106"],
        Verdict::IstioCrd,
    ),
    (
        A,
        "conflicting-gateways-multiple-ports.yaml",
        0,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "conflicting-gateways-multiple-ports.yaml",
        1,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "deployment-multi-service-different-ns.yaml",
        4,
        &["MESH0101"],
        Verdict::Kubernetes,
    ),
    (
        A,
        "deployment-multi-service.yaml",
        3,
        &["MESH0101"],
        Verdict::Kubernetes,
    ),
    (
        A,
        "deployment-multi-service.yaml",
        6,
        &["MESH0101"],
        Verdict::Kubernetes,
    ),
    (
        A,
        "deployment-multi-service.yaml",
        8,
        &["MESH0101"],
        Verdict::Kubernetes,
    ),
    (
        A,
        "deployment-multi-service.yaml",
        9,
        &["MESH0101"],
        Verdict::Kubernetes,
    ),
    (
        A,
        "deployment-multi-service.yaml",
        13,
        &["MESH0101"],
        Verdict::Kubernetes,
    ),
    (
        A,
        "deprecation.yaml",
        0,
        &["IST0106"],
        Verdict::UnknownField,
    ),
    (
        A,
        "deprecation.yaml",
        1,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "envoy-filter-add-operation.yaml",
        3,
        &["IST0106"],
        Verdict::UnknownField,
    ),
    (
        A,
        "envoy-filter-add-operation.yaml",
        4,
        &["IST0106"],
        Verdict::UnknownField,
    ),
    (
        A,
        "envoy-filter-remove-operation.yaml",
        1,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "envoy-filter-remove-operation.yaml",
        2,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "envoy-filter-remove-operation.yaml",
        3,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "gateway-no-workload.yaml",
        0,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "gateway-secrets.yaml",
        3,
        &["MESH0101"],
        Verdict::Kubernetes,
    ),
    (
        A,
        "gateway-secrets.yaml",
        6,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "k8sgateway-selector.yaml",
        5,
        &["IST0106", "MESH0100"],
        Verdict::IstioCrd,
    ),
    (
        A,
        "mesh-with-automtls.yaml",
        0,
        &["IST0106"],
        Verdict::NotAnObject,
    ),
    (
        A,
        "misannotated.yaml",
        7,
        &["MESH0101"],
        Verdict::Kubernetes,
    ),
    (
        A,
        "relative-envoy-filter-operation.yaml",
        2,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "service-no-port-name-system-namespace.yaml",
        0,
        &["MESH0101"],
        Verdict::Kubernetes,
    ),
    (
        A,
        "service-no-port-name.yaml",
        0,
        &["MESH0101"],
        Verdict::Kubernetes,
    ),
    (
        A,
        "serviceentry-address-allocated-mesh-cfg.yaml",
        0,
        &["IST0106"],
        Verdict::NotAnObject,
    ),
    (
        A,
        "serviceentry-missing-addresses-protocol-mesh-cfg.yaml",
        0,
        &["IST0106"],
        Verdict::NotAnObject,
    ),
    (
        A,
        "sidecar-default-selector.yaml",
        9,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "sidecar-default-selector.yaml",
        10,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "sidecar-default-selector.yaml",
        13,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "sidecar-default-selector.yaml",
        14,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "telemetry-lightstep-meshconfig.yaml",
        0,
        &["IST0106"],
        Verdict::NotAnObject,
    ),
    (
        A,
        "virtualservice_destinationhosts.yaml",
        1,
        &["MESH0101"],
        Verdict::Kubernetes,
    ),
    (
        A,
        "virtualservice_destinationhosts.yaml",
        4,
        &["IST0106", "MESH0100"],
        Verdict::IstioCrd,
    ),
    (
        A,
        "virtualservice_destinationhosts.yaml",
        8,
        &["IST0106"],
        Verdict::IstioCrd,
    ),
    (
        A,
        "virtualservice_gateways.yaml",
        0,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "virtualservice_gateways.yaml",
        1,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "virtualservice_gateways.yaml",
        2,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "virtualservice_gateways.yaml",
        3,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "virtualservice_gateways.yaml",
        4,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "virtualservice_gateways.yaml",
        5,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "virtualservice_host_not_found_gateway.yaml",
        10,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "virtualservice_host_not_found_gateway_beta.yaml",
        10,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "virtualservice_internal_gateway_ref.yaml",
        0,
        &["MESH0100"],
        Verdict::IstioWebhook,
    ),
    (
        A,
        "virtualservice_route_rule_no_effects_ingress.yaml",
        4,
        &["MESH0101"],
        Verdict::Kubernetes,
    ),
    (A, "webhook.yaml", 2, &["MESH0101"], Verdict::Kubernetes),
    (
        "tests/testdata/config/",
        "rule-websocket-route.yaml",
        2,
        &["IST0106"],
        Verdict::UnknownField,
    ),
    (
        "tests/testdata/config/",
        "rule-websocket-route.yaml",
        3,
        &["IST0106"],
        Verdict::UnknownField,
    ),
];

fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::IstioWebhook => "Istio's webhook rejects it",
        Verdict::IstioCrd => "the Istio CRD (schema or CEL) rejects it",
        Verdict::Kubernetes => "Kubernetes rejects it",
        Verdict::UnknownField => {
            "an unknown field: refused under strict field validation, silently dropped otherwise"
        }
        Verdict::NotAnObject => "not a Kubernetes object",
    }
}

/// What a rejected document is, its error codes, and the errors.
type Rejection = (String, BTreeSet<String>, Vec<String>);

#[test]
fn corpus_report() {
    let Some(docs) = testkit::reference_corpus("corpus_report") else {
        return;
    };
    let mut accepted = 0;
    let mut accepted_istio = 0;
    let mut with_warnings = 0;
    let mut rejected: BTreeMap<(String, usize), Rejection> = BTreeMap::new();
    for d in &docs {
        let key = (d.file.display().to_string(), d.index);
        let resource = match Document::from_value(d.value.clone()) {
            Ok(doc) => Resource::from_document(doc),
            Err(errs) => {
                let reasons = errs.iter().map(|e| format!("IST0106 {e}")).collect();
                rejected.insert(
                    key,
                    (
                        format!("{} (not decoded)", d.kind()),
                        BTreeSet::from(["IST0106".to_string()]),
                        reasons,
                    ),
                );
                continue;
            }
        };
        let report = validate::validate_resource(&resource, &ValidateOptions::default());
        let errs: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|x| x.severity == Severity::Error)
            .collect();
        if report
            .diagnostics
            .iter()
            .any(|x| x.severity == Severity::Warning)
        {
            with_warnings += 1;
        }
        if errs.is_empty() {
            accepted += 1;
            accepted_istio += usize::from(matches!(resource, Resource::Istio(_)));
            continue;
        }
        let codes = errs.iter().map(|x| x.code.to_string()).collect();
        let reasons = errs
            .iter()
            .map(|x| {
                format!(
                    "{} {}: {}",
                    x.code,
                    x.path.as_deref().unwrap_or(""),
                    x.message
                )
            })
            .collect();
        rejected.insert(
            key,
            (
                format!("{} {}", resource.kind(), resource.name()),
                codes,
                reasons,
            ),
        );
    }
    println!(
        "corpus: {} documents; accepted {accepted} ({accepted_istio} Istio resources), {with_warnings} with warnings; rejected {}",
        docs.len(),
        rejected.len()
    );
    let expected: BTreeMap<(String, usize), (&[&str], Verdict)> = REJECTED
        .iter()
        .map(|(dir, f, i, codes, v)| ((format!("{dir}{f}"), *i), (*codes, *v)))
        .collect();
    let mut problems = Vec::new();
    for ((file, index), (what, codes, reasons)) in &rejected {
        match expected.get(&(file.clone(), *index)) {
            Some((want, verdict)) => {
                println!(
                    "  rejected {file} #{index} {what}: {}",
                    verdict_label(*verdict)
                );
                for r in reasons {
                    println!("      {r}");
                }
                let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
                if &want != codes {
                    problems.push(format!(
                        "{file} #{index}: codes {codes:?}, expected {want:?}"
                    ));
                }
            }
            None => problems.push(format!(
                "{file} #{index} {what} is rejected unexpectedly: {reasons:?}"
            )),
        }
    }
    for (file, index) in expected.keys() {
        if !rejected.contains_key(&(file.clone(), *index)) {
            problems.push(format!(
                "{file} #{index} was expected to be rejected but is accepted"
            ));
        }
    }
    let by_verdict = |v: Verdict| REJECTED.iter().filter(|r| r.4 == v).count();
    println!(
        "rejections: Istio webhook {}, Istio CRD {}, Kubernetes {}, unknown fields {}, not objects {}",
        by_verdict(Verdict::IstioWebhook),
        by_verdict(Verdict::IstioCrd),
        by_verdict(Verdict::Kubernetes),
        by_verdict(Verdict::UnknownField),
        by_verdict(Verdict::NotAnObject)
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The printed summary, asserted: a change in any count is a change in behaviour.
    assert_eq!(
        (
            docs.len(),
            accepted,
            accepted_istio,
            with_warnings,
            rejected.len()
        ),
        (711, 657, 426, 38, 54),
        "(documents, accepted, accepted Istio, with warnings, rejected)"
    );
    assert_eq!(
        [
            Verdict::IstioWebhook,
            Verdict::IstioCrd,
            Verdict::Kubernetes,
            Verdict::UnknownField,
            Verdict::NotAnObject,
        ]
        .map(by_verdict),
        [23, 6, 14, 5, 6],
        "rejections by verdict: Istio webhook, Istio CRD, Kubernetes, unknown fields, not objects"
    );
    // Every Istio sample and every validation dataset document is accepted.
    assert!(
        !rejected
            .keys()
            .any(|(f, _)| f.starts_with("samples/") || f.starts_with("pkg/test/")),
        "{rejected:?}"
    );
}

/// Istio's analyzer test expects the webhook's unreachable-rule warnings (IST0130 and
/// IST0131) on exactly these VirtualServices; validation finds the same ones.
#[test]
fn unreachable_rule_warnings_match_istios_analyzer_test() {
    let Some(dir) = testkit::reference_data("unreachable_rule_warnings_match_istios_analyzer_test")
    else {
        return;
    };
    let cases: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("analyzer-cases.json")).expect("analyzer cases read"),
    )
    .expect("json");
    let case = cases
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == "dupmatches")
        .expect("the dupmatches case");
    let expected: BTreeSet<(String, String)> = case["expected"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let origin = e["origin"].as_str().unwrap_or_default();
            let name = origin.rsplit(['/', ' ']).next().unwrap_or_default();
            (
                e["code"].as_str().unwrap_or_default().to_string(),
                name.to_string(),
            )
        })
        .collect();
    let mut got = BTreeSet::new();
    for file in case["inputFiles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str())
    {
        let path = dir.join("corpus/pkg/config/analysis/analyzers").join(file);
        let text = std::fs::read_to_string(&path).expect("input reads");
        let docs = istio_types::document::parse_stream(&text, file).expect("input parses");
        let resources = Resources::from_documents(docs);
        for d in validate::validate(&resources).iter() {
            if d.code == "IST0130" || d.code == "IST0131" {
                let r = d.resource.as_ref().expect("a resource");
                got.insert((d.code.to_string(), r.name.clone()));
            }
        }
    }
    assert_eq!(got, expected);
}

/// Over the whole corpus, validation gives the same diagnostics whether the CEL rules run
/// as generated Rust or through the CEL interpreter.
#[cfg(feature = "cel")]
#[test]
fn both_cel_engines_agree_over_the_corpus() {
    let Some(docs) = testkit::reference_corpus("both_cel_engines_agree_over_the_corpus") else {
        return;
    };
    let resources: Resources = docs
        .iter()
        .filter_map(|d| Document::from_value(d.value.clone()).ok())
        .map(Resource::from_document)
        .collect();
    let generated = validate::validate_with(&resources, &ValidateOptions::default());
    let interpreted = validate::validate_with(
        &resources,
        &ValidateOptions::default().cel_engine(validate::CelEngine::Interpreter),
    );
    assert_eq!(generated.diagnostics, interpreted.diagnostics);
    assert_eq!(generated.rules_evaluated, interpreted.rules_evaluated);
    println!(
        "{} resources, {} CEL rule evaluations per engine",
        generated.resources, generated.rules_evaluated
    );
    // 1111 = 1095 on the Istio resources + 16 on the corpus's Gateway API resources
    // (typed and checked against their CRDs since issue #14).
    assert_eq!(
        (generated.resources, generated.rules_evaluated),
        (696, 1111),
        "(resources, CEL rule evaluations)"
    );
}

/// A document as read from YAML, validated on its own.
fn check_json(v: serde_json::Value) -> Result<Diagnostics, String> {
    let doc = Document::from_value(v).map_err(|e| istio_types::de::join_errors(&e))?;
    Ok(check(Resource::from_document(doc)))
}

/// Verdicts where mesh-dsl and Istio disagreed (issue #18): the condition keys of Istio's
/// `ValidateAttribute`, EnvoyFilter patches of waypoints (not checked by Istio's
/// `validateEnvoyFilter`), and collections the CRD wants non-empty when written
/// (`minProperties`/`minItems`), which the typed values cannot tell from absent ones.
#[test]
fn condition_keys_waypoint_patches_and_written_empty_collections() {
    let policy = |key: &str, values: &[&str]| {
        serde_json::json!({
            "apiVersion": "security.istio.io/v1",
            "kind": "AuthorizationPolicy",
            "metadata": {"name": "p", "namespace": "shop"},
            "spec": {"rules": [{"when": [{"key": key, "values": values}]}]},
        })
    };
    for (key, values) in [
        (
            "source.trustDomain",
            &["cluster.local", "*.example.com", "*"][..],
        ),
        ("source.principal", &["cluster.local/ns/a/sa/b"]),
        ("request.headers[x-user]", &["a"]),
        ("source.serviceAccount", &["shop/reviews"]),
    ] {
        let d = check_json(policy(key, values)).unwrap();
        assert!(errors(&d).is_empty(), "{key}: {d}");
    }
    for (key, values) in [
        ("source.trustDomain", &["a*b"][..]),
        ("source.trustDomain", &["*a*"]),
        ("request.experimental.inline.headers[x]", &["a"]),
        ("source.serviceAccount", &["/reviews"]),
        ("source.serviceAccount", &["shop/"]),
    ] {
        let d = check_json(policy(key, values)).unwrap();
        assert_has(&d, "MESH0100", "spec.rules[0].when[0].values");
        assert!(!errors(&d).is_empty(), "{key} {values:?}: {d}");
    }

    // A waypoint's listener, patched through targetRefs.
    let waypoint_filter = serde_json::json!({
        "apiVersion": "networking.istio.io/v1alpha3",
        "kind": "EnvoyFilter",
        "metadata": {"name": "waypoint-lua", "namespace": "shop"},
        "spec": {
            "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "waypoint"}],
            "configPatches": [{
                "applyTo": "HTTP_FILTER",
                "match": {"context": "WAYPOINT", "waypoint": {"filter": {"name": "envoy.filters.http.router"}}},
                "patch": {"operation": "INSERT_BEFORE", "value": {"name": "envoy.lua"}},
            }],
        },
    });
    let d = check_json(waypoint_filter).unwrap();
    assert!(errors(&d).is_empty(), "{d}");

    // Written but empty: the API server refuses it (minProperties / minItems 1).
    let peer = serde_json::json!({
        "apiVersion": "security.istio.io/v1",
        "kind": "PeerAuthentication",
        "metadata": {"name": "p", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "a"}}, "portLevelMtls": {}},
    });
    let e = check_json(peer).unwrap_err();
    assert!(
        e.contains("spec.portLevelMtls") && e.contains("minProperties"),
        "{e}"
    );
    let gateway = serde_json::json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "g", "namespace": "shop"},
        "spec": {"servers": [{
            "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
            "hosts": ["*"],
            "tls": {"mode": "SIMPLE", "credentialName": "c", "credentialNames": []},
        }]},
    });
    let e = check_json(gateway).unwrap_err();
    assert!(
        e.contains("credentialNames") && e.contains("minItems"),
        "{e}"
    );
}

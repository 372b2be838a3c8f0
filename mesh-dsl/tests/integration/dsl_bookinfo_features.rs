//! The builders added for Istio's bookinfo samples: services deployed elsewhere, explicit
//! gateway port names, the ports of external hosts, routes for external hosts and their
//! traffic policies. Each test checks where the setting lands and what `compile()` reports
//! when it is misused; the last one runs everything through the CRD schemas.

use mesh_dsl::{
    Egress, Gateway, LoadBalancer, Match, Mesh, Namespace, NamespaceRef, Policy, Port, Protocol,
    Resource, Resources, Route, Routes, Service, Severity, Target, Tls, Version,
};
use serde_json::{Value, json};

fn bookinfo() -> (Mesh, NamespaceRef) {
    let mut mesh = Mesh::new();
    let ns = mesh.namespace(Namespace::new("bookinfo"));
    (mesh, ns)
}

fn json_of(out: &Resources, kind: &str, ns: &str, name: &str) -> Value {
    out.find(kind, Some(ns), name)
        .unwrap_or_else(|| panic!("{kind} {ns}/{name} is emitted"))
        .to_json()
}

/// The (code, severity, message) of every problem `compile()` reports.
fn problems(mesh: &Mesh) -> Vec<(String, Severity, String)> {
    let diags = match mesh.compile() {
        Ok(c) => c.warnings,
        Err(e) => e.diagnostics,
    };
    diags
        .into_iter()
        .map(|d| (d.code.to_string(), d.severity, d.message))
        .collect()
}

fn google(ns: &NamespaceRef) -> Egress {
    Egress::new(ns, "googleapis", "www.googleapis.com")
        .ports([Port::http(80), Port::new(Protocol::Https, 443)])
}

#[test]
fn a_service_deployed_elsewhere_gets_only_its_istio_configuration() {
    let (mut mesh, ns) = bookinfo();
    let reviews = mesh.service(
        Service::new(&ns, "reviews")
            .port(Port::http(9080))
            .version(Version::new("v1", "reviews:1"))
            .version(Version::new("v2", "reviews:2"))
            .deployed_elsewhere(),
    );
    mesh.routes(Routes::new(&reviews).route(Route::new().to(reviews.subset("v2"))));
    let compiled = mesh.compile().expect("compiles");
    // Analysis runs in compile() and assumes the Service and pods that live elsewhere:
    // the DestinationRule's host and subsets resolve (no IST0101, IST0173, IST0174). The
    // only thing it has to say is that the namespace is not injected (an info).
    let found: Vec<(&str, Severity)> = compiled
        .warnings
        .iter()
        .map(|d| (d.code.as_ref(), d.severity))
        .collect();
    assert_eq!(
        found,
        [("IST0102", Severity::Info)],
        "{}",
        compiled.warnings
    );
    let kinds: Vec<(&str, &str)> = compiled
        .resources
        .iter()
        .map(|r| (r.kind(), r.name()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("Namespace", "bookinfo"),
            ("DestinationRule", "reviews"),
            ("VirtualService", "reviews")
        ]
    );
    let dr = json_of(
        &compiled.resources,
        "DestinationRule",
        "bookinfo",
        "reviews",
    );
    assert_eq!(
        dr["spec"],
        json!({"host": "reviews", "subsets": [
            {"name": "v1", "labels": {"version": "v1"}},
            {"name": "v2", "labels": {"version": "v2"}},
        ]})
    );
}

#[test]
fn a_service_deployed_elsewhere_is_still_checked() {
    let (mut mesh, ns) = bookinfo();
    let istio_system = NamespaceRef::external("istio-system");
    // Without versions: no warning, and nothing to emit.
    let solver = mesh.service(
        Service::new(&istio_system, "cert-manager-resolver")
            .port(Port::http(8089))
            .deployed_elsewhere(),
    );
    let out = mesh.compile().expect("compiles").resources;
    assert!(
        out.iter().all(|r| r.namespace() != Some("istio-system")),
        "nothing is emitted for {}",
        solver.name()
    );
    // A version it does not have is still an unknown subset.
    let reviews = mesh.service(
        Service::new(&ns, "reviews")
            .port(Port::http(9080))
            .version(Version::new("v1", "reviews:1"))
            .deployed_elsewhere(),
    );
    mesh.routes(Routes::new(&reviews).route(Route::new().to(reviews.subset("v3"))));
    let found = problems(&mesh);
    assert!(
        found
            .iter()
            .any(|(c, s, m)| c == "MESH0002" && *s == Severity::Error && m.contains("\"v3\"")),
        "{found:?}"
    );
    assert!(!found.iter().any(|(c, ..)| c == "MESH0011"), "{found:?}");
}

#[test]
fn a_gateway_port_can_carry_an_explicit_name() {
    let (mut mesh, ns) = bookinfo();
    // Distinct hosts on port 8080: two gateways with the same workloads, port and hosts
    // would conflict (IST0145, which compile() reports as an error).
    mesh.gateway(
        Gateway::new(&ns, "named")
            .http_on(8080, ["a.example.com"])
            .port_name(8080, "http"),
    );
    mesh.gateway(
        Gateway::new(&ns, "default-names")
            .http_on(8080, ["b.example.com"])
            .http(["a.example.com"]),
    );
    let out = mesh.compile().expect("compiles").resources;
    let named = json_of(&out, "Gateway", "bookinfo", "named");
    assert_eq!(
        named["spec"]["servers"][0]["port"],
        json!({"name": "http", "number": 8080, "protocol": "HTTP"})
    );
    // Without a name set, the names are what they always were.
    let plain = json_of(&out, "Gateway", "bookinfo", "default-names");
    let names: Vec<&str> = plain["spec"]["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["port"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["http-8080", "http"]);
}

#[test]
fn a_gateway_port_name_must_name_a_served_port_and_be_unique() {
    let (mut mesh, ns) = bookinfo();
    mesh.gateway(
        Gateway::new(&ns, "gw")
            .http_on(8080, ["*"])
            .http(["a.example.com"])
            .port_name(8080, "http")
            .port_name(9090, "metrics"),
    );
    let found = problems(&mesh);
    let naming: Vec<&str> = found
        .iter()
        .filter(|(c, ..)| c == "MESH0007")
        .map(|(_, _, m)| m.as_str())
        .collect();
    assert_eq!(
        naming,
        [
            "gateway bookinfo/gw names port 9090 \"metrics\", but serves nothing on it",
            "gateway bookinfo/gw: ports 80 and 8080 are both named \"http\"",
        ],
        "{found:?}"
    );
}

#[test]
fn an_external_host_can_have_its_own_ports() {
    let (mut mesh, ns) = bookinfo();
    mesh.egress(google(&ns));
    mesh.egress(
        Egress::new(&ns, "db", "db.example.com")
            .ports([Port::new(Protocol::Mysql, 3306).target(13306)]),
    );
    // Without ports set, the default (443, HTTPS) is what it always was.
    mesh.egress(Egress::new(&ns, "api", "api.example.com"));
    let out = mesh.compile().expect("compiles").resources;
    assert_eq!(
        json_of(&out, "ServiceEntry", "bookinfo", "googleapis")["spec"]["ports"],
        json!([
            {"name": "http", "number": 80, "protocol": "HTTP"},
            {"name": "https", "number": 443, "protocol": "HTTPS"},
        ])
    );
    assert_eq!(
        json_of(&out, "ServiceEntry", "bookinfo", "db")["spec"]["ports"],
        json!([{"name": "mysql", "number": 3306, "protocol": "MYSQL", "targetPort": 13306}])
    );
    assert_eq!(
        json_of(&out, "ServiceEntry", "bookinfo", "api")["spec"]["ports"],
        json!([{"name": "https", "number": 443, "protocol": "HTTPS"}])
    );
}

#[test]
fn the_ports_of_an_external_host_are_checked() {
    let (mut mesh, ns) = bookinfo();
    mesh.egress(Egress::new(&ns, "bad", "bad.example.com").ports([
        Port::http(80),
        Port::http(8080),
        Port::tcp(70000),
    ]));
    let found = problems(&mesh);
    assert!(
        found
            .iter()
            .any(|(c, s, m)| c == "MESH0004" && *s == Severity::Error && m.contains("port 70000")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(c, _, m)| c == "MESH0007" && m.contains("two ports are named \"http\"")),
        "{found:?}"
    );
}

#[test]
fn routes_for_an_external_host_become_a_virtual_service_for_that_host() {
    let (mut mesh, ns) = bookinfo();
    let g = mesh.egress(google(&ns));
    mesh.routes(
        Routes::external("rewrite-port-for-googleapis", &g).route(
            Route::new()
                .when(Match::any().port(80))
                .to(Target::from(&g).port(443)),
        ),
    );
    let out = mesh.compile().expect("compiles").resources;
    let vs = json_of(
        &out,
        "VirtualService",
        "bookinfo",
        "rewrite-port-for-googleapis",
    );
    assert_eq!(
        vs["spec"],
        json!({
            "hosts": ["www.googleapis.com"],
            "http": [{
                "match": [{"port": 80}],
                "route": [{"destination": {"host": "www.googleapis.com", "port": {"number": 443}}}],
            }],
        })
    );
}

#[test]
fn routes_for_an_external_host_are_checked_like_the_others() {
    let (mut mesh, ns) = bookinfo();
    let g = mesh.egress(google(&ns));
    mesh.routes(Routes::external("one", &g).route(Route::new().to(&g)));
    mesh.routes(Routes::external("two", &g).route(Route::new().to(&g)));
    // A handle from another mesh.
    let (mut other, other_ns) = bookinfo();
    let stranger = other.egress(Egress::new(&other_ns, "stranger", "stranger.example.com"));
    mesh.routes(Routes::external("three", &stranger).route(Route::new().to(&stranger)));
    let found = problems(&mesh);
    assert!(
        found
            .iter()
            .any(|(c, _, m)| c == "MESH0005" && m.contains("\"www.googleapis.com\"")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|(c, s, m)| c == "MESH0012"
            && *s == Severity::Error
            && m.contains("egress bookinfo/stranger")),
        "{found:?}"
    );
}

#[test]
fn an_egress_policy_is_a_destination_rule_for_the_external_host() {
    let (mut mesh, ns) = bookinfo();
    let g = mesh.egress(google(&ns).export_to(["."]));
    mesh.egress_policy(
        "originate-tls-for-googleapis",
        &g,
        Policy::new()
            .load_balancer(LoadBalancer::RoundRobin)
            .port(443, Policy::new().tls(Tls::Simple { sni: None })),
    );
    let out = mesh.compile().expect("compiles").resources;
    let dr = json_of(
        &out,
        "DestinationRule",
        "bookinfo",
        "originate-tls-for-googleapis",
    );
    assert_eq!(
        dr["spec"],
        json!({
            "host": "www.googleapis.com",
            "exportTo": ["."],
            "trafficPolicy": {
                "loadBalancer": {"simple": "ROUND_ROBIN"},
                "portLevelSettings": [{"port": {"number": 443}, "tls": {"mode": "SIMPLE"}}],
            },
        })
    );
}

#[test]
fn an_external_host_has_one_traffic_policy() {
    let (mut mesh, ns) = bookinfo();
    let api = mesh.egress(Egress::new(&ns, "api", "api.example.com").tls_origination());
    mesh.egress_policy(
        "api-lb",
        &api,
        Policy::new().load_balancer(LoadBalancer::Random),
    );
    let (mut other, other_ns) = bookinfo();
    let stranger = other.egress(Egress::new(&other_ns, "stranger", "stranger.example.com"));
    mesh.egress_policy("stranger", &stranger, Policy::new());
    let found = problems(&mesh);
    assert!(
        found.iter().any(|(c, _, m)| c == "MESH0005"
            && m.contains("\"api.example.com\" has 2 traffic policies")
            && m.contains("the TLS origination of egress bookinfo/api")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(c, _, m)| c == "MESH0012" && m.contains("egress bookinfo/stranger")),
        "{found:?}"
    );
}

#[test]
fn the_new_builders_output_passes_the_crd_schemas() {
    let Some(validator) =
        testkit::reference_validator("the_new_builders_output_passes_the_crd_schemas")
    else {
        return;
    };
    let (mut mesh, ns) = bookinfo();
    let productpage = mesh.service(
        Service::new(&ns, "productpage")
            .port(Port::http(9080))
            .version(Version::new("v1", "productpage:1"))
            .deployed_elsewhere(),
    );
    let gw = mesh.gateway(
        Gateway::new(&ns, "bookinfo-gateway")
            .http_on(8080, ["*"])
            .port_name(8080, "http"),
    );
    mesh.routes(
        Routes::ingress("bookinfo", &gw, ["*"]).route(
            Route::new()
                .when(Match::exact("/productpage"))
                .to(Target::from(&productpage).port(9080)),
        ),
    );
    let g = mesh.egress(google(&ns));
    mesh.routes(
        Routes::external("rewrite-port-for-googleapis", &g).route(
            Route::new()
                .when(Match::any().port(80))
                .to(Target::from(&g).port(443)),
        ),
    );
    mesh.egress_policy(
        "originate-tls-for-googleapis",
        &g,
        Policy::new().port(443, Policy::new().tls(Tls::Simple { sni: None })),
    );
    let out = mesh.compile().expect("compiles").resources;
    let mut checked = 0;
    for r in &out {
        if let Resource::Istio(_) = r {
            validator.validate(&r.to_json()).unwrap_or_else(|e| {
                panic!(
                    "{} {} fails its CRD schema: {}",
                    r.kind(),
                    r.name(),
                    testkit::render_errors(&e)
                )
            });
            checked += 1;
        }
    }
    assert_eq!(
        checked, 6,
        "DR productpage, Gateway, 2 VirtualServices, SE, DR"
    );
}

//! Every builder of the DSL at once: the output passes the CRD schemas and is the reviewed
//! snapshot, and each feature lands where Istio expects it.

use istio_types::Duration;
use mesh_dsl::{
    Authorization, AuthzRule, ConnectionPool, Cors, Egress, Gateway, Jwt, LoadBalancer, Match,
    Mesh, Mtls, MtlsMode, Namespace, OutlierDetection, Policy, Port, Probe, Protocol, Route,
    Routes, Service, SidecarScope, StringMatch, Telemetry, TelemetryProviders, Tls, Version, exact,
    prefix, regex,
};
use serde_json::Value;

fn kitchen_sink() -> Mesh {
    let mut mesh = Mesh::new();
    mesh.common_label("team", "platform");
    let ns = mesh.namespace(
        Namespace::new("store")
            .sidecar_injection()
            .label("tier", "web"),
    );
    let edge = mesh.namespace(Namespace::new("edge"));
    let api = mesh.service(
        Service::new(&ns, "api")
            .port(Port::http(80).target(8080))
            .port(Port::new(Protocol::Grpc, 9090).suffix("internal"))
            .version(
                Version::new("v1", "api:1")
                    .replicas(3)
                    .env("MODE", "on")
                    .requests("250m", "256Mi")
                    .readiness(Probe::http_get("/ready").initial_delay(5))
                    .liveness(Probe::http_get("/live").port(8081).period(20))
                    .label("track", "stable"),
            )
            .version(Version::new("v2", "api:2"))
            .export_to([".", "edge"]),
    );
    let shadow = mesh.service(
        Service::new(&ns, "shadow")
            .port(Port::http(80))
            .version(Version::new("v1", "shadow:1")),
    );
    let gw = mesh.gateway(
        Gateway::new(&edge, "public")
            .selector([("istio", "edge-gateway")])
            .https_on(8443, ["api.example.com"], "api-cert")
            .http(["api.example.com"]),
    );
    mesh.routes(
        Routes::new(&api)
            .route(
                Route::new()
                    .named("canary-testers")
                    .when(
                        Match::prefix("/v2")
                            .header("x-tester", StringMatch::Any)
                            .query("debug", exact("1")),
                    )
                    .when(
                        Match::regex("/beta/.*")
                            .method("GET")
                            .ignore_uri_case()
                            .source_label("app", "web"),
                    )
                    // `api` has two ports: routes name the one they mean (IST0112).
                    .to(mesh_dsl::Target::from(api.subset("v2")).port(80)),
            )
            .route(
                Route::new()
                    .named("legacy")
                    .when(Match::exact("/old").without_header("x-keep", prefix("yes")))
                    .redirect("/new")
                    .redirect_code(308),
            )
            .route(
                Route::new()
                    .when(Match::prefix("/health").source_namespace("edge"))
                    .respond(200, Some("ok")),
            )
            .route(
                Route::new()
                    .named("main")
                    .rewrite_uri("/")
                    .rewrite_authority("api.internal")
                    .mirror(&shadow, 5.0)
                    .set_request_header("x-request-source", "mesh")
                    .add_request_header("x-trace", "on")
                    .remove_request_header("x-internal")
                    .set_response_header("cache-control", "no-store")
                    .remove_response_header("server")
                    .cors(
                        Cors::new()
                            .allow_origin(regex("https://.*\\.example\\.com"))
                            .allow_methods(["GET", "POST"])
                            .allow_headers(["authorization"])
                            .expose_headers(["x-request-id"])
                            .max_age(Duration::from_hours(24))
                            .allow_credentials(),
                    )
                    .retries(3, Duration::from_secs(2), "5xx,reset,connect-failure")
                    .timeout(Duration::from_secs(10))
                    .split([
                        (mesh_dsl::Target::from(api.subset("v1")).port(80), 80),
                        (mesh_dsl::Target::from(api.subset("v2")).port(80), 20),
                    ]),
            ),
    );
    mesh.routes(
        Routes::ingress("public-api", &gw, ["api.example.com"])
            .also_from_mesh()
            .route(
                Route::new()
                    .when(Match::prefix("/").via_gateway(&gw))
                    .to(mesh_dsl::Target::from(&api).port(80)),
            ),
    );
    mesh.policy(
        &api,
        Policy::new()
            .load_balancer(LoadBalancer::HashCookie(
                "session".into(),
                Duration::from_secs(3600),
            ))
            .connection_pool(
                ConnectionPool::new()
                    .max_connections(50)
                    .connect_timeout(Duration::from_millis(250))
                    .max_requests(1000)
                    .max_retries(3),
            )
            .outlier_detection(
                OutlierDetection::new()
                    .consecutive_gateway_errors(3)
                    .min_health_percent(30),
            )
            .tls(Tls::IstioMutual)
            .port(9090, Policy::new().load_balancer(LoadBalancer::RoundRobin)),
    );
    mesh.subset_policy(
        &api.subset("v2"),
        Policy::new().load_balancer(LoadBalancer::HashHeader("x-user".into())),
    );
    mesh.policy(
        &shadow,
        Policy::new().load_balancer(LoadBalancer::HashSourceIp),
    );
    let ext = mesh.egress(Egress::new(&ns, "maps", "maps.example.net").export_to(["."]));
    mesh.sidecar_scope(
        SidecarScope::new(&ns)
            .allow("./*")
            .allow_egress(&ext)
            .registry_only(),
    );
    mesh.mtls(Mtls::namespace(&ns, MtlsMode::Strict));
    mesh.mtls(Mtls::service(&shadow, MtlsMode::Permissive));
    mesh.authorize(Authorization::allow_in_namespace("deny-all", &edge));
    mesh.authorize(
        Authorization::allow("api-access", &api)
            .rule(
                AuthzRule::new()
                    .from_namespace(&edge)
                    .methods(["GET"])
                    .paths(["/public/*"]),
            )
            .rule(
                AuthzRule::new()
                    .from_request_principal("https://auth.example.com/*")
                    .ports([9090]),
            ),
    );
    mesh.authorize(
        Authorization::deny("no-admin", &api).rule(
            AuthzRule::new()
                .not_paths(["/public/*"])
                .paths(["/admin/*"]),
        ),
    );
    mesh.jwt(
        Jwt::new(
            "api-jwt",
            &api,
            "https://auth.example.com",
            "https://auth.example.com/jwks.json",
        )
        .audience("api")
        .forward_token(),
    );
    mesh.telemetry_providers(TelemetryProviders::new().opentelemetry_access_logs(
        "otel-logs",
        "collector.obs.svc.cluster.local",
        4317,
    ));
    mesh.telemetry(
        Telemetry::namespace(&ns).access_logs_filtered("otel-logs", "response.code >= 400"),
    );
    mesh
}

#[test]
fn every_builder_lands_where_istio_expects_it() {
    let compiled = kitchen_sink().compile().unwrap_or_else(|e| panic!("{e}"));
    // Validation and analysis run inside compile(): Istio's webhook warns that an
    // HTTP-only DENY rule also denies TCP traffic, and the analyzers note that the
    // gateway's namespace is not injected (an info). The gateway's own workload and TLS
    // Secret are installed outside the mesh, so nothing is said about them.
    let warnings: Vec<(String, String)> = compiled
        .warnings
        .iter()
        .map(|d| {
            (
                d.code.to_string(),
                d.resource
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        warnings,
        [
            (
                "MESH0100".to_string(),
                "AuthorizationPolicy store/no-admin".to_string()
            ),
            ("IST0102".to_string(), "Namespace edge".to_string()),
        ],
        "{}",
        compiled.warnings
    );
    let r = &compiled.resources;
    let get = |kind: &str, ns: &str, name: &str| -> Value {
        r.find(kind, Some(ns), name)
            .unwrap_or_else(|| panic!("{kind} {name}"))
            .to_json()
    };
    let vs = get("VirtualService", "store", "api");
    let http = &vs["spec"]["http"];
    assert_eq!(
        http[0]["match"].as_array().unwrap().len(),
        2,
        "two blocks: OR"
    );
    assert_eq!(
        http[0]["match"][0]["headers"]["x-tester"],
        serde_json::json!({})
    );
    assert_eq!(http[1]["redirect"]["redirectCode"], 308);
    assert_eq!(http[2]["directResponse"]["body"]["string"], "ok");
    assert_eq!(http[3]["mirrors"][0]["percentage"]["value"], 5.0);
    assert_eq!(http[3]["retries"]["perTryTimeout"], "2s");
    assert_eq!(http[3]["corsPolicy"]["maxAge"], "24h");
    assert_eq!(http[3]["route"][1]["weight"], 20);
    let dr = get("DestinationRule", "store", "api");
    assert_eq!(
        dr["spec"]["trafficPolicy"]["loadBalancer"]["consistentHash"]["httpCookie"]["ttl"],
        "1h"
    );
    assert_eq!(
        dr["spec"]["trafficPolicy"]["portLevelSettings"][0]["loadBalancer"]["simple"],
        "ROUND_ROBIN"
    );
    assert_eq!(
        dr["spec"]["subsets"][1]["trafficPolicy"]["loadBalancer"]["consistentHash"]["httpHeaderName"],
        "x-user"
    );
    assert_eq!(dr["spec"]["exportTo"], serde_json::json!([".", "edge"]));
    let ingress = get("VirtualService", "edge", "public-api");
    assert_eq!(
        ingress["spec"]["gateways"],
        serde_json::json!(["public", "mesh"])
    );
    assert_eq!(
        ingress["spec"]["http"][0]["route"][0]["destination"]["host"],
        "api.store.svc.cluster.local"
    );
    let dep = get("Deployment", "store", "api-v1");
    assert_eq!(
        dep["spec"]["template"]["metadata"]["labels"]["track"],
        "stable"
    );
    assert_eq!(dep["metadata"]["labels"]["team"], "platform");
}

#[test]
fn the_output_passes_the_crd_schemas_and_core_shapes() {
    let r = kitchen_sink().compile().unwrap().resources;
    for doc in &r {
        if let Some(p) = testkit::document_problems(&doc.to_json()) {
            panic!("{} {} {p}", doc.kind(), doc.name());
        }
    }
}

#[test]
fn the_output_is_the_reviewed_snapshot() {
    let yaml = mesh_dsl::render::to_yaml(&kitchen_sink().compile().unwrap().resources).unwrap();
    testkit::snapshot_settings().bind(|| insta::assert_snapshot!("dsl_every_builder", yaml));
}

//! The reference scenario: an online shop in namespace `shop`.
//!
//! - services `user`, `product`, `order` and `payment`; `user` runs v1 and v2;
//! - an HTTPS gateway for `shop.example.com`, with plain HTTP redirected to HTTPS, routing
//!   by path prefix;
//! - a canary of `user` v2 in stages 10% -> 25% -> 50% -> 100%, promoted by `rollout` while
//!   v2 answers at least 99% of its requests without a 5xx within a p99 of 500 ms;
//! - on `product`: an HTTP 500 for requests of test users (header `x-test-user: true`) and
//!   a 5 s delay for 10% of the rest;
//! - a circuit breaker on `payment` (connection-pool limits and outlier detection);
//! - the external payment provider `api.payments.example.com`, called over plain HTTP
//!   from the mesh with TLS originated by the sidecar;
//! - STRICT mutual TLS, and only `order` may call `payment`;
//! - tracing of 10% of requests to an OpenTelemetry collector (Tempo) and access logs to
//!   Loki through the same collector.

use istio_types::Duration;
use mesh_dsl::route::Percentile;
use mesh_dsl::{
    Authorization, AuthzRule, Canary, ConnectionPool, Egress, Gateway, Match, Mesh, Mtls, MtlsMode,
    Namespace, OutlierDetection, Policy, Port, Probe, Route, Routes, Service, SidecarScope,
    Telemetry, TelemetryProviders, Version, exact,
};

/// The shop's public host name.
pub const HOST: &str = "shop.example.com";

/// The OpenTelemetry collector that forwards traces to Tempo and logs to Loki.
pub const COLLECTOR: &str = "opentelemetry-collector.observability.svc.cluster.local";

fn version(service: &str, version: &str, tag: &str) -> Version {
    Version::new(
        version,
        format!("registry.example.com/shop/{service}:{tag}"),
    )
    .replicas(2)
    .requests("100m", "128Mi")
    .limits("500m", "256Mi")
    .readiness(Probe::http_get("/healthz"))
}

fn service(ns: &mesh_dsl::NamespaceRef, name: &str) -> Service {
    Service::new(ns, name).port(Port::http(80).target(8080))
}

/// The whole mesh.
pub fn mesh() -> Mesh {
    let mut mesh = Mesh::new();
    let shop = mesh.namespace(Namespace::new("shop").sidecar_injection());

    let user = mesh.service(
        service(&shop, "user")
            .version(version("user", "v1", "1.8.2"))
            .version(version("user", "v2", "2.0.0")),
    );
    let product =
        mesh.service(service(&shop, "product").version(version("product", "v1", "3.1.0")));
    let order = mesh.service(service(&shop, "order").version(version("order", "v1", "1.2.0")));
    let payment =
        mesh.service(service(&shop, "payment").version(version("payment", "v1", "1.0.4")));

    // Ingress: HTTPS for the shop's host, plain HTTP redirected, routes by path prefix.
    let gateway = mesh.gateway(
        Gateway::new(&shop, "shop-gateway")
            .https([HOST], "shop-example-com-tls")
            .redirect_http_to_https([HOST]),
    );
    mesh.routes(
        Routes::ingress("storefront", &gateway, [HOST])
            .route(
                Route::new()
                    .named("users")
                    .when(Match::prefix("/api/users"))
                    .to(&user),
            )
            .route(
                Route::new()
                    .named("products")
                    .when(Match::prefix("/api/products"))
                    .to(&product),
            )
            .route(
                Route::new()
                    .named("orders")
                    .when(Match::prefix("/api/orders"))
                    .to(&order),
            ),
    );

    // The user-service canary: every route to `user` splits between v1 and v2. `rollout`
    // moves on while v2's own metrics pass the gates, and rolls back otherwise.
    mesh.canary(
        Canary::new(user.subset("v1"), user.subset("v2"))
            .stages([10, 25, 50, 100])
            .success_rate(99.0)
            .latency(Percentile::P99, std::time::Duration::from_millis(500)),
    );

    // Fault injection on product: test users get a 500, 10% of the rest wait 5 s.
    mesh.routes(
        Routes::new(&product)
            .route(
                Route::new()
                    .named("test-users-fail")
                    .when(Match::any().header("x-test-user", exact("true")))
                    .abort(500, 100.0)
                    .to(&product),
            )
            .route(
                Route::new()
                    .named("slow-tenth")
                    .delay(Duration::from_secs(5), 10.0)
                    .to(&product),
            ),
    );

    // Circuit breaker on payment.
    mesh.policy(
        &payment,
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
                    .interval(Duration::from_secs(10))
                    .base_ejection_time(Duration::from_secs(30))
                    .max_ejection_percent(50),
            ),
    );

    // The external payment provider, with TLS originated by the sidecar.
    let provider = mesh.egress(
        Egress::new(&shop, "payments-provider", "api.payments.example.com").tls_origination(),
    );
    mesh.sidecar_scope(
        SidecarScope::new(&shop)
            .allow("./*")
            .allow("istio-system/*")
            .allow_egress(&provider),
    );

    // Security: STRICT mTLS; only order may call payment.
    mesh.mtls(Mtls::namespace(&shop, MtlsMode::Strict));
    mesh.authorize(
        Authorization::allow("payment-callers", &payment)
            .rule(AuthzRule::new().from_service(&order)),
    );

    // Telemetry: traces (10%) to Tempo and access logs to Loki, both via the collector.
    mesh.telemetry_providers(
        TelemetryProviders::new()
            .opentelemetry_tracing("otel-tempo", COLLECTOR, 4317)
            .opentelemetry_access_logs("otel-loki", COLLECTOR, 4317),
    );
    mesh.telemetry(
        Telemetry::mesh_wide()
            .tracing("otel-tempo", 10.0)
            .access_logs("otel-loki"),
    );

    mesh
}

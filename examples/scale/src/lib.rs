//! The scale workload of `../shared/bench/WORKLOAD.md`, written with the DSL: one
//! namespace, one HTTP gateway, and per service two versions, a Service, a
//! DestinationRule with a circuit breaker and a VirtualService with a tester route, a
//! 90/10 split, retries, a timeout and a delay fault.

use istio_types::Duration;
use mesh_dsl::{
    ConnectionPool, Gateway, Identity, Match, Mesh, Namespace, OutlierDetection, Policy, Port,
    Route, Routes, Service, Version, exact,
};

/// The mesh for `services` services.
pub fn mesh(services: usize) -> Mesh {
    let mut mesh = Mesh::new();
    let shop = mesh.namespace(Namespace::new("shop").sidecar_injection());
    mesh.gateway(Gateway::new(&shop, "shop-gateway").http(["shop.example.com"]));
    for i in 0..services {
        let name = format!("svc-{i}");
        let version =
            |v: &str| Version::new(v, format!("example/{name}:{v}")).requests("100m", "128Mi");
        let svc = mesh.service(
            Service::new(&shop, &name)
                .identity(Identity::NamespaceDefault)
                .container_name("app")
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
                        .interval(Duration::from_secs(10))
                        .base_ejection_time(Duration::from_secs(30))
                        .max_ejection_percent(50),
                ),
        );
        mesh.routes(
            Routes::new(&svc)
                .route(
                    Route::new()
                        .when(Match::any().header("end-user", exact("tester")))
                        .to(svc.subset("v2")),
                )
                .route(
                    Route::new()
                        .split([(svc.subset("v1"), 90), (svc.subset("v2"), 10)])
                        .retries(3, Duration::from_secs(2), "5xx,reset")
                        .timeout(Duration::from_secs(10))
                        .delay(Duration::from_secs(5), 10.0),
                ),
        );
    }
    mesh
}

//! The mesh this crate renders at build time. `build.rs` and the tests both include this
//! file, so the tests can check that the embedded manifests are what it renders.

use istio_types::Duration;
use mesh_dsl::{
    Canary, Gateway, Match, Mesh, Mtls, MtlsMode, Namespace, Port, Route, Routes, Service, Version,
};

/// The public host name.
pub const HOST: &str = "www.example.com";

/// A small web shop: a frontend with a canary of v2 at 20%, an API behind `/api`, HTTPS
/// at the gateway, STRICT mutual TLS.
pub fn mesh() -> Mesh {
    let mut mesh = Mesh::new();
    let web = mesh.namespace(Namespace::new("web").sidecar_injection());
    let frontend = mesh.service(
        Service::new(&web, "frontend")
            .port(Port::http(80).target(8080))
            .version(Version::new(
                "v1",
                "registry.example.com/web/frontend:1.4.0",
            ))
            .version(Version::new(
                "v2",
                "registry.example.com/web/frontend:1.5.0",
            )),
    );
    let api = mesh.service(
        Service::new(&web, "api")
            .port(Port::http(80).target(8080))
            .version(Version::new("v1", "registry.example.com/web/api:3.2.1").replicas(2)),
    );
    let gateway = mesh.gateway(
        Gateway::new(&web, "web-gateway")
            .https([HOST], "www-example-com-tls")
            .redirect_http_to_https([HOST]),
    );
    mesh.routes(
        Routes::ingress("web", &gateway, [HOST])
            .route(
                Route::new()
                    .when(Match::prefix("/api"))
                    .timeout(Duration::from_secs(5))
                    .to(&api),
            )
            .route(Route::new().to(&frontend)),
    );
    mesh.canary(Canary::new(frontend.subset("v1"), frontend.subset("v2")).stages([20]));
    mesh.mtls(Mtls::namespace(&web, MtlsMode::Strict));
    mesh
}

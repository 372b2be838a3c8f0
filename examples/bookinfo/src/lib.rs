//! Istio's bookinfo routing samples, written with mesh-dsl.
//!
//! Istio's `samples/bookinfo/networking/` folder holds 21 YAML files: the gateway, the
//! destination rules (with and without mutual TLS), egress to Google APIs, fault
//! injection, and the virtual services of the traffic-management tasks. Each function
//! here builds one file's configuration with the DSL and is named after the file
//! (`virtual-service-reviews-90-10.yaml` is [`virtual_service_reviews_90_10`]); [`FILES`]
//! lists them all. `tests/parity.rs` compiles each one and compares the output with the
//! file, document by document.
//!
//! The application itself (Deployments, Services, ServiceAccounts) is deployed by
//! Istio's `platform/kube/bookinfo.yaml`, so its services are declared
//! [`Service::deployed_elsewhere`]: the meshes emit Istio configuration only, plus the
//! `bookinfo` Namespace. A route to a version needs that version's subset, so every mesh
//! also emits the DestinationRules of the services it routes to (the samples have you
//! apply `destination-rule-all.yaml` first for the same reason).
//!
//! ```
//! let compiled = bookinfo::virtual_service_reviews_90_10().compile().unwrap();
//! let yaml = mesh_dsl::render::to_yaml(&compiled.resources).unwrap();
//! assert!(yaml.contains("weight: 90"));
//! ```

use istio_types::Duration;
use mesh_dsl::{
    Egress, Gateway, LoadBalancer, Match, Mesh, Namespace, NamespaceRef, Policy, Port, Protocol,
    Route, Routes, Service, ServiceRef, SubsetRef, Target, Tls, Version, exact,
};

/// The namespace the meshes put bookinfo in. Istio's files name none (they go wherever
/// they are applied); the parity test leaves the namespace out of the comparison.
pub const NAMESPACE: &str = "bookinfo";

/// The port every bookinfo service listens on.
pub const PORT: u32 = 9080;

/// The release of the bookinfo images (as in Istio's `bookinfo.yaml`).
const TAG: &str = "1.20.3";

/// A function that builds the mesh of one sample file.
pub type BuildMesh = fn() -> Mesh;

/// Every file of Istio's `samples/bookinfo/networking/` with the function that builds it.
pub const FILES: [(&str, BuildMesh); 21] = [
    ("bookinfo-gateway.yaml", bookinfo_gateway),
    ("certmanager-gateway.yaml", certmanager_gateway),
    ("destination-rule-all-mtls.yaml", destination_rule_all_mtls),
    ("destination-rule-all.yaml", destination_rule_all),
    ("destination-rule-reviews.yaml", destination_rule_reviews),
    ("egress-rule-google-apis.yaml", egress_rule_google_apis),
    (
        "fault-injection-details-v1.yaml",
        fault_injection_details_v1,
    ),
    ("virtual-service-all-v1.yaml", virtual_service_all_v1),
    (
        "virtual-service-details-v2.yaml",
        virtual_service_details_v2,
    ),
    (
        "virtual-service-ratings-db.yaml",
        virtual_service_ratings_db,
    ),
    (
        "virtual-service-ratings-mysql-vm.yaml",
        virtual_service_ratings_mysql_vm,
    ),
    (
        "virtual-service-ratings-mysql.yaml",
        virtual_service_ratings_mysql,
    ),
    (
        "virtual-service-ratings-test-abort.yaml",
        virtual_service_ratings_test_abort,
    ),
    (
        "virtual-service-ratings-test-delay.yaml",
        virtual_service_ratings_test_delay,
    ),
    (
        "virtual-service-reviews-50-v3.yaml",
        virtual_service_reviews_50_v3,
    ),
    (
        "virtual-service-reviews-80-20.yaml",
        virtual_service_reviews_80_20,
    ),
    (
        "virtual-service-reviews-90-10.yaml",
        virtual_service_reviews_90_10,
    ),
    (
        "virtual-service-reviews-jason-v2-v3.yaml",
        virtual_service_reviews_jason_v2_v3,
    ),
    (
        "virtual-service-reviews-test-v2.yaml",
        virtual_service_reviews_test_v2,
    ),
    (
        "virtual-service-reviews-v2-v3.yaml",
        virtual_service_reviews_v2_v3,
    ),
    (
        "virtual-service-reviews-v3.yaml",
        virtual_service_reviews_v3,
    ),
];

// ---------------------------------------------------------------------------------------
// The services.

/// One version of a bookinfo service. `v2-mysql` and `v2-mysql-vm` of ratings run the v2
/// image against MySQL (on a pod or on a VM).
fn version(service: &str, version: &str) -> Version {
    let image_version = version.split('-').next().unwrap_or(version);
    let v = Version::new(
        version,
        format!("registry.istio.io/release/examples-bookinfo-{service}-{image_version}:{TAG}"),
    );
    if version.contains("mysql") {
        v.env("DB_TYPE", "mysql")
    } else {
        v
    }
}

/// A bookinfo service with the given versions, on port 9080 (HTTP). Its workloads are
/// deployed by Istio's `bookinfo.yaml`; its versions are the subsets routes can use.
pub fn service(ns: &NamespaceRef, name: &str, versions: &[&str]) -> Service {
    versions
        .iter()
        .fold(Service::new(ns, name).port(Port::http(PORT)), |s, v| {
            s.version(version(name, v))
        })
        .deployed_elsewhere()
}

/// `productpage`: v1.
pub fn productpage(ns: &NamespaceRef) -> Service {
    service(ns, "productpage", &["v1"])
}

/// `reviews`: v1 (no stars), v2 (black stars), v3 (red stars).
pub fn reviews(ns: &NamespaceRef) -> Service {
    service(ns, "reviews", &["v1", "v2", "v3"])
}

/// `ratings`: v1, v2 (MongoDB), v2-mysql, v2-mysql-vm.
pub fn ratings(ns: &NamespaceRef) -> Service {
    service(ns, "ratings", &["v1", "v2", "v2-mysql", "v2-mysql-vm"])
}

/// `details`: v1, v2 (calls Google Books).
pub fn details(ns: &NamespaceRef) -> Service {
    service(ns, "details", &["v1", "v2"])
}

/// Handles to the bookinfo services of a mesh built with [`declare_all`].
#[derive(Clone, Debug)]
pub struct Bookinfo {
    /// The `bookinfo` namespace.
    pub namespace: NamespaceRef,
    /// `productpage`.
    pub productpage: ServiceRef,
    /// `reviews`.
    pub reviews: ServiceRef,
    /// `ratings`.
    pub ratings: ServiceRef,
    /// `details`.
    pub details: ServiceRef,
}

/// Declares the `bookinfo` namespace (with sidecar injection) and returns its handle.
pub fn declare_namespace(mesh: &mut Mesh) -> NamespaceRef {
    mesh.namespace(Namespace::new(NAMESPACE).sidecar_injection())
}

/// Declares the namespace and all four services with all their versions.
pub fn declare_all(mesh: &mut Mesh) -> Bookinfo {
    let namespace = declare_namespace(mesh);
    Bookinfo {
        productpage: mesh.service(productpage(&namespace)),
        reviews: mesh.service(reviews(&namespace)),
        ratings: mesh.service(ratings(&namespace)),
        details: mesh.service(details(&namespace)),
        namespace,
    }
}

/// Requests of the test user `jason` (the header the product page sets after login).
fn jason() -> Match {
    Match::any().header("end-user", exact("jason"))
}

/// Sends every call to a service to one of its versions.
fn all_to(mesh: &mut Mesh, subset: &SubsetRef) {
    mesh.routes(Routes::new(subset.service()).route(Route::new().to(subset)));
}

/// A mesh with the namespace and the services `declare` picks.
fn with<T>(declare: impl FnOnce(&mut Mesh, &NamespaceRef) -> T) -> (Mesh, T) {
    let mut mesh = Mesh::new();
    let ns = declare_namespace(&mut mesh);
    let handles = declare(&mut mesh, &ns);
    (mesh, handles)
}

// ---------------------------------------------------------------------------------------
// Ingress.

/// `bookinfo-gateway.yaml`: the ingress gateway on port 8080 for any host, and the routes
/// of the product page's paths to `productpage`.
pub fn bookinfo_gateway() -> Mesh {
    let (mut mesh, (ns, productpage)) = with(|m, ns| (ns.clone(), m.service(productpage(ns))));
    let gateway = mesh.gateway(
        Gateway::new(&ns, "bookinfo-gateway")
            .http_on(8080, ["*"])
            .port_name(8080, "http"),
    );
    mesh.routes(
        Routes::ingress("bookinfo", &gateway, ["*"]).route(
            Route::new()
                .when(Match::exact("/productpage"))
                .when(Match::prefix("/static"))
                .when(Match::exact("/login"))
                .when(Match::exact("/logout"))
                .when(Match::prefix("/api/v1/products"))
                .to(Target::from(&productpage).port(PORT)),
        ),
    );
    mesh
}

/// `certmanager-gateway.yaml`: a gateway in `istio-system` that lets cert-manager answer
/// ACME HTTP-01 challenges. The solver service is created by cert-manager, so it is
/// declared deployed elsewhere.
pub fn certmanager_gateway() -> Mesh {
    let mut mesh = Mesh::new();
    let istio_system = NamespaceRef::external("istio-system");
    let solver = mesh.service(
        Service::new(&istio_system, "cert-manager-resolver")
            .port(Port::http(8089))
            .deployed_elsewhere(),
    );
    let gateway = mesh.gateway(Gateway::new(&istio_system, "cert-manager-gateway").http(["*"]));
    mesh.routes(
        Routes::ingress("cert-manager", &gateway, ["*"]).route(
            Route::new()
                .when(Match::prefix("/.well-known/acme-challenge/"))
                .to(Target::from(&solver).port(8089)),
        ),
    );
    mesh
}

// ---------------------------------------------------------------------------------------
// Destination rules.

/// `destination-rule-all.yaml`: the versions of every service, as subsets.
pub fn destination_rule_all() -> Mesh {
    let mut mesh = Mesh::new();
    declare_all(&mut mesh);
    mesh
}

/// `destination-rule-all-mtls.yaml`: the same, with Istio mutual TLS to every service.
pub fn destination_rule_all_mtls() -> Mesh {
    let mut mesh = Mesh::new();
    let b = declare_all(&mut mesh);
    for service in [&b.productpage, &b.reviews, &b.ratings, &b.details] {
        mesh.policy(service, Policy::new().tls(Tls::IstioMutual));
    }
    mesh
}

/// `destination-rule-reviews.yaml`: random load balancing over the reviews pods.
pub fn destination_rule_reviews() -> Mesh {
    let (mut mesh, reviews) = with(|m, ns| m.service(reviews(ns)));
    mesh.policy(&reviews, Policy::new().load_balancer(LoadBalancer::Random));
    mesh
}

// ---------------------------------------------------------------------------------------
// Egress.

/// `egress-rule-google-apis.yaml`: details v2 calls `www.googleapis.com`. Calls on port 80
/// are sent to port 443, where the sidecar originates TLS.
pub fn egress_rule_google_apis() -> Mesh {
    let mut mesh = Mesh::new();
    let ns = declare_namespace(&mut mesh);
    let google = mesh.egress(
        Egress::new(&ns, "googleapis", "www.googleapis.com")
            .ports([Port::http(80), Port::new(Protocol::Https, 443)]),
    );
    mesh.routes(
        Routes::external("rewrite-port-for-googleapis", &google).route(
            Route::new()
                .when(Match::any().port(80))
                .to(Target::from(&google).port(443)),
        ),
    );
    mesh.egress_policy(
        "originate-tls-for-googleapis",
        &google,
        Policy::new()
            .load_balancer(LoadBalancer::RoundRobin)
            .port(443, Policy::new().tls(Tls::Simple { sni: None })),
    );
    mesh
}

// ---------------------------------------------------------------------------------------
// Faults.

/// `fault-injection-details-v1.yaml`: every call to details fails with HTTP 555. Only
/// details v1 exists at this step of the task, so only its subset is declared.
pub fn fault_injection_details_v1() -> Mesh {
    let (mut mesh, details) = with(|m, ns| m.service(service(ns, "details", &["v1"])));
    let v1 = details.subset("v1");
    mesh.routes(
        Routes::new(&details)
            .route(Route::new().abort(555, 100.0).to(&v1))
            .route(Route::new().to(&v1)),
    );
    mesh
}

/// `virtual-service-ratings-test-abort.yaml`: jason's calls to ratings fail with HTTP 500.
pub fn virtual_service_ratings_test_abort() -> Mesh {
    let (mut mesh, ratings) = with(|m, ns| m.service(ratings(ns)));
    let v1 = ratings.subset("v1");
    mesh.routes(
        Routes::new(&ratings)
            .route(Route::new().when(jason()).abort(500, 100.0).to(&v1))
            .route(Route::new().to(&v1)),
    );
    mesh
}

/// `virtual-service-ratings-test-delay.yaml`: jason's calls to ratings wait 7 s.
pub fn virtual_service_ratings_test_delay() -> Mesh {
    let (mut mesh, ratings) = with(|m, ns| m.service(ratings(ns)));
    let v1 = ratings.subset("v1");
    mesh.routes(
        Routes::new(&ratings)
            .route(
                Route::new()
                    .when(jason())
                    .delay(Duration::from_secs(7), 100.0)
                    .to(&v1),
            )
            .route(Route::new().to(&v1)),
    );
    mesh
}

// ---------------------------------------------------------------------------------------
// Request routing and traffic shifting.

/// `virtual-service-all-v1.yaml`: every service answers with v1.
pub fn virtual_service_all_v1() -> Mesh {
    let mut mesh = Mesh::new();
    let b = declare_all(&mut mesh);
    for service in [&b.productpage, &b.reviews, &b.ratings, &b.details] {
        all_to(&mut mesh, &service.subset("v1"));
    }
    mesh
}

/// `virtual-service-details-v2.yaml`: details answers with v2.
pub fn virtual_service_details_v2() -> Mesh {
    let (mut mesh, details) = with(|m, ns| m.service(details(ns)));
    all_to(&mut mesh, &details.subset("v2"));
    mesh
}

/// reviews v3 (which calls ratings) and ratings at `ratings_version`.
fn reviews_v3_and_ratings(ratings_version: &str) -> Mesh {
    let (mut mesh, (reviews, ratings)) =
        with(|m, ns| (m.service(reviews(ns)), m.service(ratings(ns))));
    all_to(&mut mesh, &reviews.subset("v3"));
    all_to(&mut mesh, &ratings.subset(ratings_version));
    mesh
}

/// `virtual-service-ratings-db.yaml`: reviews v3, and ratings v2 (MongoDB).
pub fn virtual_service_ratings_db() -> Mesh {
    reviews_v3_and_ratings("v2")
}

/// `virtual-service-ratings-mysql.yaml`: reviews v3, and ratings backed by MySQL.
pub fn virtual_service_ratings_mysql() -> Mesh {
    reviews_v3_and_ratings("v2-mysql")
}

/// `virtual-service-ratings-mysql-vm.yaml`: reviews v3, and ratings backed by MySQL on a
/// VM.
pub fn virtual_service_ratings_mysql_vm() -> Mesh {
    reviews_v3_and_ratings("v2-mysql-vm")
}

/// A mesh with reviews and its routes.
fn reviews_routes(routes: impl FnOnce(&ServiceRef) -> Routes) -> Mesh {
    let (mut mesh, reviews) = with(|m, ns| m.service(reviews(ns)));
    mesh.routes(routes(&reviews));
    mesh
}

/// Splits reviews traffic between two versions by weight.
fn reviews_split(a: (&str, i32), b: (&str, i32)) -> Mesh {
    reviews_routes(|r| {
        Routes::new(r).route(Route::new().split([(r.subset(a.0), a.1), (r.subset(b.0), b.1)]))
    })
}

/// `virtual-service-reviews-v3.yaml`: reviews answers with v3.
pub fn virtual_service_reviews_v3() -> Mesh {
    reviews_routes(|r| Routes::new(r).route(Route::new().to(r.subset("v3"))))
}

/// `virtual-service-reviews-test-v2.yaml`: jason sees v2, everyone else v1.
pub fn virtual_service_reviews_test_v2() -> Mesh {
    reviews_routes(|r| {
        Routes::new(r)
            .route(Route::new().when(jason()).to(r.subset("v2")))
            .route(Route::new().to(r.subset("v1")))
    })
}

/// `virtual-service-reviews-jason-v2-v3.yaml`: jason sees v2, everyone else v3.
pub fn virtual_service_reviews_jason_v2_v3() -> Mesh {
    reviews_routes(|r| {
        Routes::new(r)
            .route(Route::new().when(jason()).to(r.subset("v2")))
            .route(Route::new().to(r.subset("v3")))
    })
}

/// `virtual-service-reviews-50-v3.yaml`: half the traffic to v1, half to v3.
pub fn virtual_service_reviews_50_v3() -> Mesh {
    reviews_split(("v1", 50), ("v3", 50))
}

/// `virtual-service-reviews-80-20.yaml`: 80% to v1, 20% to v2.
pub fn virtual_service_reviews_80_20() -> Mesh {
    reviews_split(("v1", 80), ("v2", 20))
}

/// `virtual-service-reviews-90-10.yaml`: 90% to v1, 10% to v2.
pub fn virtual_service_reviews_90_10() -> Mesh {
    reviews_split(("v1", 90), ("v2", 10))
}

/// `virtual-service-reviews-v2-v3.yaml`: half the traffic to v2, half to v3.
pub fn virtual_service_reviews_v2_v3() -> Mesh {
    reviews_split(("v2", 50), ("v3", 50))
}

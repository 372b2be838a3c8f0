//! `Mesh::compile`: what it checks, that it collects every problem, and that its output
//! does not depend on the order the mesh was assembled in.

use istio_types::Duration;
use istio_types::networking::v1::{
    Destination, HttpRoute, HttpRouteDestination, VirtualService, VirtualServiceSpec,
};
use mesh_dsl::{
    Authorization, AuthzRule, Canary, CompileOptions, Egress, Gateway, Match, Mesh, Mtls, MtlsMode,
    Namespace, Port, Route, Routes, Service, Severity, SidecarScope, Telemetry, TelemetryProviders,
    Version, exact,
};

fn codes(mesh: &Mesh) -> Vec<String> {
    match mesh.compile() {
        Ok(c) => c.warnings.iter().map(|d| d.code.to_string()).collect(),
        Err(e) => e.diagnostics.iter().map(|d| d.code.to_string()).collect(),
    }
}

fn shop() -> (Mesh, mesh_dsl::NamespaceRef, mesh_dsl::ServiceRef) {
    let mut mesh = Mesh::new();
    let ns = mesh.namespace(Namespace::new("shop").sidecar_injection());
    let user = mesh.service(
        Service::new(&ns, "user")
            .port(Port::http(80).target(8080))
            .version(Version::new("v1", "user:1"))
            .version(Version::new("v2", "user:2")),
    );
    (mesh, ns, user)
}

#[test]
fn every_problem_is_reported_in_one_pass_with_where_and_what_to_do() {
    let (mut mesh, ns, user) = shop();
    mesh.service(
        Service::new(&ns, "cart")
            .port(Port::http(70000))
            .port(Port::tcp(90).suffix("x")),
    );
    mesh.routes(
        Routes::new(&user)
            .route(Route::new().split([(user.subset("v1"), 70), (user.subset("v3"), 20)]))
            .route(Route::new().when(Match::prefix("/x"))),
    );
    let err = mesh.compile().unwrap_err();
    let found: Vec<(&str, Severity)> = err
        .diagnostics
        .iter()
        .map(|d| (&*d.code, d.severity))
        .collect();
    for expected in ["MESH0002", "MESH0003", "MESH0004", "MESH0011", "MESH0014"] {
        assert!(
            found.iter().any(|(c, _)| *c == expected),
            "{expected} missing from {found:?}"
        );
    }
    let unknown = err
        .diagnostics
        .iter()
        .find(|d| d.code == "MESH0002")
        .unwrap();
    assert!(
        unknown.message.contains("\"v3\"") && unknown.message.contains("versions v1, v2"),
        "{unknown}"
    );
    assert!(
        unknown
            .hint
            .as_deref()
            .unwrap()
            .contains("Version::new(\"v3\"")
    );
    let weights = err
        .diagnostics
        .iter()
        .find(|d| d.code == "MESH0003")
        .unwrap();
    assert!(
        weights.message.contains("add up to 90 (70 + 20)"),
        "{weights}"
    );
    let text = err.to_string();
    assert!(
        text.contains("routes of service shop/user > route[1] has no action"),
        "{text}"
    );
}

#[test]
fn handles_from_another_mesh_and_duplicates_are_caught() {
    let (mut mesh, ns, user) = shop();
    let (_, _, stranger) = {
        let mut other = Mesh::new();
        let o = other.namespace(Namespace::new("other"));
        let s = other.service(Service::new(&o, "stranger"));
        (other, o, s)
    };
    mesh.routes(Routes::new(&user).route(Route::new().to(&stranger)));
    mesh.routes(Routes::new(&user).route(Route::new().to(&user)));
    mesh.service(Service::new(&ns, "user").version(Version::new("v1", "again:1")));
    let c = codes(&mesh);
    assert!(c.contains(&"MESH0012".to_string()), "{c:?}");
    assert!(c.contains(&"MESH0005".to_string()), "{c:?}");
    assert!(c.contains(&"MESH0001".to_string()), "{c:?}");
}

#[test]
fn warnings_pass_unless_made_fatal() {
    let (mut mesh, ns, _) = shop();
    mesh.service(Service::new(&ns, "idle").port(Port::http(80)));
    let ok = mesh.compile().expect("warnings do not fail");
    assert_eq!(
        ok.warnings.iter().map(|d| &*d.code).collect::<Vec<_>>(),
        ["MESH0011"]
    );
    let err = mesh
        .compile_with(&CompileOptions::default().warnings_are_errors())
        .unwrap_err();
    assert_eq!(err.diagnostics.len(), 1);
}

#[test]
fn canary_plans_are_checked_and_stages_are_bounded() {
    let (mut mesh, _, user) = shop();
    mesh.canary(Canary::new(user.subset("v1"), user.subset("v2")).stages([10, 150, 50]));
    let c = codes(&mesh);
    assert!(
        c.iter().filter(|x| *x == "MESH0008").count() >= 2,
        "out of range and decreasing: {c:?}"
    );
    let (mut mesh, _, user) = shop();
    mesh.canary(Canary::new(user.subset("v1"), user.subset("v2")).stages([10, 100]));
    assert!(mesh.compile_stage(1).is_ok());
    let err = mesh.compile_stage(2).unwrap_err();
    assert_eq!(&*err.diagnostics.iter().next().unwrap().code, "MESH0009");
}

/// A piece of a mesh, as a module of a user's code would add it.
type Part = Box<dyn Fn(&mut Mesh)>;

/// One mesh, assembled by parts that can run in any order (as modules of a user's code).
fn parts() -> Vec<Part> {
    let ns = || mesh_dsl::NamespaceRef::external("shop");
    vec![
        Box::new(|m: &mut Mesh| {
            m.namespace(Namespace::new("shop").sidecar_injection());
        }),
        Box::new(move |m: &mut Mesh| {
            let user = m.service(
                Service::new(&ns(), "user")
                    .port(Port::http(80))
                    .version(Version::new("v1", "user:1"))
                    .version(Version::new("v2", "user:2")),
            );
            m.canary(Canary::new(user.subset("v1"), user.subset("v2")).stages([20, 100]));
        }),
        Box::new(move |m: &mut Mesh| {
            let cart = m.service(
                Service::new(&ns(), "cart")
                    .port(Port::http(80))
                    .version(Version::new("v1", "cart:1")),
            );
            m.routes(
                Routes::new(&cart).route(
                    Route::new()
                        .when(Match::any().header("x-debug", exact("1")))
                        .timeout(Duration::from_millis(1500))
                        .to(&cart),
                ),
            );
            m.authorize(
                Authorization::allow("cart-callers", &cart)
                    .rule(AuthzRule::new().from_namespace(&ns())),
            );
        }),
        Box::new(move |m: &mut Mesh| {
            m.gateway(Gateway::new(&ns(), "gw").http(["shop.example.com"]));
            m.egress(Egress::new(&ns(), "ext", "api.example.com").tls_origination());
            m.sidecar_scope(SidecarScope::new(&ns()).allow("./*"));
            m.mtls(Mtls::namespace(&ns(), MtlsMode::Strict));
            m.telemetry_providers(TelemetryProviders::new().opentelemetry_tracing(
                "otel",
                "collector.obs.svc.cluster.local",
                4317,
            ));
            m.telemetry(Telemetry::mesh_wide().tracing("otel", 5.0));
        }),
    ]
}

#[test]
fn output_is_the_same_whatever_order_the_mesh_was_assembled_in() {
    let render = |order: &[usize]| {
        let parts = parts();
        let mut mesh = Mesh::new();
        for &i in order {
            parts[i](&mut mesh);
        }
        mesh_dsl::render::to_yaml(&mesh.compile_stage(0).unwrap().resources).unwrap()
    };
    let first = render(&[0, 1, 2, 3]);
    for order in [[3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2]] {
        assert_eq!(render(&order), first, "order {order:?}");
    }
    // Namespaces first, then core objects, then Istio kinds.
    let kinds: Vec<&str> = first
        .lines()
        .filter_map(|l| l.strip_prefix("kind: "))
        .collect();
    assert_eq!(kinds.first(), Some(&"Namespace"));
    let first_istio = kinds
        .iter()
        .position(|k| *k == "AuthorizationPolicy")
        .unwrap();
    assert!(
        kinds[..first_istio].iter().all(|k| [
            "Namespace",
            "ServiceAccount",
            "Service",
            "Deployment"
        ]
        .contains(k))
    );
}

#[test]
fn raw_resources_pass_through_and_compiled_resources_can_be_adjusted() {
    let (mut mesh, _, _) = shop();
    mesh.add_resource(istio_types::IstioResource::from(VirtualService::new(
        "shop",
        "legacy",
        VirtualServiceSpec {
            hosts: vec!["legacy".into()],
            http: vec![HttpRoute {
                route: vec![HttpRouteDestination {
                    destination: Destination {
                        host: "user".into(),
                        ..Default::default()
                    },
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    )));
    let mut compiled = mesh.compile().unwrap();
    assert!(
        compiled
            .resources
            .find("VirtualService", Some("shop"), "legacy")
            .is_some()
    );
    for r in compiled.resources.iter_mut() {
        if let Some(meta) = r.metadata_mut() {
            meta.annotations
                .get_or_insert_with(Default::default)
                .insert("team".into(), "shop".into());
        }
    }
    let yaml = mesh_dsl::render::to_yaml(&compiled.resources).unwrap();
    assert_eq!(yaml.matches("team: shop").count(), compiled.resources.len());
}

#[test]
fn render_writes_yaml_json_and_a_kustomize_layout() {
    let (mesh, _, _) = shop();
    let r = mesh.compile().unwrap().resources;
    let json: serde_json::Value =
        serde_json::from_str(&mesh_dsl::render::to_json(&r).unwrap()).unwrap();
    assert_eq!(json["kind"], "List");
    assert_eq!(json["items"].as_array().unwrap().len(), r.len());
    let files = mesh_dsl::render::to_files(&r).unwrap();
    let names: Vec<String> = files.keys().map(|p| p.display().to_string()).collect();
    assert!(
        names.contains(&"cluster/namespace-shop.yaml".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"shop/deployment-user-v2.yaml".to_string()),
        "{names:?}"
    );
    let top = &files[std::path::Path::new("kustomization.yaml")];
    assert!(
        top.contains("- cluster\n- shop"),
        "namespaces come first:\n{top}"
    );
    let shop = &files[std::path::Path::new("shop/kustomization.yaml")];
    assert!(shop.contains("- deployment-user-v1.yaml"), "{shop}");
    // Every listed file exists.
    for (path, text) in &files {
        if path.ends_with("kustomization.yaml") {
            let dir = path.parent().unwrap();
            for line in text.lines().filter_map(|l| l.strip_prefix("- ")) {
                let listed = dir.join(line);
                assert!(
                    files.contains_key(&listed) || files.keys().any(|k| k.starts_with(&listed)),
                    "{listed:?}"
                );
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("mesh-dsl-render-{}", std::process::id()));
    let written = mesh_dsl::render::write_dir(&r, &dir).unwrap();
    assert_eq!(written.len(), files.len());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `user` with an HTTP and a gRPC port, and one route to its v1, to `port` if given.
fn two_port_service(port: Option<u32>) -> Mesh {
    let mut mesh = Mesh::new();
    let ns = mesh.namespace(Namespace::new("shop").sidecar_injection());
    let user = mesh.service(
        Service::new(&ns, "user")
            .port(Port::http(80))
            .port(Port::new(mesh_dsl::Protocol::Grpc, 9090))
            .version(Version::new("v1", "user:1")),
    );
    let target = mesh_dsl::Target::from(user.subset("v1"));
    let target = match port {
        Some(p) => target.port(p),
        None => target,
    };
    mesh.routes(Routes::new(&user).route(Route::new().to(target)));
    mesh
}

#[test]
fn analysis_runs_by_default_and_its_errors_stop_compilation() {
    // A route that names neither port: Istio cannot tell which port the route is for
    // (IST0112, an error in `istioctl analyze`).
    let mesh = two_port_service(None);
    let err = mesh.compile().unwrap_err();
    let d = err
        .diagnostics
        .iter()
        .find(|d| d.code == "IST0112")
        .unwrap_or_else(|| panic!("IST0112 expected:\n{}", err.diagnostics));
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(
        d.resource.as_ref().map(ToString::to_string).as_deref(),
        Some("VirtualService shop/user")
    );
    assert_eq!(d.path.as_deref(), Some("spec.http[0].route[0].destination"));

    // Without analysis the same mesh compiles (validation alone accepts it)...
    let ok = mesh
        .compile_with(&CompileOptions::default().without_analysis())
        .expect("validation alone accepts it");
    assert!(ok.warnings.iter().all(|d| d.code != "IST0112"));
    // ...and naming the port satisfies the analyzer.
    let ok = two_port_service(Some(80))
        .compile()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !ok.warnings.has_at_least(Severity::Warning),
        "{}",
        ok.warnings
    );
}

#[test]
fn analysis_in_compile_assumes_workloads_installed_outside_the_mesh() {
    // A gateway with its own selector: its pods come from Istio's gateway chart, not from
    // the mesh, so compile() does not call the selector dangling (IST0101)...
    let mut mesh = Mesh::new();
    let ns = mesh.namespace(Namespace::new("shop").sidecar_injection());
    let edge = mesh.namespace(Namespace::new("edge"));
    let user = mesh.service(
        Service::new(&ns, "user")
            .port(Port::http(80))
            .version(Version::new("v1", "user:1")),
    );
    let gw = mesh.gateway(
        Gateway::new(&edge, "public")
            .selector([("istio", "edge-gateway")])
            .http(["shop.example.com"]),
    );
    mesh.routes(Routes::ingress("shop", &gw, ["shop.example.com"]).route(Route::new().to(&user)));
    let ok = mesh.compile().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !ok.warnings.has_at_least(Severity::Warning),
        "{}",
        ok.warnings
    );
    // ...while analysis of the rendered files alone, with nothing assumed, does.
    let files =
        mesh_dsl::analyze::analyze(&ok.resources, &mesh_dsl::analyze::AnalyzeOptions::default());
    assert!(
        files
            .iter()
            .any(|d| d.code == "IST0101" && d.path.as_deref() == Some("spec.selector")),
        "{files}"
    );
}

/// 100 two-port services (over 400 objects: enough for validation, analysis and
/// rendering to run side by side), each with the routes `routes` gives it.
fn hundred_two_port_services(routes: impl Fn(&mesh_dsl::ServiceRef) -> Routes) -> Mesh {
    let mut mesh = Mesh::new();
    let ns = mesh.namespace(Namespace::new("shop").sidecar_injection());
    for i in 0..100 {
        let svc = mesh.service(
            Service::new(&ns, format!("svc-{i}"))
                .port(Port::http(80))
                .port(Port::new(mesh_dsl::Protocol::Grpc, 9090))
                .version(Version::new("v1", format!("svc-{i}:1"))),
        );
        mesh.routes(routes(&svc));
    }
    mesh
}

#[test]
fn a_large_mesh_gets_every_finding_of_validation_and_analysis() {
    // No port on a two-port service: IST0112 (analysis). An invalid RE2 pattern: Istio's
    // webhook refuses it (validation). Every finding of both must be there, in order.
    let mesh = hundred_two_port_services(|svc| {
        Routes::new(svc)
            .route(
                Route::new()
                    .when(Match::regex("(unclosed"))
                    .to(mesh_dsl::Target::from(svc.subset("v1")).port(80)),
            )
            .route(Route::new().to(svc.subset("v1")))
    });
    let err = mesh.compile().unwrap_err();
    let count = |code: &str| err.diagnostics.iter().filter(|d| d.code == code).count();
    assert_eq!(count("IST0112"), 100, "{}", err.diagnostics);
    assert_eq!(count("MESH0100"), 100, "{}", err.diagnostics);
    // Each VirtualService has its two findings, next to each other.
    for pair in err.diagnostics.iter().collect::<Vec<_>>().chunks(2) {
        assert_eq!(pair[0].resource, pair[1].resource, "{:?}", pair);
    }
    // The same report every time, whichever thread finishes first.
    for _ in 0..5 {
        assert_eq!(mesh.compile().unwrap_err(), err);
    }
    // Validation alone finds its half.
    let validated = mesh
        .compile_with(&CompileOptions::default().without_analysis())
        .unwrap_err();
    assert_eq!(validated.diagnostics.len(), 100);
    assert!(validated.diagnostics.iter().all(|d| d.code == "MESH0100"));
}

#[test]
fn compile_to_yaml_renders_alongside_the_checks_and_only_returns_good_output() {
    let build = |port: Option<u32>| {
        hundred_two_port_services(|svc| {
            let target = mesh_dsl::Target::from(svc.subset("v1"));
            let target = match port {
                Some(p) => target.port(p),
                None => target,
            };
            Routes::new(svc).route(Route::new().to(target))
        })
    };
    let good = build(Some(80));
    let (compiled, yaml) = good
        .compile_to_yaml(&CompileOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        compiled.resources.len() >= 256,
        "{}",
        compiled.resources.len()
    );
    assert_eq!(compiled, good.compile().unwrap());
    assert_eq!(
        yaml,
        mesh_dsl::render::to_yaml(&compiled.resources).unwrap()
    );
    // A mesh with errors gets the same report as compile(), and no text.
    let bad = build(None);
    assert_eq!(
        bad.compile_to_yaml(&CompileOptions::default()).unwrap_err(),
        bad.compile().unwrap_err()
    );
}

/// The rendered YAML of `shop()` with one route on `user`.
fn render_route(route: impl Fn(&mesh_dsl::ServiceRef) -> Route) -> String {
    let (mut mesh, _, user) = shop();
    mesh.routes(Routes::new(&user).route(route(&user)));
    let compiled = mesh.compile().expect("a valid mesh");
    mesh_dsl::render::to_yaml(&compiled.resources).expect("renders")
}

#[test]
fn a_redirect_code_counts_whichever_order_it_is_set_in() {
    let after = render_route(|_| Route::new().redirect("/new").redirect_code(302));
    let before = render_route(|_| Route::new().redirect_code(302).redirect("/new"));
    assert!(after.contains("redirectCode: 302"), "{after}");
    assert_eq!(before, after);
    // Without a code, Istio's default (301) applies: nothing is written.
    let default = render_route(|_| Route::new().redirect("/new"));
    assert!(!default.contains("redirectCode"), "{default}");
}

#[test]
fn a_second_action_on_a_route_is_reported_not_silently_kept() {
    let (mut mesh, _, user) = shop();
    mesh.routes(
        Routes::new(&user).route(
            Route::new()
                .split([(user.subset("v1"), 90), (user.subset("v2"), 10)])
                .to(user.subset("v1")),
        ),
    );
    let err = mesh.compile().unwrap_err();
    let d = err
        .diagnostics
        .iter()
        .find(|d| d.code == "MESH0017")
        .unwrap_or_else(|| panic!("no MESH0017 in {:?}", err.diagnostics));
    assert_eq!(d.severity, Severity::Error);
    assert!(
        d.message.contains(".split(..) then .to(..)"),
        "{}",
        d.message
    );
    assert!(d.hint.as_deref().is_some_and(|h| h.contains("one of")));

    // A redirect code on a route that forwards.
    let (mut mesh, _, user) = shop();
    mesh.routes(Routes::new(&user).route(Route::new().redirect_code(302).to(&user)));
    assert_eq!(codes(&mesh), ["MESH0017"]);
}

#[test]
fn a_method_match_is_written_as_clients_send_it() {
    let yaml = render_route(|user| Route::new().when(Match::any().method("get")).to(user));
    assert!(yaml.contains("exact: GET"), "{yaml}");
}

#[test]
fn two_routes_for_one_service_say_so_instead_of_naming_it_twice() {
    let (mut mesh, _, user) = shop();
    mesh.routes(Routes::new(&user).route(Route::new().to(user.subset("v1"))));
    mesh.routes(Routes::new(&user).route(Route::new().to(user.subset("v2"))));
    let err = mesh.compile().unwrap_err();
    let d = err
        .diagnostics
        .iter()
        .find(|d| d.code == "MESH0005")
        .unwrap_or_else(|| panic!("no MESH0005 in {:?}", err.diagnostics));
    assert!(
        d.message
            .contains("(the routes of service shop/user are declared twice)"),
        "{}",
        d.message
    );
}

//! The manifests embedded at build time parse, hold the expected resources, and are what
//! the mesh renders now.

use istio_types::document::{Document, parse_stream};

#[path = "../mesh.rs"]
mod mesh;

#[test]
fn the_embedded_manifests_parse_and_hold_the_expected_resources() {
    let docs = parse_stream(build_script_example::manifests(), "mesh.yaml")
        .expect("the embedded YAML parses strictly");
    let found: Vec<(String, String)> = docs
        .iter()
        .map(|d| {
            let name = d.document.display_name().unwrap_or_default();
            (d.document.kind().to_string(), name)
        })
        .collect();
    for (kind, name) in [
        ("Namespace", "web"),
        ("Service", "web/frontend"),
        ("Deployment", "web/frontend-v1"),
        ("Deployment", "web/frontend-v2"),
        ("Deployment", "web/api-v1"),
        ("DestinationRule", "web/frontend"),
        ("Gateway", "web/web-gateway"),
        ("VirtualService", "web/web"),
        ("VirtualService", "web/frontend"),
        ("PeerAuthentication", "web/default"),
    ] {
        assert!(
            found.iter().any(|(k, n)| k == kind && n == name),
            "{kind} {name} is missing from {found:?}"
        );
    }
    // The canary stage the build rendered: 20% to v2, at the gateway too.
    let web = docs
        .iter()
        .find_map(|d| match &d.document {
            Document::Istio(r)
                if r.kind() == "VirtualService" && r.metadata().name.as_deref() == Some("web") =>
            {
                Some(serde_json::to_value(r).unwrap())
            }
            _ => None,
        })
        .expect("the ingress routes");
    let split = &web["spec"]["http"][1]["route"];
    assert_eq!(split[0]["destination"]["subset"], "v1");
    assert_eq!(split[0]["weight"], 80);
    assert_eq!(split[1]["weight"], 20);
}

#[test]
fn the_embedded_manifests_are_what_the_mesh_renders_now() {
    let compiled = mesh::mesh().compile().expect("the mesh compiles");
    assert_eq!(
        build_script_example::manifests(),
        mesh_dsl::render::to_yaml(&compiled.resources).unwrap()
    );
}

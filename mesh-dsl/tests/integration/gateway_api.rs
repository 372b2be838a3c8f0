//! Gateway API documents flow through `Resources` and `validate`: read strictly, kept
//! typed, checked against their CRDs' schema and CEL rules (IST0106), and analysed as
//! before (the analyzers read them as JSON).

use istio_types::document::parse_stream;
use mesh_dsl::resources::{Resource, Resources};
use mesh_dsl::validate;

const ROUTES: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: reviews, namespace: bookinfo}
spec:
  parentRefs: [{name: gateway}]
  rules:
  - filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: x-a, value: "1"}]}
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: x-b, value: "2"}]}
    backendRefs: [{name: reviews, port: 9080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ratings, namespace: bookinfo}
spec:
  parentRefs: [{name: gateway}]
  rules:
  - backendRefs: [{name: ratings}]
"#;

#[test]
fn gateway_api_resources_are_typed_and_validated() {
    let docs = parse_stream(ROUTES, "routes.yaml").expect("reads");
    let resources = Resources::from_documents(docs);
    assert!(
        resources
            .iter()
            .all(|r| matches!(r, Resource::GatewayApi(_))),
        "typed"
    );
    let found: Vec<(String, String, String)> = validate::validate(&resources)
        .iter()
        .map(|d| {
            (
                d.code.to_string(),
                d.resource
                    .as_ref()
                    .map(|r| r.name.clone())
                    .unwrap_or_default(),
                d.path.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            // A Service backend needs a port.
            (
                "IST0106".to_string(),
                "ratings".to_string(),
                "spec.rules[0].backendRefs[0]".to_string()
            ),
            // At most one RequestHeaderModifier per rule.
            (
                "IST0106".to_string(),
                "reviews".to_string(),
                "spec.rules[0].filters".to_string()
            ),
        ]
    );
}

#[test]
fn gateway_api_resources_render_and_analyse_as_before() {
    let docs = parse_stream(ROUTES, "routes.yaml").expect("reads");
    let resources = Resources::from_documents(docs);
    let yaml = mesh_dsl::render::to_yaml(&resources).expect("renders");
    assert!(yaml.contains("kind: HTTPRoute"), "{yaml}");
    let again = Resources::from_documents(parse_stream(&yaml, "rendered").expect("reads back"));
    assert_eq!(again, resources);
    // The analyzers run over them without trouble.
    let _ = mesh_dsl::analyze::analyze(&resources, &mesh_dsl::analyze::AnalyzeOptions::default());
}

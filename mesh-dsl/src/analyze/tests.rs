//! Unit tests of the analysis entry points (Istio's own cases run in the integration tests).

use super::*;
use crate::resources::Resources;

fn load(text: &str) -> Resources {
    let loaded = load_stream(text, "test").expect("yaml");
    let mut all = loaded.resources;
    all.extend(loaded.repaired);
    Resources::from_vec(all)
}

fn codes(ds: &Diagnostics) -> Vec<(String, String)> {
    ds.iter()
        .map(|d| {
            (
                d.code.to_string(),
                d.resource
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            )
        })
        .collect()
}

const MESH: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec: {selector: {app: reviews}, ports: [{name: http, port: 9080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1, namespace: shop}
spec:
  selector: {matchLabels: {app: reviews, version: v1}}
  template:
    metadata: {labels: {app: reviews, version: v1}}
    spec: {containers: [{name: app, image: reviews:v1}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}, {name: v9, labels: {version: v9}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews, subset: v1}}]
  - route: [{destination: {host: ratings, subset: v2}}]
"#;

#[test]
fn finds_cross_resource_problems_in_one_pass() {
    let ds = analyze(&load(MESH), &AnalyzeOptions::default());
    let found = codes(&ds);
    let vs = "VirtualService shop/reviews".to_string();
    let dr = "DestinationRule shop/reviews".to_string();
    assert!(found.contains(&("IST0101".into(), vs.clone())), "{ds}");
    assert!(
        !found.iter().any(|(c, _)| c == "IST0130"),
        "left to validate: {ds}"
    );
    let named = analyze(
        &load(MESH),
        &AnalyzeOptions::default().only(["schemaValidation.CollectionValidationAnalyzer"]),
    );
    assert!(codes(&named).contains(&("IST0130".into(), vs)), "{named}");
    assert!(found.contains(&("IST0173".into(), dr.clone())), "{ds}");
    // Subset v1 is selected by the Deployment's pod template.
    assert_eq!(ds.iter().filter(|d| d.code == "IST0173").count(), 1, "{ds}");
    // Every finding has a resource, a path where one exists, and a message.
    assert!(
        ds.iter()
            .all(|d| d.resource.is_some() && !d.message.is_empty())
    );
    let missing = ds
        .iter()
        .find(|d| d.code == "IST0101" && d.message.contains("ratings"))
        .expect("ratings not found");
    assert_eq!(
        missing.path.as_deref(),
        Some("spec.http[1].route[0].destination.host")
    );
}

#[test]
fn only_runs_the_named_analyzers() {
    let opts = AnalyzeOptions::default().only(["virtualservice.DestinationRuleAnalyzer"]);
    let ds = analyze(&load(MESH), &opts);
    assert!(!ds.is_empty());
    assert!(ds.iter().all(|d| d.code == "IST0101"), "{ds}");
    assert!(analyzer("virtualservice.DestinationRuleAnalyzer").is_some());
    assert!(analyzer("deployment.MultiServiceAnalyzer").is_some());
    assert!(analyzer("nope").is_none());
}

#[test]
fn suppression_annotation_drops_findings() {
    let text = MESH.replace(
        "metadata: {name: reviews, namespace: shop}\nspec:\n  hosts",
        "metadata: {name: reviews, namespace: shop, annotations: {galley.istio.io/analyze-suppress: \"IST0101,IST0130\"}}\nspec:\n  hosts",
    );
    let ds = analyze(&load(&text), &AnalyzeOptions::default());
    assert!(
        !ds.iter().any(|d| d
            .resource
            .as_ref()
            .is_some_and(|r| r.kind == "VirtualService")
            && (d.code == "IST0101" || d.code == "IST0130")),
        "{ds}"
    );
}

#[test]
fn every_code_of_the_registry_has_a_message_type() {
    for a in analyzers() {
        for c in a.codes {
            assert!(
                MESSAGES.iter().any(|m| m.code == *c),
                "{} reports unknown {c}",
                a.name
            );
        }
    }
    let mut names: Vec<_> = analyzers().iter().map(|a| a.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), analyzers().len(), "analyzer names are unique");
}

#[test]
fn never_panics_on_odd_objects() {
    let text = r#"
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: "not a list", securityContext: 3}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, labels: [1]}
spec: {template: 5}
---
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {ports: [{port: 80, targetPort: "http"}], selector: {}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: g}
spec: {selector: {}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*/*", "./a", "x/y/z"]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: v}
spec: {hosts: ["*"], gateways: ["g", "a/b/c", ""], http: [{match: [{uri: {prefix: "/"}}]}, {}, {}]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: istio-sidecar-injector}
webhooks: [{name: a.istio.io, clientConfig: {url: "::"}, namespaceSelector: {matchExpressions: [{key: k, operator: Bogus}]}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio-sidecar-injector, namespace: istio-system}
data: {values: "{not json"}
"#;
    let ds = analyze(&load(text), &AnalyzeOptions::default());
    assert!(!ds.is_empty());
}

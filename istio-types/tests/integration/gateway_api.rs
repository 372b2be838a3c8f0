//! The Gateway API kinds: every Gateway API document of Istio's Gateway API samples and
//! conversion test inputs reads strictly, writes and reads back equal by value, and
//! passes the CRDs' schema and CEL checks; documents that break a rule are refused with
//! the right path.

use std::path::{Path, PathBuf};

use istio_types::document::{Document, parse_stream};
use istio_types::gateway_api::v1::{
    HttpRoute, HttpRouteFilter, HttpRouteFilterType, HttpRouteRule, HttpRouteSpec, ParentReference,
};
use istio_types::{GATEWAY_API_GROUPS, GatewayApiResource};
use serde_json::Value;

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
}

fn is_gateway_api(v: &Value) -> bool {
    let av = v.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let group = av.split_once('/').map_or("", |(g, _)| g);
    GATEWAY_API_GROUPS.contains(&group)
}

fn without_empty_lists(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !matches!(x, Value::Array(a) if a.is_empty()))
                .map(|(k, x)| (k.clone(), without_empty_lists(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_empty_lists).collect()),
        other => other.clone(),
    }
}

/// Reads every Gateway API document of the shared samples and conversion inputs.
#[test]
fn every_gateway_api_document_reads_writes_and_reads_back() {
    let Some(dir) =
        testkit::reference_data("every_gateway_api_document_reads_writes_and_reads_back")
    else {
        return;
    };
    let mut files = Vec::new();
    yaml_files(&dir.join("gateway-api/samples"), &mut files);
    yaml_files(&dir.join("gateway-api/conversion"), &mut files);
    assert!(
        files.len() > 50,
        "expected the samples and conversion inputs, {}",
        files.len()
    );
    let (mut read, mut kinds) = (0, std::collections::BTreeMap::<String, usize>::new());
    let mut failures = Vec::new();
    let mut violations = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        let Ok(raw) = istio_types::yaml::parse_stream(&text) else {
            failures.push(format!("{}: not YAML", file.display()));
            continue;
        };
        for d in raw {
            if !is_gateway_api(&d.value) {
                continue;
            }
            let place = format!("{}#{}", file.display(), d.index);
            let r = match GatewayApiResource::from_value(&d.value) {
                Ok(Some(r)) => r,
                Ok(None) => {
                    failures.push(format!("{place}: not recognised"));
                    continue;
                }
                Err(errs) => {
                    let errs: Vec<String> = errs.iter().map(ToString::to_string).collect();
                    failures.push(format!("{place}: {}", errs.join("; ")));
                    continue;
                }
            };
            read += 1;
            *kinds.entry(r.kind().to_string()).or_default() += 1;
            // Written, and read back: the same value.
            let yaml = istio_types::yaml::to_yaml(&r).expect("writes");
            let again = parse_stream(&yaml, &place).expect("our own output reads");
            match &again[..] {
                [one] if one.document == Document::GatewayApi(r.clone()) => {}
                _ => failures.push(format!("{place}: reads back different:\n{yaml}")),
            }
            // Nothing lost: the written value is the input (at the emitted version).
            let mut written = serde_json::to_value(&r).expect("serializes");
            written["apiVersion"] = d.value["apiVersion"].clone();
            // (An empty list reads as an absent one, as the Gateway API treats them:
            // `backendRefs: []` is written back without the key.)
            if without_empty_lists(&written) != without_empty_lists(&d.value) {
                failures.push(format!("{place}: written value differs from the input"));
            }
            for v in istio_types::validate::validate(&r) {
                violations.push(format!(
                    "{place}: {} {}: {v}",
                    r.kind(),
                    r.metadata().name.as_deref().unwrap_or("")
                ));
            }
        }
    }
    eprintln!("Gateway API documents read, written and read back: {read} ({kinds:?})");
    if !violations.is_empty() {
        eprintln!(
            "schema/CEL findings on the inputs:\n{}",
            violations.join("\n")
        );
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Istio's conversion inputs hold two documents the API server would refuse (Istio
    // tests how it reports them); nothing else has a finding.
    let expected = [
        "backend-tls-policy.yaml#6: BackendTLSPolicy tls-upstream-echo-https-merged-rules: spec.targetRefs: sectionName must be specified",
        "listenerset-empty-listeners.yaml#1: Gateway parent-gateway: spec.listeners: 0 items",
    ];
    assert_eq!(violations.len(), expected.len(), "{violations:#?}");
    for e in expected {
        assert!(
            violations.iter().any(|v| v.contains(e)),
            "{e} not among {violations:#?}"
        );
    }
    assert!(read > 300, "expected every Gateway API document, {read}");
}

fn route(rule: HttpRouteRule) -> GatewayApiResource {
    HttpRoute::new(
        "shop",
        "reviews",
        HttpRouteSpec {
            parent_refs: vec![ParentReference {
                name: "gateway".into(),
                ..Default::default()
            }],
            rules: vec![rule],
            ..Default::default()
        },
    )
    .into()
}

fn findings(r: &GatewayApiResource) -> Vec<String> {
    istio_types::validate::validate(r)
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_valid_route_passes() {
    let r = route(HttpRouteRule::default());
    assert_eq!(findings(&r), Vec::<String>::new());
}

#[test]
fn cel_rules_refuse_with_the_path() {
    // Two RequestHeaderModifier filters in one rule (`self.filter(f, f.type ==
    // 'RequestHeaderModifier').size() <= 1`), and a filter whose type names a field it
    // does not set.
    let modifier = HttpRouteFilter {
        r#type: HttpRouteFilterType::RequestHeaderModifier,
        ..Default::default()
    };
    let r = route(HttpRouteRule {
        filters: vec![modifier.clone(), modifier],
        ..Default::default()
    });
    let found = findings(&r);
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("spec.rules[0].filters: ")
                && f.contains("RequestHeaderModifier filter cannot be repeated")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("spec.rules[0].filters[0]: ")
                && f.contains("filter.requestHeaderModifier must be specified")),
        "{found:#?}"
    );
}

#[test]
fn schema_constraints_refuse_with_the_path() {
    let yaml = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: reviews, namespace: shop}
spec:
  parentRefs: [{name: gateway, port: 70000}]
  hostnames: ["Not_A_Host"]
  rules:
  - backendRefs: [{name: reviews, port: 9080, weight: -1}]
    timeouts: {request: 10s, backendRequest: 20s}
"#;
    let docs = parse_stream(yaml, "inline").expect("reads: the types are right");
    let Document::GatewayApi(r) = &docs[0].document else {
        panic!("a Gateway API document");
    };
    let found = findings(r);
    for (path, what) in [
        ("spec.parentRefs[0].port", "65535"),
        ("spec.hostnames[0]", "should match"),
        ("spec.rules[0].backendRefs[0].weight", "0"),
        (
            "spec.rules[0].timeouts",
            "backendRequest timeout cannot be longer than request timeout",
        ),
    ] {
        assert!(
            found
                .iter()
                .any(|f| f.starts_with(&format!("{path}: ")) && f.contains(what)),
            "{path} ({what}) not among {found:#?}"
        );
    }
}

#[test]
fn strict_decoding_names_the_field() {
    let yaml = r#"
apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata: {name: reviews, namespace: shop}
spec:
  rules:
  - matches: [{path: {type: Prefix, value: /}}]
    backendRef: [{name: reviews}]
"#;
    let err = parse_stream(yaml, "inline")
        .expect_err("refused")
        .to_string();
    assert!(err.contains("spec.rules[0].matches[0].path.type"), "{err}");
    assert!(err.contains("spec.rules[0].backendRef"), "{err}");
    // Every served version reads; the emitted one is written.
    let tcp = "apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\nmetadata: {name: t, namespace: echo}\nspec: {rules: [{backendRefs: [{name: echo, port: 9000}]}]}\n";
    let docs = parse_stream(tcp, "inline").expect("v1alpha2 is served");
    assert_eq!(docs[0].document.kind(), "TCPRoute");
    let bad = tcp.replace("v1alpha2", "v9");
    assert!(parse_stream(&bad, "inline").is_err());
}

#[test]
fn every_cel_rule_is_translated_or_skipped_with_a_reason() {
    use istio_types::gateway_api::validate::{PLACES, RULES};
    use istio_types::validate::RuleCheck;
    let skipped: Vec<&str> = RULES
        .iter()
        .filter_map(|r| match r.check {
            RuleCheck::Skipped { reason } => Some(reason),
            RuleCheck::Translated(_) => None,
        })
        .collect();
    eprintln!(
        "Gateway API CEL rules: {} distinct, {} translated, {} skipped ({skipped:?}); {} places",
        RULES.len(),
        RULES.len() - skipped.len(),
        skipped.len(),
        PLACES.len()
    );
    assert!(skipped.iter().all(|r| r.contains("oldSelf")), "{skipped:?}");
}

/// The rule failures found by the generated checks on the typed resource are the ones
/// kube-cel's own CRD validator (which walks the schema itself) finds on the document as
/// written, over every Gateway API document of the shared data and a few broken ones.
#[cfg(feature = "cel")]
#[test]
fn rule_failures_match_kube_cel() {
    use std::collections::BTreeSet;

    use istio_types::validate::{self, ViolationKind};
    let Some(dir) = testkit::reference_data("rule_failures_match_kube_cel") else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("gateway-api-crds.yaml")).expect("reads");
    let crds: Vec<Value> = serde_saphyr::from_multiple(&text).expect("parses");
    let schema_of = |api_version: &str, kind: &str| -> Option<Value> {
        let (group, version) = api_version.split_once('/')?;
        crds.iter()
            .filter(|c| !c.is_null())
            .find(|c| c["spec"]["group"] == group && c["spec"]["names"]["kind"] == kind)?["spec"]
            ["versions"]
            .as_array()?
            .iter()
            .find(|v| v["name"] == version)
            .map(|v| v["schema"]["openAPIV3Schema"].clone())
    };
    let mut files = Vec::new();
    yaml_files(&dir.join("gateway-api/samples"), &mut files);
    yaml_files(&dir.join("gateway-api/conversion"), &mut files);
    let mut values: Vec<(String, Value)> = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        for d in istio_types::yaml::parse_stream(&text).unwrap_or_default() {
            if is_gateway_api(&d.value) {
                values.push((format!("{}#{}", file.display(), d.index), d.value));
            }
        }
    }
    for (i, broken) in [BROKEN_1, BROKEN_2].iter().enumerate() {
        values.push((
            format!("broken#{i}"),
            serde_saphyr::from_str(broken).expect("yaml"),
        ));
    }
    let oracle = kube_cel::Validator::new();
    let (mut checked, mut failures) = (0, 0);
    let mut mismatches = Vec::new();
    for (place, value) in &values {
        let api = value["apiVersion"].as_str().unwrap_or("");
        let kind = value["kind"].as_str().unwrap_or("");
        let Some(schema) = schema_of(api, kind) else {
            continue;
        };
        let Ok(Some(resource)) = GatewayApiResource::from_value(value) else {
            continue;
        };
        checked += 1;
        // kube-cel is built here without its `ip` library (it would add a dependency), so
        // for it and for the interpreter `isIP` is undeclared: that rule is left out.
        let comparable = |rule: &str| !rule.contains("isIP(");
        let expected: BTreeSet<(String, String)> = match oracle.validate(&schema, value, None) {
            Ok(()) => BTreeSet::new(),
            Err(errors) => errors
                .as_slice()
                .iter()
                .filter(|e| comparable(&e.rule))
                .map(|e| (e.field_path.clone(), e.rule.clone()))
                .collect(),
        };
        failures += expected.len();
        for engine in [
            validate::CelEngine::Generated,
            validate::CelEngine::Interpreter,
        ] {
            let mut v = validate::Validator::with_engine(engine);
            validate::Validate::validate(&resource, &mut v);
            let got: BTreeSet<(String, String)> = v
                .finish()
                .0
                .iter()
                .filter_map(|x| match &x.kind {
                    ViolationKind::Rule { rule } | ViolationKind::RuleError { rule, .. }
                        if comparable(rule.rule) =>
                    {
                        Some((kube_path(&x.path), rule.rule.to_string()))
                    }
                    _ => None,
                })
                .collect();
            if got != expected {
                mismatches.push(format!(
                    "{place} ({engine:?}):\n  kube-cel: {expected:?}\n  ours:     {got:?}"
                ));
            }
        }
    }
    eprintln!(
        "{checked} Gateway API documents cross-checked with kube-cel: {failures} rule failures"
    );
    assert!(checked > 300, "{checked}");
    assert!(failures >= 3, "the broken documents fail");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[cfg(feature = "cel")]
fn kube_path(p: &istio_types::de::FieldPath) -> String {
    use istio_types::de::PathSegment;
    let mut s = String::new();
    for seg in p.segments() {
        match seg {
            PathSegment::Field(n) | PathSegment::Key(n) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(n);
            }
            PathSegment::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

#[cfg(feature = "cel")]
const BROKEN_1: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: reviews, namespace: shop}
spec:
  parentRefs: [{name: gateway}, {name: gateway}]
  rules:
  - filters:
    - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: a, value: b}]}}
    - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: c, value: d}]}}
    - {type: URLRewrite}
    backendRefs: [{name: reviews}]
    timeouts: {request: 1s, backendRequest: 2s}
"#;

#[cfg(feature = "cel")]
const BROKEN_2: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: shop}
spec:
  gatewayClassName: istio
  listeners:
  - {name: http, port: 80, protocol: HTTP, tls: {mode: Terminate}}
  - {name: http, port: 443, protocol: HTTPS}
  - {name: tcp, port: 9000, protocol: TCP, hostname: example.com}
"#;

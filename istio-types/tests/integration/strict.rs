//! Strict input: unknown fields, wrong types, bad enum values and conflicting one-of
//! choices are errors that name the document, kind, name and field path; no input panics.

use istio_types::de::FieldErrorKind;
use istio_types::document::{Document, StreamError, parse_stream};
use istio_types::networking::v1::{
    DestinationRule, LbPolicy, SimpleLb, StringMatch, VirtualService,
};
use istio_types::{Duration, IstioResource};

fn errors_of(yaml: &str) -> Vec<istio_types::document::DocumentError> {
    match parse_stream(yaml, "test.yaml") {
        Err(StreamError::Invalid(errs)) => errs,
        other => panic!("expected invalid documents, got {other:?}"),
    }
}

#[test]
fn every_problem_is_reported_with_document_kind_name_and_path() {
    let yaml = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: shop
spec:
  hosts: [reviews]
  http:
  - timout: 5s
    route:
    - destination: {host: reviews, port: {number: "80"}}
      weight: 10
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBBIN}
"#;
    let errs = errors_of(yaml);
    assert_eq!(
        errs.len(),
        2,
        "only the two Istio documents are wrong: {errs:?}"
    );
    let vs = &errs[0];
    assert_eq!(
        (vs.index, vs.kind.as_deref(), vs.name.as_deref()),
        (1, Some("VirtualService"), Some("shop/reviews"))
    );
    let paths: Vec<String> = vs.errors.iter().map(|e| e.path.to_string()).collect();
    assert_eq!(
        paths,
        [
            "spec.http[0].timout",
            "spec.http[0].route[0].destination.port.number"
        ]
    );
    assert!(matches!(
        vs.errors[0].kind,
        FieldErrorKind::UnknownField { .. }
    ));
    assert!(
        vs.errors[0].to_string().contains("did you mean `timeout`"),
        "{}",
        vs.errors[0]
    );
    assert!(matches!(
        vs.errors[1].kind,
        FieldErrorKind::WrongType { .. }
    ));
    let dr = &errs[1];
    assert_eq!(
        dr.errors[0].path.to_string(),
        "spec.trafficPolicy.loadBalancer.simple"
    );
    assert!(
        matches!(&dr.errors[0].kind, FieldErrorKind::UnknownVariant { value, .. } if value == "ROUND_ROBBIN")
    );
    let text = vs.to_string();
    assert!(text.starts_with("test.yaml: document 2"), "{text}");
    assert!(text.contains("VirtualService shop/reviews"), "{text}");
}

#[test]
fn one_of_choices_are_exclusive_and_typed() {
    let errs = errors_of(
        r#"
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a}
spec:
  http:
  - match:
    - uri: {exact: /a, prefix: /b}
"#,
    );
    assert_eq!(
        errs[0].errors[0].path.to_string(),
        "spec.http[0].match[0].uri"
    );
    assert!(
        matches!(&errs[0].errors[0].kind, FieldErrorKind::ConflictingFields { set, .. } if set.len() == 2)
    );

    let ok = parse_stream(
        r#"
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: r}
spec:
  host: r
  trafficPolicy:
    loadBalancer: {simple: LEAST_REQUEST}
"#,
        "x",
    )
    .unwrap();
    let Document::Istio(IstioResource::DestinationRule(dr)) = &ok[0].document else {
        panic!("a DestinationRule");
    };
    let lb = dr
        .spec
        .traffic_policy
        .as_ref()
        .unwrap()
        .load_balancer
        .as_ref()
        .unwrap();
    assert_eq!(lb.lb_policy, Some(LbPolicy::Simple(SimpleLb::LeastRequest)));
}

#[test]
fn header_presence_match_is_the_empty_string_match() {
    let docs = parse_stream(
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec:\n  http:\n  - match:\n    - headers: {x-user: {}}\n",
        "x",
    )
    .unwrap();
    let Document::Istio(IstioResource::VirtualService(vs)) = &docs[0].document else {
        panic!()
    };
    assert_eq!(
        vs.spec.http[0].r#match[0].headers["x-user"],
        StringMatch::Any
    );
    let back = serde_json::to_value(vs).unwrap();
    assert_eq!(
        back["spec"]["http"][0]["match"][0]["headers"]["x-user"],
        serde_json::json!({})
    );
}

#[test]
fn durations_are_typed_and_checked() {
    let errs = errors_of(
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec:\n  http:\n  - timeout: 5 seconds\n",
    );
    assert_eq!(errs[0].errors[0].path.to_string(), "spec.http[0].timeout");
    assert!(errs[0].errors[0].to_string().contains("invalid duration"));
    let vs: VirtualService = serde_json::from_value(serde_json::json!({
        "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
        "metadata": {"name": "a"}, "spec": {"http": [{"timeout": "1.5s"}]}
    }))
    .unwrap();
    assert_eq!(vs.spec.http[0].timeout, Some(Duration::from_millis(1500)));
    assert_eq!(
        vs.spec.http[0].timeout.as_ref().unwrap().to_string(),
        "1.5s"
    );
}

#[test]
fn wrong_versions_kinds_and_metadata_are_named() {
    let errs = errors_of(
        "apiVersion: networking.istio.io/v2\nkind: Gateway\nmetadata: {name: g, lables: {a: b}}\nspec: {}\n---\napiVersion: security.istio.io/v1\nkind: AuthorisationPolicy\nmetadata: {name: p}\n",
    );
    let first: Vec<String> = errs[0].errors.iter().map(ToString::to_string).collect();
    assert!(
        first[0].starts_with("apiVersion:") && first[0].contains("networking.istio.io/v1"),
        "{first:?}"
    );
    assert!(
        first[1].starts_with("metadata.lables:") && first[1].contains("did you mean `labels`"),
        "{first:?}"
    );
    assert!(
        errs[1].errors[0]
            .to_string()
            .contains("not a kind of security.istio.io")
    );
}

#[test]
fn serde_deserialize_is_as_strict_as_the_decoder() {
    let err = serde_json::from_str::<DestinationRule>(
        r#"{"apiVersion":"networking.istio.io/v1","kind":"DestinationRule","metadata":{"name":"x"},"spec":{"hots":"x"}}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("spec.hots"), "{err}");
    assert!(err.contains("missing required field `host`"), "{err}");
}

/// Hostile input: mutations of real documents and random shapes must give errors, never
/// a panic.
#[test]
fn no_input_panics() {
    let mut inputs: Vec<String> = vec![
        String::new(),
        "---\n---\n".into(),
        "[1, 2]".into(),
        "42".into(),
        "apiVersion: networking.istio.io/v1\nkind: VirtualService".into(),
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: 7\nspec: []".into(),
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec: {http: [{route: [{weight: 99999999999999999999}]}]}".into(),
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec: {http: [{timeout: 99999999999999999h}]}".into(),
        "a: &a [*a]".into(),
        "{".into(),
        "\u{0}\u{feff}".into(),
    ];
    let handwritten = inputs.len();
    if let Some(docs) = testkit::reference_corpus("no_input_panics (mutations of the corpus)") {
        // Replace each scalar in turn by values of other types.
        for doc in docs.iter().filter(|d| d.is_istio()).take(120) {
            for replacement in [
                serde_json::json!(null),
                serde_json::json!(-1),
                serde_json::json!("x"),
                serde_json::json!([{}]),
            ] {
                let mut v = doc.value.clone();
                mutate_first_leaf(&mut v, &replacement);
                inputs.push(serde_json::to_string(&v).unwrap());
            }
        }
    }
    if inputs.len() > handwritten {
        // 120 Istio documents of the corpus, four mutations each.
        assert_eq!(inputs.len(), handwritten + 480);
    }
    for input in &inputs {
        let _ = parse_stream(input, "fuzz");
    }
}

fn mutate_first_leaf(v: &mut serde_json::Value, with: &serde_json::Value) {
    match v {
        serde_json::Value::Object(o) if !o.is_empty() => {
            let k = if o.contains_key("spec") {
                "spec".to_string()
            } else {
                o.keys().next_back().cloned().unwrap_or_default()
            };
            if let Some(x) = o.get_mut(&k) {
                mutate_first_leaf(x, with);
            }
        }
        serde_json::Value::Array(a) if !a.is_empty() => mutate_first_leaf(&mut a[0], with),
        leaf => *leaf = with.clone(),
    }
}

/// Streams as large as a 5,000-service mesh (25,000 documents) are read, not refused by
/// the parser's safety limits.
#[test]
fn large_streams_are_read() {
    let doc = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  labels: {a: b, c: d}\n";
    let stream = vec![doc; 25_000].join("---\n");
    let docs = parse_stream(&stream, "big").expect("a large stream reads");
    assert_eq!(docs.len(), 25_000);
}

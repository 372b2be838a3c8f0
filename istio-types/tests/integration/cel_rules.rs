//! The CEL rules of `crds.yaml` (`x-kubernetes-validations`): every one is counted, has
//! a generated check at the same place, compiles in a CEL interpreter, and the generated
//! checks agree with evaluating the original rules, on samples and over Istio's corpus.

use std::collections::{BTreeMap, BTreeSet};

use istio_types::IstioResource;
use istio_types::validate::{self, PLACES, RULES, RuleCheck, ViolationKind};
use serde_json::{Value, json};

/// One place of a CRD version's schema that carries rules.
struct CrdPlace {
    kind: String,
    version: String,
    /// `[*]` for list items, `{*}` for map values, as in `validate::PLACES`.
    path: String,
    /// The schema `type` there.
    ty: String,
    rules: Vec<(String, String)>,
}

fn load_crds(test: &str) -> Option<Vec<Value>> {
    let dir = testkit::reference_data(test)?;
    let text = std::fs::read_to_string(dir.join("crds.yaml")).expect("crds.yaml reads");
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).expect("crds.yaml parses");
    Some(docs.into_iter().filter(|d| !d.is_null()).collect())
}

fn walk(schema: &Value, path: &str, kind: &str, version: &str, out: &mut Vec<CrdPlace>) {
    let Some(m) = schema.as_object() else { return };
    if let Some(rules) = m.get("x-kubernetes-validations").and_then(Value::as_array) {
        out.push(CrdPlace {
            kind: kind.into(),
            version: version.into(),
            path: path.into(),
            ty: m
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .into(),
            rules: rules
                .iter()
                .map(|r| {
                    (
                        r["rule"].as_str().unwrap_or_default().to_string(),
                        r["message"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
        });
    }
    if let Some(props) = m.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            walk(v, &p, kind, version, out);
        }
    }
    if let Some(items) = m.get("items") {
        walk(items, &format!("{path}[*]"), kind, version, out);
    }
    if let Some(ap) = m.get("additionalProperties").filter(|a| a.is_object()) {
        walk(ap, &format!("{path}{{*}}"), kind, version, out);
    }
}

fn crd_places(crds: &[Value]) -> Vec<CrdPlace> {
    let mut out = Vec::new();
    for crd in crds {
        let kind = crd["spec"]["names"]["kind"].as_str().unwrap_or_default();
        for v in crd["spec"]["versions"].as_array().into_iter().flatten() {
            let version = v["name"].as_str().unwrap_or_default();
            walk(&v["schema"]["openAPIV3Schema"], "", kind, version, &mut out);
        }
    }
    out
}

/// 398 rules in 345 places across every served version; each one is checked by the
/// generated code at the same kind and path (all served versions of a kind share one
/// schema), and none is left out.
#[test]
fn every_rule_in_crds_yaml_has_a_generated_check() {
    let Some(crds) = load_crds("every_rule_in_crds_yaml_has_a_generated_check") else {
        return;
    };
    let places = crd_places(&crds);
    let rules: usize = places.iter().map(|p| p.rules.len()).sum();
    let versions: BTreeSet<(&str, &str)> = places
        .iter()
        .map(|p| (p.kind.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(places.len(), 345, "places with rules in crds.yaml");
    assert_eq!(rules, 398, "rules in crds.yaml");
    let mut translated = 0;
    let mut skipped = Vec::new();
    let mut missing = Vec::new();
    for p in &places {
        let generated = PLACES.iter().find(|g| g.kind == p.kind && g.path == p.path);
        let Some(g) = generated else {
            missing.push(format!("{} {} {}", p.kind, p.version, p.path));
            continue;
        };
        let got: Vec<(String, String)> = g
            .rules
            .iter()
            .map(|i| (RULES[*i].rule.to_string(), RULES[*i].message.to_string()))
            .collect();
        assert_eq!(got, p.rules, "{} {} {}", p.kind, p.version, p.path);
        for i in g.rules {
            match RULES[*i].check {
                RuleCheck::Translated(_) => translated += 1,
                RuleCheck::Skipped { reason } => {
                    skipped.push(format!("{}: {reason}", RULES[*i].rule))
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "places without a generated check:\n{}",
        missing.join("\n")
    );
    assert_eq!(translated + skipped.len(), 398);
    let emitted: usize = PLACES.iter().map(|p| p.rules.len()).sum();
    eprintln!(
        "crds.yaml: {rules} rules in {} places ({} kind versions); generated checks: {} distinct \
         rules at {} places ({emitted} rules) of the emitted versions; evaluated: {translated}, \
         skipped: {} {:?}",
        places.len(),
        versions.len(),
        RULES.len(),
        PLACES.len(),
        skipped.len(),
        skipped
    );
    assert!(
        skipped.is_empty(),
        "no rule of crds.yaml is a transition rule"
    );
    assert!(places.iter().all(|p| p.path.starts_with("spec")));
    assert_eq!(
        (
            places.len(),
            versions.len(),
            RULES.len(),
            PLACES.len(),
            emitted
        ),
        (345, 33, 37, 137, 159),
        "(places, kind versions, distinct generated rules, generated places, emitted rules)"
    );
}

/// Every rule text of crds.yaml compiles in the interpreter, and every function it calls
/// is provided, so no rule silently evaluates to an error.
#[cfg(feature = "cel")]
#[test]
fn every_rule_compiles_in_the_interpreter() {
    use istio_types::validate::interpreter;
    let Some(crds) = load_crds("every_rule_compiles_in_the_interpreter") else {
        return;
    };
    let texts: BTreeSet<String> = crd_places(&crds)
        .into_iter()
        .flat_map(|p| p.rules.into_iter().map(|(r, _)| r))
        .collect();
    let failures: Vec<String> = texts
        .iter()
        .filter_map(|r| interpreter::check(r).err().map(|e| format!("{r}: {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "rules that cannot be evaluated:\n{}",
        failures.join("\n")
    );
    eprintln!(
        "{} distinct rule texts compile in the interpreter",
        texts.len()
    );
    assert_eq!(texts.len(), 36, "distinct rule texts");
}

/// Values to bind to `self` for a rule: scalars for rules on a value, maps and lists for
/// rules on collections, and objects with every combination of the fields the rule
/// mentions.
fn samples(rule: &str) -> Vec<Value> {
    let mut out: Vec<Value> = [
        json!(""),
        json!("*"),
        json!("a*b"),
        json!("abc"),
        json!("unix:///run/x.sock"),
        json!("unix://@abstract"),
        json!("unix://relative"),
        json!("unix:///dir/"),
        json!("unix://"),
        json!("5s"),
        json!("1ms"),
        json!("999us"),
        json!("-1s"),
        json!("1h30m"),
        json!("soon"),
        json!("https://example.com/jwks.json"),
        json!("http://example.com:8080/"),
        json!("oci://ghcr.io/a/b:1"),
        json!("file:///opt/p.wasm"),
        json!("ghcr.io/a/b:1"),
        json!("localhost:5000/a"),
        json!("ftp://example.com/x"),
        json!("example.com/%zz"),
        json!("HTTP"),
        json!("HTTPS"),
        json!("https"),
        json!(0),
        json!(1),
        json!(80),
        json!(65535),
        json!(65536),
        json!(-1),
        json!({}),
        json!({"a": "b"}),
        json!({"": "b"}),
        json!({"a*": "b"}),
        json!({"80": {}, "8080": {}}),
        json!({"0": {}}),
        json!({"x": {}}),
        json!({"http": 80, "web-1": 81}),
        json!({"-bad": 80}),
        json!([]),
        json!([{"number": 80}, {"number": 81}]),
        json!([{"number": 80}, {"number": 80}]),
    ]
    .into();
    let fields: BTreeSet<String> = rule
        .split("self.")
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()
                && ![
                    "all",
                    "exists",
                    "exists_one",
                    "size",
                    "contains",
                    "startsWith",
                    "endsWith",
                    "substring",
                    "matches",
                ]
                .contains(&name.as_str()))
            .then_some(name)
        })
        .collect();
    let candidates = |f: &str| -> Vec<Value> {
        match f {
            "resolution" => vec![
                json!("NONE"),
                json!("STATIC"),
                json!("DNS_ROUND_ROBIN"),
                json!("DNS"),
            ],
            "addresses" => vec![json!(["10.0.0.0/8"]), json!(["10.1.2.3"])],
            "endpoints" => vec![
                json!([{"address": "a"}]),
                json!([{"address": "a"}, {"address": "b"}]),
            ],
            "address" => vec![json!("unix:///x.sock"), json!("10.0.0.1")],
            "selector" => vec![json!({"matchLabels": {"app": "a"}}), json!({})],
            "context" => vec![json!("WAYPOINT"), json!("SIDECAR_INBOUND")],
            "operation" => vec![json!("UPSERT"), json!("REMOVE")],
            "value" => vec![json!(""), json!("x")],
            "valueFrom" => vec![json!("HOST"), json!("INLINE")],
            "ports" => vec![json!({"http": 80})],
            _ => vec![json!("x"), json!(["x"]), json!({"a": "b"})],
        }
    };
    let fields: Vec<String> = fields.into_iter().collect();
    // Every subset of the fields, each present field taking each of its candidates in turn.
    for mask in 0u32..(1 << fields.len().min(6)) {
        let present: Vec<&String> = fields
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, f)| f)
            .collect();
        for pick in 0..4 {
            let mut obj = serde_json::Map::new();
            for f in &present {
                let c = candidates(f);
                obj.insert((*f).clone(), c[pick % c.len()].clone());
            }
            out.push(Value::Object(obj));
        }
    }
    out
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Number(_) => "integer",
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::Bool(_) => "boolean",
        Value::Null => "null",
    }
}

/// Where the interpreter (kube-cel reads URLs the WHATWG way) and Kubernetes (Go's
/// `url.ParseRequestURI`, which the translation follows) part ways: (sample, what Go
/// gives). Both results still reject or accept as noted.
const URL_DIFFERENCES: &[(&str, &str)] = &[
    // Go reads "*" as a request URI with an empty scheme: getScheme() is "", the rule is
    // false; kube-cel fails to parse it. Both reject.
    ("*", "false"),
    // Go accepts "http://" (empty host), so an empty WasmPlugin url passes the CRD rule;
    // Istio's webhook then refuses it ("url field needs to be set").
    ("", "true"),
    // Go refuses the bad escape `%zz` in a path; WHATWG keeps it.
    ("example.com/%zz", "false"),
];

/// The generated translation of each rule gives the same answer as the interpreter on
/// the rule's original text (both "false" and "cannot evaluate" must agree), for every
/// sample of the JSON type the schema allows where the rule sits.
#[cfg(feature = "cel")]
#[test]
fn translations_agree_with_the_interpreter() {
    use istio_types::validate::interpreter;
    let Some(crds) = load_crds("translations_agree_with_the_interpreter") else {
        return;
    };
    let mut types: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in crd_places(&crds) {
        for (r, _) in p.rules {
            types.entry(r).or_default().insert(p.ty.clone());
        }
    }
    let mut compared = 0;
    let mut known = BTreeSet::new();
    let mut disagreements = Vec::new();
    for r in &RULES {
        let allowed = &types[r.rule];
        for sample in samples(r.rule) {
            if !allowed.contains(json_type(&sample)) {
                continue;
            }
            let generated = r.evaluate(&sample).map_err(|_| ());
            let interpreted = interpreter::eval(r.rule, &sample).map_err(|_| ());
            compared += 1;
            if generated == interpreted {
                continue;
            }
            let go = URL_DIFFERENCES
                .iter()
                .find(|(s, _)| r.rule.contains("url(") && sample == json!(s));
            match go {
                Some((s, expected)) if format!("{:?}", generated.unwrap_or(false)) == *expected => {
                    known.insert(*s);
                }
                _ => disagreements.push(format!(
                    "{}\n  self = {sample}\n  generated: {generated:?}, interpreter: {interpreted:?}",
                    r.rule
                )),
            }
        }
    }
    eprintln!(
        "{compared} rule evaluations compared; known URL differences (Go vs WHATWG): {known:?}"
    );
    assert!(compared > 500, "{compared}");
    assert_eq!(compared, 1119, "rule evaluations compared");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    assert_eq!(
        known.len(),
        URL_DIFFERENCES.len(),
        "every listed difference still exists"
    );
}

/// kube-cel's field paths: map keys as `.key`.
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

/// Over every Istio document of the corpus, the rules that fail are the same, at the
/// same paths, whether found by the generated checks on the typed resource, by the
/// interpreter on the typed resource, or by kube-cel's own CRD validator (which walks the
/// schema itself) on the document as written.
#[cfg(feature = "cel")]
#[test]
fn corpus_rule_failures_match_an_independent_validator() {
    let Some(crds) = load_crds("corpus_rule_failures_match_an_independent_validator") else {
        return;
    };
    let docs = testkit::corpus_documents().expect("the corpus beside the CRDs");
    let schema_of = |api_version: &str, kind: &str| -> Option<&Value> {
        let (group, version) = api_version.split_once('/')?;
        crds.iter()
            .find(|c| c["spec"]["group"] == group && c["spec"]["names"]["kind"] == kind)?["spec"]["versions"]
            .as_array()?
            .iter()
            .find(|v| v["name"] == version)
            .map(|v| &v["schema"]["openAPIV3Schema"])
    };
    let oracle = kube_cel::Validator::new();
    let (mut checked, mut failing_docs, mut failures, mut evaluations) = (0, 0, 0, 0);
    let mut mismatches = Vec::new();
    for doc in docs.iter().filter(|d| d.is_istio()) {
        let Some(schema) = schema_of(doc.api_version(), doc.kind()) else {
            continue;
        };
        let Ok(Some(resource)) = IstioResource::from_value(&doc.value) else {
            continue;
        };
        checked += 1;
        let expected: BTreeSet<(String, String)> = match oracle.validate(schema, &doc.value, None) {
            Ok(()) => BTreeSet::new(),
            Err(errors) => errors
                .as_slice()
                .iter()
                .map(|e| (e.field_path.clone(), e.rule.clone()))
                .collect(),
        };
        let mut by_engine = BTreeMap::new();
        for engine in [
            validate::CelEngine::Generated,
            validate::CelEngine::Interpreter,
        ] {
            let mut v = validate::Validator::with_engine(engine);
            validate::Validate::validate(&resource, &mut v);
            let (violations, stats) = v.finish();
            evaluations += stats.rules_evaluated;
            let got: BTreeSet<(String, String)> = violations
                .iter()
                .filter_map(|x| match &x.kind {
                    ViolationKind::Rule { rule } | ViolationKind::RuleError { rule, .. } => {
                        Some((kube_path(&x.path), rule.rule.to_string()))
                    }
                    _ => None,
                })
                .collect();
            by_engine.insert(format!("{engine:?}"), got);
        }
        for (engine, got) in &by_engine {
            if *got != expected {
                mismatches.push(format!(
                    "{} #{} ({engine}): expected {expected:?}, got {got:?}",
                    doc.file.display(),
                    doc.index
                ));
            }
        }
        if !expected.is_empty() {
            failing_docs += 1;
            failures += expected.len();
        }
    }
    eprintln!(
        "{checked} corpus documents: {failing_docs} fail {failures} CEL rules; \
         {evaluations} rule evaluations by the two engines"
    );
    assert!(checked > 400, "{checked}");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(
        (checked, failing_docs, failures, evaluations),
        (452, 2, 2, 2190),
        "(documents checked, documents failing, rule failures, evaluations)"
    );
}

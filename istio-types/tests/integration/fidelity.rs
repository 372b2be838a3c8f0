//! Every Istio document in Istio's own corpus survives parse -> serialize -> parse with no
//! field lost or changed.

use std::collections::BTreeMap;

use istio_types::{IstioResource, KindMatch};
use serde_json::Value;

/// The original document in the form the typed model writes it: `null` fields dropped
/// (Kubernetes prunes them too), a missing `spec` written as `{}`, the `apiVersion`
/// moved to the version the type emits.
fn expected_output(original: &Value, emitted_api_version: &str) -> Value {
    fn drop_nulls(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(_, x)| !x.is_null())
                    .map(|(k, x)| (k.clone(), drop_nulls(x)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(drop_nulls).collect()),
            other => other.clone(),
        }
    }
    let mut v = drop_nulls(original);
    if let Value::Object(m) = &mut v {
        m.entry("spec")
            .or_insert_with(|| Value::Object(Default::default()));
        m.insert(
            "apiVersion".into(),
            Value::String(emitted_api_version.into()),
        );
    }
    v
}

/// JSON equality where numbers compare by value (`10` equals `10.0`), since JSON has one
/// number type; returns the first differing path.
fn json_diff(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x.as_f64() != y.as_f64()).then(|| format!("{path}: {x} != {y}"))
        }
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => {
                        if let Some(d) = json_diff(p, q, &format!("{path}.{k}")) {
                            return Some(d);
                        }
                    }
                    (Some(_), None) => return Some(format!("{path}.{k}: lost")),
                    (None, Some(_)) => return Some(format!("{path}.{k}: added")),
                    (None, None) => {}
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path}: {} items != {} items", x.len(), y.len()));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (p, q))| json_diff(p, q, &format!("{path}[{i}]")))
        }
        _ => (a != b).then(|| format!("{path}: {a} != {b}")),
    }
}

#[test]
fn every_schema_valid_corpus_document_round_trips() {
    let Some(_) = testkit::reference_data("every_schema_valid_corpus_document_round_trips") else {
        return;
    };
    let docs = testkit::corpus_documents().expect("corpus present");
    let validator = testkit::shared_validator().expect("crds present");
    let mut read = 0;
    let mut round_tripped = 0;
    let mut version_moved = 0;
    let mut schema_rejected: Vec<String> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut per_kind: BTreeMap<String, usize> = BTreeMap::new();
    for doc in &docs {
        let api_version = doc
            .value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let kind = doc.value.get("kind").and_then(Value::as_str).unwrap_or("");
        if IstioResource::classify(api_version, kind) == KindMatch::NotIstio {
            continue;
        }
        read += 1;
        let place = format!("{}#{} ({kind})", doc.file.display(), doc.index);
        let schema_ok = validator.validate(&doc.value);
        let decoded = IstioResource::from_value(&doc.value);
        match (schema_ok, decoded) {
            (Err(schema_errs), Err(_)) => {
                schema_rejected.push(format!("{place}: {}", schema_errs[0]));
            }
            (Err(schema_errs), Ok(_)) => failures.push(format!(
                "{place}: the CRD schema rejects it ({}) but istio-types accepted it",
                schema_errs[0]
            )),
            (Ok(()), Err(errs)) => failures.push(format!(
                "{place}: valid by the CRD schema but rejected: {}",
                istio_types::de::join_errors(&errs)
            )),
            (Ok(()), Ok(None)) => failures.push(format!("{place}: not recognised as Istio")),
            (Ok(()), Ok(Some(res))) => {
                if res.api_version() != api_version {
                    version_moved += 1;
                }
                // Through JSON...
                let out = serde_json::to_value(&res).expect("serializes");
                let expected = expected_output(&doc.value, res.api_version());
                if let Some(d) = json_diff(&expected, &out, "") {
                    failures.push(format!("{place}: serialized form differs at {d}"));
                    continue;
                }
                // ...and through YAML, back to the same typed value.
                let yaml = istio_types::yaml::to_yaml(&res).expect("renders as YAML");
                let again =
                    istio_types::document::parse_stream(&yaml, &place).unwrap_or_else(|e| {
                        panic!("{place}: our own YAML does not parse: {e}\n{yaml}")
                    });
                match &again[..] {
                    [one]
                        if one.document == istio_types::document::Document::Istio(res.clone()) =>
                    {
                        round_tripped += 1;
                        *per_kind.entry(kind.to_string()).or_default() += 1;
                    }
                    _ => failures.push(format!("{place}: YAML round trip changed the value")),
                }
                // The output passes the CRD schema as well.
                if let Err(e) = validator.validate(&out) {
                    failures.push(format!("{place}: output fails the CRD schema: {}", e[0]));
                }
            }
        }
    }
    eprintln!(
        "istio corpus: {read} Istio documents read, {round_tripped} round-tripped \
         ({version_moved} written at a newer served version), {} rejected by the CRD schema \
         (and by istio-types)",
        schema_rejected.len()
    );
    for r in &schema_rejected {
        eprintln!("  rejected: {r}");
    }
    eprintln!("  round-tripped per kind: {per_kind:?}");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(read > 400, "expected the whole corpus, read {read}");
    assert_eq!(round_tripped + schema_rejected.len(), read);
    // The printed summary, asserted.
    assert_eq!(
        (read, round_tripped, version_moved, schema_rejected.len()),
        (461, 452, 18, 9),
        "(read, round-tripped, written at a newer version, rejected)"
    );
    let expected_per_kind = [
        ("AuthorizationPolicy", 15),
        ("DestinationRule", 45),
        ("EnvoyFilter", 24),
        ("Gateway", 82),
        ("PeerAuthentication", 4),
        ("ProxyConfig", 4),
        ("RequestAuthentication", 6),
        ("ServiceEntry", 68),
        ("Sidecar", 22),
        ("Telemetry", 21),
        ("TrafficExtension", 1),
        ("VirtualService", 152),
        ("WasmPlugin", 2),
        ("WorkloadEntry", 3),
        ("WorkloadGroup", 3),
    ];
    assert_eq!(
        per_kind,
        expected_per_kind
            .iter()
            .map(|(k, n)| (k.to_string(), *n))
            .collect::<BTreeMap<_, _>>()
    );
}

/// `mesh fmt` (the library's `write_stream` with no target version) gives back every
/// valid corpus document equal by value, `apiVersion` included: a formatter must not move
/// a resource to another version.
#[test]
fn every_valid_corpus_document_survives_fmt_unchanged() {
    use istio_types::document::{Document, SourceDocument, parse_stream, write_stream};
    let Some(_) = testkit::shared_or_skip("every_valid_corpus_document_survives_fmt_unchanged")
    else {
        return;
    };
    let docs = testkit::corpus_documents().expect("corpus present");
    let (mut valid, mut equal, mut older, mut istio) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for doc in &docs {
        let place = format!("{}#{}", doc.file.display(), doc.index);
        let Ok(document) = Document::from_value(doc.value.clone()) else {
            continue;
        };
        valid += 1;
        let api_version = doc.value["apiVersion"].as_str().unwrap_or("").to_string();
        if let Document::Istio(r) = &document {
            istio += 1;
            older += usize::from(r.api_version() != api_version);
        }
        let sd = SourceDocument {
            index: 0,
            line: None,
            api_version: api_version.clone(),
            document,
        };
        let text = write_stream([&sd], None).expect("renders");
        let again = parse_stream(&text, &place).expect("our own output parses");
        // fmt writes a `kind: List` as its items (parse_stream unpacks lists): each item
        // must come back equal to the item read.
        let mut items = Vec::new();
        istio_types::document::for_each_item(doc.value.clone(), &mut |_, v| items.push(v));
        if again.len() != items.len() {
            failures.push(format!(
                "{place}: {} documents written for {} read",
                again.len(),
                items.len()
            ));
            continue;
        }
        let mut same = true;
        for (one, item) in again.iter().zip(&items) {
            let mut out = serde_json::to_value(&one.document).expect("serializes");
            out["apiVersion"] = Value::String(one.api_version.clone());
            let item_version = item["apiVersion"].as_str().unwrap_or("").to_string();
            let expected = match &one.document {
                Document::Istio(_) => expected_output(item, &item_version),
                Document::GatewayApi(_) | Document::Other(_) => item.clone(),
            };
            if let Some(d) = json_diff(&expected, &out, "") {
                failures.push(format!("{place}: differs at {d}"));
                same = false;
            }
        }
        equal += usize::from(same);
    }
    eprintln!(
        "fmt over the corpus: {equal} of {valid} valid documents equal by value \
         ({istio} Istio resources, {older} of them at an older served version, kept there)"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(older > 0, "the corpus has resources at older versions");
    assert_eq!(equal, valid);
    assert!(
        valid > 600,
        "expected the whole corpus, {valid} valid documents"
    );
    assert!(istio > 440, "expected every Istio resource, {istio}");
}

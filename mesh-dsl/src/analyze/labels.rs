//! Kubernetes label selectors: equality maps (`matchLabels`) and full `LabelSelector`s
//! with `matchExpressions`.

use std::collections::BTreeMap;

use serde_json::Value;

/// Labels or a selector, borrowed, in key order.
pub(crate) type LabelMap<'a> = BTreeMap<&'a str, &'a str>;

/// A typed map as a label map (e.g. a selector's `matchLabels`).
pub(crate) fn label_map(m: &BTreeMap<String, String>) -> LabelMap<'_> {
    m.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Borrows a typed label map that may be absent.
pub(crate) fn labels_typed(m: &Option<BTreeMap<String, String>>) -> LabelMap<'_> {
    m.as_ref().map(label_map).unwrap_or_default()
}

/// Borrows a JSON object of strings (other values are skipped).
pub(crate) fn labels_json(v: Option<&Value>) -> LabelMap<'_> {
    v.and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v)))
        .collect()
}

/// Whether every `selector` entry is a label with the same value (an empty selector
/// matches everything), as `labels.SelectorFromSet(..).Matches(..)` does.
pub(crate) fn matches(selector: &LabelMap<'_>, labels: &LabelMap<'_>) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A selector written as Kubernetes prints it: `k1=v1,k2=v2`, keys sorted.
pub(crate) fn selector_string(selector: &LabelMap<'_>) -> String {
    selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Whether a Kubernetes `LabelSelector` (JSON, with `matchLabels` and `matchExpressions`)
/// matches `labels`. An absent selector matches everything; a malformed one matches nothing.
pub(crate) fn label_selector_matches(selector: Option<&Value>, labels: &LabelMap<'_>) -> bool {
    let Some(sel) = selector.filter(|s| !s.is_null()) else {
        return true;
    };
    let Some(obj) = sel.as_object() else {
        return false;
    };
    if let Some(ml) = obj.get("matchLabels") {
        let Some(ml) = ml.as_object() else {
            return false;
        };
        for (k, v) in ml {
            if labels.get(k.as_str()).copied() != v.as_str() {
                return false;
            }
        }
    }
    for expr in obj
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = expr.get("key").and_then(Value::as_str).unwrap_or("");
        let op = expr.get("operator").and_then(Value::as_str).unwrap_or("");
        let values: Vec<&str> = expr
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let have = labels.get(key).copied();
        let ok = match op {
            "In" => have.is_some_and(|h| values.contains(&h)),
            "NotIn" => have.is_none_or(|h| !values.contains(&h)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn equality_selectors() {
        let labels: LabelMap = [("app", "a"), ("version", "v1")].into();
        assert!(matches(&LabelMap::new(), &labels));
        assert!(matches(&[("app", "a")].into(), &labels));
        assert!(!matches(&[("app", "b")].into(), &labels));
        assert!(!matches(&[("zone", "")].into(), &labels));
        assert_eq!(selector_string(&labels), "app=a,version=v1");
    }

    #[test]
    fn expressions() {
        let labels: LabelMap = [("istio-injection", "enabled")].into();
        let sel = json!({"matchExpressions": [{"key": "istio.io/rev", "operator": "DoesNotExist"},
            {"key": "istio-injection", "operator": "In", "values": ["enabled"]}]});
        assert!(label_selector_matches(Some(&sel), &labels));
        let sel = json!({"matchExpressions": [{"key": "istio-injection", "operator": "NotIn", "values": ["enabled"]}]});
        assert!(!label_selector_matches(Some(&sel), &labels));
        assert!(label_selector_matches(None, &labels));
        assert!(!label_selector_matches(Some(&json!("x")), &labels));
    }
}

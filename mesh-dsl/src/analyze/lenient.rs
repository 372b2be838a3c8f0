//! Lenient decoding for analysis: a document that fails strict decoding is reported as
//! IST0106, and a repaired copy is still analyzed, as Istio's own loader keeps what it can
//! read. Repairs use the field paths of the strict errors: unknown fields are dropped,
//! missing required fields get an empty value, wrong types and bad values are replaced or
//! dropped.

use super::HashMap;

use istio_types::de::{FieldError, FieldErrorKind, PathSegment};
use istio_types::{IstioResource, KindMatch};
use serde_json::{Map, Value};

/// How often one path may be repaired before giving up.
const MAX_FIXES_PER_PATH: u8 = 4;
/// How many repair rounds to try.
const MAX_ROUNDS: usize = 24;

/// Decodes an Istio document, repairing what strict decoding rejects. `None` when the
/// document is not an Istio kind or cannot be repaired.
pub(crate) fn repair(v: &Value) -> Option<IstioResource> {
    let mut v = v.clone();
    let mut fixes: HashMap<String, u8> = HashMap::default();
    for _ in 0..MAX_ROUNDS {
        let errs = match IstioResource::from_value(&v) {
            Ok(r) => return r,
            Err(errs) => errs,
        };
        let mut changed = false;
        for e in &errs {
            let key = e.path.to_string();
            let n = fixes.entry(key).or_insert(0);
            if *n >= MAX_FIXES_PER_PATH {
                continue;
            }
            *n += 1;
            changed |= fix(&mut v, e);
        }
        if !changed {
            return None;
        }
    }
    None
}

fn get_mut<'v>(v: &'v mut Value, segs: &[PathSegment]) -> Option<&'v mut Value> {
    let mut cur = v;
    for s in segs {
        cur = match s {
            PathSegment::Field(k) | PathSegment::Key(k) => cur.as_object_mut()?.get_mut(k)?,
            PathSegment::Index(i) => cur.as_array_mut()?.get_mut(*i)?,
        };
    }
    Some(cur)
}

fn remove_at(v: &mut Value, segs: &[PathSegment]) -> bool {
    let Some((last, parent)) = segs.split_last() else {
        return false;
    };
    let Some(p) = get_mut(v, parent) else {
        return false;
    };
    match (last, p) {
        (PathSegment::Field(k) | PathSegment::Key(k), Value::Object(m)) => m.remove(k).is_some(),
        (PathSegment::Index(i), Value::Array(a)) if *i < a.len() => {
            a.remove(*i);
            true
        }
        _ => false,
    }
}

fn set_at(v: &mut Value, segs: &[PathSegment], new: Value) -> bool {
    match get_mut(v, segs) {
        Some(slot) if *slot != new => {
            *slot = new;
            true
        }
        _ => false,
    }
}

/// A value of the type an error message names (`a string`, `an integer`, ...).
fn default_for(expected: &str) -> Option<Value> {
    let e = expected.to_ascii_lowercase();
    if e.contains("string") || e.contains("duration") {
        Some(Value::String(String::new()))
    } else if e.contains("integer") || e.contains("number") {
        Some(Value::from(0))
    } else if e.contains("bool") {
        Some(Value::Bool(false))
    } else if e.contains("list") || e.contains("array") {
        Some(Value::Array(Vec::new()))
    } else if e.contains("object") || e.contains("map") {
        Some(Value::Object(Map::new()))
    } else {
        None
    }
}

fn fix(v: &mut Value, e: &FieldError) -> bool {
    let segs = e.path.segments();
    match &e.kind {
        FieldErrorKind::UnknownField { .. } | FieldErrorKind::OutOfRange { .. } => {
            remove_at(v, segs)
        }
        FieldErrorKind::UnknownVariant { .. } => remove_at(v, segs),
        FieldErrorKind::MissingField(name) => match get_mut(v, segs) {
            Some(Value::Object(m)) if !m.contains_key(*name) => {
                m.insert((*name).to_string(), Value::Object(Map::new()));
                true
            }
            Some(Value::Object(m)) => {
                // Present but null: give it an empty object, the next round refines it.
                match m.get_mut(*name) {
                    Some(slot) if slot.is_null() => {
                        *slot = Value::Object(Map::new());
                        true
                    }
                    _ => false,
                }
            }
            _ => false,
        },
        FieldErrorKind::WrongType { expected, .. } => {
            // A number written as a string is the common case: keep its value.
            if (expected.contains("integer") || expected.contains("number"))
                && let Some(n) = get_mut(v, segs)
                    .and_then(|x| x.as_str())
                    .and_then(|s| s.trim().parse::<i64>().ok())
            {
                return set_at(v, segs, Value::from(n));
            }
            match default_for(expected) {
                Some(d) => set_at(v, segs, d) || remove_at(v, segs),
                None => remove_at(v, segs),
            }
        }
        FieldErrorKind::ConflictingFields { set, .. } => {
            let Some(Value::Object(m)) = get_mut(v, segs) else {
                return false;
            };
            let mut changed = false;
            for k in set.iter().skip(1) {
                changed |= m.remove(k).is_some();
            }
            changed
        }
        FieldErrorKind::Invalid(_) => {
            if matches!(segs, [PathSegment::Field(f)] if f == "apiVersion") {
                return fix_api_version(v);
            }
            if segs.is_empty() {
                return false;
            }
            remove_at(v, segs)
        }
        _ => remove_at(v, segs),
    }
}

fn fix_api_version(v: &mut Value) -> bool {
    let api = v.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    let group = api.split_once('/').map_or(api, |(g, _)| g).to_string();
    match IstioResource::classify(api, kind) {
        KindMatch::UnservedVersion { served } => match served.first() {
            Some(ver) => set_at(
                v,
                &[PathSegment::Field("apiVersion".into())],
                Value::String(format!("{group}/{ver}")),
            ),
            None => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn repairs_missing_unknown_and_mistyped_fields() {
        let vs = json!({
            "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": "x", "namespace": "ns"},
            "spec": {"hosts": ["a"], "http": [{"timout": "5s", "route": [{}, {"destination": {"host": "b", "port": {"number": "80"}}}]}]}
        });
        let Some(IstioResource::VirtualService(r)) = repair(&vs) else {
            panic!("not repaired")
        };
        let routes = &r.spec.http[0].route;
        assert_eq!(routes[0].destination.host, "");
        assert_eq!(
            routes[1].destination.port.as_ref().and_then(|p| p.number),
            Some(80)
        );
        let se = json!({"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry", "metadata": {"name": "x"}});
        assert!(matches!(repair(&se), Some(IstioResource::ServiceEntry(_))));
        assert!(repair(&json!({"apiVersion": "v1", "kind": "Pod"})).is_none());
        assert!(repair(&json!(["not", "an", "object"])).is_none());
    }
}

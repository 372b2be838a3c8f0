//! Reading YAML for analysis: every document that can be read becomes a [`Resource`];
//! documents that fail strict decoding are reported as IST0106 with their field paths and
//! still analyzed as far as they can be repaired. `kind: List` documents are expanded.

use istio_types::IstioResource;
use istio_types::document::{self, Document};
use istio_types::yaml::{self, YamlError};
use serde_json::Value;

use super::lenient::repair;
use super::messages::SCHEMA_VALIDATION_ERROR;
use crate::diag::{Diagnostic, Diagnostics, ResourceRef};
use crate::resources::Resource;

/// What [`load_stream`] read.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Loaded {
    /// Every object that decoded strictly.
    pub resources: Vec<Resource>,
    /// Repaired copies of the Istio objects that did not (unknown fields dropped, missing
    /// fields empty), for analysis; per-resource validation would only repeat the IST0106
    /// findings on them, so keep them out of it.
    pub repaired: Vec<Resource>,
    /// IST0106 for every problem strict decoding found.
    pub diagnostics: Diagnostics,
}

/// Why a stream could not be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The text is not YAML.
    #[error("{origin}: {source}")]
    Yaml {
        /// Where the text came from.
        origin: String,
        /// The parser's error.
        #[source]
        source: YamlError,
    },
}

/// Reads a YAML (or JSON) stream leniently, for analysis.
///
/// Unlike `istio_types::document::parse_stream`, invalid documents do not stop the read:
/// each problem becomes an IST0106 `SchemaValidationError` diagnostic with its field path,
/// and a repaired copy of the document (unknown fields dropped, missing ones empty) is
/// returned in [`Loaded::repaired`] so that the analyzers still see it.
///
/// # Errors
/// [`LoadError::Yaml`] when the text is not YAML.
pub fn load_stream(text: &str, origin: &str) -> Result<Loaded, LoadError> {
    let mut out = Loaded::default();
    // One document at a time: only the typed objects are kept, not every raw value.
    yaml::for_each_document(text, |d| {
        let at = match d.line {
            Some(line) => format!("{origin}: document {} (line {line})", d.index + 1),
            None => format!("{origin}: document {}", d.index + 1),
        };
        // `kind: List` documents are unpacked where every reader unpacks them.
        document::for_each_item(d.value, &mut |item, v| {
            if item.is_empty() {
                load_value(v, &at, &mut out);
            } else {
                let mut at = at.clone();
                for i in item {
                    at.push_str(&format!(", item {i}"));
                }
                load_value(v, &at, &mut out);
            }
        });
    })
    .map_err(|source| LoadError::Yaml {
        origin: origin.to_string(),
        source,
    })?;
    Ok(out)
}

fn load_value(v: Value, at: &str, out: &mut Loaded) {
    if v.is_null() {
        return;
    }
    // Decoding by reference keeps the value for repair without copying every document.
    let errs = match IstioResource::from_value(&v) {
        Ok(Some(r)) => {
            out.resources.push(Resource::Istio(r));
            return;
        }
        Ok(None) => {
            let has = |k: &str| v.get(k).is_some_and(Value::is_string);
            if has("apiVersion") && has("kind") {
                out.resources.push(Resource::from_json(v));
                return;
            }
            match Document::from_value(v.clone()) {
                Ok(doc) => {
                    out.resources.push(Resource::from_document(doc));
                    return;
                }
                Err(errs) => errs,
            }
        }
        Err(errs) => errs,
    };
    let kind = v.get("kind").and_then(Value::as_str);
    let meta = v.get("metadata");
    let name = meta.and_then(|m| m.get("name")).and_then(Value::as_str);
    let ns = meta
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str);
    let reference = kind.map(|k| ResourceRef::new(k, ns, name.unwrap_or("")));
    for e in &errs {
        let mut d = Diagnostic::new(
            SCHEMA_VALIDATION_ERROR.severity,
            SCHEMA_VALIDATION_ERROR.code,
            SCHEMA_VALIDATION_ERROR.name,
            format!("{at}: {}", e.kind),
        );
        if let Some(r) = &reference {
            d = d.on(r.clone());
        }
        if !e.path.is_root() {
            d = d.at(e.path.to_string());
        }
        out.diagnostics.push(d);
    }
    if let Some(r) = repair(&v) {
        out.repaired.push(Resource::Istio(r));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_documents_are_reported_and_still_loaded() {
        let text = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x, namespace: ns}\nspec:\n  hosts: [a]\n  http:\n  - timout: 5s\n    route: [{destination: {host: b}}]\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: ns}}\n---\nfoo: bar\n";
        let loaded = load_stream(text, "t.yaml").unwrap();
        assert_eq!(loaded.resources.len(), 1, "{:?}", loaded.resources);
        assert_eq!(loaded.repaired.len(), 1, "{:?}", loaded.repaired);
        let codes: Vec<_> = loaded
            .diagnostics
            .iter()
            .map(|d| (d.code.as_ref(), d.path.as_deref()))
            .collect();
        assert!(
            codes.contains(&("IST0106", Some("spec.http[0].timout"))),
            "{codes:?}"
        );
        assert!(
            codes.contains(&("IST0106", Some("apiVersion"))),
            "{codes:?}"
        );
        assert!(load_stream("a: [", "bad").is_err());
    }
}

//! Multi-document YAML streams: reading them into typed resources, writing them back.
//!
//! A stream may mix Istio resources with anything else (Services, Deployments, other
//! projects' CRDs). Istio kinds and the Kubernetes Gateway API's kinds are decoded
//! strictly into their types; other documents are kept as JSON values, checked only for
//! having `apiVersion` and `kind`.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::de::{FieldError, FieldErrorKind, FieldPath};
use crate::yaml::{self, YamlError};
use crate::{GatewayApiResource, IstioResource, KindMatch};

/// One document of a stream.
#[derive(Clone, Debug, PartialEq)]
pub enum Document {
    /// An Istio resource, typed.
    Istio(IstioResource),
    /// A Kubernetes Gateway API resource, typed.
    GatewayApi(GatewayApiResource),
    /// Any other Kubernetes object, as written.
    Other(Value),
}

impl Document {
    /// Decodes one document.
    ///
    /// # Errors
    /// Every problem found, each with its path.
    pub fn from_value(v: Value) -> Result<Self, Vec<FieldError>> {
        if let Some(r) = IstioResource::from_value(&v)? {
            return Ok(Self::Istio(r));
        }
        match GatewayApiResource::from_value(&v)? {
            Some(r) => Ok(Self::GatewayApi(r)),
            None => {
                let mut errs = Vec::new();
                if !v.is_object() {
                    errs.push(FieldError {
                        path: FieldPath::root(),
                        kind: FieldErrorKind::WrongType {
                            expected: "a Kubernetes object (a map with apiVersion and kind)",
                            found: crate::de::describe(&v),
                        },
                    });
                } else {
                    for key in ["apiVersion", "kind"] {
                        if !v.get(key).is_some_and(Value::is_string) {
                            errs.push(FieldError {
                                path: FieldPath::root().field(key),
                                kind: FieldErrorKind::MissingField(key),
                            });
                        }
                    }
                }
                if errs.is_empty() {
                    Ok(Self::Other(v))
                } else {
                    Err(errs)
                }
            }
        }
    }

    /// The document's kind.
    pub fn kind(&self) -> &str {
        match self {
            Self::Istio(r) => r.kind(),
            Self::GatewayApi(r) => r.kind(),
            Self::Other(v) => v.get("kind").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// The document's `namespace/name` (or just `name`), when it has one.
    pub fn display_name(&self) -> Option<String> {
        match self {
            Self::Istio(r) => qualified(
                r.metadata().namespace.as_deref(),
                r.metadata().name.as_deref(),
            ),
            Self::GatewayApi(r) => qualified(
                r.metadata().namespace.as_deref(),
                r.metadata().name.as_deref(),
            ),
            Self::Other(v) => name_of(v),
        }
    }
}

fn qualified(ns: Option<&str>, name: Option<&str>) -> Option<String> {
    match (ns, name) {
        (Some(ns), Some(n)) => Some(format!("{ns}/{n}")),
        (None, Some(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn name_of(v: &Value) -> Option<String> {
    let meta = v.get("metadata")?;
    qualified(
        meta.get("namespace").and_then(Value::as_str),
        meta.get("name").and_then(Value::as_str),
    )
}

impl Serialize for Document {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Istio(r) => r.serialize(s),
            Self::GatewayApi(r) => r.serialize(s),
            Self::Other(v) => Canonical {
                value: v,
                top: true,
            }
            .serialize(s),
        }
    }
}

/// Serializes a JSON value with a stable key order, whatever the map type underneath:
/// `apiVersion`, `kind`, `metadata` first at the top, then the rest sorted.
struct Canonical<'a> {
    value: &'a Value,
    top: bool,
}

impl Serialize for Canonical<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.value {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                let rank = |k: &str| match (self.top, k) {
                    (true, "apiVersion") => 0,
                    (true, "kind") => 1,
                    (true, "metadata") => 2,
                    _ => 3,
                };
                keys.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
                let mut map = s.serialize_map(Some(keys.len()))?;
                for k in keys {
                    map.serialize_entry(
                        k,
                        &Canonical {
                            value: &m[k],
                            top: false,
                        },
                    )?;
                }
                map.end()
            }
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for x in items {
                    seq.serialize_element(&Canonical {
                        value: x,
                        top: false,
                    })?;
                }
                seq.end()
            }
            other => other.serialize(s),
        }
    }
}

/// A document with where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceDocument {
    /// 0-based position in its stream.
    pub index: usize,
    /// 1-based line where it starts, when known.
    pub line: Option<usize>,
    /// The `apiVersion` as written in the source (an Istio resource may be read at any
    /// served version, e.g. `networking.istio.io/v1alpha3`), empty when it has none.
    pub api_version: String,
    /// The document.
    pub document: Document,
}

/// The problems of one document.
#[derive(Clone, Debug, PartialEq)]
pub struct DocumentError {
    /// Where the stream came from (a file name, or `-` for standard input).
    pub origin: String,
    /// 0-based position in the stream.
    pub index: usize,
    /// 1-based line where the document starts, when known.
    pub line: Option<usize>,
    /// The document's kind, when it has one.
    pub kind: Option<String>,
    /// The document's `namespace/name`, when it has one.
    pub name: Option<String>,
    /// For an item of a `kind: List` document, its 1-based position in the list (and in
    /// the lists around it, outermost first); empty otherwise.
    pub item: Vec<usize>,
    /// Every problem found, each with its field path.
    pub errors: Vec<FieldError>,
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: document {}", self.origin, self.index + 1)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        for i in &self.item {
            write!(f, ", item {i}")?;
        }
        match (&self.kind, &self.name) {
            (Some(k), Some(n)) => write!(f, ", {k} {n}")?,
            (Some(k), None) => write!(f, ", {k}")?,
            _ => {}
        }
        let n = self.errors.len();
        write!(f, ": {n} problem{}", if n == 1 { "" } else { "s" })?;
        for e in &self.errors {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DocumentError {}

/// Why a stream could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The text is not YAML.
    #[error("{origin}: {source}")]
    Yaml {
        /// Where the stream came from.
        origin: String,
        /// The parser's error.
        #[source]
        source: YamlError,
    },
    /// Some documents are not valid resources; every problem of every document is listed.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<DocumentError>),
}

/// Reads every document of a YAML (or JSON) stream.
///
/// ```
/// let docs = istio_types::document::parse_stream(
///     "apiVersion: networking.istio.io/v1beta1\nkind: Gateway\nmetadata: {name: gw}\nspec: {}\n",
///     "inline",
/// ).unwrap();
/// assert_eq!(docs[0].document.kind(), "Gateway");
/// ```
///
/// A `kind: List` document is read as its items (see [`for_each_item`]), each a
/// [`SourceDocument`] with the list's index and line. Documents are read one at a time
/// ([`yaml::for_each_document`]), so the raw values are never all held at once.
///
/// # Errors
/// [`StreamError::Yaml`] when the text is not YAML; otherwise [`StreamError::Invalid`]
/// with every document that has problems (all of them, not just the first).
pub fn parse_stream(src: &str, origin: &str) -> Result<Vec<SourceDocument>, StreamError> {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    yaml::for_each_document(src, |d| {
        let (index, line) = (d.index, d.line);
        for_each_item(d.value, &mut |item, value| {
            let kind = value.get("kind").and_then(Value::as_str).map(String::from);
            let name = name_of(&value);
            let api_version = value
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            match Document::from_value(value) {
                Ok(document) => docs.push(SourceDocument {
                    index,
                    line,
                    api_version,
                    document,
                }),
                Err(errs) => errors.push(DocumentError {
                    origin: origin.to_string(),
                    index,
                    line,
                    kind,
                    name,
                    item: item.to_vec(),
                    errors: errs,
                }),
            }
        });
    })
    .map_err(|source| StreamError::Yaml {
        origin: origin.to_string(),
        source,
    })?;
    if errors.is_empty() {
        Ok(docs)
    } else {
        Err(StreamError::Invalid(errors))
    }
}

/// Whether `v` is a `kind: List` document (or another `*List` kind, such as
/// `VirtualServiceList`) holding `items`: `kubectl` reads such a document as its items.
#[must_use]
pub fn is_list(v: &Value) -> bool {
    v.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && v.get("items").is_some_and(Value::is_array)
}

/// Calls `f` with every object `v` stands for: the items of a `kind: List` (see
/// [`is_list`]; lists in lists too), with their 1-based positions (outermost first), or
/// `v` itself with no position. The one place where lists are unpacked, so every reader
/// sees the same objects.
///
/// ```
/// use serde_json::json;
/// let list = json!({"apiVersion": "v1", "kind": "List", "items": [{"kind": "A"}, {"kind": "B"}]});
/// let mut seen = Vec::new();
/// istio_types::document::for_each_item(list, &mut |at, v| seen.push((at.to_vec(), v["kind"].clone())));
/// assert_eq!(seen, [(vec![1], json!("A")), (vec![2], json!("B"))]);
/// ```
pub fn for_each_item(v: Value, f: &mut impl FnMut(&[usize], Value)) {
    let mut at = Vec::new();
    unpack(v, &mut at, f);
}

fn unpack(v: Value, at: &mut Vec<usize>, f: &mut impl FnMut(&[usize], Value)) {
    if is_list(&v) {
        if let Value::Object(mut m) = v
            && let Some(Value::Array(items)) = m.remove("items")
        {
            for (i, item) in items.into_iter().enumerate() {
                at.push(i + 1);
                unpack(item, at, f);
                at.pop();
            }
        }
    } else {
        f(at, v);
    }
}

/// Writes documents as one YAML stream with a stable layout, Istio resources at the
/// version their types write (`v1` where served); [`write_stream`] keeps the version each
/// was read with instead.
///
/// # Errors
/// When a value cannot be written as YAML.
pub fn to_yaml_stream<'a>(
    docs: impl IntoIterator<Item = &'a Document>,
) -> Result<String, YamlError> {
    yaml::to_yaml_stream(docs)
}

/// Why documents could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// A value cannot be written as YAML.
    #[error(transparent)]
    Yaml(#[from] YamlError),
    /// The version asked for is not served for a document's kind.
    #[error("{kind} {name}: {api_version} is not served; {kind} is served as {}", .served.join(", "))]
    UnservedVersion {
        /// The document's kind.
        kind: String,
        /// The document's `namespace/name`.
        name: String,
        /// The `apiVersion` asked for.
        api_version: String,
        /// The `apiVersion`s served for the kind.
        served: Vec<String>,
    },
}

/// Writes documents as one YAML stream with a stable layout, each Istio resource at the
/// `apiVersion` it was read with (`to_version: None`: a formatter must not change what a
/// file means to an older control plane), or moved to the served version `to_version`
/// (e.g. `Some("v1")`; the schemas of Istio's served versions are the same).
///
/// ```
/// use istio_types::document::{parse_stream, write_stream};
///
/// let src = "apiVersion: networking.istio.io/v1alpha3\nkind: Gateway\nmetadata: {name: gw}\nspec: {}\n";
/// let docs = parse_stream(src, "inline").unwrap();
/// assert!(write_stream(&docs, None)?.starts_with("apiVersion: networking.istio.io/v1alpha3\n"));
/// assert!(write_stream(&docs, Some("v1"))?.starts_with("apiVersion: networking.istio.io/v1\n"));
/// assert!(write_stream(&docs, Some("v2")).is_err());
/// # Ok::<(), istio_types::document::WriteError>(())
/// ```
///
/// # Errors
/// When a value cannot be written as YAML, or `to_version` is not served for the kind of
/// an Istio resource among them.
pub fn write_stream<'a>(
    docs: impl IntoIterator<Item = &'a SourceDocument>,
    to_version: Option<&str>,
) -> Result<String, WriteError> {
    let mut out = String::new();
    for (i, sd) in docs.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let (written, kind, classify): (_, _, fn(&str, &str) -> KindMatch) = match &sd.document {
            Document::Istio(r) => (r.api_version(), r.kind(), IstioResource::classify),
            Document::GatewayApi(r) => (r.api_version(), r.kind(), GatewayApiResource::classify),
            Document::Other(_) => {
                yaml::append_yaml(&mut out, &sd.document)?;
                continue;
            }
        };
        let group = written.split_once('/').map_or(written, |(g, _)| g);
        let target = match to_version {
            Some(v) => {
                let av = format!("{group}/{v}");
                if let KindMatch::UnservedVersion { served } = classify(&av, kind) {
                    return Err(WriteError::UnservedVersion {
                        kind: kind.to_string(),
                        name: sd.document.display_name().unwrap_or_default(),
                        api_version: av,
                        served: served.iter().map(|s| format!("{group}/{s}")).collect(),
                    });
                }
                av
            }
            None if sd.api_version.is_empty() => written.to_string(),
            None => sd.api_version.clone(),
        };
        let start = out.len();
        yaml::append_yaml(&mut out, &sd.document)?;
        // The typed resources write `apiVersion` first, at their stored version.
        let line = format!("apiVersion: {written}\n");
        if target != written && out[start..].starts_with(&line) {
            out.replace_range(
                start..start + line.len(),
                &format!("apiVersion: {target}\n"),
            );
        }
    }
    Ok(out)
}

//! Checking resources against the structural schemas of the Istio CRDs.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use serde_json::{Map, Value, json};

use crate::crds::Crds;

/// One reason why a resource does not match its schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchemaError {
    /// Where in the resource, as a dotted path such as `spec.http[0].timout` (the style of
    /// `kubectl` messages); a key that is not a plain identifier is written `["key"]`, as in
    /// `metadata.labels["app.kubernetes.io/name"]`. Empty for the resource itself.
    pub path: String,
    /// What is wrong, in words.
    pub message: String,
}

impl SchemaError {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        SchemaError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "<resource>: {}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for SchemaError {}

/// Renders schema errors one per line, for assertion messages.
pub fn render_errors(errors: &[SchemaError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

struct Entry {
    /// The converted JSON Schema.
    schema: Value,
    /// Compiled on first use.
    compiled: OnceLock<Result<jsonschema::Validator, String>>,
}

/// Checks whole Istio resources against the schemas of the CRDs, treating unknown fields as
/// errors.
///
/// The schema is picked by `apiVersion` (`group/version`, any served version) and `kind`. Each
/// schema is converted when the validator is built and compiled the first time a resource of its
/// kind is checked; the validator is `Sync`, so one instance can serve many tests (see
/// [`shared_validator`]).
///
/// A CRD schema is an OpenAPI v3.0 "structural schema" with Kubernetes extensions. It is turned
/// into a JSON Schema (draft 2020-12) for the `jsonschema` crate with these rules:
///
/// * An object schema that lists `properties`, has no `additionalProperties` and does not set
///   `x-kubernetes-preserve-unknown-fields: true` gets `additionalProperties: false`, so unknown
///   fields are errors, like `kubectl apply --validate=strict`. The branches of
///   `oneOf`/`anyOf`/`allOf`/`not` are value checks only and are left open.
/// * `nullable: true` lets the value be `null`. A `null` in a field without it is dropped
///   before the check, as the API server prunes such nulls before validating.
/// * `x-kubernetes-int-or-string: true` allows an integer or a string.
/// * `x-kubernetes-preserve-unknown-fields: true` allows fields the schema does not list.
/// * `format: int32` and `format: int64` become range checks, `format: byte` checks standard
///   base64, `format: date-time` checks RFC 3339; `format: double` and unknown formats are not
///   checked.
/// * `oneOf`/`anyOf`/`allOf`/`not` are kept as they are: Istio uses them to say "at most one of
///   these fields".
/// * The root `metadata`, only `type: object` in a CRD, is checked as an `ObjectMeta`: it must
///   have a string `name` or `generateName`, `labels` and `annotations` must map strings to
///   strings, label values must be valid Kubernetes label values (at most 63 characters of
///   alphanumerics, `-`, `_` and `.`), and unknown `metadata` fields are errors.
/// * Every other `x-kubernetes-*` key, `description`, `default` and the like are dropped.
///
/// **Not checked**: the CEL rules of `x-kubernetes-validations`, the uniqueness of list-map keys
/// (`x-kubernetes-list-type: map`), and defaulting. A resource this validator accepts can still be
/// refused by an API server because of a CEL rule.
pub struct SchemaValidator {
    /// By (group, version, kind), served versions only.
    entries: HashMap<(String, String, String), Entry>,
    /// Served versions by (group, kind), for error messages.
    served: BTreeMap<(String, String), Vec<String>>,
}

impl fmt::Debug for SchemaValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaValidator")
            .field("kinds", &self.served)
            .finish_non_exhaustive()
    }
}

impl SchemaValidator {
    /// Builds a validator for every served version of every kind in `crds`.
    pub fn new(crds: &Crds) -> SchemaValidator {
        let mut entries = HashMap::new();
        let mut served = BTreeMap::new();
        for k in crds.kinds() {
            served.insert((k.group.clone(), k.kind.clone()), k.served.clone());
            for v in &k.served {
                if let Some(raw) = k.schema(v) {
                    entries.insert(
                        (k.group.clone(), v.clone(), k.kind.clone()),
                        Entry {
                            schema: resource_schema(raw),
                            compiled: OnceLock::new(),
                        },
                    );
                }
            }
        }
        SchemaValidator { entries, served }
    }

    /// Builds a validator from the shared Istio CRDs, or `None` when the reference data is absent.
    pub fn load() -> Option<SchemaValidator> {
        Crds::load().map(|c| SchemaValidator::new(&c))
    }

    /// The JSON Schema the validator checks `group/version` `kind` against (after conversion).
    pub fn json_schema(&self, group: &str, version: &str, kind: &str) -> Option<&Value> {
        self.entries
            .get(&(group.to_owned(), version.to_owned(), kind.to_owned()))
            .map(|e| &e.schema)
    }

    /// Checks a whole resource (`apiVersion`, `kind`, `metadata`, `spec`, ...).
    ///
    /// # Errors
    ///
    /// Returns every problem found, each with its path in the resource. A resource whose
    /// `apiVersion`/`kind` names no served version of a known CRD gives one error saying so.
    pub fn validate(&self, doc: &Value) -> Result<(), Vec<SchemaError>> {
        let Some(obj) = doc.as_object() else {
            return Err(vec![SchemaError::new(
                "",
                format!("a resource must be a mapping, found {}", type_name(doc)),
            )]);
        };
        let (Some(api_version), Some(kind)) = (
            obj.get("apiVersion").and_then(Value::as_str),
            obj.get("kind").and_then(Value::as_str),
        ) else {
            let mut errors = Vec::new();
            for key in ["apiVersion", "kind"] {
                if !obj.get(key).is_some_and(Value::is_string) {
                    errors.push(SchemaError::new(key, "required string field is missing"));
                }
            }
            return Err(errors);
        };
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let key = (group.to_owned(), version.to_owned(), kind.to_owned());
        let Some(entry) = self.entries.get(&key) else {
            return Err(vec![self.unknown_kind(group, version, kind, api_version)]);
        };
        let compiled = entry.compiled.get_or_init(|| compile(&entry.schema));
        let validator = match compiled {
            Ok(v) => v,
            Err(e) => {
                return Err(vec![SchemaError::new(
                    "",
                    format!("the schema of {api_version} {kind} does not compile: {e}"),
                )]);
            }
        };
        let mut pruned = doc.clone();
        prune_nulls(&mut pruned, &entry.schema);
        let doc = &pruned;
        let mut errors = Vec::new();
        for e in validator.iter_errors(doc) {
            convert_error(&e, &entry.schema, &mut errors);
        }
        check_metadata_name(obj, &mut errors);
        errors.sort();
        errors.dedup();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn unknown_kind(&self, group: &str, version: &str, kind: &str, api: &str) -> SchemaError {
        match self.served.get(&(group.to_owned(), kind.to_owned())) {
            Some(versions) => SchemaError::new(
                "apiVersion",
                format!(
                    "version {version:?} of {group} {kind} is not served (served: {})",
                    versions.join(", ")
                ),
            ),
            None => SchemaError::new(
                "kind",
                format!("unknown apiVersion/kind: no CRD defines kind {kind:?} in {api:?}"),
            ),
        }
    }
}

/// Removes `null` values of fields whose schema is not nullable, walking the converted schema
/// (a nullable field's schema is the `if: {type: null}` form `convert` writes).
fn prune_nulls(doc: &mut Value, schema: &Value) {
    let schema = match schema.get("else") {
        Some(inner) if schema.get("if") == Some(&json!({"type": "null"})) => inner,
        _ => schema,
    };
    match doc {
        Value::Object(obj) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let extra = schema.get("additionalProperties").filter(|a| a.is_object());
            obj.retain(|k, v| {
                let field = props.and_then(|p| p.get(k)).or(extra);
                let nullable = field.is_some_and(|f| f.get("if") == Some(&json!({"type": "null"})));
                !(v.is_null() && field.is_some() && !nullable)
            });
            for (k, v) in obj.iter_mut() {
                if let Some(field) = props.and_then(|p| p.get(k)).or(extra) {
                    prune_nulls(v, field);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for v in items {
                    prune_nulls(v, item);
                }
            }
        }
        _ => {}
    }
}

/// A validator over the shared Istio CRDs, built once per test binary.
///
/// Returns `None` when the reference data is absent; tests use [`crate::reference_validator`],
/// which fails under CI and says it skipped otherwise.
pub fn shared_validator() -> Option<&'static SchemaValidator> {
    static SHARED: OnceLock<Option<SchemaValidator>> = OnceLock::new();
    SHARED.get_or_init(SchemaValidator::load).as_ref()
}

fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .with_format("byte", is_std_base64)
        .build(schema)
        .map_err(|e| e.to_string())
}

/// Go's `base64.StdEncoding.DecodeString` acceptance, which Kubernetes uses for `format: byte`.
fn is_std_base64(s: &str) -> bool {
    let bytes: Vec<u8> = s.bytes().filter(|b| *b != b'\r' && *b != b'\n').collect();
    if !bytes.len().is_multiple_of(4) {
        return false;
    }
    let padding = bytes.iter().rev().take_while(|b| **b == b'=').count();
    if padding > 2 {
        return false;
    }
    bytes[..bytes.len() - padding]
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

// ---------------------------------------------------------------------------------------------
// Schema conversion

/// Keywords of OpenAPI v3.0 that mean the same in JSON Schema 2020-12 and are copied as they are.
const COPIED: &[&str] = &[
    "type",
    "required",
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "multipleOf",
];

/// Converts the `openAPIV3Schema` of a CRD version into the JSON Schema of a whole resource.
fn resource_schema(raw: &Value) -> Value {
    let mut schema = convert(raw, true);
    if let Some(root) = schema.as_object_mut() {
        root.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        let props = root
            .entry("properties")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("converted properties are a mapping");
        props.insert("metadata".into(), object_meta_schema());
        props
            .entry("apiVersion")
            .or_insert_with(|| json!({"type": "string"}));
        props
            .entry("kind")
            .or_insert_with(|| json!({"type": "string"}));
        // Keep what the CRD requires at the top (e.g. `spec`) and add the envelope.
        let mut required: Vec<Value> = root
            .get("required")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for key in ["apiVersion", "kind", "metadata"] {
            if !required.iter().any(|r| r == key) {
                required.push(json!(key));
            }
        }
        root.insert("required".into(), Value::Array(required));
    }
    schema
}

/// `ObjectMeta`, as far as a client may set it.
fn object_meta_schema() -> Value {
    let label_value = json!({
        "type": "string",
        "maxLength": 63,
        "pattern": "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
    });
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "generateName": {"type": "string", "minLength": 1},
            "namespace": {"type": "string"},
            "labels": {"type": "object", "additionalProperties": label_value},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
            "uid": {"type": "string"},
            "resourceVersion": {"type": "string"},
            "generation": {"type": "integer"},
            "selfLink": {"type": "string"},
            "creationTimestamp": {"type": ["string", "null"]},
            "deletionTimestamp": {"type": ["string", "null"]},
            "deletionGracePeriodSeconds": {"type": "integer"},
            "ownerReferences": {"type": "array", "items": {"type": "object"}},
            "finalizers": {"type": "array", "items": {"type": "string"}},
            "managedFields": {"type": "array", "items": {"type": "object"}}
        }
    })
}

/// Converts one schema node. `structural` is false inside `oneOf`/`anyOf`/`allOf`/`not`, whose
/// branches only add checks and must not close objects.
fn convert(node: &Value, structural: bool) -> Value {
    let Some(src) = node.as_object() else {
        // `true`/`false` schemas and oddities pass through.
        return node.clone();
    };
    let mut out = Map::new();
    for (key, value) in src {
        match key.as_str() {
            "properties" => {
                if let Some(props) = value.as_object() {
                    let converted = props
                        .iter()
                        .map(|(name, s)| (name.clone(), convert(s, structural)))
                        .collect();
                    out.insert(key.clone(), Value::Object(converted));
                }
            }
            "items" | "additionalProperties" => {
                out.insert(key.clone(), convert(value, structural));
            }
            "oneOf" | "anyOf" | "allOf" => {
                if let Some(branches) = value.as_array() {
                    let converted = branches.iter().map(|b| convert(b, false)).collect();
                    out.insert(key.clone(), Value::Array(converted));
                }
            }
            "not" => {
                out.insert(key.clone(), convert(value, false));
            }
            k if COPIED.contains(&k) => {
                out.insert(key.clone(), value.clone());
            }
            // Handled below, or dropped: description, default, nullable, title, example,
            // x-kubernetes-*, and anything else without a validation meaning.
            _ => {}
        }
    }
    // OpenAPI 3.0's boolean exclusive bounds become 2020-12's numeric ones.
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        match src.get(flag) {
            Some(Value::Bool(true)) => {
                if let Some(limit) = out.remove(bound) {
                    out.insert(flag.into(), limit);
                }
            }
            Some(n @ Value::Number(_)) => {
                out.insert(flag.into(), n.clone());
            }
            _ => {}
        }
    }
    match src.get("format").and_then(Value::as_str) {
        Some("int32") => limit_range(&mut out, i64::from(i32::MIN), i64::from(i32::MAX)),
        Some("int64") => limit_range(&mut out, i64::MIN, i64::MAX),
        Some("double" | "float") | None => {}
        Some(other) => {
            out.insert("format".into(), Value::String(other.to_owned()));
        }
    }
    let flag = |name: &str| src.get(name).and_then(Value::as_bool) == Some(true);
    if flag("x-kubernetes-int-or-string") && !out.contains_key("type") {
        let has_branches = out.contains_key("anyOf") || out.contains_key("oneOf");
        if !has_branches {
            out.insert("type".into(), json!(["integer", "string"]));
        }
    }
    if structural
        && out.contains_key("properties")
        && !out.contains_key("additionalProperties")
        && !flag("x-kubernetes-preserve-unknown-fields")
    {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    if flag("nullable") {
        // `if`/`else` rather than `anyOf`, so errors inside keep their precise paths.
        return json!({"if": {"type": "null"}, "then": true, "else": out});
    }
    Value::Object(out)
}

/// Narrows `minimum`/`maximum` to `[lo, hi]`.
fn limit_range(out: &mut Map<String, Value>, lo: i64, hi: i64) {
    let keep_min = out
        .get("minimum")
        .and_then(Value::as_f64)
        .is_some_and(|m| m >= lo as f64);
    if !keep_min {
        out.insert("minimum".into(), json!(lo));
    }
    let keep_max = out
        .get("maximum")
        .and_then(Value::as_f64)
        .is_some_and(|m| m <= hi as f64);
    if !keep_max {
        out.insert("maximum".into(), json!(hi));
    }
}

// ---------------------------------------------------------------------------------------------
// Error reporting

fn check_metadata_name(obj: &Map<String, Value>, errors: &mut Vec<SchemaError>) {
    let Some(meta) = obj.get("metadata").and_then(Value::as_object) else {
        return; // reported by the schema
    };
    if !meta.contains_key("name") && !meta.contains_key("generateName") {
        errors.push(SchemaError::new(
            "metadata.name",
            "metadata must have a name or a generateName",
        ));
    }
}

fn is_identifier(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
}

fn push_key(path: &mut String, key: &str) {
    if is_identifier(key) {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push_str(&format!("[{key:?}]"));
    }
}

fn dotted(location: &jsonschema::paths::Location) -> String {
    let mut path = String::new();
    for segment in location.iter() {
        match segment {
            LocationSegment::Property(key) => push_key(&mut path, &key),
            LocationSegment::Index(i) => path.push_str(&format!("[{i}]")),
        }
    }
    path
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A short rendering of a value for messages.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= 60 {
        s
    } else {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    }
}

/// `null`, or the type and a short rendering of the value.
fn described(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        other => format!("{} {}", type_name(other), short(other)),
    }
}

/// Every field name mentioned in a `required` list anywhere under `node`.
fn required_names(node: &Value, names: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "required" {
                    for name in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
                        if !names.iter().any(|n| n == name) {
                            names.push(name.to_owned());
                        }
                    }
                } else {
                    required_names(v, names);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| required_names(i, names)),
        _ => {}
    }
}

fn convert_error(e: &jsonschema::ValidationError<'_>, schema: &Value, out: &mut Vec<SchemaError>) {
    let path = dotted(e.instance_path());
    let instance: &Value = e.instance();
    let at_schema = schema.pointer(e.schema_path().as_str());
    let message = match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            for name in unexpected {
                let mut p = path.clone();
                push_key(&mut p, name);
                out.push(SchemaError::new(p, format!("unknown field {name:?}")));
            }
            return;
        }
        ValidationErrorKind::Required { property } => {
            let mut p = path.clone();
            push_key(&mut p, property.as_str().unwrap_or_default());
            out.push(SchemaError::new(p, "required field is missing"));
            return;
        }
        ValidationErrorKind::Type { .. } => {
            let expected = at_schema.map_or_else(String::new, |t| match t {
                Value::Array(ts) => ts
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" or "),
                other => other.as_str().unwrap_or_default().to_owned(),
            });
            format!("expected {expected}, found {}", described(instance))
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            let mut names = Vec::new();
            if let Some(branches) = at_schema {
                required_names(branches, &mut names);
            }
            let set: Vec<&str> = names
                .iter()
                .filter(|n| instance.get(n.as_str()).is_some())
                .map(String::as_str)
                .collect();
            if !instance.is_object() && !names.is_empty() {
                // An "at most one of these fields" rule on a non-object: every branch holds
                // vacuously, and the `type` check already reports the real problem.
                return;
            }
            if set.len() > 1 {
                format!(
                    "at most one of {} may be set, found {}",
                    names.join(", "),
                    set.join(" and ")
                )
            } else {
                format!(
                    "{} matches more than one alternative of a oneOf",
                    short(instance)
                )
            }
        }
        ValidationErrorKind::OneOfNotValid { .. } | ValidationErrorKind::AnyOf { .. } => {
            let types: Option<Vec<&str>> = at_schema.and_then(Value::as_array).and_then(|bs| {
                bs.iter()
                    .map(|b| {
                        let m = b.as_object()?;
                        (m.len() == 1).then(|| m.get("type")?.as_str())?
                    })
                    .collect()
            });
            match types {
                Some(types) => {
                    format!(
                        "expected {}, found {}",
                        types.join(" or "),
                        described(instance)
                    )
                }
                None => format!(
                    "{} matches none of the allowed alternatives",
                    short(instance)
                ),
            }
        }
        ValidationErrorKind::Format { format } => {
            format!("{} is not a valid {format}", short(instance))
        }
        ValidationErrorKind::Enum { options } => {
            format!("{} is not one of {}", short(instance), options)
        }
        _ => {
            let text = e.to_string();
            if text.chars().count() > 200 {
                let cut: String = text.chars().take(197).collect();
                format!("{cut}...")
            } else {
                text
            }
        }
    };
    out.push(SchemaError::new(path, message));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CorpusDoc, is_istio_kind};

    fn validator(test: &str) -> Option<&'static SchemaValidator> {
        crate::reference_validator(test)
    }

    fn virtual_service() -> Value {
        json!({
            "apiVersion": "networking.istio.io/v1",
            "kind": "VirtualService",
            "metadata": {"name": "reviews", "namespace": "default", "labels": {"app": "reviews"}},
            "spec": {
                "hosts": ["reviews"],
                "http": [{
                    "match": [{"uri": {"prefix": "/v1"}}],
                    "timeout": "5s",
                    "retries": {"attempts": 3, "perTryTimeout": "2s"},
                    "route": [{
                        "destination": {"host": "reviews", "subset": "v1", "port": {"number": 9080}},
                        "weight": 100
                    }]
                }]
            }
        })
    }

    fn errors_of(v: &SchemaValidator, doc: &Value) -> Vec<SchemaError> {
        v.validate(doc).expect_err("should be rejected")
    }

    #[test]
    fn valid_virtual_service_passes() {
        let Some(v) = validator("valid_virtual_service_passes") else {
            return;
        };
        let doc = virtual_service();
        if let Err(e) = v.validate(&doc) {
            panic!("{}", render_errors(&e));
        }
        for version in ["v1alpha3", "v1beta1"] {
            let mut doc = doc.clone();
            doc["apiVersion"] = json!(format!("networking.istio.io/{version}"));
            assert!(v.validate(&doc).is_ok(), "{version}");
        }
    }

    #[test]
    fn unknown_field_names_its_path() {
        let Some(v) = validator("unknown_field_names_its_path") else {
            return;
        };
        let mut doc = virtual_service();
        doc["spec"]["http"][0]["timout"] = json!("5s");
        let errors = errors_of(v, &doc);
        assert_eq!(
            errors,
            [SchemaError::new(
                "spec.http[0].timout",
                "unknown field \"timout\""
            )]
        );
        assert_eq!(
            errors[0].to_string(),
            "spec.http[0].timout: unknown field \"timout\""
        );
        let mut doc = virtual_service();
        doc["specs"] = json!({});
        doc["metadata"]["lables"] = json!({});
        let paths: Vec<_> = errors_of(v, &doc).into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["metadata.lables", "specs"]);
    }

    #[test]
    fn wrong_type_fails() {
        let Some(v) = validator("wrong_type_fails") else {
            return;
        };
        let mut doc = virtual_service();
        doc["spec"]["hosts"] = json!("reviews");
        let errors = errors_of(v, &doc);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].path, "spec.hosts");
        assert!(
            errors[0].message.contains("expected array"),
            "{}",
            errors[0]
        );

        let mut doc = virtual_service();
        doc["spec"]["http"][0]["route"][0]["weight"] = json!("100");
        let errors = errors_of(v, &doc);
        assert_eq!(errors[0].path, "spec.http[0].route[0].weight");
    }

    #[test]
    fn int32_range_and_int_or_string() {
        let Some(v) = validator("int32_range_and_int_or_string") else {
            return;
        };
        let mut doc = virtual_service();
        doc["spec"]["http"][0]["retries"]["attempts"] = json!(4_294_967_296_i64);
        let errors = errors_of(v, &doc);
        assert_eq!(errors[0].path, "spec.http[0].retries.attempts");
        // port.number is uint32 in Istio and has its own bounds.
        let mut doc = virtual_service();
        doc["spec"]["http"][0]["route"][0]["destination"]["port"]["number"] = json!(1.5);
        assert!(v.validate(&doc).is_err());
        // Only `status.observedGeneration` is int-or-string in the Istio CRDs.
        let mut doc = virtual_service();
        for ok in [json!(3), json!("3")] {
            doc["status"] = json!({"observedGeneration": ok});
            assert!(v.validate(&doc).is_ok(), "{}", doc["status"]);
        }
        doc["status"] = json!({"observedGeneration": true});
        let errors = errors_of(v, &doc);
        assert_eq!(errors[0].path, "status.observedGeneration");
        assert_eq!(
            errors[0].message,
            "expected integer or string, found boolean true"
        );
    }

    #[test]
    fn exact_and_prefix_together_fail() {
        let Some(v) = validator("exact_and_prefix_together_fail") else {
            return;
        };
        let mut doc = virtual_service();
        doc["spec"]["http"][0]["match"][0]["uri"] = json!({"exact": "/a", "prefix": "/b"});
        let errors = errors_of(v, &doc);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].path, "spec.http[0].match[0].uri");
        assert!(
            errors[0]
                .message
                .contains("at most one of exact, prefix, regex"),
            "{}",
            errors[0]
        );
        assert!(
            errors[0].message.contains("exact and prefix"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn nullable_field_may_be_null() {
        let Some(v) = validator("nullable_field_may_be_null") else {
            return;
        };
        let crds = Crds::load().unwrap();
        let raw = crds
            .schema("networking.istio.io", "v1", "DestinationRule")
            .unwrap();
        let tp = &raw["properties"]["spec"]["properties"]["trafficPolicy"]["properties"];
        assert_eq!(
            tp["tls"]["properties"]["insecureSkipVerify"]["nullable"],
            json!(true),
            "the CRD marks insecureSkipVerify (a BoolValue) nullable"
        );
        let doc = json!({
            "apiVersion": "networking.istio.io/v1",
            "kind": "DestinationRule",
            "metadata": {"name": "reviews"},
            "spec": {
                "host": "reviews",
                "trafficPolicy": {
                    "tls": {"mode": "SIMPLE", "insecureSkipVerify": null},
                    "outlierDetection": {"consecutive5xxErrors": null, "interval": "10s"}
                }
            }
        });
        if let Err(e) = v.validate(&doc) {
            panic!("{}", render_errors(&e));
        }
        // A null in a field without `nullable` is pruned, as the API server does: fine for
        // an optional field, "missing" for a required one.
        let mut doc = doc;
        doc["spec"]["exportTo"] = Value::Null;
        assert!(v.validate(&doc).is_ok());
        doc["spec"]["host"] = Value::Null;
        let errors = errors_of(v, &doc);
        assert_eq!(errors[0].path, "spec.host");
        assert!(errors[0].message.contains("missing"), "{}", errors[0]);
        // Inside a nullable object, unknown fields are still errors.
        doc["spec"]["host"] = json!("reviews");
        doc["spec"]["trafficPolicy"] = json!({"tls": {"mode": "ISTIO_MUTUAL"}, "bogus": 1});
        let errors = errors_of(v, &doc);
        assert_eq!(errors[0].path, "spec.trafficPolicy.bogus");
    }

    #[test]
    fn metadata_is_checked() {
        let Some(v) = validator("metadata_is_checked") else {
            return;
        };
        let mut doc = virtual_service();
        doc["metadata"] = json!({"namespace": "default", "labels": {"app": 1}});
        let errors = errors_of(v, &doc);
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            ["metadata.labels.app", "metadata.name"],
            "{errors:?}"
        );
        doc["metadata"] = json!({"generateName": "vs-", "annotations": {"a.b/c": "x"}});
        assert!(v.validate(&doc).is_ok());
        doc["metadata"]["annotations"]["a.b/c"] = json!(true);
        assert_eq!(
            errors_of(v, &doc)[0].path,
            "metadata.annotations[\"a.b/c\"]"
        );
        doc.as_object_mut().unwrap().remove("metadata");
        assert_eq!(errors_of(v, &doc)[0].path, "metadata");
    }

    #[test]
    fn unknown_kind_or_version_fails() {
        let Some(v) = validator("unknown_kind_or_version_fails") else {
            return;
        };
        let mut doc = virtual_service();
        doc["kind"] = json!("VirtualServise");
        let errors = errors_of(v, &doc);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "kind");
        assert!(
            errors[0].message.contains("unknown apiVersion/kind"),
            "{}",
            errors[0]
        );

        let mut doc = virtual_service();
        doc["apiVersion"] = json!("networking.istio.io/v2");
        let errors = errors_of(v, &doc);
        assert_eq!(errors[0].path, "apiVersion");
        assert!(errors[0].message.contains("not served"), "{}", errors[0]);

        let errors = errors_of(v, &json!({"kind": "VirtualService"}));
        assert_eq!(errors[0].path, "apiVersion");
        assert!(v.validate(&json!([1])).is_err());
    }

    #[test]
    fn conversion_rules() {
        let raw = json!({
            "type": "object",
            "description": "dropped",
            "properties": {
                "a": {"type": "integer", "format": "int32", "minimum": 0},
                "b": {"x-kubernetes-int-or-string": true},
                "c": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                      "properties": {"d": {"type": "string"}}},
                "e": {"type": "string", "format": "double"},
                "f": {"type": "number", "minimum": 1, "exclusiveMinimum": true},
                "g": {"type": "object", "additionalProperties": {"type": "string"}},
                "h": {"type": "object", "nullable": true, "properties": {"i": {"type": "string"}},
                      "x-kubernetes-validations": [{"rule": "true"}]}
            },
            "oneOf": [{"properties": {"a": {}}, "required": ["a"]}]
        });
        let converted = convert(&raw, true);
        assert_eq!(converted["additionalProperties"], json!(false));
        assert!(converted.get("description").is_none());
        let p = &converted["properties"];
        assert_eq!(
            p["a"],
            json!({"type": "integer", "minimum": 0, "maximum": 2_147_483_647})
        );
        assert_eq!(p["b"], json!({"type": ["integer", "string"]}));
        assert!(p["c"].get("additionalProperties").is_none());
        assert_eq!(p["e"], json!({"type": "string"}));
        assert_eq!(p["f"], json!({"type": "number", "exclusiveMinimum": 1}));
        assert_eq!(p["g"]["additionalProperties"], json!({"type": "string"}));
        assert_eq!(p["h"]["if"], json!({"type": "null"}));
        assert_eq!(p["h"]["else"]["additionalProperties"], json!(false));
        assert!(p["h"]["else"].get("x-kubernetes-validations").is_none());
        // Value branches stay open.
        assert!(converted["oneOf"][0].get("additionalProperties").is_none());
    }

    #[test]
    fn formats_are_checked() {
        let raw = json!({
            "type": "object",
            "properties": {
                "t": {"type": "string", "format": "date-time"},
                "b": {"type": "string", "format": "byte"},
                "i": {"type": "integer", "format": "int64"}
            }
        });
        let validator = compile(&convert(&raw, true)).unwrap();
        assert!(validator.is_valid(&json!({"t": "2024-01-01T10:00:00Z", "b": "aGk=", "i": 5})));
        assert!(!validator.is_valid(&json!({"t": "2024-01-01"})));
        assert!(!validator.is_valid(&json!({"t": "yesterday"})));
        assert!(!validator.is_valid(&json!({"b": "not base64"})));
        assert!(!validator.is_valid(&json!({"i": 1.0e19})));
        assert!(!validator.is_valid(&json!({"x": 1})));
    }

    #[test]
    fn base64_format() {
        assert!(is_std_base64(""));
        assert!(is_std_base64("aGVsbG8="));
        assert!(is_std_base64("aGVs\nbG8h"));
        assert!(!is_std_base64("aGVsbG8"));
        assert!(!is_std_base64("aGV$bG8="));
        assert!(!is_std_base64("a==="));
    }

    #[test]
    fn every_kind_compiles() {
        let Some(v) = validator("every_kind_compiles") else {
            return;
        };
        for ((group, version, kind), entry) in &v.entries {
            let compiled = entry.compiled.get_or_init(|| compile(&entry.schema));
            assert!(
                compiled.is_ok(),
                "{group}/{version} {kind}: {compiled:?}",
                compiled = compiled.as_ref().err()
            );
        }
        assert!(v.entries.len() >= 30, "{}", v.entries.len());
    }

    #[test]
    fn corpus_is_mostly_accepted() {
        let Some(v) = validator("corpus_is_mostly_accepted") else {
            return;
        };
        let docs = crate::corpus_documents().expect("the corpus beside the CRDs");
        let istio: Vec<&CorpusDoc> = docs
            .iter()
            .filter(|d| {
                let api = d
                    .value
                    .get("apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let kind = d.value.get("kind").and_then(Value::as_str).unwrap_or("");
                is_istio_kind(api, kind)
            })
            .collect();
        let mut accepted = 0;
        let mut rejected = Vec::new();
        for d in &istio {
            match v.validate(&d.value) {
                Ok(()) => accepted += 1,
                Err(e) => rejected.push((d, e)),
            }
        }
        eprintln!(
            "corpus: {} documents with an Istio kind: {accepted} accepted, {} rejected",
            istio.len(),
            rejected.len()
        );
        for (d, e) in &rejected {
            eprintln!(
                "  rejected {}#{} ({}): {}",
                d.file.display(),
                d.index,
                d.value["kind"].as_str().unwrap_or("?"),
                e[0],
            );
            for more in &e[1..] {
                eprintln!("      also {more}");
            }
        }
        assert!(istio.len() > 400, "only {} Istio documents", istio.len());
        assert_eq!(
            (istio.len(), accepted, rejected.len()),
            (461, 452, 9),
            "(Istio documents, accepted, rejected)"
        );
        assert!(
            accepted * 10 >= istio.len() * 9,
            "only {accepted} of {} accepted",
            istio.len()
        );
    }
}

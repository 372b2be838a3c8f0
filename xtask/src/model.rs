//! Reads the CRD file into a model of kinds and named types.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use crate::api::Api;
use crate::case::{c_case, field_ident, pascal_from_wire};

/// One Istio kind, at the version the generated type emits.
#[derive(Debug)]
pub struct Kind {
    pub group: String,
    pub kind: String,
    /// The kind's Rust name (`HTTPRoute` is `HttpRoute`).
    pub rust: String,
    pub plural: String,
    /// Whether objects of the kind live in a namespace.
    pub namespaced: bool,
    /// The version written on output.
    pub version: String,
    /// Every served version, accepted on input.
    pub served: Vec<String>,
    /// Whether the CRD requires `spec`.
    pub spec_required: bool,
    /// Rust name of the spec type.
    pub spec_type: String,
}

/// A field type.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    Str,
    Bool,
    I32,
    U32,
    I64,
    U64,
    F64,
    Duration,
    /// Free-form object (`x-kubernetes-preserve-unknown-fields`).
    Object,
    Named(String),
    List(Box<Ty>),
    Map(Box<Ty>),
}

#[derive(Debug)]
pub struct Field {
    pub wire: String,
    pub rust: String,
    pub ty: Ty,
    pub required: bool,
    /// The schema's constraints on the value (those of a named type live on its
    /// [`TypeDef`]).
    pub checks: ValueChecks,
    /// The value the API server fills in when the field is absent (that of a named type
    /// lives on its [`TypeDef`]).
    pub default: Option<Value>,
}

#[derive(Debug)]
pub struct Variant {
    pub wire: String,
    pub rust: String,
    pub ty: Ty,
    pub checks: ValueChecks,
}

/// One `x-kubernetes-validations` entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleSpec {
    /// The CEL expression.
    pub rule: String,
    /// The message shown when it is false.
    pub message: String,
}

/// The schema constraints written at one place of a schema.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checks {
    /// (bound, exclusive)
    pub minimum: Option<(f64, bool)>,
    pub maximum: Option<(f64, bool)>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub pattern: Option<String>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
    /// A string format the API server checks (`byte`, `date-time`).
    pub format: Option<String>,
    /// `x-kubernetes-list-type`: `Some(keys)` for `map` (items unique by these keys),
    /// `Some(vec![])` for `set` (items unique).
    pub unique_by: Option<Vec<String>>,
    pub rules: Vec<RuleSpec>,
}

impl Checks {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Constraints on a value and, for lists and maps, on its items.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValueChecks {
    pub own: Checks,
    pub inner: Option<Box<ValueChecks>>,
}

impl ValueChecks {
    pub fn is_empty(&self) -> bool {
        self.own.is_empty() && self.inner.as_ref().is_none_or(|i| i.is_empty())
    }
}

/// Schema keywords the generator knows. Anything else is refused, so that no constraint
/// is silently dropped.
const KNOWN_KEYWORDS: &[&str] = &[
    "type",
    "description",
    "properties",
    "items",
    "additionalProperties",
    "required",
    "enum",
    "nullable",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "oneOf",
    "anyOf",
    "allOf",
    "not",
    "x-kubernetes-validations",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    // The API server fills a default in before validating; the types keep "absent" as
    // absent (so what was written is what is written back).
    "default",
];

/// Formats that need no check on a typed value: the Rust type already guarantees them.
const TYPE_FORMATS: &[&str] = &["int32", "int64", "double", "float"];

/// Reads the constraints written at `schema` itself (not in its children).
pub fn checks_of(schema: &Value, at: &str) -> Result<Checks> {
    let Some(m) = schema.as_object() else {
        bail!("{at}: schema is not an object");
    };
    for k in m.keys() {
        if !KNOWN_KEYWORDS.contains(&k.as_str()) {
            bail!("{at}: schema keyword `{k}` is not supported by the generator");
        }
    }
    let num = |k: &str| m.get(k).and_then(Value::as_f64);
    let uint = |k: &str| m.get(k).and_then(Value::as_u64);
    let flag = |k: &str| m.get(k).and_then(Value::as_bool) == Some(true);
    let mut c = Checks {
        minimum: num("minimum").map(|v| (v, flag("exclusiveMinimum"))),
        maximum: num("maximum").map(|v| (v, flag("exclusiveMaximum"))),
        min_length: uint("minLength"),
        max_length: uint("maxLength"),
        pattern: m.get("pattern").and_then(Value::as_str).map(String::from),
        min_items: uint("minItems"),
        max_items: uint("maxItems"),
        min_properties: uint("minProperties"),
        max_properties: uint("maxProperties"),
        format: None,
        unique_by: None,
        rules: Vec::new(),
    };
    if let Some(f) = m.get("format").and_then(Value::as_str)
        && !TYPE_FORMATS.contains(&f)
    {
        match f {
            "byte" | "date-time" => c.format = Some(f.to_string()),
            other => bail!("{at}: format `{other}` is not supported by the generator"),
        }
    }
    match m.get("x-kubernetes-list-type").and_then(Value::as_str) {
        None | Some("atomic") => {}
        Some("set") => c.unique_by = Some(Vec::new()),
        Some("map") => {
            let keys: Vec<String> = m
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect();
            if keys.is_empty() {
                bail!("{at}: list of type map without keys");
            }
            c.unique_by = Some(keys);
        }
        Some(other) => bail!("{at}: list type `{other}` is not supported"),
    }
    for r in m
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(obj) = r.as_object() else {
            bail!("{at}: validation rule is not an object");
        };
        for k in obj.keys() {
            if k != "rule" && k != "message" {
                bail!(
                    "{at}: validation rule key `{k}` is not supported by the generator \
                     (only rule and message are)"
                );
            }
        }
        let rule = obj
            .get("rule")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("{at}: validation without a rule"))?;
        c.rules.push(RuleSpec {
            rule: rule.to_string(),
            message: obj
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        });
    }
    Ok(c)
}

/// The constraints on a value of type `ty` at `schema`: its own, and its items' for lists
/// and maps. A named type's own constraints are left out (they are on its [`TypeDef`]).
pub fn value_checks(schema: &Value, ty: &Ty, at: &str) -> Result<ValueChecks> {
    Ok(match ty {
        Ty::Named(_) => ValueChecks::default(),
        Ty::List(inner) => {
            let items = schema
                .get("items")
                .ok_or_else(|| anyhow!("{at}: array without items"))?;
            ValueChecks {
                own: checks_of(schema, at)?,
                inner: Some(Box::new(value_checks(items, inner, &format!("{at}[*]"))?)),
            }
        }
        Ty::Map(inner) => {
            let values = schema
                .get("additionalProperties")
                .ok_or_else(|| anyhow!("{at}: map without additionalProperties"))?;
            ValueChecks {
                own: checks_of(schema, at)?,
                inner: Some(Box::new(value_checks(
                    values,
                    inner,
                    &format!("{at}{{*}}"),
                )?)),
            }
        }
        _ => ValueChecks {
            own: checks_of(schema, at)?,
            inner: None,
        },
    })
}

#[derive(Debug)]
pub enum Shape {
    /// A message; `one_ofs` are flattened groups, each stored in the field named by the
    /// group and placed among `fields` at `position`.
    Struct {
        fields: Vec<Field>,
        one_ofs: Vec<(usize, String, String)>,
    },
    /// A message that is nothing but one one-of group: a Rust enum with an extra unit
    /// variant for "none set".
    PureOneOf {
        empty: String,
        variants: Vec<Variant>,
    },
    /// A one-of group flattened into its parent message.
    FlatOneOf { variants: Vec<Variant> },
    /// A string enum; values in schema order (the first is the proto default).
    Enum { values: Vec<(String, String)> },
}

#[derive(Debug)]
pub struct TypeDef {
    pub rust: String,
    /// The proto name when known from the naming table.
    pub proto: Option<String>,
    pub hash: String,
    pub shape: Shape,
    /// (group, kind) of every kind that uses this type.
    pub users: BTreeSet<(String, String)>,
    /// Where it was first seen, for docs: (kind, path).
    pub origin: (String, String),
    /// Constraints written on the type's own schema node (CEL rules on an object, ...).
    pub checks: Checks,
}

#[derive(Debug)]
pub struct Model {
    /// The API being generated.
    pub api: &'static Api,
    pub kinds: Vec<Kind>,
    pub types: BTreeMap<String, TypeDef>,
    /// Schema hash -> tabled proto name, for hashes with exactly one tabled name.
    tabled_by_hash: BTreeMap<String, String>,
    tabled_hashes_multi: BTreeSet<String>,
}

/// Canonical text of a schema with descriptions removed: two locations with the same
/// text are the same type.
pub fn schema_hash(v: &Value) -> String {
    fn canon(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().filter(|k| *k != "description").collect();
                keys.sort();
                out.push('{');
                for k in keys {
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push(':');
                    canon(&m[k], out);
                    out.push(',');
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for x in a {
                    canon(x, out);
                    out.push(',');
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut s = String::new();
    canon(v, &mut s);
    s
}

fn resolve<'a>(spec: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = spec;
    if path.is_empty() {
        return Some(cur);
    }
    for seg in path.split('.') {
        cur = unwrap_containers(cur);
        cur = cur.get("properties")?.get(seg)?;
    }
    Some(unwrap_containers(cur))
}

fn unwrap_containers(mut v: &Value) -> &Value {
    loop {
        if v.get("type").and_then(Value::as_str) == Some("array")
            && let Some(items) = v.get("items")
        {
            v = items;
            continue;
        }
        if v.get("properties").is_none()
            && let Some(ap) = v.get("additionalProperties").filter(|a| a.is_object())
        {
            v = ap;
            continue;
        }
        return v;
    }
}

fn one_of_members(schema: &Value) -> Vec<Vec<String>> {
    let mut groups = Vec::new();
    let mut collect = |one_of: &Value| {
        let mut members = Vec::new();
        for alt in one_of.as_array().into_iter().flatten() {
            if let Some(req) = alt.get("required").and_then(Value::as_array) {
                members.extend(req.iter().filter_map(Value::as_str).map(String::from));
            }
        }
        if !members.is_empty() {
            groups.push(members);
        }
    };
    if let Some(o) = schema.get("oneOf") {
        collect(o);
    }
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(o) = part.get("oneOf") {
            collect(o);
        }
    }
    groups
}

/// GEP-2257's duration syntax, as the Gateway API's schemas write it.
const GEP_2257_PATTERN: &str = "^([0-9]{1,5}(h|m|s|ms)){1,4}$";

fn is_duration(api: &Api, wire: &str, schema: &Value) -> bool {
    if schema.get("pattern").and_then(Value::as_str) == Some(GEP_2257_PATTERN) {
        return true;
    }
    let has_rule = schema
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|r| {
            r.get("rule")
                .and_then(Value::as_str)
                .is_some_and(|s| s.contains("duration(self)"))
        });
    has_rule || api.extra_durations.contains(&wire)
}

impl Model {
    pub fn from_crds(crds_yaml: &str, api: &'static Api) -> Result<Self> {
        let docs: Vec<Value> = serde_saphyr::from_multiple(crds_yaml)
            .with_context(|| format!("{} is not valid YAML", api.input))?;
        let mut model = Model {
            api,
            kinds: Vec::new(),
            types: BTreeMap::new(),
            tabled_by_hash: BTreeMap::new(),
            tabled_hashes_multi: BTreeSet::new(),
        };
        let mut crds = Vec::new();
        for doc in docs.into_iter().filter(|d| !d.is_null()) {
            if doc.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
                continue;
            }
            crds.push(doc);
        }
        // Deterministic order whatever the file order: by group, then kind.
        crds.sort_by_key(|d| {
            (
                d["spec"]["group"].as_str().unwrap_or_default().to_string(),
                d["spec"]["names"]["kind"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        });
        let mut specs = Vec::new();
        for crd in &crds {
            let group = str_at(crd, &["spec", "group"])?;
            let kind = str_at(crd, &["spec", "names", "kind"])?;
            if api.skipped_kinds.iter().any(|(k, _)| *k == kind) {
                continue;
            }
            let namespaced = crd["spec"]["scope"].as_str() != Some("Cluster");
            let plural = str_at(crd, &["spec", "names", "plural"])?;
            let versions = crd["spec"]["versions"]
                .as_array()
                .ok_or_else(|| anyhow!("{kind}: no versions"))?;
            let served: Vec<&Value> = versions
                .iter()
                .filter(|v| v["served"].as_bool() == Some(true))
                .collect();
            let emitted = served
                .iter()
                .find(|v| v["name"] == "v1")
                .or_else(|| served.iter().find(|v| v["storage"].as_bool() == Some(true)))
                .or(served.first())
                .ok_or_else(|| anyhow!("{kind}: no served version"))?;
            let schema = &emitted["schema"]["openAPIV3Schema"];
            for other in &served {
                if api.versions_may_differ.contains(&kind.as_str()) {
                    continue;
                }
                if schema_hash(&other["schema"]["openAPIV3Schema"]) != schema_hash(schema) {
                    bail!(
                        "{kind}: served version {} has a different schema from {}; \
                         one type per kind no longer fits",
                        other["name"],
                        emitted["name"]
                    );
                }
            }
            let spec = schema["properties"]["spec"].clone();
            if spec.is_null() {
                bail!("{kind}: schema has no spec");
            }
            let spec_required = schema["required"]
                .as_array()
                .is_some_and(|r| r.iter().any(|x| x == "spec"));
            let mut served_names: Vec<String> = served
                .iter()
                .filter_map(|v| v["name"].as_str().map(String::from))
                .collect();
            served_names.sort();
            let rust = c_case(&kind);
            model.kinds.push(Kind {
                group: group.clone(),
                kind: kind.clone(),
                rust: rust.clone(),
                plural,
                namespaced,
                version: emitted["name"].as_str().unwrap_or_default().to_string(),
                served: served_names,
                spec_required,
                spec_type: format!("{rust}Spec"),
            });
            specs.push((group, kind, spec));
        }
        // Pass 1: the hash of every tabled location, so identical schemas elsewhere share
        // the name.
        let mut by_hash: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (path, proto) in api.type_names {
            let (kind, p) = path.split_once(':').expect("table paths are Kind:path");
            let Some((_, _, spec)) = specs.iter().find(|(_, k, _)| k == kind) else {
                bail!("naming table: no kind {kind} (entry {path})");
            };
            let node = resolve(spec, p)
                .ok_or_else(|| anyhow!("naming table: {path} matches nothing in the schema"))?;
            by_hash
                .entry(schema_hash(node))
                .or_default()
                .insert(proto.to_string());
        }
        for (_, kind, spec) in &specs {
            by_hash
                .entry(schema_hash(spec))
                .or_default()
                .insert(format!("{}Spec", c_case(kind)));
        }
        for (h, names) in by_hash {
            if names.len() == 1 {
                model
                    .tabled_by_hash
                    .insert(h, names.into_iter().next().unwrap_or_default());
            } else {
                model.tabled_hashes_multi.insert(h);
            }
        }
        // Pass 2: walk every spec.
        for (group, kind, spec) in &specs {
            let cx = Cx {
                group: group.clone(),
                kind: kind.clone(),
            };
            model.named(&cx, spec, "", Some(format!("{}Spec", c_case(kind))), "")?;
        }
        Ok(model)
    }

    /// Names and registers the object or enum at `path`; returns its Rust name.
    fn named(
        &mut self,
        cx: &Cx,
        schema: &Value,
        path: &str,
        forced: Option<String>,
        fallback: &str,
    ) -> Result<String> {
        let hash = schema_hash(schema);
        let table_key = format!("{}:{}", cx.kind, path);
        let (proto, rust) = if let Some(spec_name) = forced {
            (Some(cx.kind.clone()), spec_name)
        } else if let Some((_, p)) = self.api.type_names.iter().find(|(k, _)| *k == table_key) {
            (Some(p.to_string()), c_case(p))
        } else if let Some(p) = self.tabled_by_hash.get(&hash) {
            if let Some(k) = self.kinds.iter().find(|k| format!("{}Spec", k.rust) == *p) {
                (Some(k.kind.clone()), p.clone())
            } else {
                (Some(p.clone()), c_case(p))
            }
        } else {
            (None, fallback.to_string())
        };
        if let Some(existing) = self.types.get_mut(&rust) {
            if existing.hash != hash {
                bail!(
                    "type name {rust} stands for two different schemas: {}:{} and {}:{}; \
                     name one of them in xtask/src/names.rs",
                    existing.origin.0,
                    existing.origin.1,
                    cx.kind,
                    path
                );
            }
            existing.users.insert((cx.group.clone(), cx.kind.clone()));
            return Ok(rust);
        }
        let proto_for_children = proto.clone().unwrap_or_else(|| rust.clone());
        let checks = checks_of(schema, &format!("{}:{path}", cx.kind))?;
        let shape = if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let mut out = Vec::new();
            let mut seen = BTreeSet::new();
            for v in values {
                let v = v
                    .as_str()
                    .ok_or_else(|| anyhow!("{table_key}: non-string enum value"))?;
                let r = if v == "*" {
                    "Wildcard".to_string()
                } else {
                    pascal_from_wire(v)
                };
                if !r.starts_with(|c: char| c.is_ascii_alphabetic())
                    || !r.chars().all(|c| c.is_ascii_alphanumeric())
                {
                    bail!("{table_key}: enum value {v:?} has no Rust name");
                }
                if !seen.insert(r.clone()) {
                    bail!("{table_key}: enum values collide as Rust variant {r}");
                }
                out.push((v.to_string(), r));
            }
            Shape::Enum { values: out }
        } else {
            self.struct_shape(cx, schema, path, &proto_for_children, &rust)?
        };
        self.types.insert(
            rust.clone(),
            TypeDef {
                rust: rust.clone(),
                proto,
                hash,
                shape,
                users: BTreeSet::from([(cx.group.clone(), cx.kind.clone())]),
                origin: (cx.kind.clone(), path.to_string()),
                checks,
            },
        );
        Ok(rust)
    }

    fn struct_shape(
        &mut self,
        cx: &Cx,
        schema: &Value,
        path: &str,
        proto: &str,
        rust: &str,
    ) -> Result<Shape> {
        let props = schema
            .get("properties")
            .and_then(Value::as_object)
            .ok_or_else(|| anyhow!("{}:{path}: object without properties", cx.kind))?;
        let required: BTreeSet<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut wires: Vec<&String> = props.keys().collect();
        wires.sort();
        let groups = one_of_members(schema);
        // Single-member groups ("at most one of {x}") are just an optional field.
        let groups: Vec<Vec<String>> = groups.into_iter().filter(|g| g.len() > 1).collect();
        let fields_of = |wire: &str, model: &mut Model| -> Result<(Ty, ValueChecks)> {
            let child_path = if path.is_empty() {
                wire.to_string()
            } else {
                format!("{path}.{wire}")
            };
            let fallback = format!("{rust}{}", pascal_from_wire(wire));
            let ty = model.ty_of(cx, &props[wire], wire, &child_path, &fallback)?;
            let checks =
                value_checks(&props[wire], &ty, &format!("{}:spec.{child_path}", cx.kind))?;
            Ok((ty, checks))
        };
        let in_group = |w: &str| groups.iter().any(|g| g.iter().any(|m| m == w));
        let all_in_one_group =
            groups.len() == 1 && wires.iter().all(|w| groups[0].iter().any(|m| m == *w));
        if all_in_one_group {
            let spec = self
                .api
                .one_ofs
                .iter()
                .find(|(m, keys, ..)| *m == proto && same_set(keys, &groups[0]))
                .ok_or_else(|| {
                    anyhow!(
                        "{}:{path}: one-of {:?} of {proto} is not named in ONE_OFS",
                        cx.kind,
                        groups[0]
                    )
                })?;
            let mut variants = Vec::new();
            for w in &wires {
                let (ty, checks) = fields_of(w, self)?;
                variants.push(Variant {
                    wire: w.to_string(),
                    rust: pascal_from_wire(w),
                    ty,
                    checks,
                });
            }
            return Ok(Shape::PureOneOf {
                empty: spec.4.to_string(),
                variants,
            });
        }
        let mut fields = Vec::new();
        let mut one_ofs = Vec::new();
        let mut placed = BTreeSet::new();
        for w in &wires {
            if in_group(w) {
                let g = groups
                    .iter()
                    .find(|g| g.iter().any(|m| m == *w))
                    .expect("checked");
                if placed.contains(&g[0]) {
                    continue;
                }
                placed.insert(g[0].clone());
                let spec = self
                    .api
                    .one_ofs
                    .iter()
                    .find(|(m, keys, ..)| *m == proto && same_set(keys, g))
                    .ok_or_else(|| {
                        anyhow!(
                            "{}:{path}: one-of {g:?} of {proto} is not named in ONE_OFS",
                            cx.kind
                        )
                    })?;
                let mut members: Vec<&String> = g.iter().collect();
                members.sort();
                let mut variants = Vec::new();
                for m in members {
                    let (ty, checks) = fields_of(m, self)?;
                    variants.push(Variant {
                        wire: m.clone(),
                        rust: pascal_from_wire(m),
                        ty,
                        checks,
                    });
                }
                let enum_rust = c_case(spec.3);
                let h = format!("oneof:{}:{}", rust, spec.3);
                if let Some(existing) = self.types.get_mut(&enum_rust) {
                    if existing.hash != h {
                        bail!("one-of enum name {enum_rust} is used twice");
                    }
                    existing.users.insert((cx.group.clone(), cx.kind.clone()));
                } else {
                    self.types.insert(
                        enum_rust.clone(),
                        TypeDef {
                            rust: enum_rust.clone(),
                            proto: None,
                            hash: h,
                            shape: Shape::FlatOneOf { variants },
                            users: BTreeSet::from([(cx.group.clone(), cx.kind.clone())]),
                            origin: (cx.kind.clone(), path.to_string()),
                            checks: Checks::default(),
                        },
                    );
                }
                one_ofs.push((fields.len(), spec.2.to_string(), enum_rust));
                continue;
            }
            let (ty, checks) = fields_of(w, self)?;
            let rename = self
                .api
                .field_renames
                .iter()
                .find(|(m, wire, _)| *m == proto && wire == w)
                .map(|(_, _, r)| r.to_string());
            fields.push(Field {
                wire: w.to_string(),
                rust: rename.unwrap_or_else(|| field_ident(w)),
                ty,
                required: required.contains(w.as_str()),
                checks,
                default: props[w.as_str()].get("default").cloned(),
            });
        }
        let mut seen = BTreeSet::new();
        for f in &fields {
            if !seen.insert(f.rust.clone()) {
                bail!(
                    "{}:{path}: two fields map to Rust name {}; add a FIELD_RENAMES entry for {proto}",
                    cx.kind,
                    f.rust
                );
            }
        }
        Ok(Shape::Struct { fields, one_ofs })
    }

    fn ty_of(
        &mut self,
        cx: &Cx,
        schema: &Value,
        wire: &str,
        path: &str,
        fallback: &str,
    ) -> Result<Ty> {
        let ty = schema.get("type").and_then(Value::as_str);
        let preserve = schema
            .get("x-kubernetes-preserve-unknown-fields")
            .and_then(Value::as_bool)
            == Some(true);
        Ok(match ty {
            Some("object") if schema.get("properties").is_some() && !preserve => {
                Ty::Named(self.named(cx, schema, path, None, fallback)?)
            }
            Some("object") if preserve => Ty::Object,
            Some("object") => match schema.get("additionalProperties") {
                Some(ap) if ap.is_object() => {
                    Ty::Map(Box::new(self.ty_of(cx, ap, wire, path, fallback)?))
                }
                _ => bail!(
                    "{}:{path}: object with neither properties nor values",
                    cx.kind
                ),
            },
            Some("array") => {
                let items = schema
                    .get("items")
                    .ok_or_else(|| anyhow!("{}:{path}: array without items", cx.kind))?;
                Ty::List(Box::new(self.ty_of(cx, items, wire, path, fallback)?))
            }
            Some("string") if schema.get("enum").is_some() => {
                Ty::Named(self.named(cx, schema, path, None, fallback)?)
            }
            Some("string") if is_duration(self.api, wire, schema) => Ty::Duration,
            Some("string") => Ty::Str,
            Some("boolean") => Ty::Bool,
            Some("number") => Ty::F64,
            Some("integer") => {
                let min = schema.get("minimum").and_then(Value::as_f64);
                let max = schema.get("maximum").and_then(Value::as_f64);
                match (schema.get("format").and_then(Value::as_str), min, max) {
                    (Some("int32"), ..) => Ty::I32,
                    (_, Some(lo), Some(hi)) if lo >= 0.0 && hi <= f64::from(u32::MAX) => Ty::U32,
                    (_, Some(lo), _) if lo >= 0.0 => Ty::U64,
                    _ => Ty::I64,
                }
            }
            other => bail!("{}:{path}: unsupported schema type {other:?}", cx.kind),
        })
    }
}

fn same_set(a: &[&str], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| y == x))
}

struct Cx {
    group: String,
    kind: String,
}

fn str_at(v: &Value, path: &[&str]) -> Result<String> {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_str()
        .map(String::from)
        .ok_or_else(|| anyhow!("CRD is missing {}", path.join(".")))
}

//! Turns the model into Rust source files.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::case::field_ident;
use crate::model::{Kind, Model, Shape, Ty, TypeDef};

/// Which module a type lives in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Home {
    /// Used by kinds of more than one group: `crate::common`.
    Common,
    /// Used by more than one kind of one group: `crate::<group>::common`.
    GroupCommon(String),
    /// Used by one kind: that kind's file in `crate::<group>::<version>`.
    Kind(String),
}

fn group_mod(group: &str) -> String {
    group.split('.').next().unwrap_or(group).to_string()
}

/// The module of a kind's version: `crate::networking::v1` (Istio, one module per
/// group) or `crate::gateway_api::v1` (Gateway API, versions straight under the root).
pub fn kind_module(model: &Model, k: &Kind) -> String {
    if model.api.group_modules {
        format!("{}::{}::{}", model.api.root, group_mod(&k.group), k.version)
    } else {
        format!("{}::{}", model.api.root, k.version)
    }
}

fn snake(kind: &str) -> String {
    field_ident(kind)
}

struct Emitter<'a> {
    model: &'a Model,
    homes: BTreeMap<String, Home>,
    kinds: BTreeMap<String, &'a Kind>,
}

impl<'a> Emitter<'a> {
    fn new(model: &'a Model) -> Self {
        let kinds: BTreeMap<String, &Kind> =
            model.kinds.iter().map(|k| (k.kind.clone(), k)).collect();
        let mut homes = BTreeMap::new();
        for (name, t) in &model.types {
            let groups: BTreeSet<&String> = t.users.iter().map(|(g, _)| g).collect();
            let home = if groups.len() > 1 {
                Home::Common
            } else if t.users.len() > 1 {
                Home::GroupCommon(group_mod(groups.iter().next().expect("one group")))
            } else {
                Home::Kind(t.users.iter().next().expect("one user").1.clone())
            };
            homes.insert(name.clone(), home);
        }
        Self {
            model,
            homes,
            kinds,
        }
    }

    fn module_path(&self, home: &Home) -> String {
        let root = self.model.api.root;
        match home {
            Home::Common => format!("{root}::common"),
            Home::GroupCommon(g) if self.model.api.group_modules => {
                format!("{root}::{g}::common")
            }
            Home::GroupCommon(_) => format!("{root}::common"),
            Home::Kind(k) => kind_module(self.model, self.kinds[k]),
        }
    }

    /// How code in `from` refers to type `name`.
    fn type_ref(&self, name: &str, from: &Home) -> String {
        let home = &self.homes[name];
        if self.module_path(home) == self.module_path(from) {
            name.to_string()
        } else {
            format!("{}::{name}", self.module_path(home))
        }
    }

    fn rust_ty(&self, ty: &Ty, from: &Home) -> String {
        match ty {
            Ty::Str => "String".into(),
            Ty::Bool => "bool".into(),
            Ty::I32 => "i32".into(),
            Ty::U32 => "u32".into(),
            Ty::I64 => "i64".into(),
            Ty::U64 => "u64".into(),
            Ty::F64 => "f64".into(),
            Ty::Duration => "crate::Duration".into(),
            Ty::Object => "serde_json::Map<String, serde_json::Value>".into(),
            Ty::Named(n) => self.type_ref(n, from),
            Ty::List(t) => format!("Vec<{}>", self.rust_ty(t, from)),
            Ty::Map(t) => format!(
                "std::collections::BTreeMap<String, {}>",
                self.rust_ty(t, from)
            ),
        }
    }

    fn page(&self, kind: &str) -> String {
        let p = self
            .model
            .api
            .doc_pages
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, p)| *p)
            .unwrap_or("");
        format!("{}{p}", self.model.api.docs_root)
    }

    fn describe_ty(ty: &Ty) -> &'static str {
        match ty {
            Ty::Duration => " A duration such as `5s` or `100ms`.",
            Ty::Object => " Free-form: any fields are kept as written.",
            _ => "",
        }
    }

    fn type_doc(&self, t: &TypeDef) -> String {
        let (kind, path) = &t.origin;
        let page = self.page(kind);
        let group = &self.kinds[kind].group;
        match (&t.proto, &t.shape) {
            (_, Shape::FlatOneOf { variants }) => format!(
                "/// The choice among {} in [`{}`]: at most one may be set.\n",
                variants
                    .iter()
                    .map(|v| format!("`{}`", v.wire))
                    .collect::<Vec<_>>()
                    .join(", "),
                t.origin_parent(self.model)
            ),
            (Some(proto), _)
                if self
                    .kinds
                    .get(proto.as_str())
                    .is_some_and(|k| t.rust == k.spec_type) =>
            {
                let k = self.kinds[proto.as_str()];
                let link = format!("{}::{}", kind_module(self.model, k), k.rust);
                let a = self.article();
                let project = self.model.api.project;
                format!(
                    "/// The `spec` of {a} {project} [`{proto}`]({link}) (`{group}`).\n///\n/// Reference: <{page}#{proto}>\n"
                )
            }
            (Some(proto), _) if self.model.api.group_modules => format!(
                "/// Istio's `{proto}` message (`{group}`).\n///\n/// Reference: <{page}#{proto}>\n"
            ),
            (Some(proto), _) => format!(
                "/// The {} type `{proto}` (`{group}`).\n///\n/// Reference: <{page}#{proto}>\n",
                self.model.api.project
            ),
            (None, _) => format!(
                "/// Part of {} {} `{kind}` at `spec.{path}` (`{group}`).\n///\n/// Reference: <{page}>\n",
                self.article(),
                self.model.api.project
            ),
        }
    }

    /// `an` before `Istio`, `a` before `Gateway API`.
    fn article(&self) -> &'static str {
        if self
            .model
            .api
            .project
            .starts_with(['A', 'E', 'I', 'O', 'U'])
        {
            "an"
        } else {
            "a"
        }
    }

    fn field_doc(&self, t: &TypeDef, wire: &str, ty: &Ty, required: bool) -> String {
        let presence = match (ty, required) {
            (Ty::List(_), false) => "optional; empty when absent",
            (Ty::Map(_), false) => "optional; empty when absent",
            (_, true) => "required",
            (_, false) => "optional",
        };
        let link = match &t.proto {
            Some(p) if !t.rust.ends_with("Spec") || t.rust[..t.rust.len() - 4] != **p => format!(
                " See <{}#{p}-{}>.",
                self.page(&t.origin.0),
                field_ident(wire).trim_start_matches("r#")
            ),
            Some(p) => format!(
                " See <{}#{p}-{}>.",
                self.page(&t.origin.0),
                field_ident(wire).trim_start_matches("r#")
            ),
            None => String::new(),
        };
        format!(
            "/// `{wire}` ({presence}).{}{link}\n",
            Self::describe_ty(ty)
        )
    }

    fn emit_type(&self, t: &TypeDef, out: &mut String) {
        let home = &self.homes[&t.rust];
        out.push_str(&self.type_doc(t));
        let name = &t.rust;
        match &t.shape {
            Shape::Enum { values } => {
                let _ = writeln!(
                    out,
                    "#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]\npub enum {name} {{"
                );
                for (i, (wire, rust)) in values.iter().enumerate() {
                    let _ = writeln!(out, "/// `{wire}` on the wire.");
                    if i == 0 {
                        out.push_str("#[default]\n");
                    }
                    let _ = writeln!(out, "{rust},");
                }
                out.push_str("}\n\n");
                let pairs: Vec<String> = values
                    .iter()
                    .map(|(w, r)| format!("{r} => {w:?}"))
                    .collect();
                let _ = writeln!(
                    out,
                    "crate::string_enum!({name}, [{}]);\n",
                    pairs.join(", ")
                );
            }
            Shape::PureOneOf { empty, variants } => {
                let _ = writeln!(
                    out,
                    "#[derive(Clone, Debug, Default, PartialEq)]\npub enum {name} {{"
                );
                let _ = writeln!(
                    out,
                    "/// None of the choices is set (`{{}}` on the wire).\n#[default]\n{empty},"
                );
                for v in variants {
                    let _ = writeln!(
                        out,
                        "/// `{}` on the wire.{}\n{}({}),",
                        v.wire,
                        Self::describe_ty(&v.ty),
                        v.rust,
                        self.rust_ty(&v.ty, home)
                    );
                }
                out.push_str("}\n\n");
                let pairs: Vec<String> = variants
                    .iter()
                    .map(|v| format!("{} => {:?}", v.rust, v.wire))
                    .collect();
                let _ = writeln!(
                    out,
                    "crate::one_of_enum!(pure {name}, {empty}, [{}]);\n",
                    pairs.join(", ")
                );
            }
            Shape::FlatOneOf { variants } => {
                let _ = writeln!(
                    out,
                    "#[derive(Clone, Debug, PartialEq)]\npub enum {name} {{"
                );
                for v in variants {
                    let _ = writeln!(
                        out,
                        "/// `{}` on the wire.{}\n{}({}),",
                        v.wire,
                        Self::describe_ty(&v.ty),
                        v.rust,
                        self.rust_ty(&v.ty, home)
                    );
                }
                out.push_str("}\n\n");
                let pairs: Vec<String> = variants
                    .iter()
                    .map(|v| format!("{} => {:?}", v.rust, v.wire))
                    .collect();
                let _ = writeln!(
                    out,
                    "crate::one_of_enum!(flat {name}, [{}]);\n",
                    pairs.join(", ")
                );
            }
            Shape::Struct { fields, one_ofs } => {
                let _ = writeln!(
                    out,
                    "#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]\npub struct {name} {{"
                );
                let mut all_keys: Vec<String> = Vec::new();
                let mut lets = String::new();
                let mut inits = Vec::new();
                for i in 0..=fields.len() {
                    for (pos, field, enum_name) in one_ofs.iter().filter(|(p, ..)| *p == i) {
                        let _ = pos;
                        let et = &self.model.types[enum_name];
                        if let Shape::FlatOneOf { variants } = &et.shape {
                            all_keys.extend(variants.iter().map(|v| v.wire.clone()));
                            let _ = writeln!(
                                out,
                                "/// At most one of {} ([`{enum_name}`]).",
                                variants
                                    .iter()
                                    .map(|v| format!("`{}`", v.wire))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            );
                        }
                        let ident = field_ident(field);
                        let _ = writeln!(
                            out,
                            "#[serde(flatten, skip_serializing_if = \"Option::is_none\")]\npub {ident}: Option<{}>,",
                            self.type_ref(enum_name, home)
                        );
                        let _ = writeln!(lets, "let {ident} = d.one_of(m);");
                        inits.push(format!("{ident}: {ident}?"));
                    }
                    let Some(f) = fields.get(i) else { continue };
                    all_keys.push(f.wire.clone());
                    out.push_str(&self.field_doc(t, &f.wire, &f.ty, f.required));
                    let ty = self.rust_ty(&f.ty, home);
                    let bare = f.rust.trim_start_matches("r#");
                    let rename = if bare == f.wire {
                        String::new()
                    } else {
                        format!("rename = {:?}", f.wire)
                    };
                    let (full_ty, skip, getter) = match (&f.ty, f.required) {
                        (Ty::List(_), false) => (ty.clone(), Some("Vec::is_empty"), "many"),
                        (Ty::Map(_), false) => (
                            ty.clone(),
                            Some("std::collections::BTreeMap::is_empty"),
                            "many",
                        ),
                        (_, true) => (ty.clone(), None, "req"),
                        (_, false) => (format!("Option<{ty}>"), Some("Option::is_none"), "opt"),
                    };
                    let mut attrs = Vec::new();
                    if !rename.is_empty() {
                        attrs.push(rename);
                    }
                    if let Some(s) = skip {
                        attrs.push(format!("skip_serializing_if = {s:?}"));
                    }
                    if !attrs.is_empty() {
                        let _ = writeln!(out, "#[serde({})]", attrs.join(", "));
                    }
                    let _ = writeln!(out, "pub {}: {full_ty},", f.rust);
                    // An optional list or map reads back empty when absent: a written
                    // one with fewer entries than the schema's minimum is checked while
                    // decoding, where it is still seen.
                    let min = match &f.ty {
                        Ty::List(_) => f.checks.own.min_items,
                        Ty::Map(_) => f.checks.own.min_properties,
                        _ => None,
                    }
                    .filter(|n| *n > 0 && getter == "many");
                    if let Some(n) = min {
                        let _ =
                            writeln!(lets, "let {} = d.many_min(m, {:?}, {n});", f.rust, f.wire);
                    } else {
                        let _ = writeln!(lets, "let {} = d.{getter}(m, {:?});", f.rust, f.wire);
                    }
                    inits.push(format!("{0}: {0}?", f.rust));
                }
                out.push_str("}\n\n");
                all_keys.sort();
                let keys: Vec<String> = all_keys.iter().map(|k| format!("{k:?}")).collect();
                let _ = writeln!(
                    out,
                    "impl crate::de::FromValue for {name} {{\n\
                     fn from_value(v: &serde_json::Value, d: &mut crate::de::Decoder) -> Option<Self> {{\n\
                     const FIELDS: &[&str] = &[{}];\n\
                     let m = d.object(v, FIELDS)?;\n\
                     {lets}\
                     Some(Self {{ {} }})\n\
                     }}\n}}\n\n\
                     crate::impl_deserialize_via_value!({name});\n",
                    keys.join(", "),
                    inits.join(", ")
                );
            }
        }
    }
}

impl TypeDef {
    fn origin_parent(&self, model: &Model) -> String {
        // The struct whose one-of this is: the type registered at the same origin.
        model
            .types
            .values()
            .find(|t| {
                t.origin == self.origin
                    && matches!(&t.shape, Shape::Struct { one_ofs, .. } if one_ofs.iter().any(|(_, _, e)| *e == self.rust))
            })
            .map(|t| t.rust.clone())
            .unwrap_or_default()
    }
}

/// Renders every generated file: path relative to `istio-types/src/generated/` -> text
/// (not yet formatted).
///
/// # Errors
/// When a schema constraint or CEL rule cannot be turned into a Rust check.
pub fn emit(model: &Model, stamp: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let em = Emitter::new(model);
    let header = format!(
        "// generated by xtask from {stamp}; do not edit (regenerate: cargo xtask generate)\n\n"
    );
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut by_home: BTreeMap<Home, Vec<&TypeDef>> = BTreeMap::new();
    for t in model.types.values() {
        by_home
            .entry(em.homes[&t.rust].clone())
            .or_default()
            .push(t);
    }
    // Kind files.
    let api = model.api;
    let flat = !api.group_modules;
    // Module directory of a group ("" when kinds sit straight under the root).
    let gdir = |group: &str| -> String {
        if flat {
            String::new()
        } else {
            format!("{}/", group_mod(group))
        }
    };
    let mut groups: BTreeMap<String, BTreeMap<String, Vec<&Kind>>> = BTreeMap::new();
    for k in &model.kinds {
        let g = if flat {
            String::new()
        } else {
            group_mod(&k.group)
        };
        groups
            .entry(g)
            .or_default()
            .entry(k.version.clone())
            .or_default()
            .push(k);
    }
    for k in &model.kinds {
        let mut out = header.clone();
        out.push_str(&format!(
            "//! The `{}` kind and the messages only it uses.\n\n",
            k.kind
        ));
        let served: Vec<String> = k.served.iter().map(|v| format!("{v:?}")).collect();
        // Gateway API kinds have names that are not Rust names (`HTTPRoute`) and
        // cluster-scoped kinds (`GatewayClass`).
        let extra = if flat {
            format!("kind_name: {:?},\nnamespaced: {},\n", k.kind, k.namespaced)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "crate::{mac}! {{\n\
             /// {a} {project} `{kind}` resource (`{group}/{version}`).\n\
             ///\n\
             /// Reference: <{page}>\n\
             kind: {rust},\n\
             {extra}\
             spec: {spec},\n\
             group: {group:?},\n\
             version: {version:?},\n\
             served: [{served}],\n\
             plural: {plural:?},\n\
             spec_required: {req},\n\
             }}\n",
            mac = api.kind_macro,
            a = if em.article() == "an" { "An" } else { "A" },
            project = api.project,
            kind = k.kind,
            rust = k.rust,
            group = k.group,
            version = k.version,
            page = em.page(&k.kind),
            spec = em.type_ref(&k.spec_type, &Home::Kind(k.kind.clone())),
            served = served.join(", "),
            plural = k.plural,
            req = k.spec_required,
        );
        for t in by_home
            .get(&Home::Kind(k.kind.clone()))
            .into_iter()
            .flatten()
        {
            em.emit_type(t, &mut out);
        }
        files.insert(
            format!(
                "{}{}{}/{}.rs",
                api.dir,
                gdir(&k.group),
                k.version,
                snake(&k.rust)
            ),
            out,
        );
    }
    // Version modules.
    for (g, versions) in &groups {
        let dir = if flat {
            api.dir.to_string()
        } else {
            format!("{}{g}/", api.dir)
        };
        for (v, kinds) in versions {
            let mut out = header.clone();
            let groups_here: BTreeSet<&str> = kinds.iter().map(|k| k.group.as_str()).collect();
            let _ = writeln!(
                out,
                "//! `{}/{v}`: {}.\n",
                groups_here.into_iter().collect::<Vec<_>>().join("`, `"),
                kinds
                    .iter()
                    .map(|k| format!("[`{}`]", k.rust))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for k in kinds {
                let m = snake(&k.rust);
                let _ = writeln!(out, "mod {m};\npub use {m}::*;");
            }
            // Re-export the group's shared messages these kinds use.
            let mut shared = BTreeSet::new();
            for (home, types) in &by_home {
                let here = match home {
                    Home::GroupCommon(hg) => flat || hg == g,
                    Home::Common => flat,
                    Home::Kind(_) => false,
                };
                if !here {
                    continue;
                }
                for t in types {
                    if t.users
                        .iter()
                        .any(|(_, kind)| kinds.iter().any(|k| k.kind == *kind))
                    {
                        shared.insert(t.rust.clone());
                    }
                }
            }
            if !shared.is_empty() {
                let _ = writeln!(
                    out,
                    "\npub use super::common::{{{}}};",
                    shared.into_iter().collect::<Vec<_>>().join(", ")
                );
            }
            files.insert(format!("{dir}{v}/mod.rs"), out);
        }
        if flat {
            continue;
        }
        let mut out = header.clone();
        let _ = writeln!(
            out,
            "//! Istio's `{}` API group.\n",
            versions.values().next().expect("a version")[0].group
        );
        out.push_str("pub mod common;\n");
        for v in versions.keys() {
            let _ = writeln!(out, "pub mod {v};");
        }
        files.insert(format!("{dir}mod.rs"), out);
        let mut common = header.clone();
        let _ = writeln!(
            common,
            "//! Messages used by more than one kind of this group.\n"
        );
        for t in by_home
            .get(&Home::GroupCommon(g.clone()))
            .into_iter()
            .flatten()
        {
            em.emit_type(t, &mut common);
        }
        files.insert(format!("{dir}common.rs"), common);
    }
    let mut common = header.clone();
    if flat {
        common.push_str("//! Types used by more than one kind.\n\n");
        for (home, types) in &by_home {
            if matches!(home, Home::Kind(_)) {
                continue;
            }
            for t in types {
                em.emit_type(t, &mut common);
            }
        }
    } else {
        common.push_str("//! Messages used by kinds of more than one API group.\n\n");
        for t in by_home.get(&Home::Common).into_iter().flatten() {
            em.emit_type(t, &mut common);
        }
    }
    files.insert(format!("{}common.rs", api.dir), common);
    // The root: modules and the enum of all kinds.
    let mut out = header.clone();
    if flat {
        let _ = writeln!(
            out,
            "//! The {} kinds, by version, and the enum of every kind.\n",
            api.project
        );
        out.push_str("pub mod common;\n");
        let versions: BTreeSet<&String> = groups.values().flat_map(|v| v.keys()).collect();
        for v in versions {
            let _ = writeln!(out, "pub mod {v};");
        }
        out.push_str("pub mod validate;\n");
    } else {
        out.push_str("//! Generated modules and the enum of every kind.\n\n");
        out.push_str("pub mod common;\n");
        for g in groups.keys() {
            let _ = writeln!(out, "pub mod {g};");
        }
        out.push_str("pub(crate) mod validate;\n");
    }
    let mut variants = Vec::new();
    for k in &model.kinds {
        let path = format!("{}::{}", kind_module(model, k), k.rust);
        variants.push((k.rust.clone(), path));
    }
    let _ = writeln!(
        out,
        "\ncrate::{}! {{\n{}\n}}",
        api.enum_macro,
        variants
            .iter()
            .map(|(k, p)| format!("{k}({p}),"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    files.insert(format!("{}mod.rs", api.dir), out);
    let paths: BTreeMap<String, String> = model
        .types
        .keys()
        .map(|n| (n.clone(), format!("{}::{n}", em.module_path(&em.homes[n]))))
        .collect();
    crate::emit_validate::emit(model, &paths, &header, &mut files)?;
    Ok(files)
}

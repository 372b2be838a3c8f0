//! Emits the schema checks: `impl Validate` for every generated type, the CEL rules
//! translated into Rust, and the tables of rules and of the places they sit at.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{Context, Result, bail};

use crate::cel;
use crate::model::{Checks, Kind, Model, RuleSpec, Shape, Ty, TypeDef, ValueChecks};

/// One distinct rule and how it is checked.
struct RuleEntry {
    spec: RuleSpec,
    /// Translated body, or why the rule is skipped.
    body: Result<String, String>,
}

/// Everything the checks refer to by index.
#[derive(Default)]
struct Tables {
    rules: Vec<RuleEntry>,
    rule_ids: BTreeMap<RuleSpec, usize>,
    patterns: Vec<String>,
    /// Regular expressions used inside CEL rules: (static name, pattern).
    cel_patterns: Vec<(String, String)>,
}

impl Tables {
    fn rule(&mut self, spec: &RuleSpec) -> Result<usize> {
        if let Some(id) = self.rule_ids.get(spec) {
            return Ok(*id);
        }
        let id = self.rules.len();
        let expr = cel::parse(&spec.rule)
            .with_context(|| format!("CEL rule {:?} cannot be parsed", spec.rule))?;
        let body = if cel::is_transition(&expr) {
            Err(
                "transition rule: it compares with the stored object (oldSelf), \
                 which does not exist when one object is checked on its own"
                    .to_string(),
            )
        } else {
            let t = cel::translate(&spec.rule, &format!("RE_{id}_"))
                .with_context(|| format!("CEL rule {:?} cannot be translated", spec.rule))?;
            self.cel_patterns.extend(t.patterns);
            Ok(t.body)
        };
        self.rules.push(RuleEntry {
            spec: spec.clone(),
            body,
        });
        self.rule_ids.insert(spec.clone(), id);
        Ok(id)
    }

    fn pattern(&mut self, p: &str) -> usize {
        if let Some(i) = self.patterns.iter().position(|x| x == p) {
            return i;
        }
        self.patterns.push(p.to_string());
        self.patterns.len() - 1
    }
}

struct Gen<'a> {
    paths: &'a BTreeMap<String, String>,
    /// Types whose `validate` does something.
    active: BTreeSet<String>,
    /// Types with a schema default somewhere inside (see [`defaulted_types`]).
    defaulted: BTreeSet<String>,
    tables: Tables,
}

/// The types with a field that has a schema default, directly or through a field's type.
/// The API server fills defaults in before it evaluates CEL rules, so rules over such a
/// value are evaluated on its JSON with the defaults filled in.
fn defaulted_types(model: &Model) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    loop {
        let before = out.len();
        for (name, t) in &model.types {
            if let Shape::Struct { fields, .. } = &t.shape
                && fields
                    .iter()
                    .any(|f| f.default.is_some() || ty_mentions(&f.ty, &out))
            {
                out.insert(name.clone());
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

/// The name of the function that fills in the defaults of type `name`.
fn defaulter(name: &str) -> String {
    format!(
        "d_{}",
        crate::case::field_ident(name).trim_start_matches("r#")
    )
}

/// Code of a `fn(&mut serde_json::Value)` filling in the defaults of a value of type
/// `ty`, when it has any.
fn defaulter_of(ty: &Ty, defaulted: &BTreeSet<String>) -> Option<String> {
    match ty {
        Ty::Named(n) if defaulted.contains(n) => Some(format!("super::defaults::{}", defaulter(n))),
        Ty::List(inner) | Ty::Map(inner) => match inner.as_ref() {
            Ty::Named(n) if defaulted.contains(n) => Some(format!(
                "|j: &mut serde_json::Value| crate::validate::defaults_each(j, super::defaults::{})",
                defaulter(n)
            )),
            _ => None,
        },
        _ => None,
    }
}

/// `defaults.rs`: one function per type with defaults.
fn emit_defaults(model: &Model, defaulted: &BTreeSet<String>, header: &str) -> Result<String> {
    let mut out = header.to_string();
    out.push_str(
        "//! The schemas' defaults, filled into a value's JSON before CEL rules are evaluated\n\
         //! on it (as the API server does). A type's function is called from its parents' and\n\
         //! from the rules over its values; types without rules of their own may need only\n\
         //! the former.\n\n\
         #![allow(dead_code)]\n\n",
    );
    for name in defaulted {
        let Shape::Struct { fields, .. } = &model.types[name].shape else {
            continue;
        };
        let mut body = String::new();
        for f in fields {
            if let Some(d) = &f.default {
                let json = serde_json::to_string(d)?;
                let _ = writeln!(
                    body,
                    "crate::validate::default_field(m, {:?}, {json:?});",
                    f.wire
                );
            }
            let inner = match &f.ty {
                Ty::Named(n) if defaulted.contains(n) => Some((false, n)),
                Ty::List(t) | Ty::Map(t) => match t.as_ref() {
                    Ty::Named(n) if defaulted.contains(n) => Some((true, n)),
                    _ => None,
                },
                _ => None,
            };
            if let Some((many, n)) = inner {
                let call = if many {
                    format!("crate::validate::defaults_each(x, {})", defaulter(n))
                } else {
                    format!("{}(x)", defaulter(n))
                };
                let _ = writeln!(
                    body,
                    "if let Some(x) = m.get_mut({:?}) {{ {call}; }}",
                    f.wire
                );
            }
        }
        let _ = writeln!(
            out,
            "/// Fills in the defaults of a `{name}`.\n\
             pub(crate) fn {}(v: &mut serde_json::Value) {{\n\
             let Some(m) = v.as_object_mut() else {{ return; }};\n{body}}}\n",
            defaulter(name)
        );
    }
    Ok(out)
}

fn ty_mentions(ty: &Ty, active: &BTreeSet<String>) -> bool {
    match ty {
        Ty::Named(n) => active.contains(n),
        Ty::List(t) | Ty::Map(t) => ty_mentions(t, active),
        _ => false,
    }
}

/// The types whose checks are not empty, directly or through a field's type.
fn active_types(model: &Model) -> BTreeSet<String> {
    let mut active: BTreeSet<String> = BTreeSet::new();
    loop {
        let before = active.len();
        for (name, t) in &model.types {
            if active.contains(name) {
                continue;
            }
            let busy = !t.checks.is_empty()
                || match &t.shape {
                    Shape::Struct { fields, one_ofs } => {
                        fields
                            .iter()
                            .any(|f| !f.checks.is_empty() || ty_mentions(&f.ty, &active))
                            || one_ofs.iter().any(|(_, _, e)| active.contains(e))
                    }
                    Shape::PureOneOf { variants, .. } | Shape::FlatOneOf { variants } => variants
                        .iter()
                        .any(|v| !v.checks.is_empty() || ty_mentions(&v.ty, &active)),
                    Shape::Enum { .. } => false,
                };
            if busy {
                active.insert(name.clone());
            }
        }
        if active.len() == before {
            return active;
        }
    }
}

impl Gen<'_> {
    /// Statements checking the constraints `c` on `x`, a reference to a value of type `ty`.
    fn own(&mut self, x: &str, ty: &Ty, c: &Checks, at: &str) -> Result<String> {
        let mut out = String::new();
        let numeric = matches!(ty, Ty::I32 | Ty::U32 | Ty::I64 | Ty::U64 | Ty::F64);
        let stringy = matches!(ty, Ty::Str | Ty::Duration);
        // A duration is checked on the text it was read from (GEP-2257's pattern).
        let text = if matches!(ty, Ty::Duration) {
            format!("&{x}.to_string()")
        } else {
            x.to_string()
        };
        let sized = matches!(ty, Ty::List(_) | Ty::Map(_) | Ty::Object);
        let need = |ok: bool, what: &str| -> Result<()> {
            if ok {
                Ok(())
            } else {
                bail!("{at}: {what} on a value of type {ty:?} is not supported")
            }
        };
        // Bounds the Rust type already guarantees need no check.
        let (type_min, type_max) = match ty {
            Ty::I32 => (f64::from(i32::MIN), f64::from(i32::MAX)),
            Ty::U32 => (0.0, f64::from(u32::MAX)),
            Ty::I64 => (i64::MIN as f64, i64::MAX as f64),
            Ty::U64 => (0.0, u64::MAX as f64),
            _ => (f64::NEG_INFINITY, f64::INFINITY),
        };
        let number = if matches!(ty, Ty::F64) {
            format!("*{x}")
        } else {
            format!("*{x} as f64")
        };
        if let Some((m, excl)) = c.minimum {
            need(numeric, "minimum")?;
            if excl || m > type_min {
                let _ = writeln!(out, "v.minimum({number}, {m:?}, {excl});");
            }
        }
        if let Some((m, excl)) = c.maximum {
            need(numeric, "maximum")?;
            if excl || m < type_max {
                let _ = writeln!(out, "v.maximum({number}, {m:?}, {excl});");
            }
        }
        if let Some(n) = c.min_length {
            need(stringy, "minLength")?;
            let _ = writeln!(out, "v.min_length({text}, {n});");
        }
        if let Some(n) = c.max_length {
            need(stringy, "maxLength")?;
            let _ = writeln!(out, "v.max_length({text}, {n});");
        }
        if let Some(p) = &c.pattern {
            need(stringy, "pattern")?;
            let i = self.pattern(p, at)?;
            let _ = writeln!(out, "v.pattern({text}, &super::PATTERNS[{i}]);");
        }
        if let Some(f) = &c.format {
            need(stringy, "format")?;
            let _ = writeln!(out, "v.format({text}, {f:?});");
        }
        for (key, val, what) in [
            ("min_items", c.min_items, "minItems"),
            ("max_items", c.max_items, "maxItems"),
        ] {
            if let Some(n) = val {
                need(matches!(ty, Ty::List(_)), what)?;
                let _ = writeln!(out, "v.{key}({x}.len(), {n});");
            }
        }
        for (key, val, what) in [
            ("min_properties", c.min_properties, "minProperties"),
            ("max_properties", c.max_properties, "maxProperties"),
        ] {
            if let Some(n) = val {
                need(matches!(ty, Ty::Map(_) | Ty::Object), what)?;
                let _ = writeln!(out, "v.{key}({x}.len(), {n});");
            }
        }
        if let Some(keys) = &c.unique_by {
            need(matches!(ty, Ty::List(_)), "x-kubernetes-list-type")?;
            let keys: Vec<String> = keys.iter().map(|k| format!("{k:?}")).collect();
            let _ = writeln!(out, "v.unique_by({x}, &[{}]);", keys.join(", "));
        }
        let _ = sized;
        for r in &c.rules {
            let id = self.tables.rule(r)?;
            match defaulter_of(ty, &self.defaulted) {
                Some(f) => {
                    let _ = writeln!(out, "v.cel_defaulted(&super::RULES[{id}], {x}, {f});");
                }
                None => {
                    let _ = writeln!(out, "v.cel(&super::RULES[{id}], {x});");
                }
            }
        }
        Ok(out)
    }

    fn pattern(&mut self, p: &str, at: &str) -> Result<usize> {
        if regex_lite::Regex::new(p).is_err() {
            bail!("{at}: pattern {p:?} is not a regular expression the run time can compile");
        }
        Ok(self.tables.pattern(p))
    }

    /// Statements validating `x` (a reference to a `ty`) at the current path.
    fn value(
        &mut self,
        x: &str,
        ty: &Ty,
        vc: &ValueChecks,
        depth: usize,
        at: &str,
    ) -> Result<String> {
        let mut out = self.own(x, ty, &vc.own, at)?;
        match ty {
            Ty::Named(n) if self.active.contains(n) => {
                let _ = writeln!(out, "crate::validate::Validate::validate({x}, v);");
            }
            Ty::List(inner) => {
                let item = format!("x{depth}");
                let empty = ValueChecks::default();
                let ic = vc.inner.as_deref().unwrap_or(&empty);
                let body = self.value(&item, inner, ic, depth + 1, &format!("{at}[*]"))?;
                if !body.is_empty() {
                    let _ = writeln!(
                        out,
                        "for (i, {item}) in {x}.iter().enumerate() {{ v.index(i, |v| {{ {body} }}); }}"
                    );
                }
            }
            Ty::Map(inner) => {
                let item = format!("x{depth}");
                let empty = ValueChecks::default();
                let ic = vc.inner.as_deref().unwrap_or(&empty);
                let body = self.value(&item, inner, ic, depth + 1, &format!("{at}{{*}}"))?;
                if !body.is_empty() {
                    let _ = writeln!(
                        out,
                        "for (k, {item}) in {x} {{ v.key(k, |v| {{ {body} }}); }}"
                    );
                }
            }
            _ => {}
        }
        Ok(out)
    }

    fn type_impl(&mut self, t: &TypeDef) -> Result<String> {
        let path = &self.paths[&t.rust];
        let at = format!("{}:{}", t.origin.0, t.origin.1);
        let mut body = String::new();
        if self.active.contains(&t.rust) {
            match &t.shape {
                Shape::Struct { fields, one_ofs } => {
                    if t.checks.rules.is_empty() && !t.checks.is_empty() {
                        bail!("{at}: constraints other than CEL rules on an object");
                    }
                    for r in &t.checks.rules {
                        let id = self.tables.rule(r)?;
                        match defaulter_of(&Ty::Named(t.rust.clone()), &self.defaulted) {
                            Some(f) => {
                                let _ = writeln!(
                                    body,
                                    "v.cel_defaulted(&super::RULES[{id}], self, {f});"
                                );
                            }
                            None => {
                                let _ = writeln!(body, "v.cel(&super::RULES[{id}], self);");
                            }
                        }
                    }
                    for f in fields {
                        let fat = format!("{at}.{}", f.wire);
                        let inner = self.value("x", &f.ty, &f.checks, 0, &fat)?;
                        if inner.is_empty() {
                            continue;
                        }
                        let wire = &f.wire;
                        let name = &f.rust;
                        match (&f.ty, f.required) {
                            (Ty::List(_) | Ty::Map(_), false) => {
                                let _ = writeln!(
                                    body,
                                    "if !self.{name}.is_empty() {{ let x = &self.{name}; v.field({wire:?}, |v| {{ {inner} }}); }}"
                                );
                            }
                            (_, true) => {
                                let _ = writeln!(
                                    body,
                                    "{{ let x = &self.{name}; v.field({wire:?}, |v| {{ {inner} }}); }}"
                                );
                            }
                            (_, false) => {
                                let _ = writeln!(
                                    body,
                                    "if let Some(x) = &self.{name} {{ v.field({wire:?}, |v| {{ {inner} }}); }}"
                                );
                            }
                        }
                    }
                    for (_, field, enum_name) in one_ofs {
                        if self.active.contains(enum_name) {
                            let ident = crate::case::field_ident(field);
                            let _ = writeln!(
                                body,
                                "if let Some(x) = &self.{ident} {{ crate::validate::Validate::validate(x, v); }}"
                            );
                        }
                    }
                }
                Shape::PureOneOf { variants, .. } | Shape::FlatOneOf { variants } => {
                    if !t.checks.is_empty() {
                        bail!("{at}: constraints on a one-of group");
                    }
                    let mut arms = Vec::new();
                    for var in variants {
                        let inner = self.value(
                            "x",
                            &var.ty,
                            &var.checks,
                            0,
                            &format!("{at}.{}", var.wire),
                        )?;
                        if inner.is_empty() {
                            continue;
                        }
                        arms.push((
                            format!("Self::{}(x)", var.rust),
                            format!("v.field({:?}, |v| {{ {inner} }})", var.wire),
                        ));
                    }
                    match arms.as_slice() {
                        [] => {}
                        [(pat, code)] => {
                            let _ = writeln!(body, "if let {pat} = self {{ {code}; }}");
                        }
                        _ => {
                            let arms: Vec<String> =
                                arms.iter().map(|(p, c)| format!("{p} => {c},")).collect();
                            let _ = writeln!(
                                body,
                                "#[allow(unreachable_patterns)]\nmatch self {{ {} _ => {{}} }}",
                                arms.join("\n")
                            );
                        }
                    }
                }
                Shape::Enum { .. } => {
                    let own = self.own_enum(&t.checks, &at)?;
                    body.push_str(&own);
                }
            }
        }
        let v = if body.is_empty() { "_v" } else { "v" };
        Ok(format!(
            "impl crate::validate::Validate for {path} {{\n\
             fn validate(&self, {v}: &mut crate::validate::Validator) {{\n{body}}}\n}}\n\n"
        ))
    }

    fn own_enum(&mut self, c: &Checks, at: &str) -> Result<String> {
        let mut out = String::new();
        let rules_only = Checks {
            rules: c.rules.clone(),
            ..Checks::default()
        };
        let rest = Checks {
            rules: Vec::new(),
            ..c.clone()
        };
        if !rest.is_empty() {
            let s = self.own("s", &Ty::Str, &rest, at)?;
            let _ = writeln!(out, "{{ let s = &self.as_str(); {s} }}");
        }
        let r = self.own("self", &Ty::Named(String::new()), &rules_only, at)?;
        out.push_str(&r);
        Ok(out)
    }
}

/// A place where rules sit, found by walking a kind's schema through the model.
struct Place {
    kind: String,
    path: String,
    rules: Vec<usize>,
}

fn walk_places(
    model: &Model,
    tables: &Tables,
    ty_name: &str,
    path: &str,
    kind: &str,
    out: &mut Vec<Place>,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    let Some(t) = model.types.get(ty_name) else {
        return;
    };
    add_place(tables, &t.checks, path, kind, out);
    match &t.shape {
        Shape::Struct { fields, one_ofs } => {
            for f in fields {
                walk_value(
                    model,
                    tables,
                    &f.ty,
                    &f.checks,
                    &format!("{path}.{}", f.wire),
                    kind,
                    out,
                    depth,
                );
            }
            for (_, _, e) in one_ofs {
                if let Some(et) = model.types.get(e)
                    && let Shape::FlatOneOf { variants } = &et.shape
                {
                    for var in variants {
                        walk_value(
                            model,
                            tables,
                            &var.ty,
                            &var.checks,
                            &format!("{path}.{}", var.wire),
                            kind,
                            out,
                            depth,
                        );
                    }
                }
            }
        }
        Shape::PureOneOf { variants, .. } => {
            for var in variants {
                walk_value(
                    model,
                    tables,
                    &var.ty,
                    &var.checks,
                    &format!("{path}.{}", var.wire),
                    kind,
                    out,
                    depth,
                );
            }
        }
        _ => {}
    }
}

#[allow(clippy::too_many_arguments)]
fn walk_value(
    model: &Model,
    tables: &Tables,
    ty: &Ty,
    vc: &ValueChecks,
    path: &str,
    kind: &str,
    out: &mut Vec<Place>,
    depth: usize,
) {
    add_place(tables, &vc.own, path, kind, out);
    let empty = ValueChecks::default();
    let inner = vc.inner.as_deref().unwrap_or(&empty);
    match ty {
        Ty::Named(n) => walk_places(model, tables, n, path, kind, out, depth + 1),
        Ty::List(t) => walk_value(
            model,
            tables,
            t,
            inner,
            &format!("{path}[*]"),
            kind,
            out,
            depth + 1,
        ),
        Ty::Map(t) => walk_value(
            model,
            tables,
            t,
            inner,
            &format!("{path}{{*}}"),
            kind,
            out,
            depth + 1,
        ),
        _ => {}
    }
}

fn add_place(tables: &Tables, c: &Checks, path: &str, kind: &str, out: &mut Vec<Place>) {
    if c.rules.is_empty() {
        return;
    }
    out.push(Place {
        kind: kind.to_string(),
        path: path.to_string(),
        rules: c.rules.iter().map(|r| tables.rule_ids[r]).collect(),
    });
}

/// Writes `validate/mod.rs`, `validate/rules.rs` and `validate/impls.rs` into `files`.
///
/// # Errors
/// When a constraint or rule cannot be turned into a check.
pub fn emit(
    model: &Model,
    paths: &BTreeMap<String, String>,
    header: &str,
    files: &mut BTreeMap<String, String>,
) -> Result<()> {
    let defaulted = defaulted_types(model);
    let mut g = Gen {
        paths,
        active: active_types(model),
        defaulted: defaulted.clone(),
        tables: Tables::default(),
    };
    // impls.rs
    let mut impls = header.to_string();
    impls.push_str(
        "//! `Validate` for every generated type: the schema's constraints and CEL rules.\n\n\
         #![allow(clippy::cast_lossless, clippy::cast_precision_loss)]\n\n",
    );
    for t in model.types.values() {
        let code = g.type_impl(t)?;
        impls.push_str(&code);
    }
    for k in &model.kinds {
        let _ = writeln!(
            impls,
            "impl crate::validate::Validate for {} {{\n\
             fn validate(&self, v: &mut crate::validate::Validator) {{\n\
             v.field(\"spec\", |v| crate::validate::Validate::validate(&self.spec, v));\n}}\n}}\n",
            kind_path(model, k)
        );
    }
    let arms: Vec<String> = model
        .kinds
        .iter()
        .map(|k| {
            format!(
                "Self::{}(r) => crate::validate::Validate::validate(&**r, v),",
                k.rust
            )
        })
        .collect();
    let _ = writeln!(
        impls,
        "impl crate::validate::Validate for {}::{} {{\n\
         fn validate(&self, v: &mut crate::validate::Validator) {{\n\
         match self {{ {} }}\n}}\n}}",
        model.api.root,
        model.api.resource_enum,
        arms.join("\n")
    );
    // Places, for every kind.
    let mut places = Vec::new();
    for k in &model.kinds {
        walk_places(
            model,
            &g.tables,
            &k.spec_type,
            "spec",
            &k.kind,
            &mut places,
            0,
        );
    }
    // rules.rs
    let mut rules = header.to_string();
    rules.push_str(
        "//! The CEL rules of the CRDs, translated into Rust by `xtask` (see `xtask/src/cel.rs`).\n\
         //! Each function evaluates one rule with `self` bound to `this`.\n\n\
         use crate::validate::cel;\n\n",
    );
    for (name, p) in &g.tables.cel_patterns {
        let _ = writeln!(
            rules,
            "static {name}: cel::Pattern = cel::Pattern::new({p:?});"
        );
    }
    for (id, r) in g.tables.rules.iter().enumerate() {
        if let Ok(body) = &r.body {
            // The lifetime is named only when closures in the body need it.
            let (generics, this) = if body.contains("'a") {
                ("<'a>", "&'a serde_json::Value")
            } else {
                ("", "&serde_json::Value")
            };
            let _ = writeln!(
                rules,
                "\n/// `{}`\npub(crate) fn r{id}{generics}(this: {this}) -> Result<bool, cel::CelError> {{\n{body}\n}}",
                r.spec.rule.replace('\n', " ").replace('`', "'")
            );
        }
    }
    // mod.rs
    let mut m = header.to_string();
    m.push_str(
        "//! Tables behind `crate::validate`: every CEL rule of the CRDs, the places where\n\
         //! rules sit, and the schema's regular expressions.\n\n\
         mod impls;\nmod rules;\n",
    );
    if !defaulted.is_empty() {
        m.push_str("mod defaults;\n");
    }
    m.push_str("\nuse crate::validate::{CelRule, Pattern, RuleCheck, RulePlace};\n\n");
    let _ = writeln!(
        m,
        "/// Every distinct CEL rule (rule text and message) of the emitted CRD versions.\n\
         pub static RULES: [CelRule; {}] = [",
        g.tables.rules.len()
    );
    for (id, r) in g.tables.rules.iter().enumerate() {
        let check = match &r.body {
            Ok(_) => format!("RuleCheck::Translated(rules::r{id})"),
            Err(reason) => format!("RuleCheck::Skipped {{ reason: {reason:?} }}"),
        };
        let _ = writeln!(
            m,
            "CelRule {{ id: {id}, rule: {:?}, message: {:?}, check: {check} }},",
            r.spec.rule, r.spec.message
        );
    }
    m.push_str("];\n\n");
    let _ = writeln!(
        m,
        "/// Every place in the emitted CRD versions where rules sit: kind, path (`[*]` for\n\
         /// list items, `{{*}}` for map values) and the indexes of its rules in [`RULES`].\n\
         pub static PLACES: [RulePlace; {}] = [",
        places.len()
    );
    for p in &places {
        let ids: Vec<String> = p.rules.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            m,
            "RulePlace {{ kind: {:?}, path: {:?}, rules: &[{}] }},",
            p.kind,
            p.path,
            ids.join(", ")
        );
    }
    m.push_str("];\n\n");
    let _ = writeln!(
        m,
        "/// The `pattern`s of the schemas, compiled on first use.\n\
         pub(crate) static PATTERNS: [Pattern; {}] = [",
        g.tables.patterns.len()
    );
    for p in &g.tables.patterns {
        let _ = writeln!(m, "Pattern::new({p:?}),");
    }
    m.push_str("];\n");
    let dir = model.api.dir;
    files.insert(format!("{dir}validate/mod.rs"), m);
    files.insert(format!("{dir}validate/rules.rs"), rules);
    files.insert(format!("{dir}validate/impls.rs"), impls);
    if !defaulted.is_empty() {
        files.insert(
            format!("{dir}validate/defaults.rs"),
            emit_defaults(model, &defaulted, header)?,
        );
    }
    Ok(())
}

fn kind_path(model: &Model, k: &Kind) -> String {
    format!("{}::{}", crate::emit::kind_module(model, k), k.rust)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::checks_of;
    use serde_json::json;

    #[test]
    fn transition_rules_are_skipped_with_a_reason() {
        let mut t = Tables::default();
        let id = t
            .rule(&RuleSpec {
                rule: "self.replicas >= oldSelf.replicas".into(),
                message: "no scaling down".into(),
            })
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(&t.rules[id].body, Err(reason) if reason.contains("oldSelf")));
        let id = t
            .rule(&RuleSpec {
                rule: "self.size() <= 3".into(),
                message: String::new(),
            })
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(t.rules[id].body.is_ok());
    }

    #[test]
    fn rules_that_cannot_be_translated_stop_the_generator() {
        let mut t = Tables::default();
        let err = t
            .rule(&RuleSpec {
                rule: "quantity(self).isGreaterThan(quantity('1'))".into(),
                message: String::new(),
            })
            .err()
            .map(|e| format!("{e:#}"));
        assert!(err.is_some_and(|e| e.contains("not supported")));
    }

    #[test]
    fn unknown_schema_keywords_and_rule_keys_stop_the_generator() {
        assert!(checks_of(&json!({"type": "string", "uniqueItems": true}), "here").is_err());
        // A default is filled in before CEL rules run (see `defaults.rs`), not a check.
        assert!(checks_of(&json!({"type": "string", "default": "x"}), "here").is_ok());
        assert!(checks_of(&json!({"type": "string", "format": "email"}), "here").is_err());
        assert!(
            checks_of(
                &json!({"type": "string", "x-kubernetes-validations": [{"rule": "true", "messageExpression": "'x'"}]}),
                "here"
            )
            .is_err()
        );
        let c = checks_of(
            &json!({"type": "array", "maxItems": 3, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}),
            "here",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.max_items, Some(3));
        assert_eq!(c.unique_by, Some(vec!["name".to_string()]));
    }

    /// The functions and macros the CRDs' rules use, all of which the translation handles.
    #[test]
    fn rules_of_the_crds_use_only_supported_functions() {
        let path = crate::shared_istio_dir().join("crds.yaml");
        if !path.exists() {
            testkit::missing_reference_data(
                "rules_of_the_crds_use_only_supported_functions",
                &path,
            );
            return;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        let docs: Vec<serde_json::Value> =
            serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{e}"));
        fn rules(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    for r in m
                        .get("x-kubernetes-validations")
                        .and_then(|x| x.as_array())
                        .into_iter()
                        .flatten()
                    {
                        out.push(r["rule"].as_str().unwrap_or_default().to_string());
                    }
                    m.values().for_each(|x| rules(x, out));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| rules(x, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        docs.iter().for_each(|d| rules(d, &mut all));
        assert_eq!(all.len(), 398);
        let mut used = std::collections::BTreeSet::new();
        for r in &all {
            let e = cel::parse(r).unwrap_or_else(|e| panic!("{r}: {e}"));
            cel::functions_used(&e, &mut used);
            cel::translate(r, "P").unwrap_or_else(|e| panic!("{r}: {e}"));
        }
        let used: Vec<&str> = used.iter().map(String::as_str).collect();
        assert_eq!(
            used,
            [
                "all",
                "contains",
                "duration",
                "endsWith",
                "exists",
                "exists_one",
                "getScheme",
                "has",
                "int",
                "isURL",
                "matches",
                "size",
                "startsWith",
                "substring",
                "url"
            ]
        );
    }
}

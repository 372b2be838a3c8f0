//! Strict decoding of Istio resources from JSON values.
//!
//! The API server silently drops fields it does not know, which turns a typo such as
//! `timout: 5s` into a route without a timeout. This module refuses such input instead:
//! unknown fields, wrong types, bad enum values and conflicting one-of choices are all
//! reported, each with the field path where it occurred, and decoding goes on after an
//! error so that one pass reports every problem in a document.
//!
//! Generated types implement [`FromValue`]; their `serde::Deserialize` impls go through
//! it as well, so `serde_json::from_str::<VirtualService>(..)` is just as strict.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

/// One segment of a [`FieldPath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathSegment {
    /// An object field, by its wire name.
    Field(String),
    /// A list element.
    Index(usize),
    /// A map entry, by its key.
    Key(String),
}

/// Where in a document something is, e.g. `spec.http[0].route[1].weight`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(Vec<PathSegment>);

impl FieldPath {
    /// The empty path: the document itself.
    pub fn root() -> Self {
        Self::default()
    }

    /// The segments of this path, outermost first.
    pub fn segments(&self) -> &[PathSegment] {
        &self.0
    }

    /// Whether this is the document itself.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// This path with a field appended.
    #[must_use]
    pub fn field(&self, name: impl Into<String>) -> Self {
        let mut p = self.clone();
        p.0.push(PathSegment::Field(name.into()));
        p
    }

    /// This path with a list index appended.
    #[must_use]
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(PathSegment::Index(i));
        p
    }

    /// This path with a map key appended.
    #[must_use]
    pub fn key(&self, k: impl Into<String>) -> Self {
        let mut p = self.clone();
        p.0.push(PathSegment::Key(k.into()));
        p
    }

    /// Parses the dotted form this type displays as (`spec.http[0].route`, `metadata.labels["app"]`).
    ///
    /// Returns `None` for text that is not in that form.
    pub fn parse(text: &str) -> Option<Self> {
        let mut segs = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix("[\"") {
                let end = r.find("\"]")?;
                segs.push(PathSegment::Key(r[..end].to_string()));
                rest = &r[end + 2..];
            } else if let Some(r) = rest.strip_prefix('[') {
                let end = r.find(']')?;
                segs.push(PathSegment::Index(r[..end].parse().ok()?));
                rest = &r[end + 1..];
            } else {
                let r = rest.strip_prefix('.').unwrap_or(rest);
                let end = r.find(['.', '[']).unwrap_or(r.len());
                if end == 0 {
                    return None;
                }
                segs.push(PathSegment::Field(r[..end].to_string()));
                rest = &r[end..];
            }
        }
        Some(Self(segs))
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                PathSegment::Field(name) if i == 0 => f.write_str(name)?,
                PathSegment::Field(name) => write!(f, ".{name}")?,
                PathSegment::Index(n) => write!(f, "[{n}]")?,
                PathSegment::Key(k) => write!(f, "[{k:?}]")?,
            }
        }
        Ok(())
    }
}

/// What is wrong at a [`FieldError`]'s path.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldErrorKind {
    /// A field the schema does not declare (often a typo).
    #[error("unknown field `{field}`{}", did_you_mean(field, expected))]
    UnknownField {
        /// The field as written.
        field: String,
        /// The fields allowed here.
        expected: &'static [&'static str],
    },
    /// A value of the wrong JSON type.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What the schema wants, e.g. `an integer`.
        expected: &'static str,
        /// What the document has, e.g. `a string "80"`.
        found: String,
    },
    /// A required field is absent.
    #[error("missing required field `{0}`")]
    MissingField(&'static str),
    /// A string that is not one of an enum's values.
    #[error("unknown value {value:?}; expected one of {}", allowed.join(", "))]
    UnknownVariant {
        /// The value as written.
        value: String,
        /// The values allowed here.
        allowed: &'static [&'static str],
    },
    /// More than one field of a one-of group is set.
    #[error("only one of {} may be set, but {} are", group.join(", "), set.join(" and "))]
    ConflictingFields {
        /// All fields of the group.
        group: &'static [&'static str],
        /// The fields that were set.
        set: Vec<String>,
    },
    /// A number that does not fit the field's integer type.
    #[error("{value} is out of range for {ty}")]
    OutOfRange {
        /// The number as written.
        value: String,
        /// The field's type, e.g. `a 32-bit unsigned integer`.
        ty: &'static str,
    },
    /// A value that is well-typed but not acceptable (e.g. a malformed duration).
    #[error("{0}")]
    Invalid(String),
}

fn did_you_mean(field: &str, expected: &[&str]) -> String {
    let lower = field.to_ascii_lowercase();
    let best = expected
        .iter()
        .map(|e| (edit_distance(&lower, &e.to_ascii_lowercase()), *e))
        .filter(|(d, e)| *d <= 2.max(e.len() / 4))
        .min();
    match best {
        Some((_, e)) => format!("; did you mean `{e}`?"),
        None if expected.is_empty() => String::new(),
        None => format!("; expected one of {}", expected.join(", ")),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// One problem found while decoding, with where it is.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{path}: {kind}")]
pub struct FieldError {
    /// Where the problem is.
    pub path: FieldPath,
    /// What the problem is.
    pub kind: FieldErrorKind,
}

/// A string that is not one of an enum's values (from an enum's `FromStr`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {value:?}; expected one of {}", allowed.join(", "))]
pub struct UnknownValue {
    /// The value as given.
    pub value: String,
    /// The values allowed.
    pub allowed: &'static [&'static str],
}

/// Collects errors while walking a JSON value; generated code drives it.
#[derive(Debug, Default)]
pub struct Decoder {
    path: FieldPath,
    errors: Vec<FieldError>,
}

/// Describes a JSON value for error messages: its type, and the value when it is short.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) if s.len() <= 40 => format!("a string ({s:?})"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

impl Decoder {
    /// A decoder positioned at the root of a document.
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder whose paths start at `path` (for decoding part of a document).
    pub fn at(path: FieldPath) -> Self {
        Self {
            path,
            errors: Vec::new(),
        }
    }

    /// The path currently being decoded.
    pub fn path(&self) -> &FieldPath {
        &self.path
    }

    /// Records an error at the current path.
    pub fn error(&mut self, kind: FieldErrorKind) {
        self.errors.push(FieldError {
            path: self.path.clone(),
            kind,
        });
    }

    /// Records a wrong-type error at the current path.
    pub fn wrong_type(&mut self, expected: &'static str, found: &Value) {
        self.error(FieldErrorKind::WrongType {
            expected,
            found: describe(found),
        });
    }

    /// Whether no error has been recorded.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The errors recorded so far, leaving none behind.
    pub fn take_errors(&mut self) -> Vec<FieldError> {
        std::mem::take(&mut self.errors)
    }

    /// Decodes a whole value: `Ok` only if no error at all was found.
    ///
    /// # Errors
    /// Every problem found, each with its path.
    pub fn decode<T: FromValue>(mut self, v: &Value) -> Result<T, Vec<FieldError>> {
        let out = T::from_value(v, &mut self);
        match out {
            Some(t) if self.errors.is_empty() => Ok(t),
            _ => {
                if self.errors.is_empty() {
                    // A decoder that failed must say why; keep the contract even if an
                    // implementation forgot to.
                    self.error(FieldErrorKind::Invalid("value could not be decoded".into()));
                }
                Err(self.errors)
            }
        }
    }

    /// Runs `f` with `seg` pushed on the path.
    pub fn nested<R>(&mut self, seg: PathSegment, f: impl FnOnce(&mut Self) -> R) -> R {
        self.path.0.push(seg);
        let r = f(self);
        self.path.0.pop();
        r
    }

    /// Checks that `v` is an object with no fields besides `fields`; reports each unknown one.
    pub fn object<'v>(
        &mut self,
        v: &'v Value,
        fields: &'static [&'static str],
    ) -> Option<&'v Map<String, Value>> {
        let Value::Object(m) = v else {
            self.wrong_type("an object", v);
            return None;
        };
        for k in m.keys() {
            if !fields.contains(&k.as_str()) {
                self.nested(PathSegment::Field(k.clone()), |d| {
                    d.error(FieldErrorKind::UnknownField {
                        field: k.clone(),
                        expected: fields,
                    })
                });
            }
        }
        Some(m)
    }

    /// An optional field: `Some(None)` when absent or null, `None` when present but invalid.
    pub fn opt<T: FromValue>(&mut self, m: &Map<String, Value>, key: &str) -> Option<Option<T>> {
        match m.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(v) => self
                .nested(PathSegment::Field(key.to_string()), |d| T::from_value(v, d))
                .map(Some),
        }
    }

    /// A required field: reports it missing when absent or null.
    pub fn req<T: FromValue>(&mut self, m: &Map<String, Value>, key: &'static str) -> Option<T> {
        match m.get(key) {
            None | Some(Value::Null) => {
                self.error(FieldErrorKind::MissingField(key));
                None
            }
            Some(v) => self.nested(PathSegment::Field(key.to_string()), |d| T::from_value(v, d)),
        }
    }

    /// A list or map field, where absence means empty.
    pub fn many<T: FromValue + Default>(&mut self, m: &Map<String, Value>, key: &str) -> Option<T> {
        match m.get(key) {
            None | Some(Value::Null) => Some(T::default()),
            Some(v) => self.nested(PathSegment::Field(key.to_string()), |d| T::from_value(v, d)),
        }
    }

    /// A list or map field where absence means empty, but whose schema wants at least
    /// `min` entries when it is written (`minItems`, `minProperties`): the typed value
    /// cannot tell `[]`/`{}` from absence, so the written one is checked here.
    pub fn many_min<T: FromValue + Default>(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        min: usize,
    ) -> Option<T> {
        let (len, what) = match m.get(key) {
            Some(Value::Array(a)) => (a.len(), "minItems"),
            Some(Value::Object(o)) => (o.len(), "minProperties"),
            _ => return self.many(m, key),
        };
        if len < min {
            self.nested(PathSegment::Field(key.to_string()), |d| {
                d.error(FieldErrorKind::Invalid(format!(
                    "must have at least {min} entr{} when set ({what}: {min}); omit it instead",
                    if min == 1 { "y" } else { "ies" }
                )));
            });
            return None;
        }
        self.many(m, key)
    }

    /// A one-of group flattened into its parent: `Some(None)` when no member is set.
    pub fn one_of<T: OneOf>(&mut self, m: &Map<String, Value>) -> Option<Option<T>> {
        let set: Vec<&str> = T::KEYS
            .iter()
            .copied()
            .filter(|k| !matches!(m.get(*k), None | Some(Value::Null)))
            .collect();
        match set.as_slice() {
            [] => Some(None),
            [key] => {
                let v = &m[*key];
                self.nested(PathSegment::Field(key.to_string()), |d| {
                    T::from_entry(key, v, d)
                })
                .map(Some)
            }
            _ => {
                self.error(FieldErrorKind::ConflictingFields {
                    group: T::KEYS,
                    set: set.iter().map(|s| s.to_string()).collect(),
                });
                None
            }
        }
    }
}

/// Decoding from a JSON value with full error reporting; implemented by every generated type.
pub trait FromValue: Sized {
    /// Decodes `v`, recording every problem in `d`; `None` when the value is unusable.
    fn from_value(v: &Value, d: &mut Decoder) -> Option<Self>;
}

/// A one-of group: exactly one of several fields (or none) may be set.
pub trait OneOf: Sized {
    /// The wire names of the group's fields.
    const KEYS: &'static [&'static str];
    /// Decodes the member named `key`.
    fn from_entry(key: &str, v: &Value, d: &mut Decoder) -> Option<Self>;
}

impl FromValue for String {
    fn from_value(v: &Value, d: &mut Decoder) -> Option<Self> {
        match v {
            Value::String(s) => Some(s.clone()),
            _ => {
                d.wrong_type("a string", v);
                None
            }
        }
    }
}

impl FromValue for bool {
    fn from_value(v: &Value, d: &mut Decoder) -> Option<Self> {
        match v {
            Value::Bool(b) => Some(*b),
            _ => {
                d.wrong_type("a boolean", v);
                None
            }
        }
    }
}

impl FromValue for f64 {
    fn from_value(v: &Value, d: &mut Decoder) -> Option<Self> {
        match v.as_f64() {
            Some(n) => Some(n),
            None => {
                d.wrong_type("a number", v);
                None
            }
        }
    }
}

macro_rules! int_from_value {
    ($($t:ty => $desc:literal),*) => {$(
        impl FromValue for $t {
            fn from_value(v: &Value, d: &mut Decoder) -> Option<Self> {
                let Value::Number(n) = v else {
                    d.wrong_type("an integer", v);
                    return None;
                };
                let parsed = if let Some(i) = n.as_i64() {
                    <$t>::try_from(i).ok()
                } else if let Some(u) = n.as_u64() {
                    <$t>::try_from(u).ok()
                } else {
                    d.wrong_type("an integer", v);
                    return None;
                };
                if parsed.is_none() {
                    d.error(FieldErrorKind::OutOfRange { value: n.to_string(), ty: $desc });
                }
                parsed
            }
        }
    )*};
}

int_from_value!(
    i32 => "a 32-bit integer",
    u32 => "a 32-bit unsigned integer",
    i64 => "a 64-bit integer",
    u64 => "a 64-bit unsigned integer"
);

impl FromValue for Value {
    fn from_value(v: &Value, _: &mut Decoder) -> Option<Self> {
        Some(v.clone())
    }
}

impl FromValue for Map<String, Value> {
    fn from_value(v: &Value, d: &mut Decoder) -> Option<Self> {
        match v {
            Value::Object(m) => Some(m.clone()),
            _ => {
                d.wrong_type("an object", v);
                None
            }
        }
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(v: &Value, d: &mut Decoder) -> Option<Self> {
        let Value::Array(items) = v else {
            d.wrong_type("a list", v);
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match d.nested(PathSegment::Index(i), |d| T::from_value(item, d)) {
                Some(t) => out.push(t),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    fn from_value(v: &Value, d: &mut Decoder) -> Option<Self> {
        let Value::Object(m) = v else {
            d.wrong_type("an object", v);
            return None;
        };
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (k, item) in m {
            match d.nested(PathSegment::Key(k.clone()), |d| T::from_value(item, d)) {
                Some(t) => {
                    out.insert(k.clone(), t);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}

impl<T: FromValue> FromValue for Box<T> {
    fn from_value(v: &Value, d: &mut Decoder) -> Option<Self> {
        T::from_value(v, d).map(Box::new)
    }
}

/// Implements `serde::Deserialize` for types that implement [`FromValue`], so that serde
/// users get the same strictness (the first few problems end up in the error message).
#[macro_export]
#[doc(hidden)]
macro_rules! impl_deserialize_via_value {
    ($($t:ty),* $(,)?) => {$(
        impl<'de> ::serde::Deserialize<'de> for $t {
            fn deserialize<D: ::serde::Deserializer<'de>>(de: D) -> ::std::result::Result<Self, D::Error> {
                let v = <::serde_json::Value as ::serde::Deserialize>::deserialize(de)?;
                $crate::de::Decoder::new()
                    .decode::<$t>(&v)
                    .map_err(|errs| <D::Error as ::serde::de::Error>::custom($crate::de::join_errors(&errs)))
            }
        }
    )*};
}

/// Joins field errors into one message, one per line.
pub fn join_errors(errs: &[FieldError]) -> String {
    errs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn path_display_and_parse_agree() {
        let p = FieldPath::root()
            .field("spec")
            .field("http")
            .index(0)
            .field("headers")
            .key("end-user");
        assert_eq!(p.to_string(), r#"spec.http[0].headers["end-user"]"#);
        assert_eq!(FieldPath::parse(&p.to_string()), Some(p));
        assert_eq!(FieldPath::root().to_string(), "(document)");
    }

    #[test]
    fn unknown_field_suggests_the_closest_name() {
        let mut d = Decoder::new();
        let v = json!({"timout": "5s"});
        d.object(&v, &["timeout", "retries"]);
        let errs = d.take_errors();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].path.to_string(), "timout");
        assert!(
            errs[0].to_string().contains("did you mean `timeout`"),
            "{}",
            errs[0]
        );
    }

    #[test]
    fn integers_are_range_checked() {
        let mut d = Decoder::new();
        assert_eq!(u32::from_value(&json!(-1), &mut d), None);
        assert_eq!(i32::from_value(&json!(7), &mut d), Some(7));
        assert_eq!(u32::from_value(&json!("80"), &mut d), None);
        let errs = d.take_errors();
        assert!(matches!(errs[0].kind, FieldErrorKind::OutOfRange { .. }));
        assert!(matches!(errs[1].kind, FieldErrorKind::WrongType { .. }));
    }

    #[test]
    fn list_errors_carry_indices_and_all_are_collected() {
        let v = json!([1, "two", 3, false]);
        let errs = Decoder::new().decode::<Vec<i64>>(&v).unwrap_err();
        let paths: Vec<String> = errs.iter().map(|e| e.path.to_string()).collect();
        assert_eq!(paths, ["[1]", "[3]"]);
    }
}

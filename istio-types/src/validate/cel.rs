//! The run-time half of the CEL rules translated by `xtask`: a small value model over
//! `serde_json::Value` and the CEL operators and functions the Istio CRDs use, with the
//! semantics Kubernetes gives them (cel-go with Kubernetes' libraries).
//!
//! Semantics worth knowing:
//! - `&&` and `||` absorb errors the way CEL does (`false && error` is `false`), and the
//!   `all`/`exists` macros likewise; `exists_one` propagates errors.
//! - Strings are measured and indexed in Unicode code points (`size`, `substring`).
//! - `duration()` reads Go's `time.ParseDuration` syntax; `url()`/`isURL()` follow Go's
//!   `url.ParseRequestURI`, as Kubernetes' URL library does.
//! - Integers of different signedness and doubles compare by value; values of different
//!   types are unequal.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::rc::Rc;

use serde_json::Value;

use super::gourl::GoUrl;

/// Why a CEL rule could not be evaluated (the API server rejects the object in that case).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CelError(pub String);

impl fmt::Display for CelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CelError {}

fn err<T>(msg: impl Into<String>) -> Result<T, CelError> {
    Err(CelError(msg.into()))
}

fn no_overload<T>(op: &str, a: &Val<'_>, b: Option<&Val<'_>>) -> Result<T, CelError> {
    match b {
        Some(b) => err(format!(
            "no such overload: {} {op} {}",
            a.type_name(),
            b.type_name()
        )),
        None => err(format!("no such overload: {op}({})", a.type_name())),
    }
}

/// A CEL value: a JSON node of the object being checked, or a value computed by the rule.
#[derive(Clone, Debug)]
pub(crate) enum Val<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Double(f64),
    Str(Cow<'a, str>),
    /// A JSON array or object of the checked value.
    Json(&'a Value),
    List(Vec<Val<'a>>),
    Map(Vec<(Val<'a>, Val<'a>)>),
    /// Nanoseconds.
    Duration(i64),
    Url(Rc<GoUrl>),
}

/// What every translated expression evaluates to.
pub(crate) type Res<'a> = Result<Val<'a>, CelError>;

impl<'a> Val<'a> {
    /// The CEL value of a JSON node. Integers are CEL `int`s (as for a schema `integer`).
    pub(crate) fn json(v: &'a Value) -> Self {
        match v {
            Value::Null => Self::Null,
            Value::Bool(b) => Self::Bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Self::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Self::Uint(u)
                } else {
                    Self::Double(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => Self::Str(Cow::Borrowed(s)),
            Value::Array(_) | Value::Object(_) => Self::Json(v),
        }
    }

    /// A string literal.
    pub(crate) fn str(s: &'static str) -> Self {
        Self::Str(Cow::Borrowed(s))
    }

    fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "null_type",
            Self::Bool(_) => "bool",
            Self::Int(_) => "int",
            Self::Uint(_) => "uint",
            Self::Double(_) => "double",
            Self::Str(_) => "string",
            Self::Json(Value::Array(_)) | Self::List(_) => "list",
            Self::Json(_) | Self::Map(_) => "map",
            Self::Duration(_) => "google.protobuf.Duration",
            Self::Url(_) => "kubernetes.URL",
        }
    }

    /// The elements of a list, or the keys of a map, for the macros.
    fn range(&self) -> Result<Vec<Val<'a>>, CelError> {
        Ok(match self {
            Self::Json(Value::Array(a)) => a.iter().map(Val::json).collect(),
            Self::Json(Value::Object(o)) => o.keys().map(|k| Val::Str(Cow::Borrowed(k))).collect(),
            Self::List(l) => l.clone(),
            Self::Map(m) => m.iter().map(|(k, _)| k.clone()).collect(),
            other => return no_overload("range", other, None),
        })
    }

    fn as_list(&self) -> Option<Vec<Val<'a>>> {
        match self {
            Self::Json(Value::Array(a)) => Some(a.iter().map(Val::json).collect()),
            Self::List(l) => Some(l.clone()),
            _ => None,
        }
    }

    fn as_map(&self) -> Option<Vec<(Val<'a>, Val<'a>)>> {
        match self {
            Self::Json(Value::Object(o)) => Some(
                o.iter()
                    .map(|(k, v)| (Val::Str(Cow::Borrowed(k.as_str())), Val::json(v)))
                    .collect(),
            ),
            Self::Map(m) => Some(m.clone()),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }
}

pub(crate) use super::Pattern;

/// The rule's final value, which must be a boolean.
pub(crate) fn result(r: Res<'_>) -> Result<bool, CelError> {
    match r? {
        Val::Bool(b) => Ok(b),
        other => err(format!(
            "the rule evaluated to a {}, not a bool",
            other.type_name()
        )),
    }
}

/// The condition of `c ? a : b`.
pub(crate) fn condition(v: &Val<'_>) -> Result<bool, CelError> {
    match v {
        Val::Bool(b) => Ok(*b),
        other => no_overload("_?_:_", other, None),
    }
}

pub(crate) fn not<'a>(v: &Val<'a>) -> Res<'a> {
    match v {
        Val::Bool(b) => Ok(Val::Bool(!b)),
        other => no_overload("!_", other, None),
    }
}

pub(crate) fn neg<'a>(v: &Val<'a>) -> Res<'a> {
    match v {
        Val::Int(i) => i
            .checked_neg()
            .map(Val::Int)
            .ok_or_else(|| CelError("integer overflow".into())),
        Val::Double(d) => Ok(Val::Double(-d)),
        Val::Duration(d) => d
            .checked_neg()
            .map(Val::Duration)
            .ok_or_else(|| CelError("duration overflow".into())),
        other => no_overload("-_", other, None),
    }
}

fn logic<'a>(short: bool, a: impl FnOnce() -> Res<'a>, b: impl FnOnce() -> Res<'a>) -> Res<'a> {
    let op = if short { "_||_" } else { "_&&_" };
    let first = match a() {
        Ok(Val::Bool(x)) if x == short => return Ok(Val::Bool(short)),
        Ok(Val::Bool(_)) => None,
        Ok(other) => Some(no_overload::<()>(op, &other, None).unwrap_err()),
        Err(e) => Some(e),
    };
    match b() {
        Ok(Val::Bool(x)) if x == short => Ok(Val::Bool(short)),
        Ok(Val::Bool(x)) => match first {
            None => Ok(Val::Bool(x)),
            Some(e) => Err(e),
        },
        Ok(other) => Err(first.unwrap_or_else(|| no_overload::<()>(op, &other, None).unwrap_err())),
        Err(e) => Err(first.unwrap_or(e)),
    }
}

/// `a && b`, with CEL's error absorption.
pub(crate) fn and<'a>(a: impl FnOnce() -> Res<'a>, b: impl FnOnce() -> Res<'a>) -> Res<'a> {
    logic(false, a, b)
}

/// `a || b`, with CEL's error absorption.
pub(crate) fn or<'a>(a: impl FnOnce() -> Res<'a>, b: impl FnOnce() -> Res<'a>) -> Res<'a> {
    logic(true, a, b)
}

fn num_cmp(a: &Val<'_>, b: &Val<'_>) -> Option<Ordering> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => Some(x.cmp(y)),
        (Val::Uint(x), Val::Uint(y)) => Some(x.cmp(y)),
        (Val::Int(x), Val::Uint(y)) => Some(if *x < 0 {
            Ordering::Less
        } else {
            (*x as u64).cmp(y)
        }),
        (Val::Uint(_), Val::Int(_)) => num_cmp(b, a).map(Ordering::reverse),
        (Val::Double(x), Val::Double(y)) => x.partial_cmp(y),
        (Val::Double(x), Val::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Val::Double(x), Val::Uint(y)) => x.partial_cmp(&(*y as f64)),
        (Val::Int(_) | Val::Uint(_), Val::Double(_)) => num_cmp(b, a).map(Ordering::reverse),
        _ => None,
    }
}

fn equals(a: &Val<'_>, b: &Val<'_>) -> bool {
    if let Some(o) = num_cmp(a, b) {
        return o == Ordering::Equal;
    }
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Duration(x), Val::Duration(y)) => x == y,
        (Val::Url(x), Val::Url(y)) => x == y,
        _ => {
            if let (Some(x), Some(y)) = (a.as_list(), b.as_list()) {
                return x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| equals(p, q));
            }
            if let (Some(x), Some(y)) = (a.as_map(), b.as_map()) {
                return x.len() == y.len()
                    && x.iter().all(|(k, v)| {
                        y.iter()
                            .find(|(k2, _)| equals(k, k2))
                            .is_some_and(|(_, v2)| equals(v, v2))
                    });
            }
            false
        }
    }
}

pub(crate) fn eq<'a>(a: &Val<'a>, b: &Val<'a>) -> Res<'a> {
    Ok(Val::Bool(equals(a, b)))
}

pub(crate) fn ne<'a>(a: &Val<'a>, b: &Val<'a>) -> Res<'a> {
    Ok(Val::Bool(!equals(a, b)))
}

fn compare(op: &str, a: &Val<'_>, b: &Val<'_>) -> Result<Ordering, CelError> {
    if let Some(o) = num_cmp(a, b) {
        return Ok(o);
    }
    match (a, b) {
        (Val::Str(x), Val::Str(y)) => Ok(x.cmp(y)),
        (Val::Bool(x), Val::Bool(y)) => Ok(x.cmp(y)),
        (Val::Duration(x), Val::Duration(y)) => Ok(x.cmp(y)),
        _ => no_overload(op, a, Some(b)),
    }
}

pub(crate) fn lt<'a>(a: &Val<'a>, b: &Val<'a>) -> Res<'a> {
    Ok(Val::Bool(compare("<", a, b)? == Ordering::Less))
}

pub(crate) fn le<'a>(a: &Val<'a>, b: &Val<'a>) -> Res<'a> {
    Ok(Val::Bool(compare("<=", a, b)? != Ordering::Greater))
}

pub(crate) fn gt<'a>(a: &Val<'a>, b: &Val<'a>) -> Res<'a> {
    Ok(Val::Bool(compare(">", a, b)? == Ordering::Greater))
}

pub(crate) fn ge<'a>(a: &Val<'a>, b: &Val<'a>) -> Res<'a> {
    Ok(Val::Bool(compare(">=", a, b)? != Ordering::Less))
}

/// `a in b`: membership in a list, or a key of a map.
pub(crate) fn in_<'a>(a: &Val<'a>, b: &Val<'a>) -> Res<'a> {
    if let Some(items) = b.as_list() {
        return Ok(Val::Bool(items.iter().any(|x| equals(a, x))));
    }
    if let Some(entries) = b.as_map() {
        return Ok(Val::Bool(entries.iter().any(|(k, _)| equals(a, k))));
    }
    no_overload("@in", a, Some(b))
}

fn overflow<T>() -> Result<T, CelError> {
    err("integer overflow")
}

pub(crate) fn add<'a>(a: &Val<'a>, b: &Val<'a>) -> Res<'a> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => x.checked_add(*y).map(Val::Int).map_or_else(overflow, Ok),
        (Val::Uint(x), Val::Uint(y)) => x.checked_add(*y).map(Val::Uint).map_or_else(overflow, Ok),
        (Val::Double(x), Val::Double(y)) => Ok(Val::Double(x + y)),
        (Val::Str(x), Val::Str(y)) => Ok(Val::Str(Cow::Owned(format!("{x}{y}")))),
        (Val::Duration(x), Val::Duration(y)) => x
            .checked_add(*y)
            .map(Val::Duration)
            .map_or_else(overflow, Ok),
        _ => match (a.as_list(), b.as_list()) {
            (Some(mut x), Some(y)) => {
                x.extend(y);
                Ok(Val::List(x))
            }
            _ => no_overload("_+_", a, Some(b)),
        },
    }
}

pub(crate) fn sub<'a>(a: &Val<'a>, b: &Val<'a>) -> Res<'a> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => x.checked_sub(*y).map(Val::Int).map_or_else(overflow, Ok),
        (Val::Uint(x), Val::Uint(y)) => x.checked_sub(*y).map(Val::Uint).map_or_else(overflow, Ok),
        (Val::Double(x), Val::Double(y)) => Ok(Val::Double(x - y)),
        (Val::Duration(x), Val::Duration(y)) => x
            .checked_sub(*y)
            .map(Val::Duration)
            .map_or_else(overflow, Ok),
        _ => no_overload("_-_", a, Some(b)),
    }
}

pub(crate) fn mul<'a>(a: &Val<'a>, b: &Val<'a>) -> Res<'a> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => x.checked_mul(*y).map(Val::Int).map_or_else(overflow, Ok),
        (Val::Uint(x), Val::Uint(y)) => x.checked_mul(*y).map(Val::Uint).map_or_else(overflow, Ok),
        (Val::Double(x), Val::Double(y)) => Ok(Val::Double(x * y)),
        _ => no_overload("_*_", a, Some(b)),
    }
}

pub(crate) fn div<'a>(a: &Val<'a>, b: &Val<'a>) -> Res<'a> {
    match (a, b) {
        (Val::Int(_) | Val::Uint(_), Val::Int(0) | Val::Uint(0)) => err("division by zero"),
        (Val::Int(x), Val::Int(y)) => x.checked_div(*y).map(Val::Int).map_or_else(overflow, Ok),
        (Val::Uint(x), Val::Uint(y)) => Ok(Val::Uint(x / y)),
        (Val::Double(x), Val::Double(y)) => Ok(Val::Double(x / y)),
        _ => no_overload("_/_", a, Some(b)),
    }
}

pub(crate) fn rem<'a>(a: &Val<'a>, b: &Val<'a>) -> Res<'a> {
    match (a, b) {
        (Val::Int(_) | Val::Uint(_), Val::Int(0) | Val::Uint(0)) => err("modulus by zero"),
        (Val::Int(x), Val::Int(y)) => x.checked_rem(*y).map(Val::Int).map_or_else(overflow, Ok),
        (Val::Uint(x), Val::Uint(y)) => Ok(Val::Uint(x % y)),
        _ => no_overload("_%_", a, Some(b)),
    }
}

/// `obj.field`: an error when the field or key is absent.
pub(crate) fn select<'a>(obj: &Val<'a>, field: &str) -> Res<'a> {
    match obj {
        Val::Json(Value::Object(o)) => match o.get(field) {
            Some(v) => Ok(Val::json(v)),
            None => err(format!("no such key: {field}")),
        },
        Val::Map(m) => m
            .iter()
            .find(|(k, _)| k.as_str() == Some(field))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| CelError(format!("no such key: {field}"))),
        other => err(format!(
            "type {} does not support field selection",
            other.type_name()
        )),
    }
}

/// `has(obj.field)`.
pub(crate) fn has(obj: &Val<'_>, field: &str) -> Result<bool, CelError> {
    match obj {
        Val::Json(Value::Object(o)) => Ok(o.contains_key(field)),
        Val::Map(m) => Ok(m.iter().any(|(k, _)| k.as_str() == Some(field))),
        other => err(format!(
            "type {} does not support field selection",
            other.type_name()
        )),
    }
}

/// `container[index]`.
pub(crate) fn index<'a>(container: &Val<'a>, idx: &Val<'a>) -> Res<'a> {
    if let Some(items) = container.as_list() {
        let i = match idx {
            Val::Int(i) => usize::try_from(*i).ok(),
            Val::Uint(u) => usize::try_from(*u).ok(),
            _ => return no_overload("_[_]", container, Some(idx)),
        };
        return i
            .and_then(|i| items.get(i).cloned())
            .ok_or_else(|| CelError("index out of range".into()));
    }
    if let Some(entries) = container.as_map() {
        return entries
            .into_iter()
            .find(|(k, _)| equals(k, idx))
            .map(|(_, v)| v)
            .ok_or_else(|| CelError("no such key".into()));
    }
    no_overload("_[_]", container, Some(idx))
}

fn count(n: usize) -> Res<'static> {
    i64::try_from(n)
        .map(Val::Int)
        .map_or_else(|_| overflow(), Ok)
}

/// `size(x)`: code points of a string, elements of a list, entries of a map.
pub(crate) fn size<'a>(v: &Val<'a>) -> Res<'a> {
    match v {
        Val::Str(s) => count(s.chars().count()),
        Val::Json(Value::Array(a)) => count(a.len()),
        Val::Json(Value::Object(o)) => count(o.len()),
        Val::List(l) => count(l.len()),
        Val::Map(m) => count(m.len()),
        other => no_overload("size", other, None),
    }
}

fn strings<'v>(op: &str, a: &'v Val<'_>, b: &'v Val<'_>) -> Result<(&'v str, &'v str), CelError> {
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => Ok((x, y)),
        _ => no_overload(op, a, Some(b)),
    }
}

pub(crate) fn contains<'a>(s: &Val<'a>, sub: &Val<'a>) -> Res<'a> {
    let (x, y) = strings("contains", s, sub)?;
    Ok(Val::Bool(x.contains(y)))
}

pub(crate) fn starts_with<'a>(s: &Val<'a>, prefix: &Val<'a>) -> Res<'a> {
    let (x, y) = strings("startsWith", s, prefix)?;
    Ok(Val::Bool(x.starts_with(y)))
}

pub(crate) fn ends_with<'a>(s: &Val<'a>, suffix: &Val<'a>) -> Res<'a> {
    let (x, y) = strings("endsWith", s, suffix)?;
    Ok(Val::Bool(x.ends_with(y)))
}

fn index_arg(v: &Val<'_>) -> Result<i64, CelError> {
    match v {
        Val::Int(i) => Ok(*i),
        other => no_overload("substring", other, None),
    }
}

/// `s.substring(start, end)` over code points, as in the cel-go strings extension.
pub(crate) fn substring<'a>(s: &Val<'a>, start: &Val<'a>, end: &Val<'a>) -> Res<'a> {
    let Some(text) = s.as_str() else {
        return no_overload("substring", s, None);
    };
    let (start, end) = (index_arg(start)?, index_arg(end)?);
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len() as i64;
    if start < 0 || start > len {
        return err(format!("index out of range: {start}"));
    }
    if end < 0 || end > len {
        return err(format!("index out of range: {end}"));
    }
    if start > end {
        return err(format!(
            "invalid substring range. start: {start}, end: {end}"
        ));
    }
    Ok(Val::Str(Cow::Owned(
        chars[start as usize..end as usize].iter().collect(),
    )))
}

/// `s.substring(start)`.
pub(crate) fn substring_from<'a>(s: &Val<'a>, start: &Val<'a>) -> Res<'a> {
    let len = match s.as_str() {
        Some(t) => count(t.chars().count())?,
        None => return no_overload("substring", s, None),
    };
    substring(s, start, &len)
}

pub(crate) fn lower_ascii<'a>(s: &Val<'a>) -> Res<'a> {
    match s.as_str() {
        Some(t) => Ok(Val::Str(Cow::Owned(t.to_ascii_lowercase()))),
        None => no_overload("lowerAscii", s, None),
    }
}

pub(crate) fn upper_ascii<'a>(s: &Val<'a>) -> Res<'a> {
    match s.as_str() {
        Some(t) => Ok(Val::Str(Cow::Owned(t.to_ascii_uppercase()))),
        None => no_overload("upperAscii", s, None),
    }
}

/// `s.matches(re)`: an unanchored RE2 search.
pub(crate) fn matches<'a>(s: &Val<'a>, re: &Pattern) -> Res<'a> {
    match s.as_str() {
        Some(t) => match re.is_match(t) {
            Some(b) => Ok(Val::Bool(b)),
            None => err("invalid regular expression in rule"),
        },
        None => no_overload("matches", s, None),
    }
}

/// `duration(s)`, with Go's `time.ParseDuration` syntax.
pub(crate) fn duration<'a>(s: &Val<'a>) -> Res<'a> {
    match s {
        Val::Str(t) => match t.parse::<crate::Duration>() {
            Ok(d) => Ok(Val::Duration(d.as_nanos())),
            Err(e) => err(format!("invalid duration {t:?}: {e}")),
        },
        Val::Duration(d) => Ok(Val::Duration(*d)),
        other => no_overload("duration", other, None),
    }
}

/// `int(x)`.
pub(crate) fn int<'a>(v: &Val<'a>) -> Res<'a> {
    match v {
        Val::Int(i) => Ok(Val::Int(*i)),
        Val::Uint(u) => i64::try_from(*u)
            .map(Val::Int)
            .map_or_else(|_| overflow(), Ok),
        Val::Double(d) => {
            if d.is_finite() && *d > -9.223_372_036_854_776e18 && *d < 9.223_372_036_854_776e18 {
                Ok(Val::Int(d.trunc() as i64))
            } else {
                overflow()
            }
        }
        Val::Str(s) => s
            .parse::<i64>()
            .map(Val::Int)
            .map_err(|_| CelError(format!("cannot convert {s:?} to int"))),
        Val::Duration(d) => Ok(Val::Int(*d / 1_000_000_000)),
        other => no_overload("int", other, None),
    }
}

/// `string(x)`.
pub(crate) fn string<'a>(v: &Val<'a>) -> Res<'a> {
    Ok(Val::Str(Cow::Owned(match v {
        Val::Str(s) => s.to_string(),
        Val::Int(i) => i.to_string(),
        Val::Uint(u) => u.to_string(),
        Val::Double(d) => d.to_string(),
        Val::Bool(b) => b.to_string(),
        Val::Duration(d) => crate::Duration::from_nanos(*d).to_string(),
        other => return no_overload("string", other, None),
    })))
}

/// `url(s)`: an error unless `s` is an absolute URI or an absolute path.
pub(crate) fn url<'a>(s: &Val<'a>) -> Res<'a> {
    match s.as_str() {
        Some(t) => match GoUrl::parse_request_uri(t) {
            Ok(u) => Ok(Val::Url(Rc::new(u))),
            Err(e) => err(format!(
                "URL parse error during conversion from string: {e}"
            )),
        },
        None => no_overload("url", s, None),
    }
}

/// `isURL(s)`.
pub(crate) fn is_url<'a>(s: &Val<'a>) -> Res<'a> {
    match s.as_str() {
        Some(t) => Ok(Val::Bool(GoUrl::parse_request_uri(t).is_ok())),
        None => no_overload("isURL", s, None),
    }
}

/// `u.getScheme()`.
pub(crate) fn get_scheme<'a>(u: &Val<'a>) -> Res<'a> {
    match u {
        Val::Url(u) => Ok(Val::Str(Cow::Owned(u.scheme.clone()))),
        other => no_overload("getScheme", other, None),
    }
}

/// `u.getHost()`.
pub(crate) fn get_host<'a>(u: &Val<'a>) -> Res<'a> {
    match u {
        Val::Url(u) => Ok(Val::Str(Cow::Owned(u.host.clone()))),
        other => no_overload("getHost", other, None),
    }
}

fn predicate(v: Res<'_>) -> Result<bool, CelError> {
    match v? {
        Val::Bool(b) => Ok(b),
        other => no_overload("predicate", &other, None),
    }
}

/// `range.all(x, p)`: false if any is false, else an error if any failed, else true.
pub(crate) fn all<'a>(range: &Val<'a>, p: impl Fn(Val<'a>) -> Res<'a>) -> Res<'a> {
    let mut failure = None;
    for x in range.range()? {
        match predicate(p(x)) {
            Ok(false) => return Ok(Val::Bool(false)),
            Ok(true) => {}
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    failure.map_or(Ok(Val::Bool(true)), Err)
}

/// `range.exists(x, p)`: true if any is true, else an error if any failed, else false.
pub(crate) fn exists<'a>(range: &Val<'a>, p: impl Fn(Val<'a>) -> Res<'a>) -> Res<'a> {
    let mut failure = None;
    for x in range.range()? {
        match predicate(p(x)) {
            Ok(true) => return Ok(Val::Bool(true)),
            Ok(false) => {}
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    failure.map_or(Ok(Val::Bool(false)), Err)
}

/// `range.exists_one(x, p)`: exactly one is true; errors propagate.
pub(crate) fn exists_one<'a>(range: &Val<'a>, p: impl Fn(Val<'a>) -> Res<'a>) -> Res<'a> {
    let mut n = 0;
    for x in range.range()? {
        if predicate(p(x))? {
            n += 1;
        }
    }
    Ok(Val::Bool(n == 1))
}

/// `range.filter(x, p)`: the elements for which `p` holds; errors propagate.
pub(crate) fn filter<'a>(range: &Val<'a>, p: impl Fn(Val<'a>) -> Res<'a>) -> Res<'a> {
    let mut out = Vec::new();
    for x in range.range()? {
        if predicate(p(x.clone()))? {
            out.push(x);
        }
    }
    Ok(Val::List(out))
}

/// `s.split(sep)` (strings extension).
pub(crate) fn split<'a>(s: &Val<'a>, sep: &Val<'a>) -> Res<'a> {
    let (x, y) = strings("split", s, sep)?;
    Ok(Val::List(
        x.split(y)
            .map(|p| Val::Str(Cow::Owned(p.to_string())))
            .collect(),
    ))
}

/// `isIP(s)` (Kubernetes' IP library): an IPv4 or IPv6 address, without a zone.
pub(crate) fn is_ip<'a>(s: &Val<'a>) -> Res<'a> {
    match s.as_str() {
        Some(x) => Ok(Val::Bool(x.parse::<std::net::IpAddr>().is_ok())),
        None => no_overload("isIP", s, None),
    }
}

/// `format.<name>().validate(s)` (Kubernetes' format library): null when `s` has the
/// format, else the list of what is wrong.
pub(crate) fn format_validate<'a>(name: &str, s: &Val<'a>) -> Res<'a> {
    let Some(x) = s.as_str() else {
        return no_overload("validate", s, None);
    };
    let problem = match name {
        "dns1123Label" => dns1123_label_problem(x),
        other => return err(format!("unknown format {other}")),
    };
    Ok(problem.map_or(Val::Null, |p| Val::List(vec![Val::Str(Cow::Owned(p))])))
}

/// Kubernetes' `IsDNS1123Label`.
fn dns1123_label_problem(x: &str) -> Option<String> {
    let ok_chars = x
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let ends_ok =
        x.bytes().next().is_some_and(|b| b != b'-') && x.bytes().last().is_some_and(|b| b != b'-');
    if x.len() > 63 {
        Some("must be no more than 63 characters".into())
    } else if !ok_chars || !ends_ok {
        Some(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters \
             or '-', and must start and end with an alphanumeric character"
                .into(),
        )
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn gateway_api_functions() {
        let l = Val::str("a/b");
        assert!(matches!(ok(split(&l, &Val::str("/"))), Val::List(v) if v.len() == 2));
        assert!(matches!(ok(is_ip(&Val::str("10.0.0.1"))), Val::Bool(true)));
        assert!(matches!(ok(is_ip(&Val::str("::1"))), Val::Bool(true)));
        assert!(matches!(
            ok(is_ip(&Val::str("example.com"))),
            Val::Bool(false)
        ));
        assert!(matches!(
            ok(format_validate("dns1123Label", &Val::str("http"))),
            Val::Null
        ));
        assert!(matches!(
            ok(format_validate("dns1123Label", &Val::str("Http"))),
            Val::List(_)
        ));
        let list = json!([1, 2, 3]);
        let f = ok(filter(&Val::json(&list), |x| gt(&x, &Val::Int(1))));
        assert!(matches!(f, Val::List(v) if v.len() == 2));
    }

    fn ok(r: Res<'_>) -> Val<'_> {
        r.unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn logic_absorbs_errors_like_cel() {
        let e = || err::<Val<'static>>("boom");
        assert!(matches!(
            ok(and(e, || Ok(Val::Bool(false)))),
            Val::Bool(false)
        ));
        assert!(and(e, || Ok(Val::Bool(true))).is_err());
        assert!(matches!(ok(or(e, || Ok(Val::Bool(true)))), Val::Bool(true)));
        assert!(or(|| Ok(Val::Bool(false)), e).is_err());
        assert!(matches!(ok(or(|| Ok(Val::Bool(true)), e)), Val::Bool(true)));
    }

    #[test]
    fn strings_count_code_points() {
        let s = Val::str("héllo");
        assert!(matches!(ok(size(&s)), Val::Int(5)));
        let sub = ok(substring(&s, &Val::Int(1), &Val::Int(2)));
        assert_eq!(sub.as_str(), Some("é"));
        assert!(substring(&s, &Val::Int(3), &Val::Int(9)).is_err());
        assert!(substring(&s, &Val::Int(3), &Val::Int(2)).is_err());
    }

    #[test]
    fn macros_over_json() {
        let v = json!({"80": 1, "x": 2});
        let m = Val::json(&v);
        let r = all(&m, |k| match int(&k) {
            Ok(i) => lt(&Val::Int(0), &i),
            Err(e) => Err(e),
        });
        assert!(r.is_err(), "int(\"x\") fails and nothing is false");
        let l = json!([{"n": 1}, {"n": 1}]);
        let lv = Val::json(&l);
        let r = exists_one(&lv, |x| eq(&select(&x, "n")?, &Val::Int(1)));
        assert!(matches!(ok(r), Val::Bool(false)));
    }

    #[test]
    fn numbers_compare_across_types() {
        assert!(matches!(
            ok(lt(&Val::Int(-1), &Val::Uint(0))),
            Val::Bool(true)
        ));
        assert!(matches!(
            ok(eq(&Val::Uint(3), &Val::Double(3.0))),
            Val::Bool(true)
        ));
        assert!(matches!(
            ok(eq(&Val::Int(3), &Val::str("3"))),
            Val::Bool(false)
        ));
        assert!(lt(&Val::Int(3), &Val::str("3")).is_err());
    }

    #[test]
    fn durations_and_urls() {
        let d = ok(duration(&Val::str("1.5ms")));
        assert!(matches!(
            ok(ge(&d, &ok(duration(&Val::str("1ms"))))),
            Val::Bool(true)
        ));
        assert!(duration(&Val::str("5")).is_err());
        let u = ok(url(&Val::str("https://example.com/jwks")));
        assert_eq!(ok(get_scheme(&u)).as_str(), Some("https"));
        assert!(matches!(
            ok(is_url(&Val::str("example.com/x"))),
            Val::Bool(false)
        ));
        assert!(url(&Val::str("example.com/x")).is_err());
    }
}

//! Checking typed resources against Istio's CRD schemas, as an API server with the CRDs
//! installed would.
//!
//! Decoding ([`crate::de`]) already refuses unknown fields, wrong types, unknown enum
//! values and conflicting one-of choices. A value built in Rust skips decoding, and some
//! constraints are about values rather than types, so this module checks, on any typed
//! value:
//!
//! - the schema constraints the generated types cannot express: `minimum`/`maximum`,
//!   `minLength`/`maxLength` (in code points), `pattern`, `minItems`/`maxItems`,
//!   `minProperties`/`maxProperties`, the `byte` format, and unique keys of lists of type
//!   `map`;
//! - every `x-kubernetes-validations` CEL rule, at the place the CRD puts it, with `self`
//!   bound to the JSON form of the value there.
//!
//! The checks are generated from `crds.yaml` by `xtask`, like the types: the rules are
//! translated into Rust ([`RuleCheck::Translated`]) and run without a CEL engine. With
//! the `cel` feature, `CelEngine::Interpreter` evaluates the rules' original text
//! with the `cel` crate and Kubernetes' CEL libraries (`kube-cel`) instead.
//!
//! Required fields need no check: a typed value always has them. A list or map field that
//! is empty is not written out, so (as for a value read back from YAML) it counts as
//! absent for `minItems`, `minProperties` and `has()`.
//!
//! ```
//! use istio_types::networking::v1::{ServiceEntry, ServiceEntrySpec, ServicePort};
//! use istio_types::validate::{self, ViolationKind};
//!
//! let se = ServiceEntry::new("shop", "payments", ServiceEntrySpec {
//!     hosts: vec!["*".into()],
//!     ports: vec![ServicePort { number: 0, name: "http".into(), ..Default::default() }],
//!     ..Default::default()
//! });
//! let problems = validate::validate(&se);
//! let paths: Vec<String> = problems.iter().map(|p| p.path.to_string()).collect();
//! assert_eq!(paths, ["spec.hosts[0]", "spec.ports[0].number"]);
//! assert!(matches!(problems[0].kind, ViolationKind::Rule { .. }));
//! ```

// The run-time offers every function the translator accepts, even those no current
// rule uses, so that a new rule in the CRDs needs no change here.
#[allow(dead_code)]
pub(crate) mod cel;
mod gourl;
#[cfg(feature = "cel")]
#[cfg_attr(docsrs, doc(cfg(feature = "cel")))]
pub mod interpreter;

use std::fmt;
use std::sync::OnceLock;

use serde::Serialize;
use serde_json::Value;

use crate::de::{FieldPath, PathSegment};

pub use crate::generated::validate::{PLACES, RULES};
pub use cel::CelError;

/// Something that can be checked against its schema.
///
/// Implemented for every generated type and kind and for [`crate::IstioResource`].
pub trait Validate {
    /// Checks `self` and records every problem in `v`, at `v`'s current path.
    fn validate(&self, v: &mut Validator);
}

/// One CEL rule of the CRDs.
#[derive(Debug)]
pub struct CelRule {
    /// Its index in [`RULES`].
    pub id: usize,
    /// The CEL expression, as written in the CRD.
    pub rule: &'static str,
    /// The message the API server reports when the rule is false.
    pub message: &'static str,
    /// How the rule is checked.
    pub check: RuleCheck,
}

/// How a [`CelRule`] is checked.
#[derive(Clone, Copy, Debug)]
pub enum RuleCheck {
    /// Translated into Rust by the generator: a function of the JSON value of `self`.
    Translated(fn(&Value) -> Result<bool, CelError>),
    /// Not checked, for the reason given (a transition rule that needs the stored object).
    Skipped {
        /// Why.
        reason: &'static str,
    },
}

impl PartialEq for CelRule {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.rule == other.rule && self.message == other.message
    }
}

impl Eq for CelRule {}

impl CelRule {
    /// Evaluates the translated rule with `self` bound to `value`.
    ///
    /// # Errors
    /// When the rule cannot be evaluated on `value` (a missing field, a wrong type...) or
    /// is not checked at all ([`RuleCheck::Skipped`]).
    pub fn evaluate(&self, value: &Value) -> Result<bool, CelError> {
        match self.check {
            RuleCheck::Translated(f) => f(value),
            RuleCheck::Skipped { reason } => Err(CelError(format!("rule not checked: {reason}"))),
        }
    }
}

/// A place in a CRD schema where CEL rules sit.
#[derive(Debug)]
pub struct RulePlace {
    /// The kind.
    pub kind: &'static str,
    /// Where in the resource, e.g. `spec.servers[*].tls` (`[*]`: any list item, `{*}`: any
    /// map value).
    pub path: &'static str,
    /// Indexes of its rules in [`RULES`].
    pub rules: &'static [usize],
}

/// A `pattern` of a schema, compiled on first use.
#[derive(Debug)]
pub(crate) struct Pattern {
    source: &'static str,
    re: OnceLock<Option<regex_lite::Regex>>,
}

impl Pattern {
    pub(crate) const fn new(source: &'static str) -> Self {
        Self {
            source,
            re: OnceLock::new(),
        }
    }

    fn is_match(&self, s: &str) -> Option<bool> {
        self.re
            .get_or_init(|| regex_lite::Regex::new(self.source).ok())
            .as_ref()
            .map(|re| re.is_match(s))
    }
}

/// How CEL rules are evaluated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CelEngine {
    /// The Rust translation generated from the CRDs (no CEL engine needed).
    #[default]
    Generated,
    /// The rules' original text, with the `cel` crate and Kubernetes' CEL libraries.
    #[cfg(feature = "cel")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cel")))]
    Interpreter,
}

/// What is wrong at a [`Violation`]'s path.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ViolationKind {
    /// A number below the schema's `minimum`.
    Minimum {
        /// The value.
        value: f64,
        /// The bound.
        minimum: f64,
        /// Whether the bound itself is excluded.
        exclusive: bool,
    },
    /// A number above the schema's `maximum`.
    Maximum {
        /// The value.
        value: f64,
        /// The bound.
        maximum: f64,
        /// Whether the bound itself is excluded.
        exclusive: bool,
    },
    /// A string shorter than `minLength` code points.
    MinLength {
        /// Its length.
        length: usize,
        /// The bound.
        min: u64,
    },
    /// A string longer than `maxLength` code points.
    MaxLength {
        /// Its length.
        length: usize,
        /// The bound.
        max: u64,
    },
    /// A string that does not match the schema's `pattern`.
    Pattern {
        /// The pattern.
        pattern: &'static str,
    },
    /// A string that is not in the schema's `format`.
    Format {
        /// The format, e.g. `byte` (base64).
        format: &'static str,
    },
    /// A list with fewer than `minItems` items.
    MinItems {
        /// Its length.
        count: usize,
        /// The bound.
        min: u64,
    },
    /// A list with more than `maxItems` items.
    MaxItems {
        /// Its length.
        count: usize,
        /// The bound.
        max: u64,
    },
    /// A map with fewer than `minProperties` entries.
    MinProperties {
        /// Its size.
        count: usize,
        /// The bound.
        min: u64,
    },
    /// A map with more than `maxProperties` entries.
    MaxProperties {
        /// Its size.
        count: usize,
        /// The bound.
        max: u64,
    },
    /// Two items of a list of type `map` (or `set`) with the same key.
    Duplicate {
        /// The key, as JSON.
        key: String,
    },
    /// A CEL rule that is false.
    Rule {
        /// The rule.
        rule: &'static CelRule,
    },
    /// A CEL rule that could not be evaluated; the API server rejects the object then too.
    RuleError {
        /// The rule.
        rule: &'static CelRule,
        /// Why.
        error: String,
    },
}

fn bound(b: f64) -> String {
    if b.fract() == 0.0 && b.abs() < 1e15 {
        format!("{}", b as i64)
    } else {
        b.to_string()
    }
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Minimum {
                value,
                minimum,
                exclusive,
            } => write!(
                f,
                "{} should be greater than {}{}",
                bound(*value),
                if *exclusive { "" } else { "or equal to " },
                bound(*minimum)
            ),
            Self::Maximum {
                value,
                maximum,
                exclusive,
            } => write!(
                f,
                "{} should be less than {}{}",
                bound(*value),
                if *exclusive { "" } else { "or equal to " },
                bound(*maximum)
            ),
            Self::MinLength { length, min } => {
                write!(f, "too short: {length} characters, at least {min} needed")
            }
            Self::MaxLength { length, max } => {
                write!(f, "too long: {length} characters, at most {max} allowed")
            }
            Self::Pattern { pattern } => write!(f, "should match {pattern:?}"),
            Self::Format { format } => match *format {
                "byte" => f.write_str("should be base64-encoded data (format byte)"),
                other => write!(f, "should be in format {other}"),
            },
            Self::MinItems { count, min } => {
                write!(f, "{count} items, at least {min} needed")
            }
            Self::MaxItems { count, max } => {
                write!(f, "too many items: {count}, at most {max} allowed")
            }
            Self::MinProperties { count, min } => {
                write!(f, "{count} entries, at least {min} needed")
            }
            Self::MaxProperties { count, max } => {
                write!(f, "too many entries: {count}, at most {max} allowed")
            }
            Self::Duplicate { key } => write!(f, "duplicate entry with key {key}"),
            Self::Rule { rule } if rule.message.is_empty() => {
                write!(f, "failed rule: {}", rule.rule)
            }
            Self::Rule { rule } => f.write_str(rule.message),
            Self::RuleError { rule, error } => {
                write!(f, "rule `{}` could not be evaluated: {error}", rule.rule)
            }
        }
    }
}

/// One problem, with where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// Where, e.g. `spec.http[0].route[1].weight`.
    pub path: FieldPath,
    /// What.
    pub kind: ViolationKind,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.kind)
    }
}

/// Counts of one validation run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// CEL rule evaluations (one per rule and value it applies to).
    pub rules_evaluated: usize,
    /// Rule applications that were skipped ([`RuleCheck::Skipped`]).
    pub rules_skipped: usize,
}

/// Walks a value, keeping the current path, and collects [`Violation`]s.
#[derive(Debug, Default)]
pub struct Validator {
    path: Vec<PathSegment>,
    violations: Vec<Violation>,
    engine: CelEngine,
    stats: Stats,
    #[cfg(feature = "cel")]
    interpreter: interpreter::Cache,
}

impl Validator {
    /// A validator that evaluates CEL rules with the generated translation.
    pub fn new() -> Self {
        Self::default()
    }

    /// A validator that evaluates CEL rules with `engine`.
    pub fn with_engine(engine: CelEngine) -> Self {
        Self {
            engine,
            ..Self::default()
        }
    }

    /// The problems found so far.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The counts so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The problems found, and the counts.
    pub fn finish(self) -> (Vec<Violation>, Stats) {
        (self.violations, self.stats)
    }

    /// Runs `f` one field deeper.
    pub fn field(&mut self, name: &str, f: impl FnOnce(&mut Self)) {
        self.path.push(PathSegment::Field(name.to_string()));
        f(self);
        self.path.pop();
    }

    /// Runs `f` at list item `i`.
    pub fn index(&mut self, i: usize, f: impl FnOnce(&mut Self)) {
        self.path.push(PathSegment::Index(i));
        f(self);
        self.path.pop();
    }

    /// Runs `f` at map key `k`.
    pub fn key(&mut self, k: &str, f: impl FnOnce(&mut Self)) {
        self.path.push(PathSegment::Key(k.to_string()));
        f(self);
        self.path.pop();
    }

    /// The current path.
    pub fn path(&self) -> FieldPath {
        self.path
            .iter()
            .fold(FieldPath::root(), |p, seg| match seg {
                PathSegment::Field(n) => p.field(n.as_str()),
                PathSegment::Index(i) => p.index(*i),
                PathSegment::Key(k) => p.key(k.as_str()),
            })
    }

    /// Records a problem at the current path.
    pub fn report(&mut self, kind: ViolationKind) {
        let path = self.path();
        self.violations.push(Violation { path, kind });
    }

    pub(crate) fn minimum(&mut self, value: f64, minimum: f64, exclusive: bool) {
        if value < minimum || (exclusive && value == minimum) {
            self.report(ViolationKind::Minimum {
                value,
                minimum,
                exclusive,
            });
        }
    }

    pub(crate) fn maximum(&mut self, value: f64, maximum: f64, exclusive: bool) {
        if value > maximum || (exclusive && value == maximum) {
            self.report(ViolationKind::Maximum {
                value,
                maximum,
                exclusive,
            });
        }
    }

    pub(crate) fn min_length(&mut self, s: &str, min: u64) {
        let length = s.chars().count();
        if (length as u64) < min {
            self.report(ViolationKind::MinLength { length, min });
        }
    }

    pub(crate) fn max_length(&mut self, s: &str, max: u64) {
        let length = s.chars().count();
        if length as u64 > max {
            self.report(ViolationKind::MaxLength { length, max });
        }
    }

    pub(crate) fn pattern(&mut self, s: &str, p: &'static Pattern) {
        if p.is_match(s) != Some(true) {
            self.report(ViolationKind::Pattern { pattern: p.source });
        }
    }

    pub(crate) fn format(&mut self, s: &str, format: &'static str) {
        let ok = match format {
            "byte" => is_base64(s),
            "date-time" => is_date_time(s),
            _ => true,
        };
        if !ok {
            self.report(ViolationKind::Format { format });
        }
    }

    pub(crate) fn min_items(&mut self, count: usize, min: u64) {
        if (count as u64) < min {
            self.report(ViolationKind::MinItems { count, min });
        }
    }

    pub(crate) fn max_items(&mut self, count: usize, max: u64) {
        if count as u64 > max {
            self.report(ViolationKind::MaxItems { count, max });
        }
    }

    pub(crate) fn min_properties(&mut self, count: usize, min: u64) {
        if (count as u64) < min {
            self.report(ViolationKind::MinProperties { count, min });
        }
    }

    pub(crate) fn max_properties(&mut self, count: usize, max: u64) {
        if count as u64 > max {
            self.report(ViolationKind::MaxProperties { count, max });
        }
    }

    /// Items of a list of type `map` must differ in `keys` (all of the item for a `set`).
    pub(crate) fn unique_by<T: Serialize>(&mut self, items: &[T], keys: &[&str]) {
        let mut seen: Vec<String> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Ok(json) = serde_json::to_value(item) else {
                continue;
            };
            let key = if keys.is_empty() {
                json.to_string()
            } else {
                let parts: serde_json::Map<String, Value> = keys
                    .iter()
                    .map(|k| (k.to_string(), json.get(*k).cloned().unwrap_or(Value::Null)))
                    .collect();
                Value::Object(parts).to_string()
            };
            if seen.contains(&key) {
                self.index(i, |v| {
                    v.report(ViolationKind::Duplicate { key: key.clone() })
                });
            } else {
                seen.push(key);
            }
        }
    }

    /// Evaluates `rule` with `self` bound to the JSON form of `value`.
    pub(crate) fn cel<T: Serialize + ?Sized>(&mut self, rule: &'static CelRule, value: &T) {
        self.cel_defaulted(rule, value, |_| {});
    }

    /// Evaluates `rule` on `value` with the schema's defaults filled in by `defaults`
    /// first, as the API server does before it evaluates CEL rules.
    pub(crate) fn cel_defaulted<T: Serialize + ?Sized>(
        &mut self,
        rule: &'static CelRule,
        value: &T,
        defaults: impl Fn(&mut Value),
    ) {
        let RuleCheck::Translated(generated) = rule.check else {
            self.stats.rules_skipped += 1;
            return;
        };
        let json = match serde_json::to_value(value).map(|mut j| {
            defaults(&mut j);
            j
        }) {
            Ok(j) => j,
            Err(e) => {
                self.report(ViolationKind::RuleError {
                    rule,
                    error: format!("the value cannot be written as JSON: {e}"),
                });
                return;
            }
        };
        self.stats.rules_evaluated += 1;
        let outcome = match self.engine {
            CelEngine::Generated => generated(&json),
            #[cfg(feature = "cel")]
            CelEngine::Interpreter => self.interpreter.eval(rule.rule, &json),
        };
        match outcome {
            Ok(true) => {}
            Ok(false) => self.report(ViolationKind::Rule { rule }),
            Err(e) => self.report(ViolationKind::RuleError { rule, error: e.0 }),
        }
    }
}

/// Sets `key` to the JSON `default` when the object has no such key (generated
/// defaulting code calls it).
pub(crate) fn default_field(m: &mut serde_json::Map<String, Value>, key: &str, default: &str) {
    if !m.contains_key(key)
        && let Ok(v) = serde_json::from_str(default)
    {
        m.insert(key.to_string(), v);
    }
}

/// Applies `f` to every item of a list, or every value of a map.
pub(crate) fn defaults_each(v: &mut Value, f: fn(&mut Value)) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(f),
        Value::Object(m) => m.values_mut().for_each(f),
        _ => {}
    }
}

/// Go's `base64.StdEncoding` (what the API server checks for `format: byte`); line breaks
/// are ignored, as Go's decoder does.
fn is_base64(s: &str) -> bool {
    let b: Vec<u8> = s.bytes().filter(|c| *c != b'\r' && *c != b'\n').collect();
    if !b.len().is_multiple_of(4) {
        return false;
    }
    let pad = b.iter().rev().take_while(|c| **c == b'=').count();
    if pad > 2 {
        return false;
    }
    b[..b.len() - pad]
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
}

/// RFC 3339 `date-time`, e.g. `2024-01-31T10:00:00Z` or with an offset and fraction.
fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || !matches!(b[10], b'T' | b't' | b' ')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len() && digits(i + 1..i + 3) && b[i + 3] == b':' && digits(i + 4..i + 6)
        }
        _ => false,
    }
}

/// The scheme of `raw` (lowercased; empty for an absolute path) if Go's
/// `url.ParseRequestURI` accepts it, as Kubernetes' CEL `url()` does.
///
/// # Errors
/// Why Go would refuse it.
///
/// ```
/// use istio_types::validate::request_uri_scheme;
/// assert_eq!(request_uri_scheme("OCI://ghcr.io/x/y:1").as_deref(), Ok("oci"));
/// assert!(request_uri_scheme("ghcr.io/x/y:1").is_err());
/// ```
pub fn request_uri_scheme(raw: &str) -> Result<String, String> {
    gourl::GoUrl::parse_request_uri(raw)
        .map(|u| u.scheme)
        .map_err(|e| e.to_string())
}

/// Checks a value with the generated CEL translation and returns every problem.
pub fn validate<T: Validate + ?Sized>(value: &T) -> Vec<Violation> {
    let mut v = Validator::new();
    value.validate(&mut v);
    v.finish().0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_as_go_reads_it() {
        for ok in ["", "aGVsbG8=", "aGVsbG8h", "aGk=\n", "YQ=="] {
            assert!(is_base64(ok), "{ok:?}");
        }
        for bad in ["aGVsbG8", "a===", "aGVs bG8=", "aGVsbG8=="] {
            assert!(!is_base64(bad), "{bad:?}");
        }
    }

    #[test]
    fn date_times() {
        assert!(is_date_time("2024-01-31T10:00:00Z"));
        assert!(is_date_time("2024-01-31T10:00:00.5+01:00"));
        assert!(!is_date_time("2024-01-31"));
        assert!(!is_date_time("2024-01-31T10:00:00"));
    }

    #[test]
    fn every_rule_is_translated_or_skipped_with_a_reason() {
        for r in &RULES {
            if let RuleCheck::Skipped { reason } = r.check {
                assert!(
                    !reason.is_empty(),
                    "rule {} skipped without a reason",
                    r.rule
                );
            }
        }
        for p in &PLACES {
            assert!(p.rules.iter().all(|i| *i < RULES.len()));
        }
    }
}

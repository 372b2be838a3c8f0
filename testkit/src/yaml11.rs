//! Reading YAML the way YAML 1.1 readers do.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span, StrInput, Tag};

/// Prefix of the string a YAML 1.1 timestamp reads as, for example `"!!timestamp 2024-01-01"`.
pub const TIMESTAMP_MARKER_PREFIX: &str = "!!timestamp ";

/// Prefix of the string an infinite or NaN float reads as: `"!!float .inf"`, `"!!float -.inf"`
/// or `"!!float .nan"`.
pub const FLOAT_MARKER_PREFIX: &str = "!!float ";

const BINARY_MARKER_PREFIX: &str = "!!binary ";
const CORE_TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// Reads every document of a YAML stream with YAML 1.1 implicit typing.
///
/// Plain scalars are resolved by [`yaml11_plain_scalar`] (whose documentation gives the rules
/// and the marker strings for timestamps and infinities); quoted and block (`|`, `>`) scalars
/// are strings. Explicit tags are honoured: `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`,
/// `!!timestamp`, `!!binary`, `!!map`, `!!seq` and the non-specific `!`; any other tag is an
/// error. Anchors, aliases and merge keys (`<<`) work as in YAML 1.1 (explicit keys win over
/// merged ones, and among merged mappings the first listed wins). Mapping keys become JSON
/// strings the way `sigs.k8s.io/yaml` does it (`on:` becomes `"true"`, `1:` becomes `"1"`); a
/// duplicate key, a `null` key or a collection key is an error. An empty document reads as
/// `null` and is kept, so the result has one value per document.
///
/// # Errors
///
/// Returns a message (with a line number where known) for a syntax error or any of the cases
/// above.
pub fn yaml11_load_all(src: &str) -> Result<Vec<Value>, String> {
    let mut loader = Loader {
        parser: Parser::new_from_str(src),
        anchors: HashMap::new(),
    };
    let mut docs = Vec::new();
    loop {
        let (event, span) = loader.next()?;
        match event {
            Event::StreamStart | Event::DocumentEnd => {}
            Event::StreamEnd => return Ok(docs),
            Event::DocumentStart(..) => {
                loader.anchors.clear();
                let (event, span) = loader.next()?;
                docs.push(loader.node(event, span)?);
            }
            other => return Err(at(span, format!("unexpected {other:?}"))),
        }
    }
}

/// The value a YAML 1.1 reader gives an untagged plain scalar.
///
/// `kubectl` (go-yaml v2) and PyYAML read YAML 1.1, where many plain (unquoted) scalars that
/// YAML 1.2 keeps as strings are booleans, numbers, nulls or timestamps: `on`, `no`, `y`, `~`,
/// `0755`, `0x1F`, `1_000`, `12:30`, `2024-01-01`, `.inf`, ... A test that reads emitted YAML
/// with [`yaml11_load_all`] and gets back the strings it meant proves that the emitter quoted
/// every scalar that needed it.
///
/// The resolver is deliberately the *union* of the YAML 1.1 type repository as PyYAML implements
/// it and of go-yaml v2's resolver: a plain scalar is a non-string if either of them would read it
/// as one. The two disagree on a few forms, all taken as non-strings here:
///
/// | plain scalar | PyYAML | go-yaml v2 | here |
/// | --- | --- | --- | --- |
/// | `y`, `n` (and `Y`, `N`) | string | bool | bool |
/// | `1e3`, `1.0e3`, `-.5` | string | float | float |
/// | `0o17`, `0X1F`, `0B11` | string | int | int |
/// | `08`, `09` | string | float 8, 9 | number |
/// | `12:30` (sexagesimal) | int 750 | string | int 750 |
/// | `2024-1-5` | string | timestamp | timestamp |
///
/// JSON has no timestamps and no infinities, so those come back as *marker strings* that can
/// never equal the original text: a timestamp `2024-01-01` reads as the string
/// `"!!timestamp 2024-01-01"` ([`TIMESTAMP_MARKER_PREFIX`]), `.inf`, `-.inf` and `.nan` read as
/// `"!!float .inf"`, `"!!float -.inf"` and `"!!float .nan"` ([`FLOAT_MARKER_PREFIX`]), and a
/// `!!binary` scalar reads as `"!!binary <base64>"`. (go-yaml v2 itself hands a timestamp to
/// `kubectl` as the original string; PyYAML gives a `datetime`. Either way it is fragile, hence
/// the marker.)
pub fn yaml11_plain_scalar(text: &str) -> Value {
    if is_null(text) {
        return Value::Null;
    }
    if let Some(b) = bool_value(text) {
        return Value::Bool(b);
    }
    if let Some(special) = special_float(text) {
        return Value::String(format!("{FLOAT_MARKER_PREFIX}{special}"));
    }
    if let Some(n) = int_value(text) {
        return n;
    }
    if let Some(f) = float_value(text) {
        return number_from_f64(f);
    }
    if is_timestamp(text) {
        return Value::String(format!("{TIMESTAMP_MARKER_PREFIX}{text}"));
    }
    Value::String(text.to_owned())
}

/// Whether a YAML 1.1 reader keeps `text`, written as a plain (unquoted) scalar, as that very
/// string. When this is `false`, an emitter must quote `text`.
pub fn yaml11_plain_is_string(text: &str) -> bool {
    yaml11_plain_scalar(text).as_str() == Some(text)
}

// ---------------------------------------------------------------------------------------------
// Loader

struct Loader<'a> {
    parser: Parser<'a, StrInput<'a>>,
    anchors: HashMap<usize, Value>,
}

fn at(span: Span, message: impl std::fmt::Display) -> String {
    format!("line {}: {message}", span.start.line())
}

fn is_data(event: &Event<'_>) -> bool {
    matches!(
        event,
        Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(..)
            | Event::DocumentEnd
            | Event::Alias(_)
            | Event::UnresolvedAlias(_)
            | Event::Scalar(..)
            | Event::SequenceStart(..)
            | Event::SequenceEnd
            | Event::MappingStart(..)
            | Event::MappingEnd
    )
}

enum TagKind<'t> {
    NonSpecific,
    Core(&'t str),
    Other(String),
}

fn classify(tag: &Tag) -> TagKind<'_> {
    if tag.handle().is_empty() && tag.suffix() == "!" {
        TagKind::NonSpecific
    } else if tag.handle() == CORE_TAG_PREFIX {
        TagKind::Core(tag.suffix())
    } else {
        TagKind::Other(format!("{}{}", tag.handle(), tag.suffix()))
    }
}

impl<'a> Loader<'a> {
    /// The next event that carries data (comments and anchor metadata are skipped).
    fn next(&mut self) -> Result<(Event<'a>, Span), String> {
        loop {
            match self.parser.next() {
                None => return Err("unexpected end of the YAML stream".into()),
                Some(Err(e)) => return Err(e.to_string()),
                Some(Ok((event, span))) if is_data(&event) => return Ok((event, span)),
                Some(Ok(_)) => {}
            }
        }
    }

    fn remember(&mut self, anchor: usize, value: &Value) {
        if anchor != 0 {
            self.anchors.insert(anchor, value.clone());
        }
    }

    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Value, String> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = scalar(&text, style, tag.as_deref()).map_err(|e| at(span, e))?;
                self.remember(anchor, &value);
                Ok(value)
            }
            Event::SequenceStart(_, anchor, tag) => {
                collection_tag(tag.as_deref(), "seq").map_err(|e| at(span, e))?;
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, span)?);
                }
                let value = Value::Array(items);
                self.remember(anchor, &value);
                Ok(value)
            }
            Event::MappingStart(_, anchor, tag) => {
                collection_tag(tag.as_deref(), "map").map_err(|e| at(span, e))?;
                let value = Value::Object(self.mapping()?);
                self.remember(anchor, &value);
                Ok(value)
            }
            Event::Alias(id) => self
                .anchors
                .get(&id)
                .cloned()
                .ok_or_else(|| at(span, "alias to an unknown or unfinished anchor")),
            Event::UnresolvedAlias(name) => Err(at(span, format!("unknown anchor {name:?}"))),
            other => Err(at(span, format!("unexpected {other:?}"))),
        }
    }

    fn mapping(&mut self) -> Result<Map<String, Value>, String> {
        let mut map = Map::new();
        let mut merged: Vec<Map<String, Value>> = Vec::new();
        let mut saw_merge = false;
        loop {
            let (key_event, key_span) = self.next()?;
            if matches!(key_event, Event::MappingEnd) {
                break;
            }
            let is_merge = match &key_event {
                Event::Scalar(text, ScalarStyle::Plain, _, None) => text == "<<",
                Event::Scalar(_, _, _, Some(tag)) => {
                    matches!(classify(tag), TagKind::Core("merge"))
                }
                _ => false,
            };
            let key = if is_merge {
                Value::Null
            } else {
                self.node(key_event, key_span)?
            };
            let (value_event, value_span) = self.next()?;
            let value = self.node(value_event, value_span)?;
            if is_merge {
                if saw_merge {
                    return Err(at(key_span, "more than one merge key (<<) in a mapping"));
                }
                saw_merge = true;
                match value {
                    Value::Object(m) => merged.push(m),
                    Value::Array(items) => {
                        for item in items {
                            match item {
                                Value::Object(m) => merged.push(m),
                                _ => {
                                    return Err(at(
                                        value_span,
                                        "a merge key (<<) takes mappings only",
                                    ));
                                }
                            }
                        }
                    }
                    _ => return Err(at(value_span, "a merge key (<<) takes a mapping")),
                }
                continue;
            }
            let key = key_string(key).map_err(|e| at(key_span, e))?;
            if map.contains_key(&key) {
                return Err(at(key_span, format!("duplicate mapping key {key:?}")));
            }
            map.insert(key, value);
        }
        for m in merged {
            for (k, v) in m {
                map.entry(k).or_insert(v);
            }
        }
        Ok(map)
    }
}

fn collection_tag(tag: Option<&Tag>, expected: &str) -> Result<(), String> {
    match tag.map(classify) {
        None | Some(TagKind::NonSpecific) => Ok(()),
        Some(TagKind::Core(s)) if s == expected => Ok(()),
        Some(TagKind::Core(s)) => Err(format!("unsupported tag !!{s} on a collection")),
        Some(TagKind::Other(s)) => Err(format!("unsupported tag {s}")),
    }
}

/// A mapping key as a JSON object key, like `sigs.k8s.io/yaml` converts it.
fn key_string(key: Value) -> Result<String, String> {
    match key {
        Value::String(s) => Ok(s),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Null => Err("a null mapping key has no JSON form".into()),
        Value::Array(_) | Value::Object(_) => Err("a collection as mapping key".into()),
    }
}

fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let Some(tag) = tag else {
        return Ok(match style {
            ScalarStyle::Plain => yaml11_plain_scalar(text),
            _ => Value::String(text.to_owned()),
        });
    };
    let bad = |what: &str| format!("{text:?} is not a valid {what}");
    match classify(tag) {
        TagKind::NonSpecific | TagKind::Core("str") => Ok(Value::String(text.to_owned())),
        TagKind::Core("null") if is_null(text) => Ok(Value::Null),
        TagKind::Core("null") => Err(bad("!!null")),
        TagKind::Core("bool") => bool_value(text)
            .map(Value::Bool)
            .ok_or_else(|| bad("!!bool")),
        TagKind::Core("int") => int_value(text).ok_or_else(|| bad("!!int")),
        TagKind::Core("float") => {
            if let Some(special) = special_float(text) {
                return Ok(Value::String(format!("{FLOAT_MARKER_PREFIX}{special}")));
            }
            let f = float_value(text).or_else(|| int_value(text).and_then(|n| n.as_f64()));
            f.map(number_from_f64).ok_or_else(|| bad("!!float"))
        }
        TagKind::Core("timestamp") if is_timestamp(text) => {
            Ok(Value::String(format!("{TIMESTAMP_MARKER_PREFIX}{text}")))
        }
        TagKind::Core("timestamp") => Err(bad("!!timestamp")),
        TagKind::Core("binary") => {
            let compact: String = text.split_whitespace().collect();
            Ok(Value::String(format!("{BINARY_MARKER_PREFIX}{compact}")))
        }
        TagKind::Core(other) => Err(format!("unsupported tag !!{other}")),
        TagKind::Other(other) => Err(format!("unsupported tag {other}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Resolver

fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

fn bool_value(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// `.inf`, `-.inf`, `.nan` for the special floats of YAML 1.1.
fn special_float(s: &str) -> Option<&'static str> {
    match s {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Some(".inf"),
        "-.inf" | "-.Inf" | "-.INF" => Some("-.inf"),
        ".nan" | ".NaN" | ".NAN" => Some(".nan"),
        _ => None,
    }
}

fn split_sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

fn all_bytes(s: &str, ok: impl Fn(u8) -> bool) -> bool {
    s.bytes().all(ok)
}

/// Digits (underscores removed) in `radix`, as a signed wide integer; `None` if empty, invalid or
/// too large for 128 bits.
fn parse_radix(digits: &str, radix: u32, negative: bool) -> Option<i128> {
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if clean.is_empty() {
        return None;
    }
    let magnitude = i128::from_str_radix(&clean, radix).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

fn number_from_i128(n: i128) -> Value {
    if let Ok(i) = i64::try_from(n) {
        Value::Number(i.into())
    } else if let Ok(u) = u64::try_from(n) {
        Value::Number(u.into())
    } else {
        number_from_f64(n as f64)
    }
}

fn number_from_f64(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// Integers: PyYAML's forms first, then go-yaml v2's.
fn int_value(s: &str) -> Option<Value> {
    pyyaml_int(s).or_else(|| go_int(s)).map(number_from_i128)
}

/// `[-+]?0b[01_]+ | [-+]?0[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+ |
/// [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`
fn pyyaml_int(s: &str) -> Option<i128> {
    let (negative, body) = split_sign(s);
    if let Some(rest) = body.strip_prefix("0b") {
        return all_bytes(rest, |b| matches!(b, b'0' | b'1' | b'_'))
            .then(|| parse_radix(rest, 2, negative))?;
    }
    if let Some(rest) = body.strip_prefix("0x") {
        return all_bytes(rest, |b| b.is_ascii_hexdigit() || b == b'_')
            .then(|| parse_radix(rest, 16, negative))?;
    }
    if body == "0" {
        return Some(0);
    }
    if let Some(rest) = body.strip_prefix('0') {
        return (!rest.is_empty() && all_bytes(rest, |b| matches!(b, b'0'..=b'7' | b'_')))
            .then(|| parse_radix(body, 8, negative))?;
    }
    if !body.starts_with(|c: char| matches!(c, '1'..='9')) {
        return None;
    }
    if body.contains(':') {
        let mut parts = body.split(':');
        let head = parts.next()?;
        if !all_bytes(head, |b| b.is_ascii_digit() || b == b'_') {
            return None;
        }
        let mut total = parse_radix(head, 10, false)?;
        for part in parts {
            total = total.checked_mul(60)? + i128::from(sexagesimal_digit(part)?);
        }
        return Some(if negative { -total } else { total });
    }
    all_bytes(body, |b| b.is_ascii_digit() || b == b'_').then(|| parse_radix(body, 10, negative))?
}

/// `[0-5]?[0-9]`
fn sexagesimal_digit(part: &str) -> Option<u8> {
    match part.as_bytes() {
        [d @ b'0'..=b'9'] => Some(d - b'0'),
        [t @ b'0'..=b'5', d @ b'0'..=b'9'] => Some((t - b'0') * 10 + (d - b'0')),
        _ => None,
    }
}

/// go-yaml v2: first character a digit or a sign, underscores removed, then Go's
/// `strconv.ParseInt(s, 0, 64)` (prefixes `0x`, `0o`, `0b` in either case, and `0` for octal),
/// or `ParseUint` for values beyond `i64`.
fn go_int(s: &str) -> Option<i128> {
    if !s.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+') {
        return None;
    }
    let plain: String = s.chars().filter(|c| *c != '_').collect();
    let (negative, body) = split_sign(&plain);
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let n = parse_radix(digits, radix, negative)?;
    let fits =
        i64::try_from(n).is_ok() || (plain.as_bytes()[0] != b'+' && u64::try_from(n).is_ok());
    fits.then_some(n)
}

/// Finite floats: PyYAML's forms, then go-yaml v2's.
fn float_value(s: &str) -> Option<f64> {
    pyyaml_float(s).or_else(|| go_float(s))
}

/// An empty string or an exponent `[eE][-+][0-9]+` (PyYAML requires the sign).
fn pyyaml_exponent(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    let Some(rest) = s.strip_prefix(['e', 'E']) else {
        return false;
    };
    let Some(digits) = rest.strip_prefix(['-', '+']) else {
        return false;
    };
    !digits.is_empty() && all_bytes(digits, |b| b.is_ascii_digit())
}

/// `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)? | \.[0-9][0-9_]*([eE][-+][0-9]+)? |
/// [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`
fn pyyaml_float(s: &str) -> Option<f64> {
    let (negative, body) = split_sign(s);
    let sign = if negative { -1.0 } else { 1.0 };
    let digit_or_us = |b: u8| b.is_ascii_digit() || b == b'_';
    if let Some(after_dot) = body.strip_prefix('.') {
        // Only unsigned.
        if s.len() != body.len() || !after_dot.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let end = after_dot
            .find(|c: char| !(c.is_ascii_digit() || c == '_'))
            .unwrap_or(after_dot.len());
        if !pyyaml_exponent(&after_dot[end..]) {
            return None;
        }
        return rust_float(&format!("0{body}"));
    }
    if !body.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let dot = body.find('.')?;
    let (int_part, frac) = (&body[..dot], &body[dot + 1..]);
    if int_part.contains(':') {
        // Sexagesimal: every part but the first is `[0-5]?[0-9]`, the fraction has no exponent.
        let mut parts: Vec<&str> = int_part.split(':').collect();
        if !all_bytes(parts[0], digit_or_us) || !all_bytes(frac, digit_or_us) {
            return None;
        }
        for part in &parts[1..] {
            sexagesimal_digit(part)?;
        }
        let last = format!("{}.{frac}0", parts.pop()?);
        // Summed from the last part up, as PyYAML does, for the same rounding.
        let mut value = rust_float(&last)?;
        let mut base = 60.0;
        for part in parts.iter().rev() {
            value += rust_float(part)? * base;
            base *= 60.0;
        }
        return Some(sign * value);
    }
    if !all_bytes(int_part, digit_or_us) {
        return None;
    }
    let end = frac
        .find(|c: char| !(c.is_ascii_digit() || c == '_'))
        .unwrap_or(frac.len());
    if !pyyaml_exponent(&frac[end..]) {
        return None;
    }
    rust_float(&format!("{int_part}.{}0{}", &frac[..end], &frac[end..])).map(|f| sign * f)
}

/// Parses digits with optional `.` and exponent, underscores removed.
fn rust_float(s: &str) -> Option<f64> {
    let clean: String = s.chars().filter(|c| *c != '_').collect();
    clean.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// go-yaml v2: after a digit or a sign, underscores removed, the text must match
/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`; after a leading `.`, Go's
/// `ParseFloat` must accept the text as it is.
fn go_float(s: &str) -> Option<f64> {
    let first = s.chars().next()?;
    let plain: String = if first == '.' {
        s.to_owned()
    } else if first.is_ascii_digit() || first == '-' || first == '+' {
        s.chars().filter(|c| *c != '_').collect()
    } else {
        return None;
    };
    let (negative, body) = split_sign(&plain);
    let sign = if negative { -1.0 } else { 1.0 };
    let mantissa_end = body.find(['e', 'E']).unwrap_or(body.len());
    let (mantissa, exponent) = body.split_at(mantissa_end);
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && all_bytes(frac, |b| b.is_ascii_digit()),
        Some((int, frac)) => {
            !int.is_empty()
                && all_bytes(int, |b| b.is_ascii_digit())
                && all_bytes(frac, |b| b.is_ascii_digit())
        }
        None => !mantissa.is_empty() && all_bytes(mantissa, |b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_empty() || {
        let digits = exponent[1..]
            .strip_prefix(['-', '+'])
            .unwrap_or(&exponent[1..]);
        !digits.is_empty() && all_bytes(digits, |b| b.is_ascii_digit())
    };
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    let mantissa = if mantissa.starts_with('.') {
        format!("0{mantissa}")
    } else if mantissa.ends_with('.') {
        format!("{mantissa}0")
    } else {
        mantissa.to_owned()
    };
    rust_float(&format!("{mantissa}{exponent}")).map(|f| sign * f)
}

fn digits(s: &str, min: usize, max: usize) -> Option<&str> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    (min..=max).contains(&n).then(|| &s[n..])
}

/// PyYAML's timestamp forms, plus go-yaml v2's `2006-1-2` dates and one-digit minutes and
/// seconds:
/// `YYYY-M-D` or `YYYY-M-D(T|t|[ \t]+)h:m:s(.frac)?([ \t]*(Z|[-+]h(:mm)?))?`.
fn is_timestamp(s: &str) -> bool {
    fn rest(s: &str) -> Option<()> {
        let s = digits(s, 4, 4)?.strip_prefix('-')?;
        let s = digits(s, 1, 2)?.strip_prefix('-')?;
        let s = digits(s, 1, 2)?;
        if s.is_empty() {
            return Some(());
        }
        let s = match s.strip_prefix(['T', 't']) {
            Some(r) => r,
            None => {
                let trimmed = s.trim_start_matches([' ', '\t']);
                (trimmed.len() < s.len()).then_some(trimmed)?
            }
        };
        let s = digits(s, 1, 2)?.strip_prefix(':')?;
        let s = digits(s, 1, 2)?.strip_prefix(':')?;
        let mut s = digits(s, 1, 2)?;
        if let Some(frac) = s.strip_prefix('.') {
            s = digits(frac, 0, usize::MAX)?;
        }
        let s = s.trim_start_matches([' ', '\t']);
        if s.is_empty() || s == "Z" {
            return Some(());
        }
        let s = digits(s.strip_prefix(['-', '+'])?, 1, 2)?;
        if s.is_empty() {
            return Some(());
        }
        digits(s.strip_prefix(':')?, 2, 2)?.is_empty().then_some(())
    }
    rest(s).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(src: &str) -> Value {
        let docs = yaml11_load_all(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
        assert_eq!(docs.len(), 1, "{src:?}");
        docs.into_iter().next().unwrap()
    }

    /// Reads `v: <text>` plainly and quoted both ways.
    fn plain_and_quoted(text: &str) -> (Value, Value, Value) {
        let plain = one(&format!("v: {text}\n"))["v"].clone();
        let single = one(&format!("v: '{text}'\n"))["v"].clone();
        let double = one(&format!("v: \"{text}\"\n"))["v"].clone();
        (plain, single, double)
    }

    #[track_caller]
    fn check(text: &str, expected: Value) {
        let (plain, single, double) = plain_and_quoted(text);
        assert_eq!(plain, expected, "plain {text:?}");
        assert_ne!(
            plain,
            json!(text),
            "plain {text:?} must not read as the string"
        );
        assert_eq!(single, json!(text), "single-quoted {text:?}");
        assert_eq!(double, json!(text), "double-quoted {text:?}");
        assert_eq!(yaml11_plain_scalar(text), expected, "resolver {text:?}");
        assert!(!yaml11_plain_is_string(text), "{text:?}");
    }

    #[test]
    fn booleans() {
        for t in [
            "on", "On", "ON", "yes", "Yes", "YES", "y", "Y", "true", "True", "TRUE",
        ] {
            check(t, json!(true));
        }
        for t in [
            "off", "Off", "OFF", "no", "No", "NO", "n", "N", "false", "False", "FALSE",
        ] {
            check(t, json!(false));
        }
    }

    #[test]
    fn nulls() {
        for t in ["~", "null", "Null", "NULL"] {
            check(t, Value::Null);
        }
        assert_eq!(one("v:\n")["v"], Value::Null);
        assert_eq!(one("v: ''\n")["v"], json!(""));
    }

    #[test]
    fn timestamps() {
        for t in [
            "2024-01-01",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14T21:59:43Z",
            "2001-12-14 21:59:43.10 -5",
            "2001-12-15 2:59:43.10",
            "2024-1-5",
        ] {
            check(t, json!(format!("!!timestamp {t}")));
        }
        for t in [
            "2024-01",
            "24-01-01",
            "2024-01-01x",
            "2024-01-01T10:00",
            "2024-001-01",
        ] {
            assert!(yaml11_plain_is_string(t), "{t}");
        }
    }

    #[test]
    fn integers() {
        check("12:30", json!(750));
        check("190:20:30", json!(685_230));
        check("-1:30", json!(-90));
        check("0x1F", json!(31));
        check("0x_1f", json!(31));
        check("-0x1F", json!(-31));
        check("0o17", json!(15));
        check("017", json!(15));
        check("0b1010", json!(10));
        check("1_000", json!(1000));
        check("+12", json!(12));
        check("-0", json!(0));
        check("0", json!(0));
        check("9223372036854775808", json!(9_223_372_036_854_775_808_u64));
        check("0X1F", json!(31));
        check("0B11", json!(3));
        check("08", json!(8.0));
    }

    #[test]
    fn floats() {
        check("1e3", json!(1000.0));
        check("1.0e3", json!(1000.0));
        check("1.5e+3", json!(1500.0));
        check("6.8523015e+5", json!(685_230.15));
        check("1.", json!(1.0));
        check(".5", json!(0.5));
        check("-.5", json!(-0.5));
        check("1_000.5", json!(1000.5));
        check("190:20:30.15", json!(685_230.15));
        check(".inf", json!("!!float .inf"));
        check("-.Inf", json!("!!float -.inf"));
        check("+.INF", json!("!!float .inf"));
        check(".nan", json!("!!float .nan"));
        check(".NaN", json!("!!float .nan"));
    }

    #[test]
    fn strings_stay_strings() {
        for t in [
            "hello",
            "yess",
            "onn",
            "0x",
            "0xZZ",
            "0b2",
            "1.2.3",
            "12:60",
            "1:2:3:x",
            "v1",
            "1e",
            "e3",
            "-",
            ".",
            "..",
            "_1",
            ".inf.",
            "inf",
            "nan",
            "NaN",
            "1-2",
            "reviews.default.svc.cluster.local",
            "*.example.com",
            "10.0.0.1",
            "1.2.3.4/32",
            "5s",
            "100ms",
            "ISTIO_MUTUAL",
            "<<",
            "=",
            "0.0.0.0",
        ] {
            assert!(
                yaml11_plain_is_string(t),
                "{t:?} read as {}",
                yaml11_plain_scalar(t)
            );
        }
        check("1_", json!(1)); // PyYAML: `[1-9][0-9_]*`
    }

    #[test]
    fn block_scalars_and_tags() {
        let v = one(
            "a: |\n  on\nb: >\n  12:30\nc: !!str yes\nd: ! 0x1F\ne: !!int \"0x1F\"\nf: !!float '1'\ng: !!bool 'off'\nh: !!null ''\ni: !!timestamp 2024-01-01\nj: !!binary aGVs\n  bG8=\n",
        );
        assert_eq!(
            v,
            json!({
                "a": "on\n", "b": "12:30\n", "c": "yes", "d": "0x1F", "e": 31, "f": 1.0,
                "g": false, "h": null, "i": "!!timestamp 2024-01-01", "j": "!!binary aGVsbG8="
            })
        );
        assert!(
            yaml11_load_all("a: !!int abc\n")
                .unwrap_err()
                .contains("!!int")
        );
        assert!(
            yaml11_load_all("a: !custom x\n")
                .unwrap_err()
                .contains("unsupported tag")
        );
        assert!(yaml11_load_all("a: !!set {x}\n").is_err());
    }

    #[test]
    fn keys_documents_anchors_merges() {
        let docs = yaml11_load_all(
            "---\non: 1\n1: one\n\"no\": 2\n---\n---\nbase: &b {x: 1, w: 2}\nmore: &m {w: 3, z: 4}\nderived:\n  <<: [*b, *m]\n  x: 0\nlist: [*b]\n...\n",
        )
        .unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0], json!({"true": 1, "1": "one", "no": 2}));
        assert_eq!(docs[1], Value::Null);
        assert_eq!(docs[2]["derived"], json!({"x": 0, "w": 2, "z": 4}));
        assert_eq!(docs[2]["list"], json!([{"x": 1, "w": 2}]));
        // The classic trap: a plain `y` key is a boolean.
        assert_eq!(
            yaml11_load_all("{x: 1, y: 2}").unwrap(),
            [json!({"x": 1, "true": 2})]
        );
        assert_eq!(yaml11_load_all("").unwrap(), Vec::<Value>::new());
        assert_eq!(
            yaml11_load_all("- a\n- 'b'\n").unwrap(),
            [json!(["a", "b"])]
        );
    }

    #[test]
    fn errors() {
        let dup = yaml11_load_all("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(dup.contains("duplicate") && dup.contains("line 3"), "{dup}");
        // `on` and `true` are the same key once typed.
        assert!(yaml11_load_all("on: 1\ntrue: 2\n").is_err());
        assert!(yaml11_load_all("~: 1\n").unwrap_err().contains("null"));
        assert!(yaml11_load_all("a: [1\n").is_err());
        assert!(yaml11_load_all("a: *nope\n").is_err());
        assert!(yaml11_load_all("<<: 1\n").is_err());
    }
}

//! Durations as Istio and Kubernetes write them: `5s`, `100ms`, `1h30m`.
//!
//! Istio reads duration fields with Go's `time.ParseDuration` (the same syntax that the
//! Kubernetes CEL `duration()` function accepts): an optional sign, then one or more
//! pieces made of a decimal number and a unit, where the unit is one of `ns`, `us` (also
//! spelled `µs` or `μs`), `ms`, `s`, `m` or `h`. A bare `0` is accepted as well.
//!
//! [`Duration`] follows that grammar exactly. A parsed value remembers the text it came
//! from, so writing a manifest back out reproduces what the author wrote (`60s` stays
//! `60s` rather than becoming `1m`); a value built in code prints in a short canonical
//! form instead. Either way, comparisons only look at the length of time.
//!
//! ```
//! use istio_types::Duration;
//!
//! let parsed: Duration = "90s".parse()?;
//! assert_eq!(parsed.to_string(), "90s");
//! assert_eq!(parsed, Duration::from_millis(90_000));
//! assert_eq!(Duration::from_secs(3600).to_string(), "1h");
//! # Ok::<(), istio_types::duration::DurationError>(())
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde_json::Value;

use crate::de::{Decoder, FieldErrorKind, FromValue};

const NANOS_PER_MICRO: u64 = 1_000;
const NANOS_PER_MILLI: u64 = 1_000_000;
const NANOS_PER_SEC: u64 = 1_000_000_000;
const NANOS_PER_MIN: u64 = 60 * NANOS_PER_SEC;
const NANOS_PER_HOUR: u64 = 60 * NANOS_PER_MIN;

/// Units used for the canonical form, largest first.
const CANONICAL_UNITS: [(u64, &str); 6] = [
    (NANOS_PER_HOUR, "h"),
    (NANOS_PER_MIN, "m"),
    (NANOS_PER_SEC, "s"),
    (NANOS_PER_MILLI, "ms"),
    (NANOS_PER_MICRO, "us"),
    (1, "ns"),
];

/// Fraction digits beyond this many are checked but do not change the value: even with
/// the largest unit (an hour, under 10^13 ns) they add far less than a nanosecond.
const MAX_FRACTION_DIGITS: u32 = 24;

/// The magnitude of `i64::MIN`, the largest a (negative) duration can have.
const MAGNITUDE_LIMIT: u128 = 1 << 63;

/// A length of time in the syntax Istio uses for duration fields (`5s`, `1.5s`, `1h30m`).
///
/// The value is held as a signed count of nanoseconds, which covers roughly ±292 years.
/// Parsing with [`str::parse`] keeps the original text, which [`Display`](fmt::Display)
/// and serialization then reproduce verbatim. Values built with the `from_*`
/// constructors print in canonical form: the count of the largest unit among `h`, `m`,
/// `s`, `ms`, `us` and `ns` that divides the value exactly (`90s`, `1500ms`, `2h`, `0s`).
///
/// Equality, ordering and hashing consider only the length of time, so `60s`, `1m` and
/// `Duration::from_secs(60)` are all equal.
///
/// ```
/// use istio_types::Duration;
///
/// let a: Duration = "1m".parse()?;
/// let b: Duration = "60s".parse()?;
/// assert_eq!(a, b);
/// assert_eq!((a.to_string(), b.to_string()), ("1m".to_string(), "60s".to_string()));
/// assert!(Duration::from_millis(999) < b);
/// # Ok::<(), istio_types::duration::DurationError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Duration {
    nanos: i64,
    /// The text this value was parsed from, if it was parsed.
    text: Option<Box<str>>,
}

/// Why a string is not a valid duration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// The string is empty.
    #[error("empty duration")]
    Empty,
    /// A number was expected; holds the text found in its place (up to the end of input).
    #[error("expected a number such as `5` or `1.5`, found {}", found(.0))]
    InvalidNumber(String),
    /// A number is not followed by a unit; holds the number.
    #[error("missing unit after {0:?}; expected one of ns, us, ms, s, m, h")]
    MissingUnit(String),
    /// A unit that is not one of `ns`, `us`/`µs`/`μs`, `ms`, `s`, `m`, `h`; holds it.
    #[error("unknown unit {0:?}; expected one of ns, us, ms, s, m, h")]
    UnknownUnit(String),
    /// The value does not fit in a signed 64-bit count of nanoseconds (about ±292 years).
    #[error("out of range: a duration can be at most about 292 years")]
    Overflow,
}

fn found(text: &str) -> String {
    if text.is_empty() {
        "the end of the text".into()
    } else {
        format!("{text:?}")
    }
}

impl Duration {
    /// A duration of zero, printed as `0s`.
    pub const ZERO: Self = Self::from_nanos(0);

    /// A duration of `nanos` nanoseconds (which may be negative).
    ///
    /// ```
    /// # use istio_types::Duration;
    /// assert_eq!(Duration::from_nanos(1_500).to_string(), "1500ns");
    /// assert_eq!(Duration::from_nanos(-2_000).to_string(), "-2us");
    /// ```
    #[must_use]
    pub const fn from_nanos(nanos: i64) -> Self {
        Self { nanos, text: None }
    }

    /// A duration of `micros` microseconds.
    ///
    /// # Panics
    /// If the result exceeds the representable range (about 292 years).
    ///
    /// ```
    /// # use istio_types::Duration;
    /// assert_eq!(Duration::from_micros(300).to_string(), "300us");
    /// ```
    #[must_use]
    pub const fn from_micros(micros: u64) -> Self {
        Self::from_nanos(scaled(micros, NANOS_PER_MICRO))
    }

    /// A duration of `millis` milliseconds.
    ///
    /// # Panics
    /// If the result exceeds the representable range (about 292 years).
    ///
    /// ```
    /// # use istio_types::Duration;
    /// assert_eq!(Duration::from_millis(100).to_string(), "100ms");
    /// assert_eq!(Duration::from_millis(2_000).to_string(), "2s");
    /// ```
    #[must_use]
    pub const fn from_millis(millis: u64) -> Self {
        Self::from_nanos(scaled(millis, NANOS_PER_MILLI))
    }

    /// A duration of `secs` seconds.
    ///
    /// # Panics
    /// If the result exceeds the representable range (about 292 years).
    ///
    /// ```
    /// # use istio_types::Duration;
    /// assert_eq!(Duration::from_secs(5).to_string(), "5s");
    /// assert_eq!(Duration::from_secs(120).to_string(), "2m");
    /// ```
    #[must_use]
    pub const fn from_secs(secs: u64) -> Self {
        Self::from_nanos(scaled(secs, NANOS_PER_SEC))
    }

    /// A duration of `mins` minutes.
    ///
    /// # Panics
    /// If the result exceeds the representable range (about 292 years).
    ///
    /// ```
    /// # use istio_types::Duration;
    /// assert_eq!(Duration::from_mins(90).to_string(), "90m");
    /// ```
    #[must_use]
    pub const fn from_mins(mins: u64) -> Self {
        Self::from_nanos(scaled(mins, NANOS_PER_MIN))
    }

    /// A duration of `hours` hours.
    ///
    /// # Panics
    /// If the result exceeds the representable range (about 292 years).
    ///
    /// ```
    /// # use istio_types::Duration;
    /// assert_eq!(Duration::from_hours(24).to_string(), "24h");
    /// ```
    #[must_use]
    pub const fn from_hours(hours: u64) -> Self {
        Self::from_nanos(scaled(hours, NANOS_PER_HOUR))
    }

    /// The length of this duration in nanoseconds (negative for negative durations).
    ///
    /// ```
    /// # use istio_types::Duration;
    /// let d: Duration = "1.5s".parse()?;
    /// assert_eq!(d.as_nanos(), 1_500_000_000);
    /// # Ok::<(), istio_types::duration::DurationError>(())
    /// ```
    #[must_use]
    pub const fn as_nanos(&self) -> i64 {
        self.nanos
    }

    /// Whether this duration is less than zero.
    #[must_use]
    pub const fn is_negative(&self) -> bool {
        self.nanos < 0
    }

    /// This duration as a [`std::time::Duration`], or `None` if it is negative.
    ///
    /// ```
    /// # use istio_types::Duration;
    /// let d: Duration = "250ms".parse()?;
    /// assert_eq!(d.as_std(), Some(std::time::Duration::from_millis(250)));
    /// assert_eq!("-1s".parse::<Duration>()?.as_std(), None);
    /// # Ok::<(), istio_types::duration::DurationError>(())
    /// ```
    #[must_use]
    pub fn as_std(&self) -> Option<std::time::Duration> {
        u64::try_from(self.nanos)
            .ok()
            .map(std::time::Duration::from_nanos)
    }

    /// The text this value was parsed from, or `None` if it was built in code.
    ///
    /// ```
    /// # use istio_types::Duration;
    /// assert_eq!("60s".parse::<Duration>()?.original_text(), Some("60s"));
    /// assert_eq!(Duration::from_secs(60).original_text(), None);
    /// # Ok::<(), istio_types::duration::DurationError>(())
    /// ```
    #[must_use]
    pub fn original_text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// The same length of time, forgetting any original text so that it prints in
    /// canonical form.
    ///
    /// ```
    /// # use istio_types::Duration;
    /// let d: Duration = "60s".parse()?;
    /// assert_eq!(d.canonical().to_string(), "1m");
    /// # Ok::<(), istio_types::duration::DurationError>(())
    /// ```
    #[must_use]
    pub fn canonical(&self) -> Self {
        Self::from_nanos(self.nanos)
    }
}

/// `n * unit` as an `i64`, panicking when it does not fit (used by the `const` constructors).
const fn scaled(n: u64, unit: u64) -> i64 {
    match n.checked_mul(unit) {
        Some(v) if v <= i64::MAX as u64 => v as i64,
        _ => panic!("duration out of range: a duration can be at most about 292 years"),
    }
}

/// Parses Go `time.ParseDuration` syntax into a count of nanoseconds.
fn parse_nanos(text: &str) -> Result<i64, DurationError> {
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    let (negative, body) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    // Go accepts a bare zero (optionally signed) without a unit.
    if body == "0" {
        return Ok(0);
    }
    if body.is_empty() {
        return Err(DurationError::InvalidNumber(String::new()));
    }

    let bytes = body.as_bytes();
    let mut i = 0;
    let mut total: u128 = 0;
    while i < bytes.len() {
        let start = i;

        // Whole part: [0-9]*. Saturating keeps absurdly long numbers from wrapping; they
        // are reported as out of range below.
        let mut whole: u128 = 0;
        let mut whole_digits = 0usize;
        while let Some(d) = bytes.get(i).and_then(|b| digit(*b)) {
            whole = whole.saturating_mul(10).saturating_add(d);
            whole_digits += 1;
            i += 1;
        }

        // Fraction: (\.[0-9]*)?
        let mut fraction: u128 = 0;
        let mut scale: u128 = 1;
        let mut fraction_digits = 0u32;
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            while let Some(d) = bytes.get(i).and_then(|b| digit(*b)) {
                if fraction_digits < MAX_FRACTION_DIGITS {
                    fraction = fraction * 10 + d;
                    scale *= 10;
                }
                fraction_digits = fraction_digits.saturating_add(1);
                i += 1;
            }
        }
        if whole_digits == 0 && fraction_digits == 0 {
            // Slicing is safe: `start` follows an ASCII byte or is the start of `body`.
            return Err(DurationError::InvalidNumber(body[start..].to_string()));
        }
        let number_end = i;

        // Unit: everything up to the next digit or dot, as Go does.
        while i < bytes.len() && !(bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let unit = match &body[number_end..i] {
            "" => {
                return Err(DurationError::MissingUnit(
                    body[start..number_end].to_string(),
                ));
            }
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => NANOS_PER_MICRO,
            "ms" => NANOS_PER_MILLI,
            "s" => NANOS_PER_SEC,
            "m" => NANOS_PER_MIN,
            "h" => NANOS_PER_HOUR,
            other => return Err(DurationError::UnknownUnit(other.to_string())),
        };
        let unit = u128::from(unit);

        // fraction < 10^24 and unit < 10^13, so neither product can overflow a u128.
        let part = whole
            .checked_mul(unit)
            .and_then(|w| w.checked_add(fraction * unit / scale))
            .ok_or(DurationError::Overflow)?;
        total = total
            .checked_add(part)
            .filter(|t| *t <= MAGNITUDE_LIMIT)
            .ok_or(DurationError::Overflow)?;
    }

    if negative && total == MAGNITUDE_LIMIT {
        // The one magnitude that only a negative value can have.
        Ok(i64::MIN)
    } else if negative {
        i64::try_from(total)
            .map(|t| -t)
            .map_err(|_| DurationError::Overflow)
    } else {
        i64::try_from(total).map_err(|_| DurationError::Overflow)
    }
}

fn digit(b: u8) -> Option<u128> {
    b.is_ascii_digit().then(|| u128::from(b - b'0'))
}

impl FromStr for Duration {
    type Err = DurationError;

    /// Parses Go duration syntax (`5s`, `1.5s`, `1h30m`, `300us`, `-2m`, `0`), keeping
    /// the text so that the value prints back exactly as written.
    ///
    /// # Errors
    /// A [`DurationError`] saying what is wrong: an empty string, a missing or malformed
    /// number, a missing or unknown unit, or a value beyond about ±292 years.
    ///
    /// ```
    /// # use istio_types::Duration;
    /// # use istio_types::duration::DurationError;
    /// assert_eq!("1h30m".parse::<Duration>()?, Duration::from_mins(90));
    /// assert_eq!("5".parse::<Duration>(), Err(DurationError::MissingUnit("5".into())));
    /// assert_eq!("5sec".parse::<Duration>(), Err(DurationError::UnknownUnit("sec".into())));
    /// # Ok::<(), DurationError>(())
    /// ```
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self {
            nanos: parse_nanos(text)?,
            text: Some(text.into()),
        })
    }
}

impl TryFrom<std::time::Duration> for Duration {
    type Error = DurationError;

    /// Converts a standard-library duration, which prints in canonical form.
    ///
    /// # Errors
    /// [`DurationError::Overflow`] if it is longer than about 292 years.
    ///
    /// ```
    /// # use istio_types::Duration;
    /// let d = Duration::try_from(std::time::Duration::from_millis(1500))?;
    /// assert_eq!(d.to_string(), "1500ms");
    /// # Ok::<(), istio_types::duration::DurationError>(())
    /// ```
    fn try_from(d: std::time::Duration) -> Result<Self, Self::Error> {
        i64::try_from(d.as_nanos())
            .map(Self::from_nanos)
            .map_err(|_| DurationError::Overflow)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(text) = &self.text {
            return f.write_str(text);
        }
        if self.nanos == 0 {
            return f.write_str("0s");
        }
        if self.nanos < 0 {
            f.write_str("-")?;
        }
        let magnitude = self.nanos.unsigned_abs();
        let (unit, name) = CANONICAL_UNITS
            .iter()
            .copied()
            .find(|(unit, _)| magnitude.is_multiple_of(*unit))
            .unwrap_or((1, "ns"));
        write!(f, "{}{name}", magnitude / unit)
    }
}

impl PartialEq for Duration {
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Duration {}

impl PartialOrd for Duration {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Duration {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl Hash for Duration {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.nanos.hash(state);
    }
}

impl serde::Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl FromValue for Duration {
    fn from_value(v: &Value, d: &mut Decoder) -> Option<Self> {
        let Value::String(text) = v else {
            d.wrong_type("a duration string such as \"5s\"", v);
            return None;
        };
        match text.parse() {
            Ok(duration) => Some(duration),
            Err(err) => {
                d.error(FieldErrorKind::Invalid(format!(
                    "invalid duration {text:?}: {err}"
                )));
                None
            }
        }
    }
}

crate::impl_deserialize_via_value!(Duration);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashSet;

    fn nanos(text: &str) -> i64 {
        text.parse::<Duration>()
            .unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
            .as_nanos()
    }

    fn err(text: &str) -> DurationError {
        text.parse::<Duration>()
            .expect_err(&format!("{text:?} should be rejected"))
    }

    #[test]
    fn parses_every_unit_and_form() {
        let cases: &[(&str, i64)] = &[
            ("5s", 5_000_000_000),
            ("1.5s", 1_500_000_000),
            ("100ms", 100_000_000),
            ("1h", 3_600_000_000_000),
            ("1h30m", 5_400_000_000_000),
            ("0.5s", 500_000_000),
            ("300us", 300_000),
            ("300\u{b5}s", 300_000),
            ("300\u{3bc}s", 300_000),
            ("7ns", 7),
            ("2m", 120_000_000_000),
            ("0", 0),
            ("+0", 0),
            ("-0", 0),
            ("0s", 0),
            ("-1.5h", -5_400_000_000_000),
            ("+5s", 5_000_000_000),
            ("1h1m1s1ms1us1ns", 3_661_001_001_001),
            ("1.s", 1_000_000_000),
            (".5s", 500_000_000),
            ("1.0000000001s", 1_000_000_000),
            ("0.1ns", 0),
            ("1.999999999999999999999999999999s", 1_999_999_999),
            ("2562047h47m16.854775807s", i64::MAX),
            ("-2562047h47m16.854775808s", i64::MIN),
        ];
        for (text, want) in cases {
            assert_eq!(nanos(text), *want, "{text}");
        }
    }

    #[test]
    fn rejects_malformed_text_with_specific_errors() {
        use DurationError::*;
        let cases: Vec<(&str, DurationError)> = vec![
            ("", Empty),
            ("-", InvalidNumber(String::new())),
            ("+", InvalidNumber(String::new())),
            ("s", InvalidNumber("s".into())),
            ("1", MissingUnit("1".into())),
            ("00", MissingUnit("00".into())),
            ("1.5", MissingUnit("1.5".into())),
            ("1.5.5s", MissingUnit("1.5".into())),
            ("1s2", MissingUnit("2".into())),
            (".s", InvalidNumber(".s".into())),
            ("-.s", InvalidNumber(".s".into())),
            ("1e3s", UnknownUnit("e".into())),
            ("1m-2s", UnknownUnit("m-".into())),
            ("1S", UnknownUnit("S".into())),
            ("1sec", UnknownUnit("sec".into())),
            ("5 s", UnknownUnit(" s".into())),
            (" 5s", InvalidNumber(" 5s".into())),
            ("5s ", UnknownUnit("s ".into())),
            ("--5s", InvalidNumber("-5s".into())),
            ("1\u{79d2}", UnknownUnit("\u{79d2}".into())),
            ("\u{ff15}s", InvalidNumber("\u{ff15}s".into())),
            ("9999999999999h", Overflow),
            ("2562047h47m16.854775808s", Overflow),
            ("-2562047h47m16.854775809s", Overflow),
            ("2562047h2562047h", Overflow),
        ];
        for (text, want) in cases {
            assert_eq!(err(text), want, "{text:?}");
        }
    }

    #[test]
    fn hostile_inputs_never_panic() {
        let long_digits = format!("{}s", "9".repeat(10_000));
        let long_fraction = format!("0.{}s", "9".repeat(10_000));
        let many_parts = "1ns".repeat(10_000);
        let inputs = [
            "",
            "s",
            "1",
            "1.s",
            ".5s",
            "1e3s",
            "9999999999999h",
            "-",
            "1m-2s",
            "µ",
            "µs",
            "1µ",
            "é",
            "1é",
            "\u{0}",
            "1\u{0}s",
            "..",
            "1..s",
            "-+1s",
            "+-1s",
            "💥",
            "1💥",
            "1s💥",
            "NaN",
            "inf",
            "-inf",
            "0x10s",
            "1_000s",
            "٣s",
            &long_digits,
            &long_fraction,
            &many_parts,
        ];
        for text in inputs {
            let _ = text.parse::<Duration>();
        }
        assert_eq!(nanos(&long_fraction), 999_999_999);
        assert_eq!(nanos(&many_parts), 10_000);
        assert_eq!(err(&long_digits), DurationError::Overflow);
    }

    #[test]
    fn error_messages_are_lowercase_and_name_the_bad_text() {
        assert_eq!(err("").to_string(), "empty duration");
        assert_eq!(
            err("5sec").to_string(),
            r#"unknown unit "sec"; expected one of ns, us, ms, s, m, h"#
        );
        assert_eq!(
            err("5").to_string(),
            r#"missing unit after "5"; expected one of ns, us, ms, s, m, h"#
        );
        assert_eq!(
            err("x5s").to_string(),
            r#"expected a number such as `5` or `1.5`, found "x5s""#
        );
        assert_eq!(
            err("-").to_string(),
            "expected a number such as `5` or `1.5`, found the end of the text"
        );
        for e in [
            err("9999999999999h"),
            err("1"),
            err("s"),
            err("1x"),
            err(""),
        ] {
            let msg = e.to_string();
            assert!(!msg.ends_with('.'), "{msg}");
            assert!(msg.starts_with(|c: char| c.is_lowercase()), "{msg}");
        }
    }

    #[test]
    fn constructed_values_print_canonically() {
        let cases = [
            (Duration::from_secs(5), "5s"),
            (Duration::from_millis(100), "100ms"),
            (Duration::from_secs(90), "90s"),
            (Duration::from_millis(1500), "1500ms"),
            (Duration::from_secs(60), "1m"),
            (Duration::from_mins(60), "1h"),
            (Duration::from_mins(90), "90m"),
            (Duration::from_hours(48), "48h"),
            (Duration::from_micros(1000), "1ms"),
            (Duration::from_micros(1001), "1001us"),
            (Duration::from_nanos(1), "1ns"),
            (Duration::from_nanos(-1_000_000_000), "-1s"),
            (Duration::from_nanos(i64::MIN), "-9223372036854775808ns"),
            (Duration::from_nanos(i64::MAX), "9223372036854775807ns"),
            (Duration::from_nanos(0), "0s"),
            (Duration::ZERO, "0s"),
            (Duration::default(), "0s"),
        ];
        for (d, want) in cases {
            assert_eq!(d.to_string(), want);
            // The canonical form is itself valid and means the same length of time.
            assert_eq!(want.parse::<Duration>().unwrap(), d, "{want}");
        }
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn constructor_overflow_panics_with_a_clear_message() {
        let _ = Duration::from_hours(u64::MAX / 2);
    }

    #[test]
    fn parsed_values_print_exactly_as_written() {
        for text in [
            "60s", "1m", "0", "0s", "1.50s", "+5s", "1h0m", "0.5s", "300µs", "1.s",
        ] {
            let d: Duration = text.parse().unwrap();
            assert_eq!(d.to_string(), text);
            assert_eq!(d.original_text(), Some(text));
            assert_eq!(serde_json::to_value(&d).unwrap(), json!(text));
        }
        assert_eq!(
            "60s".parse::<Duration>().unwrap().canonical().to_string(),
            "1m"
        );
    }

    #[test]
    fn equality_ordering_and_hashing_ignore_spelling() {
        let spellings = ["60s", "1m", "60000ms", "1m0s", "0.5m30s", "60000000000ns"];
        let parsed: Vec<Duration> = spellings.iter().map(|s| s.parse().unwrap()).collect();
        for d in &parsed {
            assert_eq!(*d, Duration::from_secs(60), "{d}");
        }
        let set: HashSet<Duration> = [parsed[0].clone(), parsed[1].clone(), Duration::from_mins(1)]
            .into_iter()
            .collect();
        assert_eq!(set.len(), 1);
        let mut sorted: Vec<Duration> = ["1h", "1s", "-1s", "1ms", "59m"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        sorted.sort();
        let printed: Vec<String> = sorted.iter().map(ToString::to_string).collect();
        assert_eq!(printed, ["-1s", "1ms", "1s", "59m", "1h"]);
    }

    #[test]
    fn converts_to_and_from_std() {
        let d = Duration::try_from(std::time::Duration::from_millis(1500)).unwrap();
        assert_eq!(d.to_string(), "1500ms");
        assert_eq!(d.as_std(), Some(std::time::Duration::from_millis(1500)));
        assert_eq!(Duration::from_nanos(-1).as_std(), None);
        assert_eq!(
            Duration::try_from(std::time::Duration::MAX),
            Err(DurationError::Overflow)
        );
        assert!(Duration::from_nanos(-5).is_negative());
        assert!(!Duration::ZERO.is_negative());
    }

    #[test]
    fn decodes_strictly_from_json_values() {
        let d = Decoder::new().decode::<Duration>(&json!("2.5s")).unwrap();
        assert_eq!(d.as_nanos(), 2_500_000_000);
        assert_eq!(d.to_string(), "2.5s");

        let errs = Decoder::new()
            .decode::<Duration>(&json!("5 s"))
            .unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].kind,
            FieldErrorKind::Invalid(
                r#"invalid duration "5 s": unknown unit " s"; expected one of ns, us, ms, s, m, h"#
                    .into()
            )
        );

        let errs = Decoder::new().decode::<Duration>(&json!(5)).unwrap_err();
        assert_eq!(
            errs[0].to_string(),
            r#"(document): expected a duration string such as "5s", found a number (5)"#
        );
    }

    #[test]
    fn deserializes_through_serde_with_the_same_checks() {
        let d: Duration = serde_json::from_str(r#""1h30m""#).unwrap();
        assert_eq!(d, Duration::from_mins(90));
        assert_eq!(d.to_string(), "1h30m");
        let e = serde_json::from_str::<Duration>(r#""1e3s""#).unwrap_err();
        assert!(e.to_string().contains(r#"invalid duration "1e3s""#), "{e}");
    }
}

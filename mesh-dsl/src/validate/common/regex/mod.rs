//! RE2 regular expressions, judged as Istio and Envoy judge them.
//!
//! Istio's webhook (`validateStringRegexp` in `pkg/config/validation`) refuses a regex
//! longer than 1024 bytes and one Go's `regexp.Compile` refuses (RE2 syntax, as parsed by
//! Go's `regexp/syntax`); Envoy then compiles it with RE2 (C++) and refuses a program
//! larger than Istio's `re2.max_program_size.error_level` (32768).
//!
//! [`syntax`] parses with Go's rules, where `regex-syntax` (the parser of the `regex`
//! crate) differs:
//!
//! - a repetition of a repetition (`a**`, `a+*`, `a{2}{3}`) is an error, and so are
//!   nested counts whose product is above 1000 (`(a{1000}){2}`);
//! - a malformed count (`a{,5}`, `a{1`, `a{x}`, `a{01}`) is literal text;
//! - Unicode classes are the general categories (short or long names), the scripts of
//!   Go's Unicode 15 tables, `Any`, `Assigned` and `ASCII`, nothing else (no
//!   `Alphabetic`, `scx=`, `gc=`);
//! - `\Q...\E`, octal escapes (`\012`), escaped `<`, `>` (literals, not word boundaries),
//!   named groups whose name starts with a digit or repeats, `(?)` and `(?i-i)` are
//!   accepted; `\C`, backreferences, lookaround, `(?x)`, `(?u)`, `(?R)`, `\e`, `\Z`,
//!   `\b` in a class and class set operations (`&&`, `--` are literal) follow Go;
//! - trees deeper than 1000 or with more than ~3.3 million instructions are errors
//!   (Go's limits; a 1024-byte pattern does not reach them).

mod ast;
mod escapes;
mod limits;
mod syntax;
mod unicode;

#[cfg(test)]
mod tests;

#[cfg(feature = "simulate")]
pub(crate) use ast::{Assert, Class, ClassItem, Node, Perl};
#[cfg(all(test, feature = "simulate"))]
pub(crate) use unicode::names as unicode_names;

use super::Check;

/// Istio's limit on a regex's length, in bytes.
const MAX_LEN: usize = 1024;

/// Why Istio or Envoy refuses a regex.
pub(crate) enum Refusal {
    /// Longer than Istio's 1024 bytes.
    TooLong,
    /// Go's `regexp` refuses it; Go's message, such as ``missing closing ): `(a` ``.
    Syntax(String),
    /// Envoy refuses it: its RE2 program has at least this many instructions.
    ProgramSize(u64),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLong => write!(f, "longer than Istio's {MAX_LEN} bytes"),
            Self::Syntax(reason) => f.write_str(reason),
            Self::ProgramSize(n) => write!(
                f,
                "an RE2 program of at least {n} instructions, above Envoy's limit of {}",
                limits::ENVOY_MAX_PROGRAM_SIZE
            ),
        }
    }
}

/// Parses a regex with Go's rules and checks Istio's and Envoy's limits.
pub(crate) fn parse_re2(re: &str) -> Result<ast::Node, Refusal> {
    if re.len() > MAX_LEN {
        return Err(Refusal::TooLong);
    }
    let node = syntax::parse(re)
        .and_then(|node| limits::check_go_limits(&node, re).map(|()| node))
        .map_err(Refusal::Syntax)?;
    let size = limits::envoy_program_size_at_least(&node);
    if size > limits::ENVOY_MAX_PROGRAM_SIZE {
        return Err(Refusal::ProgramSize(size));
    }
    Ok(node)
}

/// A regular expression istiod itself matches with Go's `regexp` (an EnvoyFilter's
/// `proxyVersion`): at most 1024 bytes and valid for Go; Envoy never compiles it, so its
/// program-size limit does not apply.
pub(crate) fn validate_go_regex(re: &str) -> Check {
    match parse_re2(re) {
        Err(Refusal::ProgramSize(_)) => Ok(()),
        _ => validate_regex(re),
    }
}

/// A regular expression Istio accepts and Envoy loads: at most 1024 bytes, valid for Go's
/// `regexp` (RE2 syntax), and an RE2 program within Envoy's size limit.
pub(crate) fn validate_regex(re: &str) -> Check {
    match parse_re2(re) {
        Ok(_) => Ok(()),
        Err(Refusal::TooLong) => Err("regex is too large (at most 1024 characters)".into()),
        Err(Refusal::Syntax(reason)) => Err(format!(
            "invalid regex {re:?} ({reason}); Istio uses RE2 syntax (https://github.com/google/re2/wiki/Syntax)"
        )),
        Err(Refusal::ProgramSize(size)) => Err(format!(
            "regex {re:?} is too large for Envoy: its RE2 program has at least {size} instructions, above the {} Istio allows (re2.max_program_size.error_level)",
            limits::ENVOY_MAX_PROGRAM_SIZE
        )),
    }
}

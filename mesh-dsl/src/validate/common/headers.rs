//! HTTP header names and values, as Istio and Envoy accept them.

use super::Check;
use super::names::is_alnum;

/// Header names Istio accepts for matching and for output: `^[-_A-Za-z0-9]+$`.
pub(crate) fn is_header_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| is_alnum(c) || c == b'-' || c == b'_')
}

pub(crate) fn validate_header_name(s: &str) -> Check {
    if s.is_empty() {
        return Err("header name cannot be empty".into());
    }
    if !is_header_name(s) {
        return Err(format!(
            "{s:?} is not a valid header name (letters, digits, - and _)"
        ));
    }
    Ok(())
}

/// A header name, or a JWT claim for routing (`@request.auth.claims.sub`,
/// `@request.auth.claims[group][name]`).
pub(crate) fn is_jwt_claim_route(name: &str) -> bool {
    const PREFIX: &str = "@request.auth.claims";
    let (Some(head), Some(rest)) = (name.get(..PREFIX.len()), name.get(PREFIX.len()..)) else {
        return false;
    };
    if !head.eq_ignore_ascii_case(PREFIX) {
        return false;
    }
    rest.starts_with('.') || (rest.starts_with('[') && rest.ends_with(']'))
}

pub(crate) fn validate_header_name_or_claim(s: &str) -> Check {
    if s.is_empty() {
        return Err("header name cannot be empty".into());
    }
    if is_jwt_claim_route(s) {
        return Ok(());
    }
    validate_header_name(s)
}

fn is_internal_header(name: &str) -> bool {
    name.starts_with(':') || name.eq_ignore_ascii_case("host")
}

pub(crate) fn is_authority_header(name: &str) -> bool {
    name.eq_ignore_ascii_case(":authority") || name.eq_ignore_ascii_case("host")
}

/// A request header to add or set: anything but a pseudo-header, though the authority
/// may be set.
pub(crate) fn validate_request_header_set(name: &str) -> Check {
    if name.is_empty() {
        return Err("header name cannot be empty".into());
    }
    if is_internal_header(name) && !is_authority_header(name) {
        return Err(format!(
            "invalid header {name:?}: pseudo-headers (\":\") cannot be set"
        ));
    }
    Ok(())
}

/// A header to remove, or a response header to set.
pub(crate) fn validate_header_operation(name: &str) -> Check {
    if name.is_empty() {
        return Err("header name cannot be empty".into());
    }
    if name.eq_ignore_ascii_case("host") {
        return Err(format!(
            "invalid header {name:?}: the Host header cannot be changed here"
        ));
    }
    if is_internal_header(name) {
        return Err(format!(
            "invalid header {name:?}: pseudo-headers (\":\") cannot be changed"
        ));
    }
    Ok(())
}

/// A header value as Envoy's header formatter reads it: no control characters, and `%`
/// either doubled (`%%`) or opening a `%VARIABLE%` / `%VAR(args)%` that is closed.
pub(crate) fn validate_header_value(v: &str) -> Check {
    if v.chars()
        .any(|c| matches!(c, '\u{0}'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'))
    {
        return Err(format!("header value {v:?} contains control characters"));
    }
    #[derive(PartialEq)]
    enum St {
        Literal,
        Name,
        ExpectArray,
        ExpectString,
        InString,
        ExpectDelimOrEnd,
        ExpectArgsEnd,
        ExpectVarEnd,
    }
    let b = v.as_bytes();
    let mut st = St::Literal;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let has_next = i + 1 < b.len();
        match st {
            St::Literal => {
                if c == b'%' {
                    if !has_next {
                        return Err(format!("header value {v:?}: a single % must be written %%"));
                    }
                    if b[i + 1] == b'%' {
                        i += 1;
                    } else {
                        st = St::Name;
                    }
                }
            }
            St::Name => {
                if c == b'%' {
                    st = St::Literal;
                } else if c == b'(' {
                    st = St::ExpectArray;
                }
            }
            St::ExpectArray => {
                if c == b'[' {
                    st = St::ExpectString;
                } else if c != b' ' {
                    st = St::InString;
                }
            }
            St::ExpectDelimOrEnd => {
                if c == b',' {
                    st = St::ExpectString;
                } else if c == b']' {
                    st = St::ExpectArgsEnd;
                } else if c != b' ' {
                    return Err(format!("header value {v:?}: expected ',' or ']'"));
                }
            }
            St::ExpectString => {
                if c == b'"' {
                    st = St::InString;
                } else if c != b' ' {
                    return Err(format!("header value {v:?}: expected '\"'"));
                }
            }
            St::InString => {
                if c == b'\\' {
                    if !has_next {
                        return Err(format!("header value {v:?}: unterminated backslash"));
                    }
                    i += 1;
                } else if c == b')' {
                    st = St::ExpectVarEnd;
                } else if c == b'"' {
                    st = St::ExpectDelimOrEnd;
                }
            }
            St::ExpectArgsEnd => {
                if c == b')' {
                    st = St::ExpectVarEnd;
                } else if c != b' ' {
                    return Err(format!("header value {v:?}: expected ')'"));
                }
            }
            St::ExpectVarEnd => {
                if c == b'%' {
                    st = St::Literal;
                } else if c != b' ' {
                    return Err(format!(
                        "header value {v:?}: expected '%' to close the variable"
                    ));
                }
            }
        }
        i += 1;
    }
    if st != St::Literal {
        return Err(format!("header value {v:?}: a %VARIABLE% is not closed"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_follow_envoy() {
        for ok in [
            "foo",
            "%HOSTNAME%",
            "100%%",
            "a %REQ(x-id)% b",
            "%UPSTREAM_METADATA([\"a\", \"b\"])%",
        ] {
            assert!(validate_header_value(ok).is_ok(), "{ok}");
        }
        for bad in ["abc%123", "%START_TIME%%", "a\nb", "%"] {
            assert!(validate_header_value(bad).is_err(), "{bad}");
        }
    }
}

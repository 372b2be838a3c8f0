//! RE2 regular expressions.

use super::Check;

/// A regular expression Istio accepts: at most 1024 characters and valid RE2 syntax.
///
/// Istio compiles it with Go's `regexp` (RE2 syntax). This uses `regex-syntax`, which
/// reads nearly the same syntax; where it is more lenient, the difference is checked
/// here: RE2 limits repetition counts to 1000 and knows only the flags `i`, `m`, `s` and
/// `U` (not `x`, `u` or `R`). Class set operations (`[a&&b]`) are read differently but
/// accepted by both.
pub(crate) fn validate_regex(re: &str) -> Check {
    if re.len() > 1024 {
        return Err("regex is too large (at most 1024 characters)".into());
    }
    if let Some(flag) = unsupported_flag(re) {
        return Err(format!(
            "invalid regex {re:?}: RE2 does not support the flag {flag:?}"
        ));
    }
    if let Some(n) = max_repeat(re)
        && n > 1000
    {
        return Err(format!(
            "invalid regex {re:?}: repeat count {n} is above RE2's limit of 1000"
        ));
    }
    regex_syntax::Parser::new()
        .parse(re)
        .map(|_| ())
        .map_err(|e| {
            let first = e.to_string();
            let reason = first.lines().last().unwrap_or_default().trim().to_string();
            format!("invalid regex {re:?} ({reason}); Istio uses RE2 syntax (https://github.com/google/re2/wiki/Syntax)")
        })
}

/// A flag in a `(?flags)` or `(?flags:...)` group that RE2 does not know.
fn unsupported_flag(re: &str) -> Option<char> {
    let chars: Vec<char> = re.chars().collect();
    let (mut i, mut in_class) = (0, false);
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class && chars.get(i + 1) == Some(&'?') => {
                let mut j = i + 2;
                if !matches!(chars.get(j), Some('P' | '<')) {
                    while let Some(&c) = chars.get(j) {
                        if c == ':' || c == ')' {
                            break;
                        }
                        if !matches!(c, 'i' | 'm' | 's' | 'U' | '-') {
                            return Some(c);
                        }
                        j += 1;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn max_repeat(re: &str) -> Option<u64> {
    let b = re.as_bytes();
    let mut max = None;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'{' => {
                let mut j = i + 1;
                let mut n: u64 = 0;
                let mut any = false;
                while j < b.len() && (b[j].is_ascii_digit() || b[j] == b',') {
                    if b[j] == b',' {
                        max = max.max(any.then_some(n));
                        n = 0;
                        any = false;
                    } else {
                        n = n.saturating_mul(10).saturating_add(u64::from(b[j] - b'0'));
                        any = true;
                    }
                    j += 1;
                }
                if j < b.len() && b[j] == b'}' {
                    max = max.max(any.then_some(n));
                }
                i = j;
            }
            _ => i += 1,
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_follow_re2() {
        assert!(validate_regex("^/api/v[0-9]+/.*$").is_ok());
        assert!(validate_regex(r"\p{Greek}+").is_ok());
        assert!(validate_regex("(?P<name>a)").is_ok());
        assert!(validate_regex("a{1001}").is_err());
        assert!(validate_regex("(?i)a(?s:.)(?-m)b").is_ok());
        assert!(validate_regex("(?x) a b").is_err());
        assert!(validate_regex("[(?x)]").is_ok());
        assert!(validate_regex("(a").is_err());
        assert!(validate_regex("a(?=b)").is_err());
        assert!(validate_regex(r"(a)\1").is_err());
        assert!(validate_regex(&"a".repeat(1025)).is_err());
    }
}

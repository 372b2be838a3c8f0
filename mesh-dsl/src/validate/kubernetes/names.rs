//! Kubernetes' name syntaxes: DNS-1123 labels and subdomains, DNS-1035 labels, qualified
//! names, label values and IANA service (port) names.

fn lower_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// RFC 1123 label, as Kubernetes checks it: lowercase letters, digits and `-`, at most
/// 63 characters, starting and ending with a letter or digit.
pub(crate) fn dns1123_label(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    if b.len() > 63 {
        return Err(format!("{s:?} must be at most 63 characters"));
    }
    if b.is_empty()
        || !lower_alnum(b[0])
        || !lower_alnum(b[b.len() - 1])
        || !b.iter().all(|c| lower_alnum(*c) || *c == b'-')
    {
        return Err(format!(
            "{s:?} is not a lowercase RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

/// RFC 1123 subdomain: dot-separated labels, at most 253 characters.
pub(crate) fn dns1123_subdomain(s: &str) -> Result<(), String> {
    if s.len() > 253 {
        return Err(format!("{s:?} must be at most 253 characters"));
    }
    let ok = !s.is_empty()
        && s.split('.').all(|l| {
            let b = l.as_bytes();
            !b.is_empty()
                && lower_alnum(b[0])
                && lower_alnum(b[b.len() - 1])
                && b.iter().all(|c| lower_alnum(*c) || *c == b'-')
        });
    if !ok {
        return Err(format!(
            "{s:?} is not a lowercase RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

/// RFC 1035 label (Service names): an RFC 1123 label that starts with a letter.
pub(super) fn dns1035_label(s: &str) -> Result<(), String> {
    dns1123_label(s)?;
    if !s.as_bytes()[0].is_ascii_lowercase() {
        return Err(format!(
            "{s:?} must start with a lowercase letter (RFC 1035 label)"
        ));
    }
    Ok(())
}

fn qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A label or annotation key: an optional DNS subdomain prefix and `/`, then a name of at
/// most 63 characters.
pub(crate) fn qualified_name(s: &str) -> Result<(), String> {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    if let Some(p) = prefix {
        if p.is_empty() {
            return Err(format!("{s:?}: the prefix before '/' must not be empty"));
        }
        dns1123_subdomain(p).map_err(|e| format!("{s:?}: prefix {e}"))?;
    }
    if !qualified_name_part(name) {
        return Err(format!(
            "{s:?} is not a qualified name: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, with an optional DNS prefix and '/'"
        ));
    }
    Ok(())
}

/// A label value: empty, or up to 63 letters, digits, `-`, `_`, `.`, starting and
/// ending with a letter or digit.
pub(crate) fn label_value(v: &str) -> Result<(), String> {
    if v.is_empty() || qualified_name_part(v) {
        Ok(())
    } else {
        Err(format!(
            "label value {v:?} must be empty or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        ))
    }
}

/// IANA service names (named ports): at most 15 lowercase letters, digits and `-`, with a
/// letter, no `-` at either end and no `--`.
pub(super) fn iana_svc_name(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 15
        && b.iter().all(|c| lower_alnum(*c) || *c == b'-')
        && b.iter().any(u8::is_ascii_lowercase)
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !s.contains("--");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a valid port name: at most 15 lowercase letters, digits and '-', with at least one letter, no '-' at either end and no '--'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(dns1123_label("reviews-v2").is_ok());
        assert!(dns1123_label("Reviews").is_err());
        assert!(dns1123_label(&"a".repeat(64)).is_err());
        assert!(dns1123_subdomain("a.b-c.d").is_ok());
        assert!(dns1123_subdomain("a..b").is_err());
        assert!(dns1035_label("9lives").is_err());
        assert!(qualified_name("app.kubernetes.io/name").is_ok());
        assert!(qualified_name("App_Name.x").is_ok());
        assert!(qualified_name("/name").is_err());
        assert!(qualified_name("a/b/c").is_err());
        assert!(label_value("").is_ok());
        assert!(label_value("v1.2_3").is_ok());
        assert!(label_value("-v").is_err());
        assert!(iana_svc_name("http-web").is_ok());
        assert!(iana_svc_name("8080").is_err());
        assert!(iana_svc_name("a--b").is_err());
        assert!(iana_svc_name("this-is-too-long-1").is_err());
    }
}

//! Host and domain names as Istio's webhook reads them: DNS labels, FQDNs, wildcard
//! domains and the names gateways bind to.

use super::Check;

pub(crate) fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

/// Istio's DNS label (`labels.IsDNS1123Label`): up to 63 characters, letters (either
/// case), digits and `-`, starting and ending with a letter or digit.
pub(crate) fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && is_alnum(b[0])
        && is_alnum(b[b.len() - 1])
        && b.iter().all(|c| is_alnum(*c) || *c == b'-')
}

/// Istio's wildcard label: `*`, or a DNS label optionally preceded by `*` or `*-`.
fn is_wildcard_label(s: &str) -> bool {
    if s.len() > 63 {
        return false;
    }
    if s == "*" {
        return true;
    }
    let rest = s
        .strip_prefix("*-")
        .or_else(|| s.strip_prefix('*'))
        .unwrap_or(s);
    is_dns_label(rest)
}

fn dns_preconditions(name: &str) -> Check {
    if name.len() > 255 {
        return Err(format!(
            "domain name {name:?} is too long (at most 255 characters)"
        ));
    }
    if name.is_empty() {
        return Err("empty domain name not allowed".into());
    }
    Ok(())
}

fn dns_labels(domain: &str, whole: &str) -> Check {
    let parts: Vec<&str> = domain.split('.').collect();
    let tld = parts[parts.len() - 1];
    if !tld.is_empty() && tld.parse::<i64>().is_ok() {
        return Err(format!(
            "domain name {whole:?} is invalid: the top-level domain {tld:?} cannot be all digits"
        ));
    }
    for (i, label) in parts.iter().enumerate() {
        if i == parts.len() - 1 && label.is_empty() {
            return Ok(());
        }
        if !is_dns_label(label) {
            return Err(format!(
                "domain name {whole:?} is invalid: label {label:?} is not a DNS label"
            ));
        }
    }
    Ok(())
}

/// A fully qualified domain name (a trailing dot is allowed).
pub(crate) fn validate_fqdn(name: &str) -> Check {
    dns_preconditions(name)?;
    dns_labels(name, name)
}

/// A domain name whose first label may be a wildcard (`*`, `*.example.com`, `*-x.a.b`).
pub(crate) fn validate_wildcard_domain(name: &str) -> Check {
    dns_preconditions(name)?;
    let (first, rest) = match name.split_once('.') {
        Some((f, r)) => (f, Some(r)),
        None => (name, None),
    };
    if !is_wildcard_label(first) {
        return Err(format!(
            "domain name {name:?} is invalid: label {first:?} is not a DNS label"
        ));
    }
    match rest {
        Some(r) => dns_labels(r, name),
        None => Ok(()),
    }
}

/// Hosts of a VirtualService bound to gateways: as [`validate_wildcard_domain`], plus the
/// `outbound_.<port>_._.<host>` names Istio generates for SNI with AUTO_PASSTHROUGH.
pub(crate) fn validate_gateway_bound_domain(sni: bool, name: &str) -> Check {
    dns_preconditions(name)?;
    if sni && name.starts_with("outbound_") {
        let parts: Vec<&str> = name.split('_').collect();
        if parts.len() < 4 {
            return Err(format!(
                "domain name {name:?} is invalid: expected the form outbound_.<PORT>_._.<HOSTNAME>"
            ));
        }
        let port = parts[1].trim_matches('.');
        let host = parts[3].trim_matches('.');
        if !port.bytes().any(|c| c.is_ascii_digit()) {
            return Err(format!(
                "domain name {name:?} is invalid: {port:?} is not a port (outbound_.<PORT>_._.<HOSTNAME>)"
            ));
        }
        if !host.bytes().any(|c| c.is_ascii_alphabetic()) {
            return Err(format!(
                "domain name {name:?} is invalid: {host:?} is not a host name (outbound_.<PORT>_._.<HOSTNAME>)"
            ));
        }
        return Ok(());
    }
    validate_wildcard_domain(name)
}

/// A partial wildcard such as `a*.example.com` (Istio only supports a leading `*.`).
pub(crate) fn partial_wildcard(host: &str) -> Check {
    if host.contains('*') && host.len() != 1 && !host.starts_with("*.") {
        return Err(format!("partial wildcard {host:?} is not supported"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        for ok in [
            "reviews",
            "reviews.prod.svc.cluster.local",
            "*",
            "*.example.com",
            "*-x.example.com",
            "istio.io.",
            "A.b",
        ] {
            assert!(validate_wildcard_domain(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a..b",
            "*.*.com",
            "a*.com",
            "-a.com",
            "a.123",
            "a_b.com",
            &"a".repeat(64),
        ] {
            assert!(validate_wildcard_domain(bad).is_err(), "{bad}");
        }
        assert!(validate_fqdn("*.example.com").is_err());
        assert!(validate_gateway_bound_domain(true, "outbound_.80_._.e2e.foo.mesh").is_ok());
    }
}

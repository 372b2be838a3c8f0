//! The values of an AuthorizationPolicy's sources, operations and conditions: IPs, ports,
//! path templates, service accounts, and the condition keys Istio knows with what each
//! accepts.

use crate::validate::common::*;
use crate::validate::{Out, Path};

pub(super) fn empty_values(key: &str, values: &[String], at: &Path, out: &mut Out) {
    if values.iter().any(String::is_empty) {
        out.err(at, format!("empty values are not allowed in {key}"));
    }
}

pub(super) fn ips(values: &[String], at: &Path, out: &mut Out) {
    for (i, v) in values.iter().enumerate() {
        if v.contains('/') {
            if !is_cidr(v) {
                out.err(&at.i(i), format!("bad CIDR range {v:?}"));
            }
        } else if !is_ip(v) {
            out.err(&at.i(i), format!("bad IP address {v:?}"));
        }
    }
}

pub(super) fn ports(values: &[String], at: &Path, out: &mut Out) {
    for (i, v) in values.iter().enumerate() {
        if !v.parse::<u32>().is_ok_and(|p| p <= 65535) {
            out.err(&at.i(i), format!("bad port {v:?}"));
        }
    }
}

/// Path templates (`{*}`, `{**}`) in `paths`: `{**}` only last, no other braces, and
/// literal segments made of RFC 3986 path characters.
pub(super) fn path_templates(key: &str, paths: &[String], at: &Path, out: &mut Out) {
    for (i, p) in paths.iter().enumerate() {
        let template = p.contains("{*}") || p.contains("{**}");
        let mut any_seen = false;
        for glob in p.trim_matches('/').split('/') {
            if glob == "{*}" && !any_seen {
                continue;
            }
            if glob == "{**}" && !any_seen {
                any_seen = true;
                continue;
            }
            if glob == "{*}" || glob == "{**}" {
                out.err(
                    &at.i(i),
                    format!("invalid path {p:?} in {key}: {{**}} must be the last operator"),
                );
                break;
            }
            if glob.contains(['{', '}']) {
                out.err(
                    &at.i(i),
                    format!(
                        "invalid path {p:?} in {key}: braces outside a {{*}} or {{**}} template"
                    ),
                );
                break;
            }
            let literal = !glob.is_empty()
                && glob
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"-._~%!$&'()+,;:@=".contains(&c));
            if template && !literal {
                out.err(
                    &at.i(i),
                    format!("invalid path {p:?} in {key}: segment {glob:?} is not a valid literal"),
                );
                break;
            }
        }
    }
}

/// `namespace/serviceAccount` or `serviceAccount`.
pub(super) fn service_accounts(key: &str, values: &[String], at: &Path, out: &mut Out) {
    for (i, v) in values.iter().enumerate() {
        let vat = at.i(i);
        if v.is_empty() {
            out.err(&vat, format!("empty value not allowed in {key}"));
        } else if v.contains('*') {
            out.err(&vat, format!("wildcards are not allowed in {key}"));
        } else if v.matches('/').count() > 1 {
            out.err(
                &vat,
                format!("{v:?} in {key}: expected serviceAccount or namespace/serviceAccount"),
            );
        } else if let Some((ns, sa)) = v.split_once('/')
            && (ns.is_empty() || sa.is_empty())
        {
            out.err(
                &vat,
                format!("{v:?} in {key}: expected serviceAccount or namespace/serviceAccount"),
            );
        }
    }
}

fn map_key(key: &str) -> Result<(), String> {
    let open = key.find('[');
    if key.ends_with(']') && open.is_some_and(|o| o > 0 && o < key.len() - 2) {
        Ok(())
    } else {
        Err(format!("bad key {key:?}: expected the form a[b]"))
    }
}

/// At most one `*`, and only at the start or the end of a value (Istio's
/// CheckWildcardValues).
fn wildcard_values(key: &str, values: &[String]) -> Result<(), String> {
    for v in values {
        let stars = v.matches('*').count();
        if stars > 1 {
            return Err(format!(
                "at most one wildcard is allowed, found in {key}: {v:?}"
            ));
        }
        if stars == 1 && !v.starts_with('*') && !v.ends_with('*') {
            return Err(format!(
                "wildcard is only allowed at the start or end, found in {key}: {v:?}"
            ));
        }
    }
    Ok(())
}

/// A `when` condition's key, and the values it allows.
pub(super) fn attribute(key: &str, values: &[String]) -> Result<(), String> {
    if values.iter().any(String::is_empty) {
        return Err(format!("empty value not allowed for {key}"));
    }
    let ip_check = |vs: &[String]| -> Result<(), String> {
        for v in vs {
            let ok = if v.contains('/') {
                is_cidr(v)
            } else {
                is_ip(v)
            };
            if !ok {
                return Err(format!("bad IP address or CIDR range {v:?}"));
            }
        }
        Ok(())
    };
    // Istio's ValidateAttribute (pkg/config/security/security.go), key for key.
    match key {
        k if k.starts_with("request.headers") => map_key(k),
        "source.ip" | "remote.ip" | "destination.ip" => ip_check(values),
        "source.namespace"
        | "source.principal"
        | "request.auth.principal"
        | "request.auth.audiences"
        | "request.auth.presenter"
        | "connection.sni" => Ok(()),
        "source.trustDomain" => wildcard_values(key, values),
        "source.serviceAccount" => {
            if values.len() > 16 {
                return Err("source.serviceAccount may not have more than 16 values".into());
            }
            for v in values {
                let bad_parts = v
                    .split_once('/')
                    .is_some_and(|(ns, sa)| ns.is_empty() || sa.is_empty());
                if v.contains('*') || v.matches('/').count() > 1 || v.len() > 320 || bad_parts {
                    return Err(format!(
                        "{v:?}: expected serviceAccount or namespace/serviceAccount"
                    ));
                }
            }
            Ok(())
        }
        k if k.starts_with("request.auth.claims")
            || k.starts_with("experimental.envoy.filters.") =>
        {
            map_key(k)
        }
        "destination.port" => {
            for v in values {
                if !v.parse::<u32>().is_ok_and(|p| p <= 65535) {
                    return Err(format!("bad port {v:?}"));
                }
            }
            Ok(())
        }
        "destination.namespace" => {
            Err("attribute destination.namespace is replaced by metadata.namespace".into())
        }
        k if k.starts_with("destination.labels") => Err(format!(
            "attribute {k} is replaced by the workload selector"
        )),
        "destination.name" | "destination.user" => Err(format!(
            "deprecated attribute {key}: only supported in v1alpha1"
        )),
        _ => Err(format!("unknown attribute {key:?}")),
    }
}

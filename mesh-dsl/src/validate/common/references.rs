//! References to hosts and gateways: `namespace/host` in Sidecars and Gateways, and
//! the gateway names of routes.

use super::addresses::is_ip;
use super::names::{is_dns_label, partial_wildcard, validate_fqdn, validate_wildcard_domain};
use crate::validate::{Out, Path};

/// `<namespace>/<host>` in a Sidecar egress listener or a Gateway server.
pub(crate) fn namespace_slash_host(host: &str, gateway: bool) -> Result<(), Vec<String>> {
    let mut errs = Vec::new();
    let Some((ns, name)) = host.split_once('/') else {
        if gateway {
            return sidecar_or_gateway_host(host, true);
        }
        return Err(vec!["host must be of the form namespace/dnsName".into()]);
    };
    if ns.is_empty() || name.is_empty() {
        errs.push("the namespace and the host name cannot be empty".into());
    }
    let ns_ok = ns == "*" || ns == "." || (!gateway && ns == "~") || is_dns_label(ns);
    if !ns_ok {
        errs.push(format!(
            "invalid namespace {ns:?} in {}",
            if gateway { "gateway" } else { "sidecar" }
        ));
    }
    if let Err(e) = sidecar_or_gateway_host(name, gateway) {
        errs.extend(e);
    }
    if errs.is_empty() { Ok(()) } else { Err(errs) }
}

fn sidecar_or_gateway_host(host: &str, gateway: bool) -> Result<(), Vec<String>> {
    let mut errs = Vec::new();
    if host != "*" && !host.contains('.') {
        errs.push("short names (not fully qualified) are not allowed".into());
    }
    if let Err(e) = validate_wildcard_domain(host) {
        if !gateway {
            errs.push(e.clone());
        }
        if !is_ip(host) {
            errs.push(e);
        }
    }
    if let Err(e) = partial_wildcard(host) {
        errs.push(e);
    }
    errs.dedup();
    if errs.is_empty() { Ok(()) } else { Err(errs) }
}

/// Gateway references of a route or match: `namespace/name`, `mesh`, or a legacy
/// `name.namespace...` (a warning).
pub(crate) fn gateway_names(names: &[String], at: &Path, out: &mut Out) {
    for (i, g) in names.iter().enumerate() {
        let at = at.i(i);
        match g.split_once('/') {
            None => {
                if g.contains('.') {
                    let parts: Vec<&str> = g.split('.').collect();
                    out.warn(
                        &at,
                        format!(
                            "legacy gateway name {g:?}; prefer the form <namespace>/<name>: \"{}/{}\"",
                            parts.get(1).unwrap_or(&""),
                            parts[0]
                        ),
                    );
                }
                if let Err(e) = validate_fqdn(g) {
                    out.err(&at, e);
                }
                // Istio stops at the first name in this form.
                return;
            }
            Some((ns, name)) => {
                if ns.is_empty() || name.is_empty() {
                    out.err(&at, "the namespace and the gateway name cannot be empty");
                }
                if !is_dns_label(ns) {
                    out.err(&at, format!("invalid namespace {ns:?}"));
                }
                if !is_dns_label(name) {
                    out.err(&at, format!("invalid gateway name {name:?}"));
                }
            }
        }
    }
}

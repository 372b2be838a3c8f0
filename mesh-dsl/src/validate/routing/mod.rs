//! VirtualService: what Istio's webhook checks beyond the schema (hosts, gateways, route
//! conflicts, matches, header operations, CORS, faults, retries, redirects, rewrites,
//! destinations, weights, timeouts) and the rules it warns are unreachable.
//!
//! By concept: [`http`] routes and their actions, [`policies`] (headers, CORS, faults,
//! retries), [`matches`], [`destinations`], [`l4`] (TCP and TLS routes) and
//! [`unreachable`] rules.

mod destinations;
mod http;
mod l4;
mod matches;
mod policies;
mod unreachable;

pub(crate) use destinations::destination;

use istio_types::networking::v1::VirtualService;

use self::http::http_route;
use self::l4::{tcp_route, tls_route};
use self::unreachable::{l4_key, tls_key, unreachable_http, unreachable_l4};
use super::common::*;
use super::{Out, Path};
use crate::analyze::messages;
use crate::istio::host;

const GATEWAY_SEMANTICS: &str = "internal.istio.io/route-semantics";
/// The codes istioctl gives the webhook's warnings about unreachable rules and matches.
const UNREACHABLE: (&str, &str) = (
    messages::VS_UNREACHABLE_RULE.code,
    messages::VS_UNREACHABLE_RULE.name,
);
const INEFFECTIVE: (&str, &str) = (
    messages::VS_INEFFECTIVE_MATCH.code,
    messages::VS_INEFFECTIVE_MATCH.name,
);

pub(crate) fn virtual_service(vs: &VirtualService, out: &mut Out) {
    let spec = &vs.spec;
    let at = Path::new("spec");
    let gateway_semantics = vs
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(GATEWAY_SEMANTICS))
        .is_some_and(|v| v == "gateway");
    let delegate = spec.hosts.is_empty();
    if delegate {
        if !spec.gateways.is_empty() {
            out.err(
                &at.f("gateways"),
                "a delegate VirtualService (one without hosts) must not name gateways",
            );
        }
        if !spec.tls.is_empty() {
            out.err(
                &at.f("tls"),
                "a delegate VirtualService (one without hosts) cannot have TLS routes",
            );
        }
        if !spec.tcp.is_empty() {
            out.err(
                &at.f("tcp"),
                "a delegate VirtualService (one without hosts) cannot have TCP routes",
            );
        }
    }
    let (applies_to_gateway, applies_to_mesh) = if spec.gateways.is_empty() {
        (false, true)
    } else {
        gateway_names(&spec.gateways, &at.f("gateways"), out);
        let gw = !spec.gateways.iter().any(|g| g == "mesh");
        (gw, !gw)
    };
    if !applies_to_gateway {
        for (i, h) in spec.http.iter().enumerate() {
            for (j, m) in h.r#match.iter().enumerate() {
                let mat_http = at.f("http");
                let mat_rule = mat_http.i(i);
                let mat_match = mat_rule.f("match");
                let mat = mat_match.i(j);
                for (field, map) in [
                    ("headers", &m.headers),
                    ("withoutHeaders", &m.without_headers),
                ] {
                    for k in map.keys().filter(|k| is_jwt_claim_route(k)) {
                        out.err(
                            &mat.f(field).k(k),
                            format!("JWT claim based routing ({k}) is only supported on gateways, and this VirtualService applies to the mesh"),
                        );
                    }
                }
            }
        }
    }
    let sni = spec
        .tls
        .iter()
        .any(|t| t.r#match.iter().any(|m| !m.sni_hosts.is_empty()));
    let mut all_valid = true;
    for (i, host) in spec.hosts.iter().enumerate() {
        let r = if applies_to_gateway {
            validate_gateway_bound_domain(sni, host)
        } else {
            validate_wildcard_domain(host)
        };
        match r {
            Err(e) if !is_ip(host) => {
                out.err(&at.f("hosts").i(i), e);
                all_valid = false;
            }
            Err(_) => {}
            Ok(()) if applies_to_mesh && host == "*" => {
                out.err(
                    &at.f("hosts").i(i),
                    "the wildcard host * is not allowed for a VirtualService bound to the mesh",
                );
                all_valid = false;
            }
            Ok(()) => {}
        }
    }
    if all_valid {
        for i in 0..spec.hosts.len() {
            for j in i + 1..spec.hosts.len() {
                if host::matches(&spec.hosts[i], &spec.hosts[j]) {
                    out.err(
                        &at.f("hosts").i(j),
                        format!(
                            "duplicate hosts in the VirtualService: {} and {}",
                            spec.hosts[i], spec.hosts[j]
                        ),
                    );
                }
            }
        }
    }
    if spec.http.is_empty() && spec.tcp.is_empty() && spec.tls.is_empty() {
        out.err(&at, "a VirtualService needs http, tcp or tls routes");
    }
    for (i, h) in spec.http.iter().enumerate() {
        http_route(h, delegate, gateway_semantics, &at.f("http").i(i), out);
    }
    for (i, t) in spec.tls.iter().enumerate() {
        tls_route(t, vs, gateway_semantics, &at.f("tls").i(i), out);
    }
    for (i, t) in spec.tcp.iter().enumerate() {
        tcp_route(t, gateway_semantics, &at.f("tcp").i(i), out);
    }
    let ns = vs.metadata.namespace.as_deref().unwrap_or("");
    validate_export_to(ns, &spec.export_to, false, false, &at.f("exportTo"), out);
    rule_warnings(vs, out);
}

/// IST0130 / IST0131: rules that can never be used and matches an earlier one covers, as
/// Istio's webhook warns. Also the analyzer `schema.ValidationAnalyzer` reports these.
pub(crate) fn rule_warnings(vs: &VirtualService, out: &mut Out) {
    let spec = &vs.spec;
    let at = Path::new("spec");
    unreachable_http(&spec.http, &at.f("http"), out);
    unreachable_l4(
        spec.tcp
            .iter()
            .map(|t| t.r#match.iter().map(l4_key).collect())
            .collect(),
        &at.f("tcp"),
        out,
    );
    unreachable_l4(
        spec.tls
            .iter()
            .map(|t| t.r#match.iter().map(tls_key).collect())
            .collect(),
        &at.f("tls"),
        out,
    );
}

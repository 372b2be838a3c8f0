//! TCP and TLS routes and their matches.

use std::collections::BTreeMap;

use istio_types::networking::v1::{
    L4MatchAttributes, TcpRoute, TlsMatchAttributes, TlsRoute, VirtualService,
};

use super::destinations::l4_destinations;
use crate::istio::host;
use crate::validate::common::*;
use crate::validate::{Out, Path};

pub(super) fn tls_route(
    t: &TlsRoute,
    vs: &VirtualService,
    gateway_semantics: bool,
    at: &Path,
    out: &mut Out,
) {
    if t.r#match.is_empty() {
        out.err(&at.f("match"), "a TLS route needs at least one match");
    }
    let to_gateway = !vs.spec.gateways.is_empty() && !vs.spec.gateways.iter().any(|g| g == "mesh");
    for (j, m) in t.r#match.iter().enumerate() {
        tls_match(m, vs, to_gateway, &at.f("match").i(j), out);
    }
    if t.route.is_empty() {
        out.err(&at.f("route"), "a TLS route needs a destination");
    }
    l4_destinations(&t.route, gateway_semantics, &at.f("route"), out);
}

fn tls_match(
    m: &TlsMatchAttributes,
    vs: &VirtualService,
    to_gateway: bool,
    at: &Path,
    out: &mut Out,
) {
    if m.sni_hosts.is_empty() {
        out.err(&at.f("sniHosts"), "a TLS match needs at least one SNI host");
    }
    for (i, sni) in m.sni_hosts.iter().enumerate() {
        let sat_sni_hosts = at.f("sniHosts");
        let sat = sat_sni_hosts.i(i);
        let r = if to_gateway {
            validate_gateway_bound_domain(true, sni)
        } else {
            validate_wildcard_domain(sni)
        };
        if let Err(e) = r {
            if is_ip(sni) {
                out.warn(&sat, format!("an IP address ({sni:?}) as SNI goes against the SNI specification; most clients do not send it"));
            } else {
                out.err(&sat, e);
            }
            continue;
        }
        if !vs.spec.hosts.iter().any(|h| host::subset_of(sni, h)) {
            out.err(
                &sat,
                format!(
                    "SNI host {sni:?} is not covered by any of the VirtualService's hosts [{}]",
                    vs.spec.hosts.join(", ")
                ),
            );
        }
    }
    l4_common(
        &m.destination_subnets,
        m.port,
        &m.source_labels,
        &m.gateways,
        at,
        out,
    );
}

fn l4_common(
    subnets: &[String],
    port: Option<u32>,
    source_labels: &BTreeMap<String, String>,
    gateways: &[String],
    at: &Path,
    out: &mut Out,
) {
    for (i, s) in subnets.iter().enumerate() {
        out.check(&at.f("destinationSubnets").i(i), validate_ip_or_cidr(s));
    }
    if let Some(p) = port
        && p != 0
    {
        out.check(&at.f("port"), validate_port(i64::from(p)));
    }
    validate_labels(source_labels, &at.f("sourceLabels"), out);
    gateway_names(gateways, &at.f("gateways"), out);
}

pub(super) fn tcp_route(t: &TcpRoute, gateway_semantics: bool, at: &Path, out: &mut Out) {
    for (j, m) in t.r#match.iter().enumerate() {
        tcp_match(m, &at.f("match").i(j), out);
    }
    if t.route.is_empty() {
        out.err(&at.f("route"), "a TCP route needs a destination");
    }
    l4_destinations(&t.route, gateway_semantics, &at.f("route"), out);
}

fn tcp_match(m: &L4MatchAttributes, at: &Path, out: &mut Out) {
    l4_common(
        &m.destination_subnets,
        m.port,
        &m.source_labels,
        &m.gateways,
        at,
        out,
    );
}

//! Sidecar routing: the request's host qualified from the caller's namespace, its port,
//! the VirtualService that applies (exact host first, then the most specific wildcard),
//! or Istio's default route to the service itself.

use super::ctx::{Ctx, Proxy};
use super::destination::{namespace_of_host, routed};
use super::entries::{Flat, flatten, has_routes, ignored_vs};
use super::evaluate::evaluate;
use super::forward::retries;
use crate::diag::ResourceRef;
use crate::simulate::decision::{Decision, Forward, Outcome, RequestSummary, Stage};
use crate::simulate::hosts::{self, MESH_GATEWAY};
use crate::simulate::index::{Index, ServiceInfo};
use crate::simulate::request::{Entry, Request};
use istio_types::networking::v1::Destination;

pub(super) fn sidecar(ix: &Index, req: &Request, mut ctx: Ctx) -> Decision {
    let src_ns = req
        .source_namespace
        .clone()
        .unwrap_or_else(|| ix.default_namespace.clone());
    let host = req.host.to_ascii_lowercase();
    let fqdn = qualify_request_host(ix, &host, &src_ns);
    if fqdn != host {
        ctx.step(
            Stage::Request,
            format!("{host} from namespace {src_ns} is {fqdn}"),
            None,
        );
    }
    let svc = ix.service(&fqdn, &src_ns);
    match svc {
        Some(s) => ctx.step(Stage::Request, format!("{fqdn} is defined by {}", s.reference), Some(&s.reference)),
        None => ctx.warnings.push(format!(
            "no Service or ServiceEntry in the given resources defines {fqdn}; it is simulated as if one did"
        )),
    }
    let port = listen_port(req, svc, &mut ctx);
    let proxy = Proxy {
        namespace: src_ns.clone(),
        labels: &req.source_labels,
        listen_port: port,
    };
    let summary = RequestSummary {
        method: req.method.clone(),
        host: req.host.clone(),
        routed_host: fqdn.clone(),
        port,
        path: req.full_path(),
        entry: Entry::Mesh,
        source_namespace: src_ns,
        source_labels: req.source_labels.clone(),
        service_account: req.service_account.clone(),
    };
    match choose_virtual_service(ix, &fqdn, &proxy, &mut ctx) {
        Some(flat) => evaluate(ix, req, &proxy, flat, summary, ctx),
        None => default_route(ix, &proxy, svc.map(|s| &s.reference), &fqdn, summary, ctx),
    }
}

/// The full name of the request's host, seen from `ns`: a bare name gets the namespace,
/// as the pod's DNS search path gives it; `name.ns` and `name.ns.svc` are completed when
/// that names a known host.
fn qualify_request_host(ix: &Index, host: &str, ns: &str) -> String {
    if !host.contains('.') {
        return hosts::qualify(host, ns);
    }
    if ix.known_hosts.contains(host) {
        return host.to_string();
    }
    let dots = host.matches('.').count();
    let candidate = if dots == 1 {
        format!("{host}.{}", crate::istio::host::SERVICE_DOMAIN)
    } else if host.ends_with(".svc") {
        format!("{host}.{}", crate::istio::host::CLUSTER_DOMAIN)
    } else {
        return host.to_string();
    };
    if ix.known_hosts.contains(&candidate) {
        candidate
    } else {
        host.to_string()
    }
}

/// The port the request is sent to: the one given, else the service's first, else 80.
fn listen_port(req: &Request, svc: Option<&ServiceInfo>, ctx: &mut Ctx) -> u32 {
    let port = match (req.port, svc) {
        (Some(p), _) => p,
        (None, Some(s)) if !s.ports.is_empty() => {
            let p = s.ports[0];
            if s.ports.len() > 1 {
                ctx.step(
                    Stage::Request,
                    format!(
                        "no port given: using {p}, the first port of {}",
                        s.reference
                    ),
                    None,
                );
            }
            p
        }
        _ => {
            ctx.step(
                Stage::Request,
                "no port given and none known: using 80",
                None,
            );
            80
        }
    };
    if let Some(s) = svc
        && !s.ports.is_empty()
        && !s.ports.contains(&port)
    {
        ctx.warnings
            .push(format!("{} has no port {port}", s.reference));
    }
    port
}

/// Whether VirtualService `i` applies to sidecars and is exported to `src_ns`.
fn visible(ix: &Index, i: usize, src_ns: &str) -> bool {
    let vs = &ix.vs[i];
    vs.bound_to(MESH_GATEWAY) && vs.visibility.rank(&vs.namespace, src_ns).is_some()
}

/// Istio's preference among VirtualServices for one host: the proxy's own namespace
/// first, then by order.
fn rank(ix: &Index, i: usize, src_ns: &str) -> (u8, usize) {
    let vs = &ix.vs[i];
    (vs.visibility.rank(&vs.namespace, src_ns).unwrap_or(3), i)
}

/// The route entries of the VirtualService for the host: the first (in Istio's order)
/// with this exact host that gives this proxy any route; else the most specific wildcard
/// one. `None` when none applies.
fn choose_virtual_service<'a>(
    ix: &'a Index,
    fqdn: &str,
    proxy: &Proxy<'_>,
    ctx: &mut Ctx,
) -> Option<Vec<Flat<'a>>> {
    let src_ns = proxy.namespace.as_str();
    let mut exact: Vec<usize> = ix
        .vs_by_host
        .get(fqdn)
        .map(|l| {
            l.iter()
                .filter(|&&i| visible(ix, i, src_ns))
                .copied()
                .collect()
        })
        .unwrap_or_default();
    exact.sort_by_key(|&i| rank(ix, i, src_ns));
    hidden_note(ix, ix.vs_by_host.get(fqdn), src_ns, ctx);
    if exact.is_empty() {
        return wildcard_virtual_service(ix, fqdn, proxy, ctx);
    }
    for &i in &exact {
        let vs = &ix.vs[i];
        let flat = flatten(vs, proxy, MESH_GATEWAY);
        if has_routes(&flat) {
            ctx.step(
                Stage::VirtualService,
                format!("{} applies to {fqdn}", vs.reference),
                Some(&vs.reference),
            );
            return Some(flat);
        }
        ignored_vs(vs, &flat, proxy.listen_port, ctx);
    }
    None
}

/// The most specific wildcard host with a visible VirtualService decides; among several,
/// the oldest. It is ignored when it gives the proxy no route.
fn wildcard_virtual_service<'a>(
    ix: &'a Index,
    fqdn: &str,
    proxy: &Proxy<'_>,
    ctx: &mut Ctx,
) -> Option<Vec<Flat<'a>>> {
    let src_ns = proxy.namespace.as_str();
    for key in hosts::wildcard_keys(fqdn) {
        let Some(list) = ix.vs_by_wildcard.get(&key) else {
            continue;
        };
        let key_of = |i: usize| (&ix.vs[i].created, rank(ix, i, src_ns));
        let Some(best) = list
            .iter()
            .copied()
            .filter(|&i| visible(ix, i, src_ns))
            .min_by(|&a, &b| key_of(a).cmp(&key_of(b)))
        else {
            continue;
        };
        let vs = &ix.vs[best];
        ctx.step(
            Stage::VirtualService,
            format!("{} applies through its wildcard host {key}", vs.reference),
            Some(&vs.reference),
        );
        let flat = flatten(vs, proxy, MESH_GATEWAY);
        if has_routes(&flat) {
            return Some(flat);
        }
        ignored_vs(vs, &flat, proxy.listen_port, ctx);
        return None;
    }
    None
}

/// Notes VirtualServices for the host that the proxy cannot use.
fn hidden_note(ix: &Index, list: Option<&Vec<usize>>, src_ns: &str, ctx: &mut Ctx) {
    for &i in list.map(Vec::as_slice).unwrap_or_default() {
        let vs = &ix.vs[i];
        if !vs.bound_to(MESH_GATEWAY) {
            ctx.step(
                Stage::VirtualService,
                format!(
                    "{} is skipped: its gateways ({}) do not include mesh",
                    vs.reference,
                    vs.gateways.join(", ")
                ),
                Some(&vs.reference),
            );
        } else if vs.visibility.rank(&vs.namespace, src_ns).is_none() {
            ctx.step(
                Stage::VirtualService,
                format!(
                    "{} is skipped: exportTo hides it from namespace {src_ns}",
                    vs.reference
                ),
                Some(&vs.reference),
            );
        }
    }
}

/// No VirtualService applies: the request goes to the service itself.
fn default_route(
    ix: &Index,
    proxy: &Proxy<'_>,
    service: Option<&ResourceRef>,
    fqdn: &str,
    summary: RequestSummary,
    mut ctx: Ctx,
) -> Decision {
    ctx.step(
        Stage::VirtualService,
        format!("no VirtualService applies to {fqdn}: the default route sends the request to the service itself"),
        None,
    );
    if service.is_none() && fqdn.contains('.') && namespace_of_host(fqdn).is_none() {
        ctx.warnings.push(format!(
            "{fqdn} is not a known service: with the default outboundTrafficPolicy ALLOW_ANY the sidecar passes it through, with REGISTRY_ONLY it answers 502"
        ));
    }
    let d = Destination {
        host: fqdn.to_string(),
        ..Default::default()
    };
    let dest = routed(ix, &d, 100, 1.0, None, proxy, &mut ctx);
    let outcome = Outcome::Forward(Forward {
        destinations: vec![dest],
        default_route: true,
        rewrite: None,
        mirrors: Vec::new(),
        timeout: None,
        retries: retries(None),
    });
    ctx.decide(summary, outcome)
}

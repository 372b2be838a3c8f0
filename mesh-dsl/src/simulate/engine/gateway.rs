//! Gateway routing: the HTTP servers of every Gateway the gateway workload serves, the
//! listener port, the virtual hosts built from the VirtualServices bound to those
//! Gateways, Envoy's choice of virtual host, `httpsRedirect`, then the merged routes.

use std::collections::BTreeMap;

use istio_types::networking::v1::Server;

use super::ctx::{Ctx, Proxy};
use super::entries::{Flat, flatten, has_routes, ignored_vs};
use super::evaluate::evaluate;
use crate::istio::protocol;
use crate::simulate::decision::{Decision, Outcome, Redirect, RequestSummary, Stage, fmt_labels};
use crate::simulate::hosts;
use crate::simulate::index::{GatewayEntry, Index};
use crate::simulate::request::Request;

/// A virtual host of the listener: the routes of every bound VirtualService for one host,
/// merged.
struct VHost<'a> {
    host: String,
    flat: Vec<Flat<'a>>,
    require_tls: bool,
}

pub(super) fn gateway(ix: &Index, req: &Request, gw: &GatewayEntry, mut ctx: Ctx) -> Decision {
    let proxy_ns = req
        .source_namespace
        .clone()
        .unwrap_or_else(|| gw.namespace.clone());
    let labels = if req.source_labels.is_empty() {
        gw.selector.clone()
    } else {
        req.source_labels.clone()
    };
    let host = req.host.to_ascii_lowercase();
    let servers = http_servers(ix, gw, &labels);
    let port = req.port.unwrap_or_else(|| default_port(&servers, &host));
    let summary = RequestSummary {
        method: req.method.clone(),
        host: req.host.clone(),
        routed_host: host.clone(),
        port,
        path: req.full_path(),
        entry: req.entry.clone(),
        source_namespace: proxy_ns.clone(),
        source_labels: labels.clone(),
        service_account: req.service_account.clone(),
    };
    let on_port: Vec<_> = servers
        .into_iter()
        .filter(|(_, s)| s.port.number == port)
        .collect();
    if on_port.is_empty() {
        let reason = format!("gateway {} has no HTTP server on port {port}", gw.name);
        return no_route(reason, ctx, summary);
    }
    let proxy = Proxy {
        namespace: proxy_ns.clone(),
        labels: &labels,
        listen_port: port,
    };
    let mut vhosts = virtual_hosts(ix, &on_port, &proxy, &mut ctx);
    let Some(pos) = pick_virtual_host(&vhosts, &host) else {
        let reason = format!(
            "no VirtualService bound to gateway {} serves host {host} on port {port}",
            gw.name
        );
        return no_route(reason, ctx, summary);
    };
    let vh = vhosts.swap_remove(pos);
    ctx.step(
        Stage::Gateway,
        format!(
            "virtual host {} on port {port} (proxy namespace {proxy_ns}, labels {})",
            vh.host,
            fmt_labels(&labels)
        ),
        None,
    );
    if vh.require_tls && req.scheme != "https" {
        return https_redirect(req, summary, ctx);
    }
    // Merged routes: the ones matching everything go last, others keep their order.
    let (mut rest, catch_all): (Vec<Flat<'_>>, Vec<Flat<'_>>) =
        vh.flat.into_iter().partition(|f| !f.catch_all);
    rest.extend(catch_all);
    if rest.is_empty() {
        let reason = format!("virtual host {} has no route", vh.host);
        return no_route(reason, ctx, summary);
    }
    evaluate(ix, req, &proxy, rest, summary, ctx)
}

/// The HTTP servers (HTTPS ones included unless they pass TLS through) of `gw` and of
/// every other Gateway that selects the same gateway workload, as it serves them all.
fn http_servers<'a>(
    ix: &'a Index,
    gw: &'a GatewayEntry,
    labels: &BTreeMap<String, String>,
) -> Vec<(&'a GatewayEntry, &'a Server)> {
    let mut served: Vec<&GatewayEntry> = vec![gw];
    served.extend(
        ix.gateways.values().filter(|g| {
            g.name != gw.name && g.selector.iter().all(|(k, v)| labels.get(k) == Some(v))
        }),
    );
    served
        .iter()
        .flat_map(|g| g.servers.iter().map(move |s| (*g, s)))
        .filter(|(_, s)| protocol::is_http_server(s))
        .collect()
}

/// The port of a request that names none: the first server for its host, else the first
/// server, else 80.
fn default_port(servers: &[(&GatewayEntry, &Server)], host: &str) -> u32 {
    let server_host_matches = |s: &Server| {
        s.hosts.iter().any(|h| {
            let h = h.split_once('/').map_or(h.as_str(), |(_, x)| x);
            hosts::covers(&h.to_ascii_lowercase(), host)
        })
    };
    servers
        .iter()
        .find(|(_, s)| server_host_matches(s))
        .or(servers.first())
        .map_or(80, |(_, s)| s.port.number)
}

/// The VirtualServices bound to gateway `name` that are exported to `proxy_ns`, in
/// Istio's order.
fn bound_virtual_services(ix: &Index, name: &str, proxy_ns: &str) -> Vec<usize> {
    let rank = |i: usize| ix.vs[i].visibility.rank(&ix.vs[i].namespace, proxy_ns);
    let mut cands: Vec<usize> = ix
        .vs_by_gateway
        .get(name)
        .map(|l| l.iter().copied().filter(|&i| rank(i).is_some()).collect())
        .unwrap_or_default();
    cands.sort_by_key(|&i| (rank(i), i));
    cands
}

/// The hosts of `server` a VirtualService in `vs_namespace` may serve (`ns/host` entries
/// of other namespaces left out).
fn server_hosts_for(server: &Server, vs_namespace: &str) -> Vec<String> {
    server
        .hosts
        .iter()
        .filter_map(|h| match h.split_once('/') {
            Some((ns, x)) if ns == "*" || ns == vs_namespace => Some(x.to_ascii_lowercase()),
            Some(_) => None,
            None => Some(h.to_ascii_lowercase()),
        })
        .collect()
}

/// The listener's virtual hosts: for each server on the port, the routes of every bound
/// VirtualService, merged per host they share with the server; a server with
/// `httpsRedirect` requires TLS on all its hosts.
fn virtual_hosts<'a>(
    ix: &'a Index,
    on_port: &[(&GatewayEntry, &Server)],
    proxy: &Proxy<'_>,
    ctx: &mut Ctx,
) -> Vec<VHost<'a>> {
    let mut vhosts: Vec<VHost<'_>> = Vec::new();
    let mut built: Vec<(String, usize)> = Vec::new();
    for (g, server) in on_port {
        let https_redirect = server
            .tls
            .as_ref()
            .and_then(|t| t.https_redirect)
            .unwrap_or(false);
        for i in bound_virtual_services(ix, &g.name, &proxy.namespace) {
            let vs = &ix.vs[i];
            let inter = hosts::intersect(&server_hosts_for(server, &vs.namespace), &vs.hosts);
            if inter.is_empty() {
                continue;
            }
            let key = (g.name.clone(), i);
            let flat = flatten(vs, proxy, &g.name);
            if !has_routes(&flat) {
                if !built.contains(&key) {
                    ignored_vs(vs, &flat, proxy.listen_port, ctx);
                }
                built.push(key);
                continue;
            }
            built.push(key);
            for h in inter {
                let flat = flatten(vs, proxy, &g.name);
                match vhosts.iter_mut().find(|v| v.host == h) {
                    Some(v) => {
                        v.flat.extend(flat);
                        v.require_tls |= https_redirect;
                    }
                    None => vhosts.push(VHost {
                        host: h,
                        flat,
                        require_tls: https_redirect,
                    }),
                }
            }
        }
        if https_redirect {
            require_tls(&mut vhosts, server);
        }
    }
    vhosts
}

/// Marks every host of `server` as requiring TLS, adding a virtual host without routes
/// where none exists.
fn require_tls(vhosts: &mut Vec<VHost<'_>>, server: &Server) {
    for h in &server.hosts {
        let h = h
            .split_once('/')
            .map_or(h.as_str(), |(_, x)| x)
            .to_ascii_lowercase();
        match vhosts.iter_mut().find(|v| v.host == h) {
            Some(v) => v.require_tls = true,
            None => vhosts.push(VHost {
                host: h,
                flat: Vec::new(),
                require_tls: true,
            }),
        }
    }
}

/// Envoy picks the virtual host: exact domain, then the longest wildcard, then `*`.
fn pick_virtual_host(vhosts: &[VHost<'_>], host: &str) -> Option<usize> {
    vhosts.iter().position(|v| v.host == host).or_else(|| {
        hosts::wildcard_keys(host).find_map(|k| vhosts.iter().position(|v| v.host == k))
    })
}

/// The server requires TLS and the request is plain HTTP: 301 to the same URL in https.
fn https_redirect(req: &Request, summary: RequestSummary, mut ctx: Ctx) -> Decision {
    let location = format!(
        "https://{}{}",
        hosts::split_authority(&req.authority()).0,
        req.full_path()
    );
    ctx.step(
        Stage::Gateway,
        format!("the server requires TLS (httpsRedirect): 301 to {location}"),
        None,
    );
    let outcome = Outcome::Redirect(Redirect {
        status: 301,
        location,
    });
    ctx.decide(summary, outcome)
}

/// Nothing on the gateway serves the request: Envoy answers 404.
fn no_route(reason: String, mut ctx: Ctx, summary: RequestSummary) -> Decision {
    ctx.step(
        Stage::Gateway,
        format!("{reason}: Envoy answers 404 (NR)"),
        None,
    );
    ctx.decide(summary, Outcome::NoRoute { reason })
}

//! The decision itself: choosing the VirtualService and route for a request, for a
//! sidecar or a gateway, and turning the matched route into an outcome.

use std::collections::BTreeMap;

use istio_types::networking::v1::{
    AbortError, DelayKind, Destination, HttpBody, HttpRoute, RedirectPort, RedirectPortSelection,
};

use super::decision::fmt_labels;
use super::decision::{
    AbortFault, AbortWith, CheckResult, Decision, DelayFault, DirectResponse, Fault, Forward,
    Mirror, Mismatch, Outcome, Redirect, RequestSummary, Retries, RetrySource, Rewrite, RouteCheck,
    RouteRef, RoutedDestination, Stage, Step,
};
use super::error::SimulateError;
use super::hosts::{self, MESH_GATEWAY};
use super::index::{CompiledRoute, GatewayEntry, Index, VsEntry};
use super::matching::{CompiledMatch, Matcher, compile_regex};
use super::policy;
use super::request::{Entry, Request};
use crate::diag::ResourceRef;

/// Istio's retry policy for routes that set none.
const DEFAULT_RETRY_ON: &str =
    "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

/// The explanation being written.
struct Ctx {
    trace: Vec<Step>,
    warnings: Vec<String>,
    checks: Vec<RouteCheck>,
}

impl Ctx {
    fn step(&mut self, stage: Stage, message: impl Into<String>, resource: Option<&ResourceRef>) {
        self.trace.push(Step {
            stage,
            message: message.into(),
            resource: resource.cloned(),
        });
    }
}

/// The proxy the request leaves from.
struct Proxy<'a> {
    namespace: String,
    labels: &'a BTreeMap<String, String>,
    listen_port: u32,
}

/// A route entry of a proxy's configuration: one match block of one route.
struct Flat<'a> {
    vs: &'a VsEntry,
    route: &'a CompiledRoute,
    m: Option<&'a CompiledMatch>,
    excluded: Option<Mismatch>,
    catch_all: bool,
}

impl Flat<'_> {
    fn route_ref(&self) -> RouteRef {
        RouteRef {
            virtual_service: self.vs.reference.clone(),
            index: self.route.index,
            name: self.route.http.name.clone(),
            match_index: self.m.map(|m| m.index),
            match_name: self.m.and_then(|m| m.name.clone()),
            delegate: self.route.delegate.clone(),
        }
    }
}

/// The route entries a VirtualService gives a proxy, as Istio builds them: blocks whose
/// port, gateways or source do not fit are left out (kept here, marked, to explain), and
/// nothing after a route that matches everything is kept.
fn flatten<'a>(vs: &'a VsEntry, proxy: &Proxy<'_>, gateway: &str) -> Vec<Flat<'a>> {
    let mut out = Vec::new();
    for route in &vs.routes {
        if route.matches.is_empty() {
            out.push(Flat {
                vs,
                route,
                m: None,
                excluded: None,
                catch_all: true,
            });
            return out;
        }
        for m in &route.matches {
            let excluded = m.excluded(proxy.listen_port, gateway, proxy.labels, &proxy.namespace);
            let catch_all = excluded.is_none() && m.is_catch_all();
            out.push(Flat {
                vs,
                route,
                m: Some(m),
                excluded,
                catch_all,
            });
            if catch_all {
                return out;
            }
        }
    }
    out
}

fn has_routes(flat: &[Flat<'_>]) -> bool {
    flat.iter().any(|f| f.excluded.is_none())
}

pub(crate) fn simulate(ix: &Index, req: &Request) -> Result<Decision, SimulateError> {
    validate(req)?;
    let mut ctx = Ctx {
        trace: Vec::new(),
        warnings: Vec::new(),
        checks: Vec::new(),
    };
    match &req.entry {
        Entry::Mesh => Ok(sidecar(ix, req, ctx)),
        Entry::Gateway(g) => {
            let name = if g.contains('/') {
                g.clone()
            } else {
                format!("{}/{g}", ix.default_namespace)
            };
            let Some(gw) = ix.gateways.get(&name) else {
                return Err(SimulateError::UnknownGateway {
                    gateway: name,
                    known: ix.gateways.keys().cloned().collect(),
                });
            };
            ctx.step(
                Stage::Gateway,
                format!("the request enters through Gateway {name}"),
                Some(&gw.reference),
            );
            Ok(gateway(ix, req, gw, ctx))
        }
    }
}

fn validate(req: &Request) -> Result<(), SimulateError> {
    let bad = |field: &'static str, reason: &str| {
        Err(SimulateError::InvalidRequest {
            field,
            reason: reason.to_string(),
        })
    };
    if req.host.is_empty() {
        return bad("host", "the host is empty");
    }
    if req.host.chars().any(|c| c.is_whitespace() || c == '/') {
        return bad("host", "a host has no spaces or slashes");
    }
    if let Some(p) = req.port
        && (p == 0 || p > 65535)
    {
        return bad("port", "a port is between 1 and 65535");
    }
    if req.method.is_empty() {
        return bad("method", "the method is empty");
    }
    if !req.path.starts_with('/') {
        return bad("path", "a path starts with /");
    }
    if let Entry::Gateway(g) = &req.entry
        && (g.is_empty() || g.split('/').count() > 2 || g.starts_with('/') || g.ends_with('/'))
    {
        return bad("gateway", "a gateway is written namespace/name");
    }
    Ok(())
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
        format!("{host}.svc.{}", hosts::CLUSTER_DOMAIN)
    } else if host.ends_with(".svc") {
        format!("{host}.{}", hosts::CLUSTER_DOMAIN)
    } else {
        return host.to_string();
    };
    if ix.known_hosts.contains(&candidate) {
        candidate
    } else {
        host.to_string()
    }
}

/// The namespace of a `name.ns.svc.cluster.local` host.
fn namespace_of_host(host: &str) -> Option<&str> {
    let rest = host.strip_suffix(&format!(".svc.{}", hosts::CLUSTER_DOMAIN))?;
    rest.rsplit_once('.').map(|(_, ns)| ns)
}

fn sidecar(ix: &Index, req: &Request, mut ctx: Ctx) -> Decision {
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
        source_namespace: src_ns.clone(),
        source_labels: req.source_labels.clone(),
        service_account: req.service_account.clone(),
    };

    // The VirtualService for the host: the first (in Istio's order) with this exact host
    // that gives this proxy any route; else the most specific wildcard one.
    let visible = |&&i: &&usize| {
        let vs = &ix.vs[i];
        vs.bound_to(MESH_GATEWAY) && vs.visibility.rank(&vs.namespace, &src_ns).is_some()
    };
    let rank = |i: usize| {
        let vs = &ix.vs[i];
        (vs.visibility.rank(&vs.namespace, &src_ns).unwrap_or(3), i)
    };
    let mut exact: Vec<usize> = ix
        .vs_by_host
        .get(&fqdn)
        .map(|l| l.iter().filter(visible).copied().collect())
        .unwrap_or_default();
    exact.sort_by_key(|&i| rank(i));
    hidden_note(ix, ix.vs_by_host.get(&fqdn), &src_ns, &mut ctx);
    let mut chosen: Option<(&VsEntry, Vec<Flat<'_>>)> = None;
    if exact.is_empty() {
        for key in hosts::wildcard_keys(&fqdn) {
            let Some(list) = ix.vs_by_wildcard.get(&key) else {
                continue;
            };
            let cands: Vec<usize> = list.iter().filter(visible).copied().collect();
            let Some(&best) = cands
                .iter()
                .min_by(|&&a, &&b| (&ix.vs[a].created, rank(a)).cmp(&(&ix.vs[b].created, rank(b))))
            else {
                continue;
            };
            let vs = &ix.vs[best];
            ctx.step(
                Stage::VirtualService,
                format!("{} applies through its wildcard host {key}", vs.reference),
                Some(&vs.reference),
            );
            let flat = flatten(vs, &proxy, MESH_GATEWAY);
            if has_routes(&flat) {
                chosen = Some((vs, flat));
            } else {
                ignored_vs(vs, &flat, port, &mut ctx);
            }
            break;
        }
    } else {
        for &i in &exact {
            let vs = &ix.vs[i];
            let flat = flatten(vs, &proxy, MESH_GATEWAY);
            if has_routes(&flat) {
                ctx.step(
                    Stage::VirtualService,
                    format!("{} applies to {fqdn}", vs.reference),
                    Some(&vs.reference),
                );
                chosen = Some((vs, flat));
                break;
            }
            ignored_vs(vs, &flat, port, &mut ctx);
        }
    }
    let Some((_, flat)) = chosen else {
        return default_route(
            ix,
            req,
            &proxy,
            svc.map(|s| &s.reference),
            &fqdn,
            summary,
            ctx,
        );
    };
    evaluate(ix, req, &proxy, flat, summary, ctx)
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

fn ignored_vs(vs: &VsEntry, flat: &[Flat<'_>], port: u32, ctx: &mut Ctx) {
    for f in flat {
        if let Some(m) = &f.excluded {
            ctx.checks.push(RouteCheck {
                route: f.route_ref(),
                result: CheckResult::Excluded(m.clone()),
            });
        }
    }
    ctx.step(
        Stage::VirtualService,
        format!(
            "{} gives this proxy no route on port {port} (every match block is excluded); Istio ignores it",
            vs.reference
        ),
        Some(&vs.reference),
    );
}

fn default_route(
    ix: &Index,
    req: &Request,
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
    let _ = req;
    Decision {
        request: summary,
        virtual_service: None,
        route: None,
        outcome: Outcome::Forward(Forward {
            destinations: vec![dest],
            default_route: true,
            rewrite: None,
            mirrors: Vec::new(),
            timeout: None,
            retries: retries(None),
        }),
        fault: None,
        headers: None,
        cors: None,
        checks: ctx.checks,
        trace: ctx.trace,
        warnings: ctx.warnings,
    }
}

/// Tries route entries in order; the first whose conditions all hold decides.
fn evaluate(
    ix: &Index,
    req: &Request,
    proxy: &Proxy<'_>,
    flat: Vec<Flat<'_>>,
    summary: RequestSummary,
    mut ctx: Ctx,
) -> Decision {
    for f in &flat {
        if let Some(m) = &f.excluded {
            ctx.checks.push(RouteCheck {
                route: f.route_ref(),
                result: CheckResult::Excluded(m.clone()),
            });
            continue;
        }
        let result = match f.m {
            None => Ok(()),
            Some(m) => m.check(req),
        };
        match result {
            Ok(()) => {
                let rr = f.route_ref();
                ctx.checks.push(RouteCheck {
                    route: rr.clone(),
                    result: CheckResult::Matched,
                });
                ctx.step(Stage::Route, format!("{rr} matches"), Some(&f.vs.reference));
                return act(ix, req, proxy, f, rr, summary, ctx);
            }
            Err(m) => {
                ctx.checks.push(RouteCheck {
                    route: f.route_ref(),
                    result: CheckResult::NotMatched(m.clone()),
                });
                ctx.step(
                    Stage::Route,
                    format!("{} does not match: {m}", f.route_ref()),
                    Some(&f.vs.reference),
                );
            }
        }
    }
    ctx.step(
        Stage::Route,
        "no route matches: Envoy answers 404 (NR)",
        None,
    );
    Decision {
        request: summary,
        virtual_service: flat.first().map(|f| f.vs.reference.clone()),
        route: None,
        outcome: Outcome::NoRoute {
            reason: "no route of the VirtualService matches the request".into(),
        },
        fault: None,
        headers: None,
        cors: None,
        checks: ctx.checks,
        trace: ctx.trace,
        warnings: ctx.warnings,
    }
}

/// Turns the matched route into what happens to the request.
fn act(
    ix: &Index,
    req: &Request,
    proxy: &Proxy<'_>,
    f: &Flat<'_>,
    rr: RouteRef,
    summary: RequestSummary,
    mut ctx: Ctx,
) -> Decision {
    let http = &f.route.http;
    let fault = fault(http, &mut ctx);
    let outcome = if let Some(r) = &http.redirect {
        let scheme = r.scheme.clone().unwrap_or_else(|| req.scheme.clone());
        let authority = r
            .authority
            .clone()
            .unwrap_or_else(|| hosts::split_authority(&req.authority()).0.to_string());
        let port = match &r.redirect_port {
            Some(RedirectPort::Port(p)) => Some(*p),
            Some(RedirectPort::DerivePort(RedirectPortSelection::FromRequestPort)) => {
                Some(proxy.listen_port)
            }
            _ => None,
        }
        .filter(|&p| !((p == 80 && scheme == "http") || (p == 443 && scheme == "https")));
        let path = match &r.uri {
            Some(u) if u.contains('?') => u.clone(),
            Some(u) => with_query(u, req),
            None => req.full_path(),
        };
        let status = r.redirect_code.unwrap_or(301);
        if !matches!(status, 301 | 302 | 303 | 307 | 308) {
            ctx.warnings.push(format!(
                "redirect code {status} is not supported: Istio leaves the route without an action"
            ));
        }
        let location = match port {
            Some(p) => format!("{scheme}://{authority}:{p}{path}"),
            None => format!("{scheme}://{authority}{path}"),
        };
        ctx.step(
            Stage::Route,
            format!("the route redirects ({status}) to {location}"),
            None,
        );
        Outcome::Redirect(Redirect { status, location })
    } else if let Some(d) = &http.direct_response {
        let body = d.body.as_ref().and_then(|b| match b {
            HttpBody::String(s) | HttpBody::Bytes(s) => Some(s.clone()),
            _ => None,
        });
        ctx.step(
            Stage::Route,
            format!("the route answers {} itself", d.status),
            None,
        );
        Outcome::DirectResponse(DirectResponse {
            status: d.status,
            body,
        })
    } else {
        Outcome::Forward(forward(ix, req, proxy, f, &mut ctx))
    };
    Decision {
        request: summary,
        virtual_service: Some(f.vs.reference.clone()),
        route: Some(rr),
        outcome,
        fault,
        headers: http.headers.clone(),
        cors: http.cors_policy.clone(),
        checks: ctx.checks,
        trace: ctx.trace,
        warnings: ctx.warnings,
    }
}

fn with_query(path: &str, req: &Request) -> String {
    match req.full_path().split_once('?') {
        Some((_, q)) => format!("{path}?{q}"),
        None => path.to_string(),
    }
}

fn forward(ix: &Index, req: &Request, proxy: &Proxy<'_>, f: &Flat<'_>, ctx: &mut Ctx) -> Forward {
    let http = &f.route.http;
    let mut destinations = Vec::new();
    if http.route.len() == 1 {
        let d = &http.route[0];
        destinations.push(routed(
            ix,
            &d.destination,
            100,
            1.0,
            d.headers.clone(),
            proxy,
            ctx,
        ));
    } else {
        let weighted: Vec<_> = http
            .route
            .iter()
            .filter(|d| d.weight.unwrap_or(0) > 0)
            .collect();
        let total: u64 = weighted
            .iter()
            .map(|d| u64::from(d.weight.unwrap_or(0).unsigned_abs()))
            .sum();
        if http.route.is_empty() {
            ctx.warnings.push("the route has no destination".into());
        } else if total == 0 {
            ctx.warnings.push(
                "every destination has weight 0: Envoy rejects a split with no weight".into(),
            );
        }
        for d in weighted {
            let w = d.weight.unwrap_or(0).unsigned_abs();
            let share = if total == 0 {
                0.0
            } else {
                f64::from(w) / total as f64
            };
            destinations.push(routed(
                ix,
                &d.destination,
                w,
                share,
                d.headers.clone(),
                proxy,
                ctx,
            ));
        }
    }
    let rewrite = rewrite(req, f, ctx);
    let mut mirrors = Vec::new();
    if let Some(m) = &http.mirror {
        let pct = match (
            &http.mirror_percentage,
            http.mirror_percent.or(http.deprecated_mirror_percent),
        ) {
            (Some(p), _) => p.value.unwrap_or(0.0),
            (None, Some(p)) => f64::from(p),
            (None, None) => 100.0,
        };
        if pct > 0.0 {
            mirrors.push(mirror(ix, m, pct, proxy));
        }
    }
    for m in &http.mirrors {
        let pct = m
            .percentage
            .as_ref()
            .map_or(100.0, |p| p.value.unwrap_or(0.0));
        if pct > 0.0 {
            mirrors.push(mirror(ix, &m.destination, pct, proxy));
        }
    }
    for m in &mirrors {
        ctx.step(
            Stage::Destination,
            format!(
                "{}% of requests are mirrored to {} port {}",
                m.percent, m.host, m.port
            ),
            None,
        );
    }
    if let Some(t) = &http.timeout {
        ctx.step(Stage::Route, format!("timeout {t}"), None);
    }
    Forward {
        destinations,
        default_route: false,
        rewrite,
        mirrors,
        timeout: http.timeout.clone().filter(|t| t.as_nanos() != 0),
        retries: retries(http.retries.as_ref()),
    }
}

fn mirror(ix: &Index, d: &Destination, percent: f64, proxy: &Proxy<'_>) -> Mirror {
    let svc = ix.service(&d.host, &proxy.namespace);
    Mirror {
        host: d.host.clone(),
        subset: d.subset.clone(),
        port: dest_port(d, svc.map(|s| s.ports.as_slice()), proxy.listen_port),
        percent: (percent * 10_000.0).trunc() / 10_000.0,
    }
}

/// Envoy's cluster port: the route's port, else the service's only port, else the port
/// the request came in on.
fn dest_port(d: &Destination, svc_ports: Option<&[u32]>, listen: u32) -> u32 {
    if let Some(p) = d.port.as_ref().and_then(|p| p.number) {
        return p;
    }
    match svc_ports {
        Some([only]) => *only,
        _ => listen,
    }
}

fn routed(
    ix: &Index,
    d: &Destination,
    weight: u32,
    share: f64,
    headers: Option<istio_types::networking::v1::Headers>,
    proxy: &Proxy<'_>,
    ctx: &mut Ctx,
) -> RoutedDestination {
    let svc = ix.service(&d.host, &proxy.namespace);
    let port = dest_port(d, svc.map(|s| s.ports.as_slice()), proxy.listen_port);
    let mut line = format!("-> {}", d.host);
    if let Some(s) = &d.subset {
        line.push_str(&format!(" subset {s}"));
    }
    line.push_str(&format!(" port {port}"));
    if share < 1.0 {
        line.push_str(&format!(" weight {weight} ({:.4}%)", share * 100.0));
    }
    ctx.step(Stage::Destination, line, None);
    if svc.is_none() && !ix.known_hosts.contains(&d.host) {
        ctx.warnings.push(format!(
            "destination {} is not defined by any Service or ServiceEntry in the given resources",
            d.host
        ));
    }
    let svc_ns = svc
        .map(|s| s.namespace.as_str())
        .or_else(|| namespace_of_host(&d.host));
    let rule = policy::lookup(ix, &d.host, svc_ns, &proxy.namespace, proxy.labels);
    let mut subset_missing = false;
    let policy = rule.map(|r| {
        ctx.step(
            Stage::Policy,
            format!(
                "{} applies to {} (seen from namespace {})",
                r.reference, d.host, proxy.namespace
            ),
            Some(&r.reference),
        );
        policy::merge(r, d.subset.as_deref(), port)
    });
    if let Some(s) = &d.subset {
        let defined = rule.is_some_and(|r| r.subsets.iter().any(|x| &x.name == s));
        if !defined {
            subset_missing = true;
            let why = match rule {
                Some(r) => format!("{} defines no subset {s}", r.reference),
                None => format!(
                    "no DestinationRule for {} is visible from namespace {}",
                    d.host, proxy.namespace
                ),
            };
            ctx.warnings.push(format!(
                "subset {s} of {}: {why}; Envoy has no such cluster and answers 503 (NC)",
                d.host
            ));
        }
    }
    if let Some(p) = &policy {
        let mut parts = Vec::new();
        if let Some(s) = &p.load_balancer {
            parts.push(format!("load balancer from {}", s.from));
        }
        if let Some(s) = &p.connection_pool {
            parts.push(format!("connection pool from {}", s.from));
        }
        if let Some(s) = &p.outlier_detection {
            parts.push(format!("outlier detection from {}", s.from));
        }
        if let Some(s) = &p.tls {
            parts.push(format!("tls from {}", s.from));
        }
        if !parts.is_empty() {
            ctx.step(Stage::Policy, parts.join(", "), Some(&p.destination_rule));
        }
    }
    RoutedDestination {
        host: d.host.clone(),
        subset: d.subset.clone(),
        port,
        weight,
        share,
        headers,
        service: svc.map(|s| s.reference.clone()),
        policy,
        subset_missing,
    }
}

fn rewrite(req: &Request, f: &Flat<'_>, ctx: &mut Ctx) -> Option<Rewrite> {
    let http = &f.route.http;
    let header_authority = http
        .headers
        .as_ref()
        .and_then(|h| h.request.as_ref())
        .and_then(|r| {
            let find = |m: &BTreeMap<String, String>| {
                m.iter()
                    .find(|(k, _)| {
                        k.eq_ignore_ascii_case("host") || k.eq_ignore_ascii_case(":authority")
                    })
                    .map(|(_, v)| v.clone())
            };
            find(&r.set).or_else(|| find(&r.add))
        });
    let rw = http.rewrite.as_ref();
    let authority = rw.and_then(|r| r.authority.clone()).or(header_authority);
    let path = rw.and_then(|r| {
        if let Some(rr) = &r.uri_regex_rewrite {
            let pattern = rr.r#match.clone().unwrap_or_default();
            let sub = rr.rewrite.clone().unwrap_or_default();
            match regex_rewrite(&pattern, &sub, &req.path) {
                Ok(p) => Some(with_query(&p, req)),
                Err(e) => {
                    ctx.warnings
                        .push(format!("uriRegexRewrite {pattern:?} does not compile: {e}"));
                    None
                }
            }
        } else {
            r.uri.as_ref().map(|u| {
                // The matched part is swapped: the prefix for a prefix match, the whole
                // path for an exact or regex match, `/` when the block has no uri.
                let rest = match f.m.and_then(|m| m.uri.as_ref()) {
                    Some(Matcher::Prefix(p)) => req.path.get(p.len()..).unwrap_or(""),
                    Some(_) => "",
                    None => req.path.get(1..).unwrap_or(""),
                };
                with_query(&format!("{u}{rest}"), req)
            })
        }
    });
    if path.is_none() && authority.is_none() {
        return None;
    }
    if let Some(p) = &path {
        ctx.step(Stage::Route, format!("the path is rewritten to {p}"), None);
    }
    if let Some(a) = &authority {
        ctx.step(
            Stage::Route,
            format!("the authority is rewritten to {a}"),
            None,
        );
    }
    Some(Rewrite { path, authority })
}

/// RE2 `GlobalReplace` over the path: every match replaced, `\1` naming groups.
fn regex_rewrite(pattern: &str, substitution: &str, path: &str) -> Result<String, String> {
    compile_regex(pattern)?; // validates like RE2 would
    let re = ::regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .build()
        .map_err(|e| e.to_string())?;
    let mut rep = String::new();
    let mut chars = substitution.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek().copied() {
                Some(d) if d.is_ascii_digit() => {
                    chars.next();
                    rep.push_str(&format!("${{{d}}}"));
                }
                Some('\\') => {
                    chars.next();
                    rep.push('\\');
                }
                _ => rep.push('\\'),
            },
            '$' => rep.push_str("$$"),
            c => rep.push(c),
        }
    }
    let out = re.replace_all(path.as_bytes(), rep.as_bytes());
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn retries(r: Option<&istio_types::networking::v1::HttpRetry>) -> Retries {
    let Some(r) = r else {
        return Retries {
            from: RetrySource::MeshDefault,
            attempts: 2,
            retry_on: DEFAULT_RETRY_ON.into(),
            retriable_status_codes: vec![503],
            per_try_timeout: None,
            backoff: None,
        };
    };
    let attempts = r.attempts.unwrap_or(0);
    if attempts <= 0 {
        return Retries {
            from: RetrySource::Route,
            attempts: 0,
            retry_on: String::new(),
            retriable_status_codes: Vec::new(),
            per_try_timeout: None,
            backoff: None,
        };
    }
    let (mut retry_on, mut codes) = (DEFAULT_RETRY_ON.to_string(), vec![503]);
    if let Some(on) = r.retry_on.as_deref().filter(|s| !s.is_empty()) {
        codes.clear();
        let mut names = Vec::new();
        for part in on.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.parse::<u32>() {
                Ok(c) if (100..600).contains(&c) => codes.push(c),
                _ => names.push(part),
            }
        }
        retry_on = names.join(",");
        if !codes.is_empty() && !retry_on.contains("retriable-status-codes") {
            if !retry_on.is_empty() {
                retry_on.push(',');
            }
            retry_on.push_str("retriable-status-codes");
        }
    }
    Retries {
        from: RetrySource::Route,
        attempts: attempts.unsigned_abs(),
        retry_on,
        retriable_status_codes: codes,
        per_try_timeout: r.per_try_timeout.clone(),
        backoff: r.backoff.clone(),
    }
}

/// Envoy's resolution for fault percentages: millionths.
fn fault_percent(p: f64) -> f64 {
    ((p * 10_000.0).trunc() / 10_000.0).clamp(0.0, 100.0)
}

fn fault(http: &HttpRoute, ctx: &mut Ctx) -> Option<Fault> {
    let f = http.fault.as_ref()?;
    let delay = f.delay.as_ref().and_then(|d| {
        let pct = match (&d.percentage, d.percent) {
            (Some(p), _) => p.value.unwrap_or(0.0),
            (None, Some(p)) => f64::from(p),
            (None, None) => 0.0,
        };
        match &d.http_delay_type {
            Some(DelayKind::FixedDelay(t)) => Some(DelayFault {
                fixed_delay: t.clone(),
                percent: fault_percent(pct),
            }),
            Some(DelayKind::ExponentialDelay(_)) => {
                ctx.warnings.push(
                    "exponentialDelay is not supported by Istio: no delay is injected".into(),
                );
                None
            }
            _ => None,
        }
    });
    let abort = f.abort.as_ref().and_then(|a| {
        let pct = a.percentage.as_ref().and_then(|p| p.value).unwrap_or(0.0);
        let error = match &a.error_type {
            Some(AbortError::HttpStatus(s)) => AbortWith::HttpStatus(s.unsigned_abs()),
            Some(AbortError::GrpcStatus(s)) => AbortWith::GrpcStatus(s.clone()),
            Some(AbortError::Http2Error(_)) => {
                ctx.warnings.push(
                    "http2Error aborts are not supported by Istio: no abort is injected".into(),
                );
                return None;
            }
            _ => return None,
        };
        Some(AbortFault {
            error,
            percent: fault_percent(pct),
        })
    });
    if delay.is_none() && abort.is_none() {
        return None;
    }
    if let Some(d) = &delay {
        ctx.step(
            Stage::Route,
            format!(
                "fault: delay {} for {}% of requests",
                d.fixed_delay, d.percent
            ),
            None,
        );
    }
    if let Some(a) = &abort {
        ctx.step(
            Stage::Route,
            format!(
                "fault: abort ({:?}) for {}% of requests",
                a.error, a.percent
            ),
            None,
        );
    }
    Some(Fault { delay, abort })
}

fn gateway(ix: &Index, req: &Request, gw: &GatewayEntry, mut ctx: Ctx) -> Decision {
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
    // Every Gateway that selects the same gateway workload is served by it.
    let mut served: Vec<&GatewayEntry> = vec![gw];
    served.extend(
        ix.gateways.values().filter(|g| {
            g.name != gw.name && g.selector.iter().all(|(k, v)| labels.get(k) == Some(v))
        }),
    );
    let is_http = |s: &istio_types::networking::v1::Server| {
        let p = s.port.protocol.to_ascii_uppercase();
        let passthrough = s.tls.as_ref().and_then(|t| t.mode).is_some_and(|m| {
            matches!(
                m,
                istio_types::networking::v1::ServerTlsMode::Passthrough
                    | istio_types::networking::v1::ServerTlsMode::AutoPassthrough
            )
        });
        matches!(
            p.as_str(),
            "HTTP" | "HTTP2" | "GRPC" | "GRPC-WEB" | "HTTP_PROXY"
        ) || (p == "HTTPS" && !passthrough)
    };
    let servers: Vec<(&GatewayEntry, &istio_types::networking::v1::Server)> = served
        .iter()
        .flat_map(|g| g.servers.iter().map(move |s| (*g, s)))
        .filter(|(_, s)| is_http(s))
        .collect();
    let server_host_matches = |s: &istio_types::networking::v1::Server| {
        s.hosts.iter().any(|h| {
            let h = h.split_once('/').map_or(h.as_str(), |(_, x)| x);
            hosts::covers(&h.to_ascii_lowercase(), &host)
        })
    };
    let port = match req.port {
        Some(p) => p,
        None => servers
            .iter()
            .find(|(_, s)| server_host_matches(s))
            .or(servers.first())
            .map_or(80, |(_, s)| s.port.number),
    };
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
        .iter()
        .filter(|(_, s)| s.port.number == port)
        .collect();
    let no_route = |reason: String, mut ctx: Ctx, summary: RequestSummary| {
        ctx.step(
            Stage::Gateway,
            format!("{reason}: Envoy answers 404 (NR)"),
            None,
        );
        Decision {
            request: summary,
            virtual_service: None,
            route: None,
            outcome: Outcome::NoRoute { reason },
            fault: None,
            headers: None,
            cors: None,
            checks: ctx.checks,
            trace: ctx.trace,
            warnings: ctx.warnings,
        }
    };
    if on_port.is_empty() {
        return no_route(
            format!("gateway {} has no HTTP server on port {port}", gw.name),
            ctx,
            summary,
        );
    }
    let proxy = Proxy {
        namespace: proxy_ns.clone(),
        labels: &labels,
        listen_port: port,
    };
    // Virtual hosts: routes of every bound VirtualService, merged per host.
    struct VHost<'a> {
        host: String,
        flat: Vec<Flat<'a>>,
        require_tls: bool,
    }
    let mut vhosts: Vec<VHost<'_>> = Vec::new();
    let mut built: Vec<(String, usize)> = Vec::new();
    for (g, server) in &on_port {
        let mut cands: Vec<usize> = ix
            .vs_by_gateway
            .get(&g.name)
            .map(|l| {
                l.iter()
                    .copied()
                    .filter(|&i| {
                        ix.vs[i]
                            .visibility
                            .rank(&ix.vs[i].namespace, &proxy_ns)
                            .is_some()
                    })
                    .collect()
            })
            .unwrap_or_default();
        cands.sort_by_key(|&i| (ix.vs[i].visibility.rank(&ix.vs[i].namespace, &proxy_ns), i));
        let https_redirect = server
            .tls
            .as_ref()
            .and_then(|t| t.https_redirect)
            .unwrap_or(false);
        for i in cands {
            let vs = &ix.vs[i];
            let server_hosts: Vec<String> = server
                .hosts
                .iter()
                .filter_map(|h| match h.split_once('/') {
                    Some((ns, x)) if ns == "*" || ns == vs.namespace => {
                        Some(x.to_ascii_lowercase())
                    }
                    Some(_) => None,
                    None => Some(h.to_ascii_lowercase()),
                })
                .collect();
            let inter = hosts::intersect(&server_hosts, &vs.hosts);
            if inter.is_empty() {
                continue;
            }
            let key = (g.name.clone(), i);
            let flat = flatten(vs, &proxy, &g.name);
            if !has_routes(&flat) {
                if !built.contains(&key) {
                    ignored_vs(vs, &flat, port, &mut ctx);
                }
                built.push(key);
                continue;
            }
            built.push(key);
            for h in inter {
                match vhosts.iter_mut().find(|v| v.host == h) {
                    Some(v) => {
                        v.flat.extend(flatten(vs, &proxy, &g.name));
                        v.require_tls |= https_redirect;
                    }
                    None => vhosts.push(VHost {
                        host: h,
                        flat: flatten(vs, &proxy, &g.name),
                        require_tls: https_redirect,
                    }),
                }
            }
        }
        if https_redirect {
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
    }
    // Envoy picks the virtual host: exact domain, then the longest wildcard, then `*`.
    let pick = vhosts.iter().position(|v| v.host == host).or_else(|| {
        hosts::wildcard_keys(&host).find_map(|k| vhosts.iter().position(|v| v.host == k))
    });
    let Some(pos) = pick else {
        return no_route(
            format!(
                "no VirtualService bound to gateway {} serves host {host} on port {port}",
                gw.name
            ),
            ctx,
            summary,
        );
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
        return Decision {
            request: summary,
            virtual_service: None,
            route: None,
            outcome: Outcome::Redirect(Redirect {
                status: 301,
                location,
            }),
            fault: None,
            headers: None,
            cors: None,
            checks: ctx.checks,
            trace: ctx.trace,
            warnings: ctx.warnings,
        };
    }
    // Merged routes: the ones matching everything go last, others keep their order.
    let (mut rest, catch_all): (Vec<Flat<'_>>, Vec<Flat<'_>>) =
        vh.flat.into_iter().partition(|f| !f.catch_all);
    rest.extend(catch_all);
    if rest.is_empty() {
        return no_route(
            format!("virtual host {} has no route", vh.host),
            ctx,
            summary,
        );
    }
    evaluate(ix, req, &proxy, rest, summary, ctx)
}

//! One destination of a route: its port, the Service that defines it, and the
//! DestinationRule policy that applies (with a warning for a subset no rule defines).

use istio_types::networking::v1::{Destination, Headers};

use super::ctx::{Ctx, Proxy};
use crate::simulate::decision::{DestinationPolicy, Mirror, RoutedDestination, Stage};
use crate::simulate::index::{Index, MergedRule};
use crate::simulate::policy;

/// The namespace of a `name.ns.svc.cluster.local` host.
pub(super) fn namespace_of_host(host: &str) -> Option<&str> {
    crate::istio::host::parse_service_fqdn(host).map(|(_, ns)| ns)
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

pub(super) fn mirror(ix: &Index, d: &Destination, percent: f64, proxy: &Proxy<'_>) -> Mirror {
    let svc = ix.service(&d.host, &proxy.namespace);
    Mirror {
        host: d.host.clone(),
        subset: d.subset.clone(),
        port: dest_port(d, svc.map(|s| s.ports.as_slice()), proxy.listen_port),
        percent: (percent * 10_000.0).trunc() / 10_000.0,
    }
}

/// A destination of the request with its share, Service and DestinationRule policy.
pub(super) fn routed(
    ix: &Index,
    d: &Destination,
    weight: u32,
    share: f64,
    headers: Option<Headers>,
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
    let subset_missing = check_subset(d, rule, proxy, ctx);
    if let Some(p) = &policy {
        policy_step(p, ctx);
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

/// Whether the destination names a subset that `rule` (the visible DestinationRule, if
/// any) does not define; warns when so, as Envoy then has no cluster for it.
fn check_subset(
    d: &Destination,
    rule: Option<&MergedRule>,
    proxy: &Proxy<'_>,
    ctx: &mut Ctx,
) -> bool {
    let Some(s) = &d.subset else {
        return false;
    };
    if rule.is_some_and(|r| r.subsets.iter().any(|x| &x.name == s)) {
        return false;
    }
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
    true
}

/// Traces where the main settings of the merged policy come from.
fn policy_step(p: &DestinationPolicy, ctx: &mut Ctx) {
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

//! Sidecar: its workload selector, ingress listeners, egress listeners and their hosts,
//! and the outbound traffic policy, as Istio's webhook checks them.

use istio_types::networking::v1::{
    CaptureMode, IstioEgressListener, IstioIngressListener, OutboundTrafficPolicy,
    OutboundTrafficPolicyMode, ServerTlsMode, ServerTlsSettings, Sidecar, SidecarPort,
};

use super::common::*;
use super::gateway::server_tls;
use super::routing::destination;
use super::traffic::connection_pool;
use super::{Out, Path};
use crate::istio::protocol::Protocol;

/// Checks a Sidecar of `namespace`.
pub(crate) fn sidecar(sc: &Sidecar, namespace: &str, out: &mut Out) {
    let spec = &sc.spec;
    let at = Path::new("spec");
    if let Some(sel) = &spec.workload_selector {
        selector_labels(&sel.labels, &at.f("workloadSelector").f("labels"), out);
        if sel.labels.is_empty() {
            out.warn(&at.f("workloadSelector"), "workload selector without labels: the Sidecar applies to every workload in the namespace");
        }
    }
    if spec.egress.is_empty()
        && spec.ingress.is_empty()
        && spec.outbound_traffic_policy.is_none()
        && spec.inbound_connection_pool.is_none()
    {
        out.err(
            &at,
            "a Sidecar needs egress, ingress, outboundTrafficPolicy or inboundConnectionPool",
        );
        return;
    }
    let mut ports: Vec<u32> = Vec::new();
    for (i, l) in spec.ingress.iter().enumerate() {
        ingress_listener(l, &mut ports, &at.f("ingress").i(i), out);
    }
    connection_pool(
        spec.inbound_connection_pool.as_ref(),
        &at.f("inboundConnectionPool"),
        out,
    );
    let mut listeners = EgressListeners::default();
    for (i, e) in spec.egress.iter().enumerate() {
        let last = i == spec.egress.len() - 1;
        egress_listener(
            e,
            last,
            namespace,
            &mut listeners,
            &at.f("egress").i(i),
            out,
        );
    }
    if let Some(tp) = &spec.outbound_traffic_policy {
        egress_proxy(tp, &at.f("outboundTrafficPolicy"), out);
    }
}

/// An ingress listener: its port, bind, default endpoint, TLS and connection pool.
/// `ports` collects the port numbers seen so far (they must be unique).
fn ingress_listener(l: &IstioIngressListener, ports: &mut Vec<u32>, lat: &Path, out: &mut Out) {
    let port = &l.port;
    if port.target_port.unwrap_or(0) > 0 {
        out.err(
            &lat.f("port").f("targetPort"),
            "targetPort has no effect on Sidecars; remove it",
        );
    }
    sidecar_port(port, &lat.f("port"), out);
    out.check(
        &lat.f("port").f("number"),
        validate_port(i64::from(port.number.unwrap_or(0))),
    );
    if let Some(b) = l.bind.as_deref().filter(|b| !b.is_empty()) {
        out.check(&lat.f("bind"), validate_ip(b));
    }
    let n = port.number.unwrap_or(0);
    if ports.contains(&n) {
        out.err(
            &lat.f("port").f("number"),
            "ports of IP-bound listeners must be unique",
        );
    }
    ports.push(n);
    if let Some(ep) = l.default_endpoint.as_deref().filter(|e| !e.is_empty()) {
        default_endpoint(ep, &lat.f("defaultEndpoint"), out);
    }
    if let Some(t) = &l.tls {
        ingress_tls(t, &lat.f("tls"), out);
    }
    connection_pool(l.connection_pool.as_ref(), &lat.f("connectionPool"), out);
    if l.connection_pool.as_ref().is_some_and(|c| c.http.is_some())
        && !Protocol::parse(port.protocol.as_deref().unwrap_or("")).is_some_and(Protocol::is_http)
    {
        out.warn(
            &lat.f("connectionPool").f("http"),
            format!(
                "HTTP connection pool settings on port {n} whose protocol {:?} is not HTTP: only the TCP settings apply",
                port.protocol.as_deref().unwrap_or("")
            ),
        );
    }
}

/// The TLS settings of an ingress listener: what sidecars do not support, then the
/// server TLS rules.
fn ingress_tls(t: &ServerTlsSettings, tat: &Path, out: &mut Out) {
    if !t.subject_alt_names.is_empty() {
        out.err(
            &tat.f("subjectAltNames"),
            "subjectAltNames is not supported on sidecar ingress TLS",
        );
    }
    if t.https_redirect == Some(true) {
        out.err(
            &tat.f("httpsRedirect"),
            "httpsRedirect is not supported on sidecar ingress",
        );
    }
    if t.credential_name.as_deref().is_some_and(|c| !c.is_empty()) {
        out.err(
            &tat.f("credentialName"),
            "credentialName is not supported on sidecar ingress yet",
        );
    }
    if let Some(m @ (ServerTlsMode::IstioMutual | ServerTlsMode::AutoPassthrough)) = t.mode {
        out.err(
            &tat.f("mode"),
            format!("the mode {m} cannot be used on sidecar ingress TLS"),
        );
    }
    server_tls(t, tat, out);
}

/// What the egress listeners seen so far have taken: IP ports, unix socket binds, and
/// whether the catch-all listener (without a port) was seen.
#[derive(Default)]
struct EgressListeners<'a> {
    ports: Vec<u32>,
    unix_binds: Vec<&'a str>,
    catch_all: bool,
}

/// An egress listener: its port or its place as the catch-all listener, then its hosts.
fn egress_listener<'a>(
    e: &'a IstioEgressListener,
    last: bool,
    namespace: &str,
    seen: &mut EgressListeners<'a>,
    eat: &Path,
    out: &mut Out,
) {
    match &e.port {
        None => {
            if seen.catch_all {
                out.err(eat, "egress can have only one listener without a port");
                return;
            }
            if last {
                seen.catch_all = true;
            } else {
                out.err(
                    eat,
                    "the egress listener without a port must be the last one",
                );
            }
        }
        Some(port) => egress_port(e, port, seen, eat, out),
    }
    if e.hosts.is_empty() {
        out.err(
            &eat.f("hosts"),
            "an egress listener needs at least one host",
        );
        return;
    }
    egress_hosts(&e.hosts, namespace, &eat.f("hosts"), out);
}

/// The port and bind of an egress listener: a unix domain socket for port 0, else an IP
/// port unique among the IP-bound listeners.
fn egress_port<'a>(
    e: &'a IstioEgressListener,
    port: &SidecarPort,
    seen: &mut EgressListeners<'a>,
    eat: &Path,
    out: &mut Out,
) {
    if port.target_port.unwrap_or(0) > 0 {
        out.err(
            &eat.f("port").f("targetPort"),
            "targetPort has no effect on Sidecars; remove it",
        );
    }
    let bind = e.bind.as_deref().unwrap_or("");
    sidecar_port(port, &eat.f("port"), out);
    let n = port.number.unwrap_or(0);
    if n == 0 {
        match bind.strip_prefix("unix://") {
            None => out.err(
                &eat.f("bind"),
                "a listener on port 0 needs a unix domain socket bind address",
            ),
            Some(path) => out.check(&eat.f("bind"), validate_unix_address(path)),
        }
        if !matches!(
            e.capture_mode.unwrap_or_default(),
            CaptureMode::Default | CaptureMode::None
        ) {
            out.err(
                &eat.f("captureMode"),
                "captureMode must be DEFAULT or NONE for unix domain socket listeners",
            );
        }
        if seen.unix_binds.contains(&bind) {
            out.err(
                &eat.f("bind"),
                "unix domain socket listeners must be unique",
            );
        }
        seen.unix_binds.push(bind);
    } else {
        out.check(&eat.f("port").f("number"), validate_port(i64::from(n)));
        if !bind.is_empty() {
            out.check(&eat.f("bind"), validate_ip(bind));
        }
        if seen.ports.contains(&n) {
            out.err(
                &eat.f("port").f("number"),
                "ports of IP-bound listeners must be unique",
            );
        }
        seen.ports.push(n);
    }
}

/// The `namespace/host` entries of an egress listener: each well formed, duplicates
/// warned about, and `*/*` alone.
fn egress_hosts(hosts: &[String], namespace: &str, hat_hosts: &Path, out: &mut Out) {
    let mut by_ns: Vec<(String, Vec<String>)> = Vec::new();
    for (j, h) in hosts.iter().enumerate() {
        let hat = hat_hosts.i(j);
        if let Some((ns, svc)) = h.split_once('/') {
            let ns = if ns == "." {
                namespace.to_string()
            } else {
                ns.to_string()
            };
            let idx = match by_ns.iter().position(|(n, _)| *n == ns) {
                Some(p) => p,
                None => {
                    by_ns.push((ns.clone(), Vec::new()));
                    by_ns.len() - 1
                }
            };
            let svcs = &mut by_ns[idx].1;
            let dup = if svc == "*" {
                !svcs.is_empty()
            } else {
                svcs.iter().any(|s| s == svc || s == "*")
            };
            if dup {
                out.warn(&hat, format!("duplicate egress host {h}"));
            }
            svcs.push(svc.to_string());
        }
        if let Err(errs) = namespace_slash_host(h, false) {
            for m in errs {
                out.err(&hat, m);
            }
        }
    }
    if by_ns
        .iter()
        .any(|(n, s)| n == "*" && s.iter().any(|x| x == "*"))
        && by_ns.len() != 1
    {
        out.warn(hat_hosts, "*/* selects everything; other hosts add nothing");
    }
}

/// `outboundTrafficPolicy.egressProxy`: only with `ALLOW_ANY`, a valid host and a port.
fn egress_proxy(tp: &OutboundTrafficPolicy, at: &Path, out: &mut Out) {
    let Some(proxy) = &tp.egress_proxy else {
        return;
    };
    let pat = at.f("egressProxy");
    if tp.mode.unwrap_or_default() != OutboundTrafficPolicyMode::AllowAny {
        out.err(&pat, "egressProxy can only be set with mode ALLOW_ANY");
    } else {
        out.check(&pat.f("host"), validate_fqdn(&proxy.host));
        if proxy.port.is_none() {
            out.err(&pat.f("port"), "egressProxy needs a port");
        } else {
            destination(proxy, &pat, out);
        }
    }
}

fn sidecar_port(p: &SidecarPort, at: &Path, out: &mut Out) {
    if let Some(n) = p.name.as_deref().filter(|n| !n.is_empty()) {
        out.check(&at.f("name"), validate_port_name(n));
    }
    out.check(
        &at.f("protocol"),
        validate_protocol(p.protocol.as_deref().unwrap_or("")),
    );
}

fn default_endpoint(ep: &str, at: &Path, out: &mut Out) {
    if let Some(path) = ep.strip_prefix("unix://") {
        out.check(at, validate_unix_address(path));
        return;
    }
    // host:port, [v6]:port or :port
    let split = if let Some(rest) = ep.strip_prefix('[') {
        rest.split_once("]:")
    } else {
        match ep.matches(':').count() {
            1 => ep.split_once(':'),
            _ => None,
        }
    };
    let Some((host, port)) = split else {
        out.err(
            at,
            format!("defaultEndpoint {ep:?} is not of the form host:port"),
        );
        return;
    };
    if !host.is_empty() && !matches!(host, "127.0.0.1" | "0.0.0.0" | "::1" | "::") {
        out.err(at, "defaultEndpoint must be 127.0.0.1:<port>, 0.0.0.0:<port>, [::1]:<port>, [::]:<port>, unix://<path>, or unset");
    }
    match port.parse::<i64>() {
        Ok(n) => out.check(at, validate_port(n)),
        Err(_) => out.err(at, format!("defaultEndpoint port {port:?} is not a number")),
    }
}

//! ServiceEntry, WorkloadEntry and WorkloadGroup: hosts, addresses, ports, endpoints and
//! resolution modes, as Istio's webhook checks them.

use istio_types::networking::v1::{
    HealthCheckMethod, Resolution, ServiceEntry, WorkloadEntry, WorkloadEntrySpec, WorkloadGroup,
};

use super::common::*;
use super::{Out, Path};
use crate::istio::protocol::Protocol;

pub(crate) fn service_entry(se: &ServiceEntry, namespace: &str, out: &mut Out) {
    let spec = &se.spec;
    let at = Path::new("spec");
    if let Some(sel) = &spec.workload_selector {
        let before = out.diags.len();
        selector_labels(&sel.labels, &at.f("workloadSelector").f("labels"), out);
        if out.diags.len() > before {
            // Istio stops here when the selector is invalid.
            return;
        }
        if sel.labels.is_empty() {
            out.warn(
                &at.f("workloadSelector"),
                "workload selector without labels: it selects every workload in the namespace",
            );
        }
    }
    if spec.workload_selector.is_some() && !spec.endpoints.is_empty() {
        out.err(&at, "only one of workloadSelector and endpoints can be set");
    }
    if spec.hosts.is_empty() {
        out.err(&at.f("hosts"), "a ServiceEntry needs at least one host");
    }
    for (i, h) in spec.hosts.iter().enumerate() {
        let hat_hosts = at.f("hosts");
        let hat = hat_hosts.i(i);
        if h == "*" {
            out.err(&hat, "the host * is not allowed");
        } else {
            out.check(&hat, validate_wildcard_domain(h));
            if let Err(e) = partial_wildcard(h) {
                out.warn(&hat, e);
            }
        }
    }
    let resolution = spec.resolution.unwrap_or_default();
    let mut cidr = false;
    for (i, a) in spec.addresses.iter().enumerate() {
        cidr |= a.contains('/');
        out.check(&at.f("addresses").i(i), validate_ip_or_cidr(a));
    }
    if cidr && !matches!(resolution, Resolution::None | Resolution::Static) {
        out.err(
            &at.f("addresses"),
            "CIDR addresses are only allowed with resolution NONE or STATIC",
        );
    }
    let mut names: Vec<&str> = Vec::new();
    let mut numbers: Vec<u32> = Vec::new();
    for (i, p) in spec.ports.iter().enumerate() {
        let pat_ports = at.f("ports");
        let pat = pat_ports.i(i);
        if names.contains(&p.name.as_str()) {
            out.err(
                &pat.f("name"),
                format!("port name {:?} is already defined", p.name),
            );
        }
        names.push(&p.name);
        if numbers.contains(&p.number) {
            out.err(
                &pat.f("number"),
                format!("port {} is already defined", p.number),
            );
        }
        numbers.push(p.number);
        if let Some(t) = p.target_port.filter(|t| *t != 0) {
            out.check(&pat.f("targetPort"), validate_port(i64::from(t)));
            if resolution == Resolution::None {
                out.warn(
                    &pat.f("targetPort"),
                    "targetPort has no effect with resolution NONE",
                );
            }
        }
        out.check(&pat.f("name"), validate_port_name(&p.name));
        out.check(
            &pat.f("protocol"),
            validate_protocol(p.protocol.as_deref().unwrap_or("")),
        );
        out.check(&pat.f("number"), validate_port(i64::from(p.number)));
    }
    match resolution {
        Resolution::None => {
            if !spec.endpoints.is_empty() {
                out.err(&at.f("endpoints"), "resolution NONE takes no endpoints");
            }
            if spec.workload_selector.is_some() {
                out.warn(
                    &at.f("workloadSelector"),
                    "workloadSelector has no effect with resolution NONE",
                );
            }
        }
        Resolution::Static => {
            for (i, e) in spec.endpoints.iter().enumerate() {
                workload_entry_spec(e, Some(&names), false, &at.f("endpoints").i(i), out);
            }
        }
        Resolution::Dns | Resolution::DnsRoundRobin => {
            if spec.endpoints.is_empty() {
                for (i, h) in spec.hosts.iter().enumerate() {
                    if validate_fqdn(h).is_err() {
                        out.err(
                            &at.f("hosts").i(i),
                            format!("without endpoints, resolution {resolution} needs fully qualified host names"),
                        );
                    }
                }
            }
            if resolution == Resolution::DnsRoundRobin && spec.endpoints.len() > 1 {
                out.err(
                    &at.f("endpoints"),
                    "resolution DNS_ROUND_ROBIN takes at most one endpoint",
                );
            }
            for (i, e) in spec.endpoints.iter().enumerate() {
                let eat_endpoints = at.f("endpoints");
                let eat = eat_endpoints.i(i);
                let addr = e.address.as_deref().unwrap_or("");
                if !is_ip(addr) && validate_fqdn(addr).is_err() {
                    out.err(
                        &eat.f("address"),
                        format!(
                            "endpoint address {addr:?} is neither a valid FQDN nor an IP address"
                        ),
                    );
                }
                validate_labels(&e.labels, &eat.f("labels"), out);
                for (name, port) in &e.ports {
                    let pat_ports_path = eat.f("ports");
                    let pat = pat_ports_path.k(name);
                    if !names.contains(&name.as_str()) {
                        out.err(
                            &pat,
                            format!("endpoint port {name:?} is not a port of the ServiceEntry"),
                        );
                    }
                    out.check(&pat, validate_port_name(name));
                    out.check(&pat, validate_port(i64::from(*port)));
                }
            }
            if spec.workload_selector.is_some() {
                out.warn(
                    &at.f("workloadSelector"),
                    format!("workloadSelector has no effect with resolution {resolution}"),
                );
            }
            if !spec.addresses.is_empty()
                && spec.hosts.len() > 1
                && spec.ports.iter().any(|p| {
                    Protocol::parse(p.protocol.as_deref().unwrap_or(""))
                        .is_some_and(Protocol::is_tcp)
                })
            {
                out.warn(
                    &at.f("hosts"),
                    "a ServiceEntry with addresses and a TCP port should have only one host",
                );
            }
        }
        // DYNAMIC_DNS resolves per request; Istio has no extra rules for it.
        _ => {}
    }
    if resolution != Resolution::None && spec.hosts.len() > 1 {
        let plain = spec.ports.iter().position(|p| {
            let proto = Protocol::parse(p.protocol.as_deref().unwrap_or(""));
            !proto.is_some_and(|x| x.is_http() || x.is_tls())
        });
        if let Some(i) = plain {
            out.err(
                &at.f("ports").i(i),
                "several hosts with a port that is neither HTTP nor TLS: plain TCP cannot tell the hosts apart",
            );
        }
    }
    validate_export_to(
        namespace,
        &spec.export_to,
        true,
        false,
        &at.f("exportTo"),
        out,
    );
}

/// A WorkloadEntry spec, on its own (`service_ports: None`, FQDN addresses allowed) or as
/// a STATIC ServiceEntry endpoint (ports must be the ServiceEntry's, IP addresses only).
fn workload_entry_spec(
    we: &WorkloadEntrySpec,
    service_ports: Option<&[&str]>,
    allow_fqdn: bool,
    at: &Path,
    out: &mut Out,
) {
    let addr = we.address.as_deref().unwrap_or("");
    if addr.is_empty() {
        match we.network.as_deref().filter(|n| !n.is_empty()) {
            None => {
                out.err(&at.f("address"), "an address is required (or a network)");
                return;
            }
            Some(n) => out.warn(&at.f("address"), format!("no address, with network {n:?}")),
        }
    }
    let mut unix = false;
    if let Some(path) = addr.strip_prefix("unix://") {
        unix = true;
        out.check(&at.f("address"), validate_unix_address(path));
        if !we.ports.is_empty() {
            out.err(
                &at.f("ports"),
                format!("the unix endpoint {addr} must not have ports"),
            );
        }
    } else if !addr.is_empty() && !is_ip(addr) {
        if !allow_fqdn {
            out.err(
                &at.f("address"),
                format!("endpoint address {addr:?} is not a valid IP address"),
            );
        } else if validate_fqdn(addr).is_err() {
            out.err(
                &at.f("address"),
                format!("endpoint address {addr:?} is neither a valid FQDN nor an IP address"),
            );
        }
    }
    for (name, port) in &we.ports {
        let pat_ports_path = at.f("ports");
        let pat = pat_ports_path.k(name);
        if let Some(sp) = service_ports
            && !sp.contains(&name.as_str())
        {
            out.err(
                &pat,
                format!("endpoint port {name:?} is not a port of the ServiceEntry"),
            );
        }
        out.check(&pat, validate_port_name(name));
        out.check(&pat, validate_port(i64::from(*port)));
    }
    validate_labels(&we.labels, &at.f("labels"), out);
    if unix && service_ports.is_some_and(|p| p.len() != 1) {
        out.err(at, "a unix endpoint needs exactly one service port");
    }
}

pub(crate) fn workload_entry(we: &WorkloadEntry, out: &mut Out) {
    workload_entry_spec(&we.spec, None, true, &Path::new("spec"), out);
}

pub(crate) fn workload_group(wg: &WorkloadGroup, out: &mut Out) {
    let at = Path::new("spec");
    if let Some(m) = &wg.spec.metadata {
        validate_labels(&m.labels, &at.f("metadata").f("labels"), out);
    }
    let Some(p) = &wg.spec.probe else { return };
    let at = at.f("probe");
    for (field, v) in [
        ("periodSeconds", p.period_seconds),
        ("initialDelaySeconds", p.initial_delay_seconds),
        ("timeoutSeconds", p.timeout_seconds),
        ("successThreshold", p.success_threshold),
        ("failureThreshold", p.failure_threshold),
    ] {
        if v.unwrap_or(0) < 0 {
            out.err(&at.f(field), format!("{field} must not be negative"));
        }
    }
    match &p.health_check_method {
        Some(HealthCheckMethod::HttpGet(h)) => {
            let hat = at.f("httpGet");
            out.check(&hat.f("port"), validate_port(i64::from(h.port)));
            if let Some(s) = h.scheme.as_deref()
                && !s.is_empty()
                && s != "HTTP"
                && s != "HTTPS"
            {
                out.err(&hat.f("scheme"), "httpGet.scheme must be HTTP or HTTPS");
            }
            for (i, hdr) in h.http_headers.iter().enumerate() {
                out.check(
                    &hat.f("httpHeaders").i(i).f("name"),
                    validate_header_name(hdr.name.as_deref().unwrap_or("")),
                );
            }
        }
        Some(HealthCheckMethod::TcpSocket(t)) => {
            out.check(
                &at.f("tcpSocket").f("port"),
                validate_port(i64::from(t.port)),
            );
        }
        Some(HealthCheckMethod::Exec(e)) => {
            if e.command.is_empty() {
                out.err(&at.f("exec").f("command"), "exec.command is required");
            }
        }
        // gRPC probes are not handled by Istio's webhook (it reports them as unknown).
        Some(HealthCheckMethod::Grpc(_)) | None => {
            out.err(
                &at,
                "a probe needs a health check method: httpGet, tcpSocket or exec",
            );
        }
    }
}

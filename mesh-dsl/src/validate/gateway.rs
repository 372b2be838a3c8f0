//! Gateway and Sidecar: servers, ports, binds, hosts, and server TLS settings, as Istio's
//! webhook checks them.

use istio_types::networking::v1::{
    CaptureMode, Gateway, OutboundTrafficPolicyMode, Server, ServerTlsMode, ServerTlsSettings,
    Sidecar, SidecarPort, TlsProtocol,
};

use super::common::*;
use super::routing::destination;
use super::traffic::connection_pool;
use super::{Out, Path};
use crate::istio::protocol::Protocol;

const GATEWAY_SEMANTICS: &str = "internal.istio.io/gateway-semantics";

/// Cipher suites Envoy's BoringSSL accepts on a gateway.
const CIPHER_SUITES: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-RSA-AES256-SHA",
    "AES128-GCM-SHA256",
    "AES256-GCM-SHA384",
    "AES128-SHA",
    "AES256-SHA",
    "DES-CBC3-SHA",
];

fn valid_cipher(c: &str) -> bool {
    c.is_empty()
        || c == "ALL"
        || !c.chars().next().is_some_and(char::is_alphanumeric)
        || CIPHER_SUITES.contains(&c)
}

pub(crate) fn gateway(gw: &Gateway, out: &mut Out) {
    let spec = &gw.spec;
    let at = Path::new("spec");
    let semantics = gw
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(GATEWAY_SEMANTICS))
        .is_some_and(|v| v == "gateway");
    let name = gw.metadata.name.as_deref().unwrap_or("");
    if !is_dns_label(name) && !semantics {
        out.err(
            &Path::new("metadata").f("name"),
            format!("invalid gateway name {name:?}: it must be a DNS label (no dots)"),
        );
    }
    if spec.servers.is_empty() {
        out.err(&at.f("servers"), "a gateway needs at least one server");
    }
    let mut port_names: Vec<&str> = Vec::new();
    for (i, s) in spec.servers.iter().enumerate() {
        let sat_servers = at.f("servers");
        let sat = sat_servers.i(i);
        server(s, semantics, &sat, out);
        if port_names.contains(&s.port.name.as_str()) {
            out.err(
                &sat.f("port").f("name"),
                format!(
                    "port names of servers must be unique: {:?} is used twice",
                    s.port.name
                ),
            );
        }
        port_names.push(&s.port.name);
        let http = Protocol::parse(&s.port.protocol).is_some_and(Protocol::is_http);
        if !http && s.tls.as_ref().and_then(|t| t.https_redirect) == Some(true) {
            out.warn(
                &sat.f("tls").f("httpsRedirect"),
                "httpsRedirect only makes sense on HTTP servers",
            );
        }
    }
}

fn server(s: &Server, semantics: bool, at: &Path, out: &mut Out) {
    if s.hosts.is_empty() {
        out.err(&at.f("hosts"), "a server needs at least one host");
    }
    for (i, h) in s.hosts.iter().enumerate() {
        let hat_hosts = at.f("hosts");
        let hat = hat_hosts.i(i);
        let r = if semantics && h.starts_with("~/") {
            // Gateway API conversions may use `~/` for "no routes".
            namespace_slash_host(&format!("*{}", &h[1..]), true)
        } else {
            namespace_slash_host(h, true)
        };
        if let Err(errs) = r {
            for e in errs {
                out.err(&hat, e);
            }
        }
    }
    let bind = s.bind.as_deref().unwrap_or("");
    let pat = at.f("port");
    let protocol = Protocol::parse(&s.port.protocol);
    let mut port_ok = true;
    if protocol.is_none() {
        out.err(
            &pat.f("protocol"),
            format!(
                "invalid protocol {:?}; supported protocols are HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TCP, TLS, MONGO, REDIS, MYSQL",
                s.port.protocol
            ),
        );
        port_ok = false;
    }
    if (s.port.number > 0 || !bind.starts_with("unix://"))
        && let Err(e) = validate_port(i64::from(s.port.number))
    {
        out.err(&pat.f("number"), e);
        port_ok = false;
    }
    if s.port.target_port.unwrap_or(0) > 0 {
        out.err(
            &pat.f("targetPort"),
            "targetPort has no effect on gateways; remove it",
        );
        port_ok = false;
    }
    if s.port.name.is_empty() {
        out.err(&pat.f("name"), "a server port needs a name");
        port_ok = false;
    }
    if let Some(unix) = bind.strip_prefix("unix://") {
        out.check(&at.f("bind"), validate_unix_address(unix));
        if s.port.number != 0 {
            out.err(
                &pat.f("number"),
                "the port number must be 0 for a unix domain socket",
            );
        }
    } else if !bind.is_empty() {
        out.check(&at.f("bind"), validate_ip(bind));
    }
    if let Some(t) = &s.tls {
        server_tls(t, &at.f("tls"), out);
    }
    if port_ok && let Some(p) = protocol {
        match (&s.tls, p.is_tls()) {
            (None, true) => out.err(at, "an HTTPS or TLS server needs tls settings"),
            (Some(t), false) => {
                if p.is_http() {
                    let passthrough = matches!(
                        t.mode.unwrap_or_default(),
                        ServerTlsMode::Passthrough | ServerTlsMode::AutoPassthrough
                    );
                    let set = |x: &Option<String>| x.as_deref().is_some_and(|v| !v.is_empty());
                    if !passthrough
                        || set(&t.ca_certificates)
                        || set(&t.private_key)
                        || set(&t.server_certificate)
                    {
                        out.err(&at.f("tls"), "a plain-text HTTP server cannot have TLS settings (only httpsRedirect)");
                    }
                } else {
                    out.err(
                        &at.f("tls"),
                        "a server that is neither HTTPS nor TLS cannot have TLS settings",
                    );
                }
            }
            _ => {}
        }
    }
}

/// Server TLS settings (Gateway servers and Sidecar ingress listeners).
pub(crate) fn server_tls(t: &ServerTlsSettings, at: &Path, out: &mut Out) {
    let set = |x: &Option<String>| x.as_deref().is_some_and(|v| !v.is_empty());
    if matches!(
        t.min_protocol_version,
        Some(TlsProtocol::Tlsv10 | TlsProtocol::Tlsv11)
    ) && t.cipher_suites.is_empty()
    {
        out.warn(
            &at.f("minProtocolVersion"),
            "TLS versions below 1.2 need compatible cipherSuites: the default ciphers no longer include them",
        );
    }
    let mut invalid = Vec::new();
    let mut seen = Vec::new();
    let mut dup = Vec::new();
    for c in &t.cipher_suites {
        if !valid_cipher(c) {
            invalid.push(c.as_str());
        } else if seen.contains(&c.as_str()) {
            dup.push(c.as_str());
        } else {
            seen.push(c.as_str());
        }
    }
    if !invalid.is_empty() {
        invalid.sort_unstable();
        out.warn(
            &at.f("cipherSuites"),
            format!("unknown cipher suites are ignored: {invalid:?}"),
        );
    }
    if !dup.is_empty() {
        dup.sort_unstable();
        out.warn(
            &at.f("cipherSuites"),
            format!("duplicate cipher suites are ignored: {dup:?}"),
        );
    }
    let mode = t.mode.unwrap_or_default();
    // Credentials fetched by name (one or two credentials), or given inline as pairs.
    let named =
        set(&t.credential_name) || !t.credential_names.is_empty() || !t.tls_certificates.is_empty();
    if mode == ServerTlsMode::IstioMutual {
        for (field, v) in [
            ("serverCertificate", &t.server_certificate),
            ("privateKey", &t.private_key),
            ("caCertificates", &t.ca_certificates),
            ("credentialName", &t.credential_name),
        ] {
            if set(v) {
                out.err(
                    &at.f(field),
                    format!("ISTIO_MUTUAL uses Istio's certificates; {field} cannot be set"),
                );
            }
        }
        return;
    }
    if matches!(
        mode,
        ServerTlsMode::Passthrough | ServerTlsMode::AutoPassthrough
    ) && (set(&t.ca_crl)
        || set(&t.server_certificate)
        || set(&t.private_key)
        || set(&t.ca_certificates)
        || set(&t.credential_name))
    {
        out.warn(
            at,
            format!("{mode} does not terminate TLS: the certificates are ignored"),
        );
    }
    if matches!(
        mode,
        ServerTlsMode::Simple | ServerTlsMode::Mutual | ServerTlsMode::OptionalMutual
    ) && named
    {
        return;
    }
    match mode {
        ServerTlsMode::Simple => {
            if !set(&t.server_certificate) {
                out.err(
                    &at.f("serverCertificate"),
                    "SIMPLE TLS needs a server certificate (or a credentialName)",
                );
            }
            if !set(&t.private_key) {
                out.err(
                    &at.f("privateKey"),
                    "SIMPLE TLS needs a private key (or a credentialName)",
                );
            }
        }
        ServerTlsMode::Mutual | ServerTlsMode::OptionalMutual => {
            if !set(&t.server_certificate) {
                out.err(
                    &at.f("serverCertificate"),
                    "MUTUAL TLS needs a server certificate (or a credentialName)",
                );
            }
            if !set(&t.private_key) {
                out.err(
                    &at.f("privateKey"),
                    "MUTUAL TLS needs a private key (or a credentialName)",
                );
            }
            if !set(&t.ca_certificates) {
                out.err(
                    &at.f("caCertificates"),
                    "MUTUAL TLS needs a client CA bundle (or a credentialName)",
                );
            }
        }
        _ => {}
    }
    if set(&t.ca_crl) {
        if set(&t.credential_name) {
            out.err(
                &at.f("caCrl"),
                "caCrl cannot be used with credentialName: put the CRL in the credential",
            );
        }
        if mode == ServerTlsMode::Simple {
            out.err(&at.f("caCrl"), "caCrl is not supported with SIMPLE TLS");
        }
    }
}

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
        let lat_ingress = at.f("ingress");
        let lat = lat_ingress.i(i);
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
            let tat = lat.f("tls");
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
            if let Some(m @ (ServerTlsMode::IstioMutual | ServerTlsMode::AutoPassthrough)) = t.mode
            {
                out.err(
                    &tat.f("mode"),
                    format!("the mode {m} cannot be used on sidecar ingress TLS"),
                );
            }
            server_tls(t, &tat, out);
        }
        connection_pool(l.connection_pool.as_ref(), &lat.f("connectionPool"), out);
        if l.connection_pool.as_ref().is_some_and(|c| c.http.is_some())
            && !Protocol::parse(port.protocol.as_deref().unwrap_or(""))
                .is_some_and(Protocol::is_http)
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
    connection_pool(
        spec.inbound_connection_pool.as_ref(),
        &at.f("inboundConnectionPool"),
        out,
    );
    let mut ports: Vec<u32> = Vec::new();
    let mut unix_binds: Vec<&str> = Vec::new();
    let mut catch_all = false;
    for (i, e) in spec.egress.iter().enumerate() {
        let eat_egress = at.f("egress");
        let eat = eat_egress.i(i);
        match &e.port {
            None => {
                if catch_all {
                    out.err(&eat, "egress can have only one listener without a port");
                    continue;
                }
                if i == spec.egress.len() - 1 {
                    catch_all = true;
                } else {
                    out.err(
                        &eat,
                        "the egress listener without a port must be the last one",
                    );
                }
            }
            Some(port) => {
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
                    if unix_binds.contains(&bind) {
                        out.err(
                            &eat.f("bind"),
                            "unix domain socket listeners must be unique",
                        );
                    }
                    unix_binds.push(bind);
                } else {
                    out.check(&eat.f("port").f("number"), validate_port(i64::from(n)));
                    if !bind.is_empty() {
                        out.check(&eat.f("bind"), validate_ip(bind));
                    }
                    if ports.contains(&n) {
                        out.err(
                            &eat.f("port").f("number"),
                            "ports of IP-bound listeners must be unique",
                        );
                    }
                    ports.push(n);
                }
            }
        }
        if e.hosts.is_empty() {
            out.err(
                &eat.f("hosts"),
                "an egress listener needs at least one host",
            );
            continue;
        }
        let mut by_ns: Vec<(String, Vec<String>)> = Vec::new();
        for (j, h) in e.hosts.iter().enumerate() {
            let hat_hosts_path = eat.f("hosts");
            let hat = hat_hosts_path.i(j);
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
            out.warn(
                &eat.f("hosts"),
                "*/* selects everything; other hosts add nothing",
            );
        }
    }
    if let Some(tp) = &spec.outbound_traffic_policy
        && let Some(proxy) = &tp.egress_proxy
    {
        let pat_outbound_traffic_policy = at.f("outboundTrafficPolicy");
        let pat = pat_outbound_traffic_policy.f("egressProxy");
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

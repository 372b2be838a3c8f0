//! Gateway: servers, ports, binds, hosts, and server TLS settings (shared with Sidecar
//! ingress listeners), as Istio's webhook checks them.

use istio_types::networking::v1::{Gateway, Server, ServerTlsMode, ServerTlsSettings, TlsProtocol};

use super::common::*;
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

//! Service port naming.

use super::index::Index;
use super::messages::{EXTERNAL_NAME_INVALID_PORT_NAME, PORT_NAME_CONVENTION};
use crate::diag::Diagnostic;

/// Ports on which Istio assumes TCP when the name says nothing.
const WELL_KNOWN_PORTS: &[i32] = &[25, 53, 3306, 27017];

/// Istio's `protocol.Parse`, case-insensitive; `None` for an unsupported protocol.
fn parse_protocol(s: &str) -> Option<&'static str> {
    Some(match s.to_ascii_lowercase().as_str() {
        "tcp" => "TCP",
        "udp" => "UDP",
        "grpc" => "GRPC",
        "grpc-web" => "GRPC-Web",
        "http" => "HTTP",
        "http_proxy" => "HTTP_PROXY",
        "http2" => "HTTP2",
        "https" => "HTTPS",
        "tls" => "TLS",
        "mongo" => "Mongo",
        "redis" => "Redis",
        "mysql" => "MySQL",
        _ => return None,
    })
}

/// Istio's `ConvertProtocol`: the protocol a Service port carries, from its protocol,
/// `appProtocol` or name prefix; `None` when Istio cannot tell (protocol sniffing).
pub(crate) fn port_protocol(
    port: i32,
    name: &str,
    protocol: Option<&str>,
    app_protocol: Option<&str>,
) -> Option<&'static str> {
    if protocol == Some("UDP") {
        return Some("UDP");
    }
    let name = match app_protocol {
        Some(ap) => match ap {
            "kubernetes.io/h2c" => return Some("HTTP2"),
            "kubernetes.io/ws" | "kubernetes.io/wss" => return Some("HTTP"),
            other => other,
        },
        None => name,
    };
    if name.to_ascii_lowercase().starts_with("grpc-web") {
        return Some("GRPC-Web");
    }
    let prefix = name.split('-').next().unwrap_or("");
    parse_protocol(prefix).or_else(|| WELL_KNOWN_PORTS.contains(&port).then_some("TCP"))
}

/// Values of `gateway.istio.io/managed` on Services Istio creates itself.
const MANAGED: &[&str] = &[
    "istio.io-gateway-controller",
    "istio.io-mesh-controller",
    "istio.io-eastwest-controller",
];

/// `service.PortNameAnalyzer`: IST0118 for port names Istio cannot read a protocol from,
/// IST0150 for such names on ExternalName Services (and `tcp`, which breaks them).
pub(crate) fn port_names(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for svc in &idx.services {
        if svc.labels.contains_key("istio") || svc.labels.get("release") == Some(&"istio") {
            continue;
        }
        if svc
            .labels
            .get("gateway.istio.io/managed")
            .is_some_and(|v| MANAGED.contains(v))
        {
            continue;
        }
        let external =
            svc.svc.spec.as_ref().and_then(|s| s.type_.as_deref()) == Some("ExternalName");
        for (i, p) in svc.ports.iter().enumerate() {
            let name = p.name.as_deref().unwrap_or("");
            let proto = port_protocol(
                p.port,
                name,
                p.protocol.as_deref(),
                p.app_protocol.as_deref(),
            );
            if proto.is_some() && !(external && name == "tcp") {
                continue;
            }
            let d = if external {
                EXTERNAL_NAME_INVALID_PORT_NAME
                    .on(
                        svc.res,
                        format!(
                            "the port name {name:?} of this ExternalName Service keeps the proxy from forwarding TCP traffic correctly"
                        ),
                    )
                    .hint("name the port after its protocol, e.g. `https` or `http-web` (not `tcp`)")
            } else {
                let target = p
                    .target_port
                    .as_ref()
                    .map(|t| match t {
                        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n) => {
                            n.to_string()
                        }
                        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => {
                            s.clone()
                        }
                    })
                    .unwrap_or_default();
                PORT_NAME_CONVENTION
                    .on(
                        svc.res,
                        format!(
                            "port name {name:?} (port {}, targetPort {target:?}) does not follow Istio's naming convention, so the protocol is sniffed",
                            p.port
                        ),
                    )
                    .hint("name the port `<protocol>[-<suffix>]` (e.g. `http-web`, `grpc`, `tcp-db`) or set appProtocol")
            };
            out.push(d.at(format!("spec.ports[{i}].name")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols() {
        assert_eq!(port_protocol(80, "http-web", None, None), Some("HTTP"));
        assert_eq!(
            port_protocol(80, "grpc-web-x", None, None),
            Some("GRPC-Web")
        );
        assert_eq!(port_protocol(80, "foo", None, None), None);
        assert_eq!(port_protocol(3306, "", None, None), Some("TCP"));
        assert_eq!(port_protocol(80, "foo", Some("UDP"), None), Some("UDP"));
        assert_eq!(port_protocol(80, "foo", None, Some("http")), Some("HTTP"));
        assert_eq!(port_protocol(80, "http", None, Some("hbone")), None);
    }
}

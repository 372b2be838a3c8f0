//! Service port naming.

use super::index::Index;
use super::messages::{EXTERNAL_NAME_INVALID_PORT_NAME, PORT_NAME_CONVENTION};
use crate::diag::Diagnostic;
use crate::istio::protocol::Protocol;

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
            let proto = Protocol::of_service_port(
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

//! The mesh's edge: Istio Gateways (and the gateway workloads analysis assumes), the
//! external hosts of egress (ServiceEntries, TLS origination and egress traffic
//! policies) and Sidecar scopes.

use std::collections::{BTreeMap, BTreeSet};

use istio_types::IstioResource;
use istio_types::networking::v1::{
    ClientTlsMode, ClientTlsSettings, DestinationRule, DestinationRuleSpec,
    Gateway as IstioGateway, GatewaySpec, IstioEgressListener, Location, OutboundTrafficPolicy,
    OutboundTrafficPolicyMode, PortSelector, PortTrafficPolicy, Resolution, Server, ServerPort,
    ServerTlsMode, ServerTlsSettings, ServiceEntry, ServiceEntrySpec, ServicePort, Sidecar,
    SidecarSpec, TrafficPolicy,
};

use super::{Cx, meta};
use crate::gateway::{Egress, Gateway, Listener, SidecarScope};
use crate::resources::Resource;
use crate::service::Protocol;

/// The protocol and port of a gateway listener.
pub(super) fn listener_port(l: &Listener) -> (Protocol, u32) {
    match l {
        Listener::Http { port, .. } => (Protocol::Http, *port),
        Listener::Https { port, .. } => (Protocol::Https, *port),
    }
}

/// The `port.name` of a gateway server: the name set with [`Gateway::port_name`], else
/// the protocol on its usual port and `<protocol>-<port>` on any other.
pub(super) fn server_port_name(g: &Gateway, proto: Protocol, port: u32) -> String {
    if let Some(name) = g.port_names.get(&port) {
        return name.clone();
    }
    let default_port = if proto == Protocol::Http { 80 } else { 443 };
    if port == default_port {
        proto.prefix().to_string()
    } else {
        format!("{}-{port}", proto.prefix())
    }
}

impl<'m> Cx<'m> {
    /// What analysis assumes about a gateway's workload, which Istio's installation or
    /// gateway chart (or a platform team) provides: pods with the gateway's selector,
    /// behind a Service that sends every port the gateway listens on to the pods. The
    /// pods of Istio's default ingress gateway (selector `istio: ingressgateway`) live in
    /// Istio's namespace, others in the gateway's.
    pub(super) fn assume_gateway_workload(&mut self, g: &Gateway) {
        if g.selector.is_empty() {
            return;
        }
        let default = g.selector.len() == 1
            && g.selector.get("istio").map(String::as_str) == Some("ingressgateway");
        let ns = if default {
            self.istio_namespace.clone()
        } else {
            g.namespace.clone()
        };
        let name = format!("{}-{}-workload", g.namespace, g.name);
        let ports: BTreeSet<u32> = g.listeners.iter().map(|l| listener_port(l).1).collect();
        self.assumed.push(Resource::from_json(serde_json::json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": g.selector},
            "spec": {"containers": [{"name": "istio-proxy", "image": "proxyv2"}]},
        })));
        self.assumed.push(Resource::from_json(serde_json::json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": ns},
            "spec": {
                "selector": g.selector,
                "ports": ports.iter().map(|p| serde_json::json!({
                    "name": format!("tcp-{p}"), "port": p, "protocol": "TCP", "targetPort": p,
                })).collect::<Vec<_>>(),
            },
        })));
    }

    /// The Istio Gateway: one server per listener.
    pub(super) fn gateway(&mut self, g: &Gateway) -> Resource {
        self.check_namespace(&g.namespace, || format!("gateway {}", g.name));
        self.check_gateway_has_servers(g);
        let servers = g.listeners.iter().map(|l| self.server(g, l)).collect();
        IstioResource::from(IstioGateway {
            metadata: meta(Some(&g.namespace), &g.name, &self.labels(&[])),
            spec: GatewaySpec {
                selector: g.selector.clone(),
                servers,
            },
            status: None,
        })
        .into()
    }

    /// The server of one listener of `g`.
    fn server(&mut self, g: &Gateway, l: &Listener) -> Server {
        let (proto, port) = listener_port(l);
        let (hosts, tls) = match l {
            Listener::Http {
                hosts,
                redirect_to_https,
                ..
            } => (
                hosts,
                redirect_to_https.then(|| ServerTlsSettings {
                    https_redirect: Some(true),
                    ..Default::default()
                }),
            ),
            Listener::Https {
                hosts,
                credential_name,
                ..
            } => (
                hosts,
                Some(ServerTlsSettings {
                    mode: Some(ServerTlsMode::Simple),
                    credential_name: Some(credential_name.clone()),
                    ..Default::default()
                }),
            ),
        };
        self.check_gateway_port(g, port);
        Server {
            hosts: hosts.clone(),
            port: ServerPort {
                name: server_port_name(g, proto, port),
                number: port,
                protocol: proto.istio_name().to_string(),
                ..Default::default()
            },
            tls,
            ..Default::default()
        }
    }

    /// The ServiceEntry of an external host, and its DestinationRule when the mesh
    /// originates TLS to it.
    pub(super) fn egress(&mut self, e: &Egress, out: &mut Vec<Resource>) {
        self.check_namespace(&e.namespace, || format!("egress {}", e.name));
        let ports = e
            .ports
            .iter()
            .map(|p| ServicePort {
                name: p.name.clone(),
                number: p.number,
                protocol: Some(p.protocol.istio_name().to_string()),
                target_port: p.target,
            })
            .collect();
        out.push(
            IstioResource::from(ServiceEntry {
                metadata: meta(Some(&e.namespace), &e.name, &self.labels(&[])),
                spec: ServiceEntrySpec {
                    hosts: vec![e.host.clone()],
                    location: Some(Location::MeshExternal),
                    resolution: Some(Resolution::Dns),
                    ports,
                    export_to: e.export_to.clone(),
                    ..Default::default()
                },
                status: None,
            })
            .into(),
        );
        if e.tls_origination {
            out.push(self.tls_origination(e));
        }
    }

    /// The DestinationRule that originates TLS to `e` (for traffic sent to port 80).
    fn tls_origination(&self, e: &Egress) -> Resource {
        IstioResource::from(DestinationRule {
            metadata: meta(Some(&e.namespace), &e.name, &self.labels(&[])),
            spec: DestinationRuleSpec {
                host: e.host.clone(),
                traffic_policy: Some(TrafficPolicy {
                    port_level_settings: vec![PortTrafficPolicy {
                        port: Some(PortSelector { number: Some(80) }),
                        tls: Some(ClientTlsSettings {
                            mode: Some(ClientTlsMode::Simple),
                            sni: Some(e.host.clone()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                export_to: e.export_to.clone(),
                ..Default::default()
            },
            status: None,
        })
        .into()
    }

    /// A DestinationRule per [`crate::Mesh::egress_policy`], and one traffic policy per
    /// external host (TLS origination counts as one).
    pub(super) fn egress_policies(&mut self, out: &mut Vec<Resource>) {
        let mesh = self.mesh;
        let mut by_host: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for e in &mesh.egress {
            if e.tls_origination {
                by_host.entry(&e.host).or_default().push(format!(
                    "the TLS origination of egress {}/{}",
                    e.namespace, e.name
                ));
            }
        }
        let mut policies: Vec<_> = mesh.egress_policies.iter().collect();
        policies.sort_by(|a, b| (&a.1.namespace, &a.0).cmp(&(&b.1.namespace, &b.0)));
        for (name, e, policy) in policies {
            let what = format!("egress policy {}/{name}", e.namespace);
            let export_to = self
                .check_egress(e, || what.clone())
                .map(|d| d.export_to.clone())
                .unwrap_or_default();
            by_host.entry(&e.host).or_default().push(what);
            out.push(
                IstioResource::from(DestinationRule {
                    metadata: meta(Some(&e.namespace), name, &self.labels(&[])),
                    spec: DestinationRuleSpec {
                        host: e.host.clone(),
                        traffic_policy: Some(policy.inner.clone()),
                        export_to,
                        ..Default::default()
                    },
                    status: None,
                })
                .into(),
            );
        }
        self.check_one_policy_per_external_host(&by_host);
    }

    /// The `default` Sidecar of a namespace: the hosts its workloads see, and whether
    /// they reach only the registry.
    pub(super) fn sidecar(&mut self, s: &SidecarScope) -> Resource {
        self.check_namespace(&s.namespace, || "sidecar scope".into());
        let mut hosts = s.hosts.clone();
        hosts.sort();
        hosts.dedup();
        // `ns/host` is already covered by `ns/*` (or `./*` for the scope's own namespace).
        let covered = |h: &String| {
            h.split_once('/').is_some_and(|(ns, host)| {
                host != "*"
                    && (hosts.contains(&format!("{ns}/*"))
                        || (ns == s.namespace && hosts.iter().any(|x| x == "./*")))
            })
        };
        let hosts: Vec<String> = hosts.iter().filter(|h| !covered(h)).cloned().collect();
        IstioResource::from(Sidecar {
            metadata: meta(Some(&s.namespace), "default", &self.labels(&[])),
            spec: SidecarSpec {
                egress: vec![IstioEgressListener {
                    hosts,
                    ..Default::default()
                }],
                outbound_traffic_policy: s.registry_only.then(|| OutboundTrafficPolicy {
                    mode: Some(OutboundTrafficPolicyMode::RegistryOnly),
                    ..Default::default()
                }),
                ..Default::default()
            },
            status: None,
        })
        .into()
    }
}

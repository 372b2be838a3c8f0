//! Compilation of the parts that refer to things outside the mesh's own workloads:
//! services deployed elsewhere, routes and traffic policies for external hosts, the ports
//! of external hosts, and explicit gateway port names.
//!
//! Codes used here are the ones of the module above: MESH0004 (PortOutOfRange),
//! MESH0005 (DuplicateHost), MESH0007 (PortNameConvention) and MESH0012
//! (UndeclaredService).

use std::collections::{BTreeMap, BTreeSet};

use istio_types::IstioResource;
use istio_types::networking::v1::{DestinationRule, DestinationRuleSpec};

use super::{Cx, meta};
use crate::gateway::{Egress, EgressRef, Gateway, Listener};
use crate::resources::Resource;
use crate::service::{Port, Protocol, Service};

fn listener_port(l: &Listener) -> (Protocol, u32) {
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
    /// A service whose workloads are deployed elsewhere: checked like any other, but only
    /// its Istio objects (the DestinationRule) are kept; its Service and Deployments are
    /// what analysis assumes the cluster has.
    pub(super) fn service_deployed_elsewhere(&mut self, s: &'m Service, out: &mut Vec<Resource>) {
        let mut own = Vec::new();
        self.service(s, &mut own);
        for r in own {
            if matches!(r, Resource::Istio(_)) {
                out.push(r);
            } else {
                self.assumed.push(r);
            }
        }
    }

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

    /// The declaration `e` refers to; reports a handle this mesh does not declare.
    pub(super) fn check_egress(
        &mut self,
        e: &EgressRef,
        what: impl FnOnce() -> String,
    ) -> Option<&'m Egress> {
        let found = self
            .mesh
            .egress
            .iter()
            .find(|x| x.namespace == e.namespace && x.name == e.name);
        if found.is_none() {
            let w = what();
            self.err(
                "MESH0012",
                "UndeclaredService",
                format!(
                    "{w} refers to external host {:?} (egress {}/{}), which this mesh does not declare",
                    e.host, e.namespace, e.name
                ),
            )
            .hint = Some(
                "use the handle mesh.egress(..) returned by this mesh (or merge the mesh that declares it)"
                    .into(),
            );
        }
        found
    }

    /// MESH0004 for each port or target port of `ports` outside 1-65535.
    pub(super) fn check_port_numbers(&mut self, what: &str, ports: &[Port]) {
        for (i, p) in ports.iter().enumerate() {
            for (label, n) in [("port", p.number), ("target port", p.target_port())] {
                if !(1..=65535).contains(&n) {
                    self.err(
                        "MESH0004",
                        "PortOutOfRange",
                        format!("{what}: {label} {n} is not between 1 and 65535"),
                    )
                    .path = Some(format!("ports[{i}]"));
                }
            }
        }
    }

    /// Port numbers and unique names of an external host's ports.
    pub(super) fn check_egress_ports(&mut self, e: &Egress) {
        let what = format!("egress {}/{}", e.namespace, e.name);
        let mut names = BTreeSet::new();
        self.check_port_numbers(&what, &e.ports);
        for p in &e.ports {
            if !names.insert(p.name.clone()) {
                self.err(
                    "MESH0007",
                    "PortNameConvention",
                    format!("{what}: two ports are named {:?}", p.name),
                )
                .hint = Some("name the others with Port::suffix, e.g. https-alt".into());
            }
        }
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
        for (host, who) in by_host {
            if who.len() > 1 {
                self.err(
                    "MESH0005",
                    "DuplicateHost",
                    format!(
                        "external host {host:?} has {} traffic policies ({}); Istio applies only one",
                        who.len(),
                        who.join(", ")
                    ),
                )
                .hint = Some(
                    "merge them into one mesh.egress_policy(..); TLS origination on a port is \
                     Policy::port(port, Policy::new().tls(Tls::Simple { .. }))"
                        .into(),
                );
            }
        }
    }

    /// Names set with [`Gateway::port_name`] must be for a port the gateway serves and
    /// must not clash with another port's name (Istio requires unique server port names).
    pub(super) fn check_gateway_port_names(&mut self, g: &Gateway) {
        let what = format!("gateway {}/{}", g.namespace, g.name);
        let names: Vec<(u32, String)> = g
            .listeners
            .iter()
            .map(|l| {
                let (proto, port) = listener_port(l);
                (port, server_port_name(g, proto, port))
            })
            .collect();
        for (port, name) in &g.port_names {
            if name.is_empty() {
                self.err(
                    "MESH0007",
                    "PortNameConvention",
                    format!("{what}: the name of port {port} is empty"),
                );
            }
            if !names.iter().any(|(p, _)| p == port) {
                self.err(
                    "MESH0007",
                    "PortNameConvention",
                    format!("{what} names port {port} {name:?}, but serves nothing on it"),
                )
                .hint = Some(format!(
                    "add a server on port {port} (.http_on / .https_on), or drop the name"
                ));
            }
            let clashes: BTreeSet<u32> = names
                .iter()
                .filter(|(p, n)| p != port && n == name)
                .map(|(p, _)| *p)
                .collect();
            for other in clashes {
                // The same words whichever of the two ports is looked at, so that a clash
                // of two set names is reported once.
                self.err(
                    "MESH0007",
                    "PortNameConvention",
                    format!(
                        "{what}: ports {} and {} are both named {name:?}",
                        other.min(*port),
                        other.max(*port)
                    ),
                )
                .hint = Some("give each port of a gateway its own name".into());
            }
        }
    }
}

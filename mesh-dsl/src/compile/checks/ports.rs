//! Checks of ports: numbers (MESH0004), names (MESH0007), and the servers of gateways
//! (MESH0014).

use std::collections::BTreeSet;

use super::super::Cx;
use super::super::edge::{listener_port, server_port_name};
use crate::codes;
use crate::gateway::{Egress, Gateway};
use crate::service::{Port, Service};

impl<'m> Cx<'m> {
    /// MESH0004 for each port or target port of `ports` outside 1-65535.
    pub(in crate::compile) fn check_port_numbers(&mut self, what: &str, ports: &[Port]) {
        for (i, p) in ports.iter().enumerate() {
            for (label, n) in [("port", p.number), ("target port", p.target_port())] {
                if !(1..=65535).contains(&n) {
                    self.report(
                        codes::PORT_OUT_OF_RANGE
                            .diagnostic(format!("{what}: {label} {n} is not between 1 and 65535"))
                            .at(format!("ports[{i}]")),
                    );
                }
            }
        }
    }

    /// A service's ports: numbers in range, and names that start with their protocol
    /// and are unique.
    pub(in crate::compile) fn check_service_ports(&mut self, what: &str, s: &Service) {
        let mut port_names = BTreeSet::new();
        self.check_port_numbers(what, &s.ports);
        for p in &s.ports {
            let proto = p.protocol.prefix();
            if p.name != proto && !p.name.starts_with(&format!("{proto}-")) {
                self.report(codes::PORT_NAME_CONVENTION.diagnostic(format!(
                    "{what}: port name {:?} does not start with its protocol {proto:?}",
                    p.name
                )));
            }
            if !port_names.insert(p.name.clone()) {
                self.report(
                    codes::PORT_NAME_CONVENTION
                        .diagnostic(format!("{what}: two ports are named {:?}", p.name))
                        .hint("name the others with Port::suffix, e.g. http-admin"),
                );
            }
        }
    }

    /// Port numbers and unique names of an external host's ports.
    pub(in crate::compile) fn check_egress_ports(&mut self, e: &Egress) {
        let what = format!("egress {}/{}", e.namespace, e.name);
        let mut names = BTreeSet::new();
        self.check_port_numbers(&what, &e.ports);
        for p in &e.ports {
            if !names.insert(p.name.clone()) {
                self.report(
                    codes::PORT_NAME_CONVENTION
                        .diagnostic(format!("{what}: two ports are named {:?}", p.name))
                        .hint("name the others with Port::suffix, e.g. https-alt"),
                );
            }
        }
    }

    /// MESH0004 when a route's destination port is outside 1-65535.
    pub(in crate::compile) fn check_destination_port(&mut self, port: u32, what: &str) {
        if !(1..=65535).contains(&port) {
            self.report(codes::PORT_OUT_OF_RANGE.diagnostic(format!(
                "{what}: destination port {port} is not between 1 and 65535"
            )));
        }
    }

    /// MESH0014 when a gateway has no servers.
    pub(in crate::compile) fn check_gateway_has_servers(&mut self, g: &Gateway) {
        if g.listeners.is_empty() {
            self.report(
                codes::ROUTE_WITHOUT_ACTION
                    .diagnostic(format!("gateway {}/{} has no servers", g.namespace, g.name))
                    .hint("add .http(hosts) or .https(hosts, credential)"),
            );
        }
    }

    /// MESH0004 when a gateway server's port is outside 1-65535.
    pub(in crate::compile) fn check_gateway_port(&mut self, g: &Gateway, port: u32) {
        if !(1..=65535).contains(&port) {
            self.report(codes::PORT_OUT_OF_RANGE.diagnostic(format!(
                "gateway {}/{}: port {port} is not between 1 and 65535",
                g.namespace, g.name
            )));
        }
    }

    /// Names set with [`Gateway::port_name`] must be for a port the gateway serves and
    /// must not clash with another port's name (Istio requires unique server port names).
    pub(in crate::compile) fn check_gateway_port_names(&mut self, g: &Gateway) {
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
                self.report(
                    codes::PORT_NAME_CONVENTION
                        .diagnostic(format!("{what}: the name of port {port} is empty")),
                );
            }
            if !names.iter().any(|(p, _)| p == port) {
                self.report(
                    codes::PORT_NAME_CONVENTION
                        .diagnostic(format!(
                            "{what} names port {port} {name:?}, but serves nothing on it"
                        ))
                        .hint(format!(
                            "add a server on port {port} (.http_on / .https_on), or drop the name"
                        )),
                );
            }
            let clashes: BTreeSet<u32> = names
                .iter()
                .filter(|(p, n)| p != port && n == name)
                .map(|(p, _)| *p)
                .collect();
            for other in clashes {
                // The same words whichever of the two ports is looked at, so that a clash
                // of two set names is reported once.
                self.report(
                    codes::PORT_NAME_CONVENTION
                        .diagnostic(format!(
                            "{what}: ports {} and {} are both named {name:?}",
                            other.min(*port),
                            other.max(*port)
                        ))
                        .hint("give each port of a gateway its own name"),
                );
            }
        }
    }
}

//! VirtualService analyzers: destination hosts, ports and subsets, gateways, conflicting
//! mesh hosts, and JWT claim routing.

use super::{HashMap, HashSet};
use std::collections::BTreeSet;

use istio_types::networking::common::Destination;
use istio_types::networking::v1::{VirtualService, VirtualServiceSpec};

use super::index::{Index, Obj, full_name};
use super::labels::{LabelMap, label_map, matches};
use super::messages::{
    CONFLICTING_MESH_GATEWAY_VS_HOSTS, INGRESS_ROUTE_RULES_NOT_AFFECTED,
    JWT_CLAIM_ROUTING_WITHOUT_AUTHN, REFERENCED_INTERNAL_GATEWAY, REFERENCED_RESOURCE_NOT_FOUND,
    VS_DESTINATION_PORT_REQUIRED, VS_HOST_NOT_IN_GATEWAY,
};
use crate::diag::Diagnostic;
use crate::istio::export_to::analysis_scopes;
use crate::istio::host::{self, analysis_fqdn, service_of_host};

/// A destination with where it is written.
struct Dest<'a> {
    mirror: bool,
    path: String,
    d: &'a Destination,
}

/// Route destinations in Istio's order: tcp, tls, then http.
fn route_destinations(spec: &VirtualServiceSpec) -> Vec<Dest<'_>> {
    let mut out = Vec::new();
    for (i, r) in spec.tcp.iter().enumerate() {
        for (j, rd) in r.route.iter().enumerate() {
            out.push(Dest {
                mirror: false,
                path: format!("spec.tcp[{i}].route[{j}].destination"),
                d: &rd.destination,
            });
        }
    }
    for (i, r) in spec.tls.iter().enumerate() {
        for (j, rd) in r.route.iter().enumerate() {
            out.push(Dest {
                mirror: false,
                path: format!("spec.tls[{i}].route[{j}].destination"),
                d: &rd.destination,
            });
        }
    }
    for (i, r) in spec.http.iter().enumerate() {
        for (j, rd) in r.route.iter().enumerate() {
            out.push(Dest {
                mirror: false,
                path: format!("spec.http[{i}].route[{j}].destination"),
                d: &rd.destination,
            });
        }
    }
    out
}

/// HTTP mirror destinations (`mirror` and `mirrors`).
fn mirror_destinations(spec: &VirtualServiceSpec) -> Vec<Dest<'_>> {
    let mut out = Vec::new();
    for (i, r) in spec.http.iter().enumerate() {
        if let Some(m) = &r.mirror {
            out.push(Dest {
                mirror: true,
                path: format!("spec.http[{i}].mirror"),
                d: m,
            });
        }
        for (j, m) in r.mirrors.iter().enumerate() {
            out.push(Dest {
                mirror: true,
                path: format!("spec.http[{i}].mirrors[{j}].destination"),
                d: &m.destination,
            });
        }
    }
    out
}

/// `virtualservice.DestinationHostAnalyzer`: IST0101 for destination hosts and ports that
/// no Service or ServiceEntry provides, IST0112 when a multi-port service is routed to
/// without a port, IST0140 for subset routing that a gateway VirtualService bypasses.
pub(crate) fn destination_hosts(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    // Hosts that some VirtualService routes to by subset (destination host is one of its
    // own hosts), with the VirtualServices doing so.
    let mut subset_hosts: HashMap<&str, Vec<String>> = HashMap::default();
    for vs in &idx.virtual_services {
        for http in &vs.obj.spec.http {
            for rd in &http.route {
                let d = &rd.destination;
                if d.subset.as_deref().is_some_and(|s| !s.is_empty())
                    && vs.obj.spec.hosts.contains(&d.host)
                {
                    subset_hosts
                        .entry(d.host.as_str())
                        .or_default()
                        .push(vs.full_name());
                }
            }
        }
    }
    for vs in &idx.virtual_services {
        let spec = &vs.obj.spec;
        let dests = route_destinations(spec);
        let mirrors = mirror_destinations(spec);
        for d in dests.iter().chain(&mirrors) {
            match idx.registry.resolve(vs.ns, &spec.export_to, &d.d.host) {
                None => {
                    let what = if d.mirror { "mirror host" } else { "host" };
                    out.push(
                        REFERENCED_RESOURCE_NOT_FOUND
                            .on(vs.res, format!("referenced {what} not found: {:?}", d.d.host))
                            .at(format!("{}.host", d.path))
                            .hint("define a Service or ServiceEntry for this host, or fix the host name"),
                    );
                }
                Some(entry) => match &d.d.port {
                    None => {
                        if entry.ports.len() > 1 {
                            let ports: Vec<u32> = entry.ports.iter().map(|p| p.number).collect();
                            out.push(
                                VS_DESTINATION_PORT_REQUIRED
                                    .on(
                                        vs.res,
                                        format!(
                                            "the destination {:?} exposes several ports {ports:?}; name the port to use",
                                            d.d.host
                                        ),
                                    )
                                    .at(d.path.clone())
                                    .hint("set destination.port.number"),
                            );
                        }
                    }
                    Some(p) => {
                        let n = p.number.unwrap_or(0);
                        if !entry.ports.iter().any(|x| x.number == n) {
                            out.push(
                                REFERENCED_RESOURCE_NOT_FOUND
                                    .on(
                                        vs.res,
                                        format!(
                                            "referenced host:port not found: \"{}:{n}\"",
                                            d.d.host
                                        ),
                                    )
                                    .at(format!("{}.port.number", d.path)),
                            );
                        }
                    }
                },
            }
        }
        // Subset routing of other VirtualServices does not apply to traffic entering
        // through this gateway VirtualService when it routes without a subset.
        if spec.gateways.is_empty() {
            continue;
        }
        for (i, http) in spec.http.iter().enumerate() {
            for (j, rd) in http.route.iter().enumerate() {
                if rd
                    .destination
                    .subset
                    .as_deref()
                    .is_some_and(|s| !s.is_empty())
                {
                    continue;
                }
                for other in subset_hosts
                    .get(rd.destination.host.as_str())
                    .into_iter()
                    .flatten()
                {
                    out.push(
                        INGRESS_ROUTE_RULES_NOT_AFFECTED
                            .on(
                                vs.res,
                                format!(
                                    "the subset routing of VirtualService {other} does not apply to requests entering through {}",
                                    vs.full_name()
                                ),
                            )
                            .at(format!("spec.http[{i}].route[{j}].destination"))
                            .hint("route to the subset in this gateway VirtualService too"),
                    );
                }
            }
        }
    }
}

/// `virtualservice.DestinationRuleAnalyzer`: IST0101 for destination subsets that no
/// DestinationRule of the host defines.
pub(crate) fn destination_rules(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let mut known: HashSet<(String, String, &str)> = HashSet::default();
    for dr in &idx.destination_rules {
        let fqdn = analysis_fqdn(&dr.obj.spec.host, dr.ns);
        let (ns, name) = service_of_host(dr.ns, &fqdn);
        for s in &dr.obj.spec.subsets {
            known.insert((ns.to_string(), name.to_string(), s.name.as_str()));
        }
    }
    for vs in &idx.virtual_services {
        let spec = &vs.obj.spec;
        for d in route_destinations(spec)
            .into_iter()
            .chain(mirror_destinations(spec))
        {
            let Some(subset) = d.d.subset.as_deref().filter(|s| !s.is_empty()) else {
                continue;
            };
            let (ns, name) = service_of_host(vs.ns, &d.d.host);
            if !known.contains(&(ns.to_string(), name.to_string(), subset)) {
                let what = if d.mirror {
                    "mirror+subset"
                } else {
                    "host+subset"
                };
                out.push(
                    REFERENCED_RESOURCE_NOT_FOUND
                        .on(
                            vs.res,
                            format!(
                                "referenced {what} in destinationrule not found: \"{}+{subset}\"",
                                d.d.host
                            ),
                        )
                        .at(format!("{}.subset", d.path))
                        .hint("define the subset in a DestinationRule for this host"),
                );
            }
        }
    }
}

/// Splits a gateway reference into `(namespace, name)` (Istio's `NewShortOrFullName`).
fn gateway_ref<'g>(vs_ns: &'g str, gw: &'g str) -> (&'g str, &'g str) {
    gw.split_once('/').unwrap_or((vs_ns, gw))
}

/// Istio's `IsInternalGatewayReference`.
fn is_internal_gateway(gw: &str) -> bool {
    let name = gw.split_once('/').map_or(gw, |(_, n)| n);
    name.contains("~istio-autogenerated-k8s-gateway~")
}

/// Whether any VirtualService host is served by the Istio Gateway `(ns, name)`.
fn vs_host_in_gateway(idx: &Index<'_>, ns: &str, name: &str, vs: &Obj<'_, VirtualService>) -> bool {
    let Some(gw) = idx.gateway(ns, name) else {
        return false;
    };
    let mut hosts: Vec<String> = Vec::new();
    for server in &gw.obj.spec.servers {
        let mut sanitized: Vec<String> = Vec::new();
        let mut all = false;
        for h in &server.hosts {
            match h.split_once('/') {
                Some((".", rest)) => sanitized.push(format!("{}/{rest}", gw.ns)),
                Some(("*", "*")) => {
                    all = true;
                    break;
                }
                Some(("*", rest)) => sanitized.push(rest.to_string()),
                _ => sanitized.push(h.clone()),
            }
        }
        if all {
            hosts.push("*".into());
        } else {
            hosts.extend(sanitized);
        }
    }
    // Istio's `NamesForNamespace`.
    let names = hosts.iter().filter_map(|h| match h.split_once('/') {
        Some((hns, rest)) if hns == vs.ns || hns == "*" => Some(rest),
        Some(_) => None,
        None => Some(h.as_str()),
    });
    names
        .into_iter()
        .any(|gh| vs.obj.spec.hosts.iter().any(|vh| host::matches(gh, vh)))
}

/// Whether any VirtualService host is served by a Kubernetes Gateway's listeners.
fn vs_host_in_k8s_gateway(listeners: &serde_json::Value, vs_hosts: &[String]) -> bool {
    let mut hosts = Vec::new();
    for l in listeners.as_array().into_iter().flatten() {
        match l.get("hostname").and_then(serde_json::Value::as_str) {
            None | Some("") => return true,
            Some(h) => hosts.push(h),
        }
    }
    hosts
        .iter()
        .any(|gh| vs_hosts.iter().any(|vh| host::matches(gh, vh)))
}

/// `virtualservice.GatewayAnalyzer`: IST0101 for gateways that do not exist, IST0132 for
/// VirtualService hosts a gateway does not serve, IST0165 for references to generated
/// gateways.
pub(crate) fn gateways(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for vs in &idx.virtual_services {
        for (i, gw) in vs.obj.spec.gateways.iter().enumerate() {
            if gw == "mesh" {
                continue;
            }
            let path = format!("spec.gateways[{i}]");
            if is_internal_gateway(gw) {
                out.push(
                    REFERENCED_INTERNAL_GATEWAY
                        .on(
                            vs.res,
                            format!(
                                "VirtualService {} references {gw:?}, a gateway Istio generates for a Kubernetes Gateway",
                                vs.full_name()
                            ),
                        )
                        .at(path)
                        .hint("reference the Kubernetes Gateway as `namespace/name` instead"),
                );
                continue;
            }
            let (gns, gname) = gateway_ref(vs.ns, gw);
            let istio_gw = idx.gateway(gns, gname).is_some();
            let k8s_gw = if istio_gw {
                None
            } else {
                idx.k8s_gateway_by_name.get(&(gns, gname)).copied()
            };
            if !istio_gw && k8s_gw.is_none() {
                out.push(
                    REFERENCED_RESOURCE_NOT_FOUND
                        .on(vs.res, format!("referenced gateway not found: {gw:?}"))
                        .at(path.clone()),
                );
            }
            let hosts_match = match k8s_gw {
                Some(g) => vs_host_in_k8s_gateway(
                    g.get("spec")
                        .and_then(|s| s.get("listeners"))
                        .unwrap_or(&serde_json::Value::Null),
                    &vs.obj.spec.hosts,
                ),
                None => vs_host_in_gateway(idx, gns, gname, vs),
            };
            if !hosts_match {
                out.push(
                    VS_HOST_NOT_IN_GATEWAY
                        .on(
                            vs.res,
                            format!(
                                "none of the hosts {:?} of VirtualService {} is served by Gateway {}",
                                vs.obj.spec.hosts,
                                vs.full_name(),
                                full_name(gns, gname)
                            ),
                        )
                        .at(path)
                        .hint("add the host to a server of the Gateway, or fix the VirtualService hosts"),
                );
            }
        }
    }
}

/// `virtualservice.ConflictingMeshGatewayHostsAnalyzer`: IST0109 for VirtualServices bound
/// to the mesh gateway that define the same host for overlapping namespaces.
pub(crate) fn conflicting_mesh_gateway_hosts(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    // (scope, FQDN) -> VirtualServices (indexes), in order.
    let mut by_host: HashMap<(String, String), Vec<usize>> = HashMap::default();
    let mut keys: Vec<(String, String)> = Vec::new();
    for (i, vs) in idx.virtual_services.iter().enumerate() {
        let spec = &vs.obj.spec;
        let mesh = spec.gateways.is_empty() || spec.gateways.iter().any(|g| g == "mesh");
        if !mesh {
            continue;
        }
        let scopes = match analysis_scopes(&spec.export_to, vs.ns) {
            None => vec!["*"],
            Some(list) => list,
        };
        for scope in scopes {
            for h in &spec.hosts {
                let key = (scope.to_string(), analysis_fqdn(h, vs.ns));
                let list = by_host.entry(key.clone()).or_default();
                if list.is_empty() {
                    keys.push(key);
                }
                list.push(i);
            }
        }
    }
    // Hosts visible everywhere, for conflicts with namespace-scoped ones: exact names by
    // hash, wildcard ones by scan (few in practice).
    let star_wildcards: Vec<&(String, String)> = keys
        .iter()
        .filter(|(s, h)| s == "*" && h.starts_with('*'))
        .collect();
    let star_all: Vec<&(String, String)> = keys.iter().filter(|(s, _)| s == "*").collect();
    let mut reported: HashSet<usize> = HashSet::default();
    for key in &keys {
        let mut list: Vec<usize> = by_host.get(key).cloned().unwrap_or_default();
        if key.0 != "*" {
            let host = key.1.as_str();
            let mut extra: BTreeSet<&(String, String)> = BTreeSet::new();
            if host.starts_with('*') {
                extra.extend(star_all.iter().filter(|(_, h)| host::matches(host, h)));
            } else {
                let exact = ("*".to_string(), host.to_string());
                if let Some((k, _)) = by_host.get_key_value(&exact) {
                    extra.insert(k);
                }
                extra.extend(
                    star_wildcards
                        .iter()
                        .filter(|(_, h)| host::matches(host, h)),
                );
            }
            for k in extra {
                list.extend(by_host.get(k).into_iter().flatten());
            }
        }
        if list.len() < 2 {
            continue;
        }
        let mut names: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::default();
        for vs in list.iter().filter_map(|&i| idx.virtual_services.get(i)) {
            let n = vs.full_name();
            if seen.insert(n.clone()) {
                names.push(n);
            }
        }
        // Every VirtualService of the conflict gets a finding: each names a bounded few.
        let names = super::bounded::name_list(&names, ",");
        for &i in &list {
            if !reported.insert(i) {
                continue;
            }
            if let Some(vs) = idx.virtual_services.get(i) {
                out.push(
                    CONFLICTING_MESH_GATEWAY_VS_HOSTS
                        .on(
                            vs.res,
                            format!(
                                "the mesh VirtualServices {} all define host {}/{}, which leaves routing undefined",
                                names,
                                key.0,
                                key.1
                            ),
                        )
                        .at("spec.hosts")
                        .hint("merge the conflicting VirtualServices into one, or narrow their exportTo"),
                );
            }
        }
    }
}

/// The header key a VirtualService routes on that starts with `@request.auth.claims.`.
fn jwt_claim_key(spec: &VirtualServiceSpec) -> Option<&str> {
    for r in &spec.http {
        for m in &r.r#match {
            for k in m.headers.keys().chain(m.without_headers.keys()) {
                if k.starts_with("@request.auth.claims") {
                    return Some(k);
                }
            }
        }
    }
    None
}

/// `virtualservice.JWTClaimRouteAnalyzer`: IST0149 when a gateway VirtualService routes on
/// JWT claims but the gateway's pods have no RequestAuthentication.
pub(crate) fn jwt_claim_route(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let mut ra_by_ns: HashMap<&str, Vec<LabelMap<'_>>> = HashMap::default();
    for ra in &idx.request_authentications {
        let sel: LabelMap = ra
            .obj
            .spec
            .selector
            .as_ref()
            .map(|s| label_map(&s.match_labels))
            .unwrap_or_default();
        ra_by_ns.entry(ra.ns).or_default().push(sel);
    }
    let root = idx.opts.istio_namespace.as_str();
    for vs in &idx.virtual_services {
        let Some(key) = jwt_claim_key(&vs.obj.spec) else {
            continue;
        };
        for gw in &vs.obj.spec.gateways {
            if gw == "mesh" {
                continue;
            }
            let (gns, gname) = gateway_ref(vs.ns, gw);
            let Some(g) = idx.gateway(gns, gname) else {
                continue;
            };
            let selector = label_map(&g.obj.spec.selector);
            for pod in idx.select(None, &selector) {
                let covered = ra_by_ns
                    .get(root)
                    .into_iter()
                    .flatten()
                    .chain(ra_by_ns.get(pod.ns).into_iter().flatten())
                    .any(|sel| matches(sel, &pod.labels));
                if !covered {
                    out.push(
                        JWT_CLAIM_ROUTING_WITHOUT_AUTHN
                            .on(
                                vs.res,
                                format!(
                                    "routes on JWT claim {key:?} but no RequestAuthentication applies to pod {} of gateway {}",
                                    pod.name,
                                    full_name(gns, gname)
                                ),
                            )
                            .at("spec.http")
                            .hint("apply a RequestAuthentication to the gateway pods so the claims are validated and available"),
                    );
                }
            }
        }
    }
}

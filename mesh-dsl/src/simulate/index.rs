//! The index built once from [`Resources`]: services by host, VirtualServices by host and
//! by gateway (delegates merged in), DestinationRules by namespace and host, gateways.

use std::collections::{BTreeMap, HashMap};

use istio_types::IstioResource;
use istio_types::networking::v1::{
    DestinationRule, Gateway, HttpRoute, Server, Subset, TrafficPolicy, VirtualService,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use super::decision::DelegateRef;
use super::delegate;
use super::hosts::{self, MESH_GATEWAY, Visibility};
use super::matching::CompiledMatch;
use crate::diag::ResourceRef;
use crate::resources::{Resource, Resources};

/// A host defined by a Kubernetes Service or a ServiceEntry.
#[derive(Clone, Debug)]
pub(crate) struct ServiceInfo {
    pub(crate) reference: ResourceRef,
    pub(crate) namespace: String,
    pub(crate) ports: Vec<u32>,
    pub(crate) visibility: Visibility,
}

/// A route of a VirtualService after delegate merging, ready to evaluate.
#[derive(Clone, Debug)]
pub(crate) struct CompiledRoute {
    pub(crate) index: usize,
    pub(crate) delegate: Option<DelegateRef>,
    /// The route, with destination and mirror hosts qualified.
    pub(crate) http: HttpRoute,
    pub(crate) matches: Vec<CompiledMatch>,
}

/// A VirtualService with hosts (delegates are merged into their roots).
#[derive(Clone, Debug)]
pub(crate) struct VsEntry {
    pub(crate) reference: ResourceRef,
    pub(crate) namespace: String,
    pub(crate) hosts: Vec<String>,
    /// Resolved gateway names; `mesh` when none are given.
    pub(crate) gateways: Vec<String>,
    pub(crate) visibility: Visibility,
    pub(crate) created: Option<Time>,
    pub(crate) routes: Vec<CompiledRoute>,
}

impl VsEntry {
    pub(crate) fn bound_to(&self, gateway: &str) -> bool {
        self.gateways.iter().any(|g| g == gateway)
    }
}

/// DestinationRules merged per host within one namespace, as Istio consolidates them.
#[derive(Clone, Debug)]
pub(crate) struct MergedRule {
    pub(crate) reference: ResourceRef,
    pub(crate) merged: Vec<ResourceRef>,
    pub(crate) namespace: String,
    pub(crate) subsets: Vec<Subset>,
    pub(crate) traffic_policy: Option<TrafficPolicy>,
    pub(crate) selector: Option<BTreeMap<String, String>>,
    pub(crate) visibility: Visibility,
}

/// The DestinationRules of one namespace, by host.
#[derive(Clone, Debug, Default)]
pub(crate) struct RuleSet {
    pub(crate) by_host: HashMap<String, Vec<MergedRule>>,
}

impl RuleSet {
    fn add(&mut self, host: String, dr: &DestinationRule, namespace: &str, r: ResourceRef) {
        let selector = dr
            .spec
            .workload_selector
            .as_ref()
            .map(|s| s.match_labels.clone());
        let incoming = MergedRule {
            reference: r.clone(),
            merged: Vec::new(),
            namespace: namespace.to_string(),
            subsets: dr.spec.subsets.clone(),
            traffic_policy: dr.spec.traffic_policy.clone(),
            selector: selector.clone(),
            visibility: Visibility::from_export_to(&dr.spec.export_to, namespace),
        };
        let list = self.by_host.entry(host).or_default();
        let mut separate = true;
        for existing in list.iter_mut() {
            let both_with = existing.selector.is_some() && selector.is_some();
            let same = existing.selector == selector;
            if both_with && !same {
                continue;
            }
            if (existing.selector.is_none() && selector.is_none()) || (selector.is_some() && same) {
                separate = false;
            }
            for s in &dr.spec.subsets {
                if !existing.subsets.iter().any(|e| e.name == s.name) {
                    existing.subsets.push(s.clone());
                }
            }
            if existing.traffic_policy.is_none() {
                existing.traffic_policy = dr.spec.traffic_policy.clone();
            }
            existing.merged.push(r.clone());
        }
        if separate {
            list.push(incoming);
        }
    }

    /// The most specific host entry that covers `host`: the exact one, else the longest
    /// wildcard.
    pub(crate) fn lookup(&self, host: &str) -> Option<(&str, &[MergedRule])> {
        if let Some((k, v)) = self.by_host.get_key_value(host) {
            return Some((k, v));
        }
        hosts::wildcard_keys(host)
            .find_map(|k| self.by_host.get_key_value(k.as_str()))
            .map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

/// A Gateway resource.
#[derive(Clone, Debug)]
pub(crate) struct GatewayEntry {
    pub(crate) name: String,
    pub(crate) reference: ResourceRef,
    pub(crate) namespace: String,
    pub(crate) selector: BTreeMap<String, String>,
    pub(crate) servers: Vec<Server>,
}

/// Everything the simulator looks up, built once.
#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    pub(crate) default_namespace: String,
    pub(crate) root_namespace: String,
    pub(crate) services: HashMap<String, Vec<ServiceInfo>>,
    /// Hosts any resource names (for qualifying `name.namespace` request hosts).
    pub(crate) known_hosts: std::collections::HashSet<String>,
    pub(crate) vs: Vec<VsEntry>,
    pub(crate) vs_by_host: HashMap<String, Vec<usize>>,
    pub(crate) vs_by_wildcard: HashMap<String, Vec<usize>>,
    pub(crate) vs_by_gateway: HashMap<String, Vec<usize>>,
    pub(crate) rules_local: HashMap<String, RuleSet>,
    pub(crate) rules_exported: HashMap<String, RuleSet>,
    pub(crate) gateways: BTreeMap<String, GatewayEntry>,
    pub(crate) warnings: Vec<String>,
}

fn ns_of(meta: &ObjectMeta, default: &str) -> String {
    meta.namespace
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| default.to_string())
}

fn name_of(meta: &ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

/// Qualifies every host a VirtualService names (destinations, mirrors) and its gateway
/// references, with the namespace it lives in, as Istio does before anything else.
fn normalize_routes(http: &[HttpRoute], ns: &str) -> Vec<HttpRoute> {
    http.iter()
        .map(|r| {
            let mut r = r.clone();
            for m in &mut r.r#match {
                for g in &mut m.gateways {
                    *g = hosts::resolve_gateway(g, ns);
                }
            }
            for d in &mut r.route {
                d.destination.host = hosts::qualify(&d.destination.host, ns);
            }
            if let Some(m) = &mut r.mirror {
                m.host = hosts::qualify(&m.host, ns);
            }
            for m in &mut r.mirrors {
                m.destination.host = hosts::qualify(&m.destination.host, ns);
            }
            r
        })
        .collect()
}

struct RawVs<'a> {
    vs: &'a VirtualService,
    namespace: String,
    reference: ResourceRef,
    created: Option<Time>,
    http: Vec<HttpRoute>,
}

impl Index {
    pub(crate) fn build(resources: &Resources, default_namespace: &str, root: &str) -> Self {
        let mut ix = Index {
            default_namespace: default_namespace.to_string(),
            root_namespace: root.to_string(),
            ..Default::default()
        };
        let mut raw_vs: Vec<RawVs<'_>> = Vec::new();
        let mut drs: Vec<(&DestinationRule, String, ResourceRef, Option<Time>)> = Vec::new();
        for r in resources {
            match r {
                Resource::Service(svc) => ix.add_k8s_service(svc, default_namespace),
                Resource::Istio(IstioResource::ServiceEntry(se)) => {
                    let ns = ns_of(&se.metadata, default_namespace);
                    let reference =
                        ResourceRef::new("ServiceEntry", Some(&ns), name_of(&se.metadata));
                    let ports: Vec<u32> = se.spec.ports.iter().map(|p| p.number).collect();
                    let visibility = Visibility::from_export_to(&se.spec.export_to, &ns);
                    for h in &se.spec.hosts {
                        let host = hosts::qualify(h, &ns);
                        ix.known_hosts.insert(host.clone());
                        ix.services.entry(host).or_default().push(ServiceInfo {
                            reference: reference.clone(),
                            namespace: ns.clone(),
                            ports: ports.clone(),
                            visibility: visibility.clone(),
                        });
                    }
                }
                Resource::Istio(IstioResource::VirtualService(vs)) => {
                    let ns = ns_of(&vs.metadata, default_namespace);
                    let reference =
                        ResourceRef::new("VirtualService", Some(&ns), name_of(&vs.metadata));
                    let http = normalize_routes(&vs.spec.http, &ns);
                    raw_vs.push(RawVs {
                        vs,
                        created: vs.metadata.creation_timestamp.clone(),
                        namespace: ns,
                        reference,
                        http,
                    });
                }
                Resource::Istio(IstioResource::DestinationRule(dr)) => {
                    let ns = ns_of(&dr.metadata, default_namespace);
                    let reference =
                        ResourceRef::new("DestinationRule", Some(&ns), name_of(&dr.metadata));
                    drs.push((dr, ns, reference, dr.metadata.creation_timestamp.clone()));
                }
                Resource::Istio(IstioResource::Gateway(gw)) => {
                    ix.add_gateway(gw, default_namespace)
                }
                _ => {}
            }
        }
        ix.add_destination_rules(drs);
        ix.add_virtual_services(raw_vs);
        ix
    }

    fn add_k8s_service(&mut self, svc: &k8s_openapi::api::core::v1::Service, default_ns: &str) {
        let ns = ns_of(&svc.metadata, default_ns);
        let name = name_of(&svc.metadata);
        if name.is_empty() {
            return;
        }
        let host = crate::istio::host::service_fqdn(&name, &ns);
        let ports = svc
            .spec
            .as_ref()
            .and_then(|s| s.ports.as_ref())
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| u32::try_from(p.port).ok())
                    .collect()
            })
            .unwrap_or_default();
        self.known_hosts.insert(host.clone());
        self.services.entry(host).or_default().push(ServiceInfo {
            reference: ResourceRef::new("Service", Some(&ns), name),
            namespace: ns,
            ports,
            visibility: Visibility::Public,
        });
    }

    fn add_gateway(&mut self, gw: &Gateway, default_ns: &str) {
        let ns = ns_of(&gw.metadata, default_ns);
        let name = format!("{ns}/{}", name_of(&gw.metadata));
        let mut servers = gw.spec.servers.clone();
        // A `./host` server host means the gateway's own namespace.
        for s in &mut servers {
            for h in &mut s.hosts {
                if let Some(rest) = h.strip_prefix("./") {
                    *h = format!("{ns}/{rest}");
                }
            }
        }
        self.gateways.insert(
            name.clone(),
            GatewayEntry {
                name,
                reference: ResourceRef::new("Gateway", Some(&ns), name_of(&gw.metadata)),
                namespace: ns,
                selector: gw.spec.selector.clone(),
                servers,
            },
        );
    }

    fn add_destination_rules(
        &mut self,
        mut drs: Vec<(&DestinationRule, String, ResourceRef, Option<Time>)>,
    ) {
        drs.sort_by(|a, b| (&a.3, &a.2.name, &a.1).cmp(&(&b.3, &b.2.name, &b.1)));
        for (dr, ns, reference, _) in drs {
            let host = hosts::qualify(&dr.spec.host, &ns);
            self.known_hosts.insert(host.clone());
            let vis = Visibility::from_export_to(&dr.spec.export_to, &ns);
            // Seen from its own namespace whenever it is exported there (or not restricted).
            if vis.visible_to(&ns) || matches!(vis, Visibility::Public) {
                self.rules_local.entry(ns.clone()).or_default().add(
                    host.clone(),
                    dr,
                    &ns,
                    reference.clone(),
                );
            }
            if !vis.private_to(&ns) && vis != Visibility::Nobody {
                self.rules_exported
                    .entry(ns.clone())
                    .or_default()
                    .add(host, dr, &ns, reference);
            }
        }
    }

    fn add_virtual_services(&mut self, mut raw: Vec<RawVs<'_>>) {
        // Istio orders VirtualServices by creation time, then name, then namespace, and
        // lists the ones that delegate after all others.
        let is_root = |r: &RawVs<'_>| r.http.iter().any(|h| h.delegate.is_some());
        raw.sort_by(|a, b| {
            (is_root(a), &a.created, &a.reference.name, &a.namespace).cmp(&(
                is_root(b),
                &b.created,
                &b.reference.name,
                &b.namespace,
            ))
        });
        // Delegates: VirtualServices without hosts.
        let delegates: HashMap<(String, String), usize> = raw
            .iter()
            .enumerate()
            .filter(|(_, r)| r.vs.spec.hosts.is_empty())
            .map(|(i, r)| ((r.namespace.clone(), r.reference.name.clone()), i))
            .collect();
        for r in raw.iter().filter(|r| !r.vs.spec.hosts.is_empty()) {
            let mut routes = Vec::new();
            for (i, http) in r.http.iter().enumerate() {
                match &http.delegate {
                    None => routes.push(self.compile_route(http.clone(), i, None, r)),
                    Some(d) => {
                        let dns = d
                            .namespace
                            .clone()
                            .filter(|n| !n.is_empty())
                            .unwrap_or_else(|| r.namespace.clone());
                        let dname = d.name.clone().unwrap_or_default();
                        let Some(&di) = delegates.get(&(dns.clone(), dname.clone())) else {
                            self.warnings.push(format!(
                                "{} http[{i}]: delegate VirtualService {dns}/{dname} not found; Istio ignores this route",
                                r.reference
                            ));
                            continue;
                        };
                        self.delegated_routes(r, i, &raw[di], &dns, &mut routes);
                    }
                }
            }
            self.register_virtual_service(r, routes);
        }
    }

    /// The routes of delegate `dr` merged into route `i` of root `r`, as Istio merges
    /// them (nothing when the delegate is not exported to the root's namespace).
    fn delegated_routes(
        &mut self,
        r: &RawVs<'_>,
        i: usize,
        dr: &RawVs<'_>,
        dns: &str,
        routes: &mut Vec<CompiledRoute>,
    ) {
        let http = &r.http[i];
        let vis = Visibility::from_export_to(&dr.vs.spec.export_to, dns);
        if !vis.visible_to(&r.namespace) {
            self.warnings.push(format!(
                "{} http[{i}]: delegate {} is not exported to namespace {}; Istio ignores this route",
                r.reference, dr.reference, r.namespace
            ));
            return;
        }
        for (j, sub) in dr.http.iter().enumerate() {
            if sub.delegate.is_some() {
                self.warnings.push(format!(
                    "{} http[{j}]: a delegate cannot delegate again; route ignored",
                    dr.reference
                ));
                continue;
            }
            match delegate::merge_route(http, sub) {
                Some(merged) => {
                    let origin = DelegateRef {
                        virtual_service: dr.reference.clone(),
                        index: j,
                    };
                    routes.push(self.compile_route(merged, i, Some(origin), r));
                }
                None => self.warnings.push(format!(
                    "{} http[{j}]: its match conditions are not within those of {} http[{i}]; Istio drops this route",
                    dr.reference, r.reference
                )),
            }
        }
    }

    /// Indexes root VirtualService `r` with its compiled routes by host (exact or
    /// wildcard) and by gateway.
    fn register_virtual_service(&mut self, r: &RawVs<'_>, routes: Vec<CompiledRoute>) {
        let hosts: Vec<String> =
            r.vs.spec
                .hosts
                .iter()
                .map(|h| hosts::qualify(h, &r.namespace))
                .collect();
        let gateways: Vec<String> = if r.vs.spec.gateways.is_empty() {
            vec![MESH_GATEWAY.to_string()]
        } else {
            r.vs.spec
                .gateways
                .iter()
                .map(|g| hosts::resolve_gateway(g, &r.namespace))
                .collect()
        };
        let idx = self.vs.len();
        for h in &hosts {
            self.known_hosts.insert(h.clone());
            let map = if hosts::is_wildcard(h) {
                &mut self.vs_by_wildcard
            } else {
                &mut self.vs_by_host
            };
            let list = map.entry(h.clone()).or_default();
            if list.last() != Some(&idx) {
                list.push(idx);
            }
        }
        for g in &gateways {
            let list = self.vs_by_gateway.entry(g.clone()).or_default();
            if list.last() != Some(&idx) {
                list.push(idx);
            }
        }
        for route in &routes {
            for d in &route.http.route {
                self.known_hosts.insert(d.destination.host.clone());
            }
        }
        self.vs.push(VsEntry {
            reference: r.reference.clone(),
            namespace: r.namespace.clone(),
            hosts,
            gateways,
            visibility: Visibility::from_export_to(&r.vs.spec.export_to, &r.namespace),
            created: r.created.clone(),
            routes,
        });
    }

    fn compile_route(
        &mut self,
        http: HttpRoute,
        index: usize,
        delegate: Option<DelegateRef>,
        r: &RawVs<'_>,
    ) -> CompiledRoute {
        let at = format!("{} http[{index}]", r.reference);
        let matches = http
            .r#match
            .iter()
            .enumerate()
            .map(|(mi, m)| CompiledMatch::compile(m, mi, &r.namespace, &mut self.warnings, &at))
            .collect();
        CompiledRoute {
            index,
            delegate,
            http,
            matches,
        }
    }

    /// The service definitions for a host that a proxy in `ns` may see.
    pub(crate) fn service(&self, host: &str, ns: &str) -> Option<&ServiceInfo> {
        let defs = self.services.get(host)?;
        defs.iter()
            .find(|s| s.namespace == ns && s.visibility.visible_to(ns))
            .or_else(|| defs.iter().find(|s| s.visibility.visible_to(ns)))
    }
}

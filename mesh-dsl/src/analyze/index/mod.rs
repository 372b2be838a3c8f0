//! The index every analyzer reads, built once per [`super::analyze`] call: objects by kind,
//! namespace and name, workloads by label, and the service registry by host. Building it
//! is linear in the number of objects; lookups are hash lookups.

use super::HashMap;

use istio_types::IstioResource;
use istio_types::extensions::v1alpha1::WasmPlugin;
use istio_types::networking::v1::{
    DestinationRule, Gateway, ServiceEntry, Sidecar, VirtualService, WorkloadEntry,
};
use istio_types::networking::v1alpha3::EnvoyFilter;
use istio_types::security::v1::{AuthorizationPolicy, RequestAuthentication};
use istio_types::telemetry::v1::Telemetry;
use k8s_openapi::api::core::v1::{Service, ServicePort};
use serde_json::Value;

use super::AnalyzeOptions;
use super::host::{HostEntry, HostPort, ServiceRegistry};
use super::labels::{LabelMap, label_map, labels_json, labels_typed, matches};
use super::meshconfig::MeshConfig;
use crate::diag::Diagnostic;
use crate::istio::export_to;
use crate::resources::{Resource, Resources};

mod workloads;
pub(crate) use workloads::{Workload, WorkloadKind, default_resources};
use workloads::{deployment_workload, deployment_workload_json, pod_workload};

/// Namespaces whose objects Istio's analysis ignores.
pub(crate) const IGNORED_NAMESPACES: &[&str] = &[
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "local-path-storage",
];

/// The annotation that suppresses findings on a resource (`IST0101,IST0102` or `*`).
const SUPPRESS_ANNOTATION: &str = "galley.istio.io/analyze-suppress";

/// An Istio object with its effective namespace.
pub(crate) struct Obj<'a, T> {
    pub res: &'a Resource,
    pub ns: &'a str,
    pub name: &'a str,
    pub obj: &'a T,
}

impl<T> Clone for Obj<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Obj<'_, T> {}

impl<'a, T> Obj<'a, T> {
    /// `namespace/name`, or `name` when the object has no namespace (Istio's full name).
    pub fn full_name(&self) -> String {
        full_name(self.ns, self.name)
    }
}

/// Istio's `namespace/name` form (just `name` without a namespace).
pub(crate) fn full_name(ns: &str, name: &str) -> String {
    if ns.is_empty() {
        name.to_string()
    } else {
        format!("{ns}/{name}")
    }
}

/// A Namespace.
pub(crate) struct NamespaceView<'a> {
    pub res: &'a Resource,
    pub name: &'a str,
    pub labels: LabelMap<'a>,
}

impl NamespaceView<'_> {
    /// Istio's `NamespaceInAmbientMode`.
    pub fn ambient(&self) -> bool {
        if self.labels.get("istio-injection") == Some(&"enabled") {
            return false;
        }
        if self
            .labels
            .get("istio.io/rev")
            .is_some_and(|v| !v.is_empty())
        {
            return false;
        }
        self.labels.get("istio.io/dataplane-mode") == Some(&"ambient")
    }
}

/// A Kubernetes Service.
pub(crate) struct ServiceView<'a> {
    pub res: &'a Resource,
    pub ns: &'a str,
    pub name: &'a str,
    pub svc: &'a Service,
    pub labels: LabelMap<'a>,
    pub annotations: LabelMap<'a>,
    pub selector: LabelMap<'a>,
    pub ports: &'a [ServicePort],
}

/// A Kubernetes object kept as JSON (ConfigMap, Secret, webhook configurations, ...).
pub(crate) struct OtherView<'a> {
    pub res: &'a Resource,
    pub ns: &'a str,
    pub name: &'a str,
    pub value: &'a Value,
}

impl<'a> OtherView<'a> {
    /// `metadata.<key>` as a label map.
    pub fn meta_map(&self, key: &str) -> LabelMap<'a> {
        labels_json(self.value.get("metadata").and_then(|m| m.get(key)))
    }
}

/// Everything the analyzers look at.
pub(crate) struct Index<'a> {
    pub opts: &'a AnalyzeOptions,
    pub mesh: &'a MeshConfig,
    /// Every object analyzed, in the stable order.
    pub all: Vec<&'a Resource>,
    pub virtual_services: Vec<Obj<'a, VirtualService>>,
    pub destination_rules: Vec<Obj<'a, DestinationRule>>,
    pub gateways: Vec<Obj<'a, Gateway>>,
    pub service_entries: Vec<Obj<'a, ServiceEntry>>,
    pub sidecars: Vec<Obj<'a, Sidecar>>,
    pub envoy_filters: Vec<Obj<'a, EnvoyFilter>>,
    pub telemetries: Vec<Obj<'a, Telemetry>>,
    pub authorization_policies: Vec<Obj<'a, AuthorizationPolicy>>,
    pub request_authentications: Vec<Obj<'a, RequestAuthentication>>,
    pub wasm_plugins: Vec<Obj<'a, WasmPlugin>>,
    pub workload_entries: Vec<Obj<'a, WorkloadEntry>>,
    pub namespaces: Vec<NamespaceView<'a>>,
    namespace_by_name: HashMap<&'a str, usize>,
    pub services: Vec<ServiceView<'a>>,
    service_by_name: HashMap<(&'a str, &'a str), usize>,
    /// Services by `(namespace, selector key, selector value)`.
    service_by_selector: HashMap<(&'a str, &'a str, &'a str), Vec<usize>>,
    /// Pods, then Deployments.
    pub workloads: Vec<Workload<'a>>,
    /// Workloads that selectors may match.
    selectable: Vec<usize>,
    sel_by_ns: HashMap<&'a str, Vec<usize>>,
    sel_by_ns_label: HashMap<(&'a str, &'a str, &'a str), Vec<usize>>,
    sel_by_label: HashMap<(&'a str, &'a str), Vec<usize>>,
    pod_list: Vec<usize>,
    /// Other objects by kind.
    others: HashMap<&'a str, Vec<OtherView<'a>>>,
    /// Gateways by `(namespace, name)`.
    gateway_by_name: HashMap<(&'a str, &'a str), usize>,
    /// Kubernetes Gateway API gateways by `(namespace, name)`.
    pub k8s_gateway_by_name: HashMap<(&'a str, &'a str), &'a Value>,
    /// Node labels by node name.
    pub node_labels: HashMap<&'a str, LabelMap<'a>>,
    /// Objects by `(kind, namespace as written, name)`, for suppression annotations.
    by_ref: HashMap<(&'a str, Option<&'a str>, &'a str), &'a Resource>,
    /// Hosts of Services and ServiceEntries.
    pub registry: ServiceRegistry<'a>,
}

/// Istio's `InitServiceEntryHostMap`: files every host of every ServiceEntry and
/// Service under the scopes its `exportTo` gives it.
fn service_registry<'a>(idx: &Index<'a>) -> ServiceRegistry<'a> {
    let mut reg = ServiceRegistry::default();
    for se in &idx.service_entries {
        let spec = &se.obj.spec;
        let at = reg.add(HostEntry {
            ns: se.ns,
            ports: spec
                .ports
                .iter()
                .map(|p| HostPort { number: p.number })
                .collect(),
            selector: spec
                .workload_selector
                .as_ref()
                .map(|w| label_map(&w.labels))
                .unwrap_or_default(),
            kubernetes: false,
        });
        let scopes = export_to::analysis_scopes(&spec.export_to, se.ns)
            .unwrap_or_else(|| vec![export_to::PUBLIC]);
        for h in &spec.hosts {
            for s in &scopes {
                reg.insert(s, se.ns, h, at);
            }
        }
    }
    for svc in &idx.services {
        let at = reg.add(HostEntry {
            ns: svc.ns,
            ports: svc
                .ports
                .iter()
                .map(|p| HostPort {
                    number: u32::try_from(p.port).unwrap_or(0),
                })
                .collect(),
            selector: svc
                .svc
                .spec
                .as_ref()
                .map(|s| labels_typed(&s.selector))
                .unwrap_or_default(),
            kubernetes: true,
        });
        let anno = svc
            .annotations
            .get("networking.istio.io/exportTo")
            .copied()
            .unwrap_or("");
        for scope in export_to::annotation_scopes(anno, svc.ns) {
            reg.insert(scope, svc.ns, svc.name, at);
        }
    }
    reg
}

fn is_ignored_ns(ns: &str) -> bool {
    IGNORED_NAMESPACES.contains(&ns)
}

impl<'a> Index<'a> {
    pub fn build(
        resources: &'a Resources,
        extra: &'a [Resource],
        opts: &'a AnalyzeOptions,
    ) -> Self {
        let mut idx = Index {
            opts,
            mesh: &opts.mesh_config,
            all: Vec::new(),
            virtual_services: Vec::new(),
            destination_rules: Vec::new(),
            gateways: Vec::new(),
            service_entries: Vec::new(),
            sidecars: Vec::new(),
            envoy_filters: Vec::new(),
            telemetries: Vec::new(),
            authorization_policies: Vec::new(),
            request_authentications: Vec::new(),
            wasm_plugins: Vec::new(),
            workload_entries: Vec::new(),
            namespaces: Vec::new(),
            namespace_by_name: HashMap::default(),
            services: Vec::new(),
            service_by_name: HashMap::default(),
            service_by_selector: HashMap::default(),
            workloads: Vec::new(),
            selectable: Vec::new(),
            sel_by_ns: HashMap::default(),
            sel_by_ns_label: HashMap::default(),
            sel_by_label: HashMap::default(),
            pod_list: Vec::new(),
            others: HashMap::default(),
            gateway_by_name: HashMap::default(),
            k8s_gateway_by_name: HashMap::default(),
            node_labels: HashMap::default(),
            by_ref: HashMap::default(),
            registry: ServiceRegistry::default(),
        };
        let default_ns = opts.default_namespace.as_str();
        let mut deployments = Vec::new();
        for r in resources.iter().chain(extra) {
            // Typed Gateway API resources are indexed through their JSON copies in
            // `extra` (see `analyze`), as the analyzers read them.
            if matches!(r, Resource::GatewayApi(_)) {
                continue;
            }
            let ns = r.namespace().unwrap_or(default_ns);
            if is_ignored_ns(ns) || (r.kind() == "Namespace" && is_ignored_ns(r.name())) {
                continue;
            }
            idx.all.push(r);
            idx.by_ref.insert((r.kind(), r.namespace(), r.name()), r);
            let name = r.name();
            match r {
                Resource::Istio(ir) => idx.add_istio(r, ir, ns, name),
                Resource::Namespace(n) => idx.add_namespace(r, labels_typed(&n.metadata.labels)),
                Resource::Service(s) => idx.add_service(r, s, ns, name),
                Resource::Deployment(d) => deployments.push(deployment_workload(r, d, ns, name)),
                Resource::ServiceAccount(_) | Resource::GatewayApi(_) => {}
                Resource::Other(v) => idx.add_other(r, v, ns, name, &mut deployments),
            }
        }
        // Pods first, then Deployments: selectors see pods in their order.
        idx.workloads.extend(deployments);
        idx.index_workloads();
        idx.registry = service_registry(&idx);
        idx
    }

    fn add_istio(&mut self, r: &'a Resource, ir: &'a IstioResource, ns: &'a str, name: &'a str) {
        macro_rules! push {
            ($field:ident, $obj:expr) => {
                self.$field.push(Obj {
                    res: r,
                    ns,
                    name,
                    obj: $obj,
                })
            };
        }
        match ir {
            IstioResource::VirtualService(o) => push!(virtual_services, o),
            IstioResource::DestinationRule(o) => push!(destination_rules, o),
            IstioResource::Gateway(o) => {
                self.gateway_by_name.insert((ns, name), self.gateways.len());
                push!(gateways, o)
            }
            IstioResource::ServiceEntry(o) => push!(service_entries, o),
            IstioResource::Sidecar(o) => push!(sidecars, o),
            IstioResource::EnvoyFilter(o) => push!(envoy_filters, o),
            IstioResource::Telemetry(o) => push!(telemetries, o),
            IstioResource::AuthorizationPolicy(o) => push!(authorization_policies, o),
            IstioResource::RequestAuthentication(o) => push!(request_authentications, o),
            IstioResource::WasmPlugin(o) => push!(wasm_plugins, o),
            IstioResource::WorkloadEntry(o) => push!(workload_entries, o),
            _ => {}
        }
    }

    fn add_namespace(&mut self, r: &'a Resource, labels: LabelMap<'a>) {
        let name = r.name();
        self.namespace_by_name.insert(name, self.namespaces.len());
        self.namespaces.push(NamespaceView {
            res: r,
            name,
            labels,
        });
    }

    fn add_service(&mut self, r: &'a Resource, s: &'a Service, ns: &'a str, name: &'a str) {
        let spec = s.spec.as_ref();
        let selector = spec
            .map(|sp| labels_typed(&sp.selector))
            .unwrap_or_default();
        let at = self.services.len();
        for (k, v) in &selector {
            self.service_by_selector
                .entry((ns, k, v))
                .or_default()
                .push(at);
        }
        self.service_by_name.insert((ns, name), at);
        self.services.push(ServiceView {
            res: r,
            ns,
            name,
            svc: s,
            labels: labels_typed(&s.metadata.labels),
            annotations: labels_typed(&s.metadata.annotations),
            selector,
            ports: spec.and_then(|sp| sp.ports.as_deref()).unwrap_or(&[]),
        });
    }

    fn add_other(
        &mut self,
        r: &'a Resource,
        v: &'a Value,
        ns: &'a str,
        name: &'a str,
        deployments: &mut Vec<Workload<'a>>,
    ) {
        let kind = r.kind();
        let api = r.api_version();
        match (api, kind) {
            ("v1", "Pod") => {
                let w = pod_workload(r, v, ns, name);
                self.workloads.push(w);
                return;
            }
            ("v1", "Namespace") => {
                self.add_namespace(
                    r,
                    labels_json(v.get("metadata").and_then(|m| m.get("labels"))),
                );
                return;
            }
            ("apps/v1", "Deployment") => {
                deployments.push(deployment_workload_json(r, v, ns, name));
                return;
            }
            ("v1", "Node") => {
                self.node_labels.insert(
                    name,
                    labels_json(v.get("metadata").and_then(|m| m.get("labels"))),
                );
            }
            _ => {}
        }
        if api.starts_with("gateway.networking.k8s.io/") && kind == "Gateway" {
            self.k8s_gateway_by_name.insert((ns, name), v);
        }
        self.others.entry(kind).or_default().push(OtherView {
            res: r,
            ns,
            name,
            value: v,
        });
    }

    fn index_workloads(&mut self) {
        for (i, w) in self.workloads.iter().enumerate() {
            let selectable = w.kind == WorkloadKind::Pod || self.opts.workloads_from_deployments;
            if w.kind == WorkloadKind::Pod {
                self.pod_list.push(i);
            }
            if !selectable {
                continue;
            }
            self.selectable.push(i);
            self.sel_by_ns.entry(w.ns).or_default().push(i);
            for (k, v) in &w.labels {
                self.sel_by_ns_label
                    .entry((w.ns, k, v))
                    .or_default()
                    .push(i);
                self.sel_by_label.entry((k, v)).or_default().push(i);
            }
        }
    }

    /// The workloads matching a label selector, in `ns` (or anywhere when `None`); an empty
    /// selector matches every workload. Pods always count; Deployment templates count when
    /// [`AnalyzeOptions::workloads_from_deployments`] is on.
    pub fn select(&self, ns: Option<&str>, selector: &LabelMap<'_>) -> Vec<&Workload<'a>> {
        let candidates: &[usize] = if selector.is_empty() {
            match ns {
                Some(ns) => self.sel_by_ns.get(ns).map_or(&[], Vec::as_slice),
                None => &self.selectable,
            }
        } else {
            let mut best: Option<&[usize]> = None;
            for (k, v) in selector {
                let list = match ns {
                    Some(ns) => self.sel_by_ns_label.get(&(ns, *k, *v)),
                    None => self.sel_by_label.get(&(*k, *v)),
                }
                .map_or(&[][..], Vec::as_slice);
                if best.is_none_or(|b| list.len() < b.len()) {
                    best = Some(list);
                }
            }
            best.unwrap_or(&[])
        };
        candidates
            .iter()
            .filter_map(|&i| self.workloads.get(i))
            .filter(|w| matches(selector, &w.labels))
            .collect()
    }

    /// Whether any workload matches (see [`Index::select`]).
    pub fn any_selected(&self, ns: Option<&str>, selector: &LabelMap<'_>) -> bool {
        !self.select(ns, selector).is_empty()
    }

    /// Real Pods.
    pub fn pods(&self) -> impl Iterator<Item = &Workload<'a>> {
        self.pod_list.iter().filter_map(|&i| self.workloads.get(i))
    }

    /// Deployments.
    pub fn deployments(&self) -> impl Iterator<Item = &Workload<'a>> {
        self.workloads
            .iter()
            .filter(|w| w.kind == WorkloadKind::Deployment)
    }

    /// A Namespace by name.
    pub fn namespace(&self, name: &str) -> Option<&NamespaceView<'a>> {
        self.namespace_by_name
            .get(name)
            .and_then(|&i| self.namespaces.get(i))
    }

    /// A Service by namespace and name.
    pub fn service(&self, ns: &str, name: &str) -> Option<&ServiceView<'a>> {
        self.service_by_name
            .get(&(ns, name))
            .and_then(|&i| self.services.get(i))
    }

    /// Services in `ns` whose (non-empty) selector matches `labels`.
    pub fn services_selecting(&self, ns: &str, labels: &LabelMap<'_>) -> Vec<&ServiceView<'a>> {
        let mut seen = std::collections::BTreeSet::new();
        for (k, v) in labels {
            if let Some(list) = self.service_by_selector.get(&(ns, *k, *v)) {
                seen.extend(list.iter().copied());
            }
        }
        seen.iter()
            .filter_map(|&i| self.services.get(i))
            .filter(|s| !s.selector.is_empty() && matches(&s.selector, labels))
            .collect()
    }

    /// An Istio Gateway by namespace and name.
    pub fn gateway(&self, ns: &str, name: &str) -> Option<&Obj<'a, Gateway>> {
        self.gateway_by_name
            .get(&(ns, name))
            .and_then(|&i| self.gateways.get(i))
    }

    /// Objects kept as JSON, of one kind.
    pub fn others(&self, kind: &str) -> &[OtherView<'a>] {
        self.others.get(kind).map_or(&[], Vec::as_slice)
    }

    /// Whether a finding is suppressed by its resource's annotation.
    pub fn suppressed(&self, d: &Diagnostic) -> bool {
        let Some(r) = &d.resource else { return false };
        let Some(res) =
            self.by_ref
                .get(&(r.kind.as_str(), r.namespace.as_deref(), r.name.as_str()))
        else {
            return false;
        };
        let anno = match res {
            Resource::Other(v) => v
                .get("metadata")
                .and_then(|m| m.get("annotations"))
                .and_then(|a| a.get(SUPPRESS_ANNOTATION))
                .and_then(Value::as_str),
            _ => res
                .metadata()
                .and_then(|m| m.annotations.as_ref())
                .and_then(|a| a.get(SUPPRESS_ANNOTATION))
                .map(String::as_str),
        };
        anno.is_some_and(|codes| codes.split(',').any(|c| c == "*" || c.trim() == d.code))
    }

    /// The mesh's root namespace.
    pub fn root_namespace(&self) -> &str {
        &self.mesh.root_namespace
    }
}

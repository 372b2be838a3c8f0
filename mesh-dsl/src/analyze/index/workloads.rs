//! Workloads as the analyzers see them, from typed Deployments and Pods or from any JSON
//! object with a pod template, and the objects `istioctl analyze` assumes when analyzing
//! files.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container as K8sContainer, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Value, json};

use crate::analyze::AnalyzeOptions;
use crate::analyze::labels::{LabelMap, labels_json, labels_typed};
use crate::analyze::meshconfig::IngressControllerMode;
use crate::resources::{Resource, Resources};

/// A container of a pod or pod template.
pub(crate) struct Container<'a> {
    pub name: &'a str,
    pub image: &'a str,
    pub run_as_user: Option<i64>,
    pub env: Vec<(&'a str, &'a str)>,
}

/// Where a workload comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WorkloadKind {
    Pod,
    Deployment,
}

/// A Pod, or the pod template of a Deployment.
pub(crate) struct Workload<'a> {
    pub res: &'a Resource,
    pub kind: WorkloadKind,
    pub ns: &'a str,
    pub name: &'a str,
    /// The object's own labels (a Deployment's, not its template's).
    pub meta_labels: LabelMap<'a>,
    /// The pod's labels (the template's for a Deployment).
    pub labels: LabelMap<'a>,
    /// The pod's annotations (the template's for a Deployment).
    pub annotations: LabelMap<'a>,
    pub containers: Vec<Container<'a>>,
    pub init_containers: Vec<Container<'a>>,
    pub host_network: bool,
    pub node_name: Option<&'a str>,
    pub run_as_user: Option<i64>,
}

impl Workload<'_> {
    /// Istio's `IsIstioControlPlane`: labelled `istio` or `release: istio`.
    pub fn is_control_plane(&self) -> bool {
        self.meta_labels.contains_key("istio")
            || self
                .meta_labels
                .get("release")
                .is_some_and(|v| *v == "istio")
    }

    /// Whether the workload runs a proxy container (or init container) with an image.
    pub fn has_proxy(&self) -> bool {
        self.containers
            .iter()
            .chain(&self.init_containers)
            .find(|c| c.name == "istio-proxy")
            .is_some_and(|c| !c.image.is_empty())
    }

    /// Whether the pod is captured by ambient mode.
    pub fn ambient(&self) -> bool {
        self.annotations
            .get("ambient.istio.io/redirection")
            .is_some_and(|v| *v == "enabled")
    }
}

/// The objects `istioctl analyze` assumes exist when analyzing files: Istio's default
/// ingress gateway Pod and Service, unless ingress is off or the input already has them.
pub(crate) fn default_resources(resources: &Resources, opts: &AnalyzeOptions) -> Vec<Resource> {
    if !opts.assume_default_ingress
        || opts.mesh_config.ingress_controller_mode == IngressControllerMode::Off
    {
        return Vec::new();
    }
    let ns = opts.istio_namespace.as_str();
    let svc = opts.mesh_config.ingress_service.as_str();
    let pod_name = format!("{svc}-dummypod");
    let mut out = Vec::new();
    if resources.find("Pod", Some(ns), &pod_name).is_none() {
        out.push(Resource::Other(json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": pod_name, "namespace": ns, "labels": {"istio": "ingressgateway"}},
            "spec": {"containers": [{"name": "istio-proxy"}]},
        })));
    }
    if resources.find("Service", Some(ns), svc).is_none() {
        let service = json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": svc, "namespace": ns},
            "spec": {
                "selector": {"istio": "ingressgateway"},
                "ports": [
                    {"name": "http2", "port": 80, "protocol": "TCP", "targetPort": 80},
                    {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443},
                    {"name": "tcp", "port": 31400, "protocol": "TCP", "targetPort": 31400},
                    {"name": "tls", "port": 15443, "protocol": "TCP", "targetPort": 15443},
                ],
            },
        });
        out.push(Resource::from_json(service));
    }
    out
}

fn containers_typed(cs: &[K8sContainer]) -> Vec<Container<'_>> {
    cs.iter()
        .map(|c| Container {
            name: &c.name,
            image: c.image.as_deref().unwrap_or(""),
            run_as_user: c.security_context.as_ref().and_then(|s| s.run_as_user),
            env: c
                .env
                .iter()
                .flatten()
                .map(|e| (e.name.as_str(), e.value.as_deref().unwrap_or("")))
                .collect(),
        })
        .collect()
}

fn containers_json(v: Option<&Value>) -> Vec<Container<'_>> {
    let Some(list) = v.and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .map(|c| Container {
            name: c.get("name").and_then(Value::as_str).unwrap_or(""),
            image: c.get("image").and_then(Value::as_str).unwrap_or(""),
            run_as_user: c
                .get("securityContext")
                .and_then(|s| s.get("runAsUser"))
                .and_then(Value::as_i64),
            env: c
                .get("env")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|e| {
                    (
                        e.get("name").and_then(Value::as_str).unwrap_or(""),
                        e.get("value").and_then(Value::as_str).unwrap_or(""),
                    )
                })
                .collect(),
        })
        .collect()
}

fn pod_spec_workload<'a>(
    res: &'a Resource,
    kind: WorkloadKind,
    ns: &'a str,
    name: &'a str,
    meta_labels: LabelMap<'a>,
    pod_meta: Option<&'a ObjectMeta>,
    spec: Option<&'a PodSpec>,
) -> Workload<'a> {
    Workload {
        res,
        kind,
        ns,
        name,
        meta_labels,
        labels: pod_meta
            .map(|m| labels_typed(&m.labels))
            .unwrap_or_default(),
        annotations: pod_meta
            .map(|m| labels_typed(&m.annotations))
            .unwrap_or_default(),
        containers: spec
            .map(|s| containers_typed(&s.containers))
            .unwrap_or_default(),
        init_containers: spec
            .and_then(|s| s.init_containers.as_deref())
            .map(containers_typed)
            .unwrap_or_default(),
        host_network: spec.and_then(|s| s.host_network).unwrap_or(false),
        node_name: spec.and_then(|s| s.node_name.as_deref()),
        run_as_user: spec
            .and_then(|s| s.security_context.as_ref())
            .and_then(|s| s.run_as_user),
    }
}

pub(super) fn deployment_workload<'a>(
    r: &'a Resource,
    d: &'a Deployment,
    ns: &'a str,
    name: &'a str,
) -> Workload<'a> {
    let template = d.spec.as_ref().map(|s| &s.template);
    pod_spec_workload(
        r,
        WorkloadKind::Deployment,
        ns,
        name,
        labels_typed(&d.metadata.labels),
        template.and_then(|t| t.metadata.as_ref()),
        template.and_then(|t| t.spec.as_ref()),
    )
}

fn json_workload<'a>(
    res: &'a Resource,
    kind: WorkloadKind,
    ns: &'a str,
    name: &'a str,
    meta_labels: LabelMap<'a>,
    pod_meta: Option<&'a Value>,
    spec: Option<&'a Value>,
) -> Workload<'a> {
    Workload {
        res,
        kind,
        ns,
        name,
        meta_labels,
        labels: labels_json(pod_meta.and_then(|m| m.get("labels"))),
        annotations: labels_json(pod_meta.and_then(|m| m.get("annotations"))),
        containers: containers_json(spec.and_then(|s| s.get("containers"))),
        init_containers: containers_json(spec.and_then(|s| s.get("initContainers"))),
        host_network: spec
            .and_then(|s| s.get("hostNetwork"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        node_name: spec.and_then(|s| s.get("nodeName")).and_then(Value::as_str),
        run_as_user: spec
            .and_then(|s| s.get("securityContext"))
            .and_then(|s| s.get("runAsUser"))
            .and_then(Value::as_i64),
    }
}

pub(super) fn pod_workload<'a>(
    r: &'a Resource,
    v: &'a Value,
    ns: &'a str,
    name: &'a str,
) -> Workload<'a> {
    let meta = v.get("metadata");
    json_workload(
        r,
        WorkloadKind::Pod,
        ns,
        name,
        labels_json(meta.and_then(|m| m.get("labels"))),
        meta,
        v.get("spec"),
    )
}

pub(super) fn deployment_workload_json<'a>(
    r: &'a Resource,
    v: &'a Value,
    ns: &'a str,
    name: &'a str,
) -> Workload<'a> {
    let template = v.get("spec").and_then(|s| s.get("template"));
    json_workload(
        r,
        WorkloadKind::Deployment,
        ns,
        name,
        labels_json(v.get("metadata").and_then(|m| m.get("labels"))),
        template.and_then(|t| t.get("metadata")),
        template.and_then(|t| t.get("spec")),
    )
}

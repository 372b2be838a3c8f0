//! The workloads: Namespaces, and for each service its ServiceAccount, Service and one
//! Deployment per version (its DestinationRule is traffic's).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, HTTPGetAction, Namespace as K8sNamespace, PodSpec,
    PodTemplateSpec, Probe as K8sProbe, ResourceRequirements, Service as K8sService,
    ServiceAccount, ServicePort as K8sServicePort, ServiceSpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use istio_types::ObjectMeta;

use super::{Cx, meta};
use crate::resources::Resource;
use crate::service::{Identity, Probe, Service, Version, Workloads};

impl<'m> Cx<'m> {
    /// The declared namespaces (remembered for [`Cx::check_namespace`]).
    pub(super) fn namespaces(&mut self, out: &mut Vec<Resource>) {
        for ns in &self.mesh.namespaces {
            self.namespaces.insert(ns.name.clone());
            let mut labels = self.labels(&[]);
            labels.extend(ns.labels.clone());
            if ns.injection {
                labels.insert("istio-injection".into(), "enabled".into());
            }
            out.push(
                K8sNamespace {
                    metadata: meta(None, &ns.name, &labels),
                    ..Default::default()
                }
                .into(),
            );
        }
    }

    /// Every service, by namespace and name.
    pub(super) fn services(&mut self, out: &mut Vec<Resource>) {
        let mut services: Vec<&'m Service> = self.mesh.services.iter().collect();
        services.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        for s in services {
            if s.workloads == Workloads::Elsewhere {
                self.service_deployed_elsewhere(s, out);
            } else {
                self.service(s, out);
            }
        }
    }

    /// A service whose workloads are deployed elsewhere: checked like any other, but only
    /// its Istio objects (the DestinationRule) are kept; its Service and Deployments are
    /// what analysis assumes the cluster has.
    fn service_deployed_elsewhere(&mut self, s: &'m Service, out: &mut Vec<Resource>) {
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

    /// A service's ServiceAccount, Service, Deployments and DestinationRule.
    fn service(&mut self, s: &Service, out: &mut Vec<Resource>) {
        let what = format!("service {}/{}", s.namespace, s.name);
        self.check_namespace(&s.namespace, || what.clone());
        let app = self.labels(&[("app", &s.name)]);
        if s.identity == Identity::OwnServiceAccount {
            out.push(
                ServiceAccount {
                    metadata: meta(Some(&s.namespace), &s.name, &app),
                    ..Default::default()
                }
                .into(),
            );
        }
        self.check_service_ports(&what, s);
        if !s.ports.is_empty() {
            out.push(kubernetes_service(s, &app).into());
        }
        self.check_service_versions(&what, s);
        for v in &s.versions {
            out.push(self.deployment(s, v).into());
        }
        self.service_destination_rule(s, &what, out);
    }

    fn deployment(&self, s: &Service, v: &Version) -> Deployment {
        let labels = self.labels(&[("app", &s.name), ("version", &v.name)]);
        let mut pod_labels = labels.clone();
        pod_labels.extend(v.labels.clone());
        Deployment {
            metadata: meta(
                Some(&s.namespace),
                &format!("{}-{}", s.name, v.name),
                &labels,
            ),
            spec: Some(DeploymentSpec {
                replicas: Some(v.replicas),
                selector: LabelSelector {
                    match_labels: Some(BTreeMap::from([
                        ("app".into(), s.name.clone()),
                        ("version".into(), v.name.clone()),
                    ])),
                    ..Default::default()
                },
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(pod_labels),
                        ..Default::default()
                    }),
                    spec: Some(PodSpec {
                        service_account_name: (s.identity == Identity::OwnServiceAccount)
                            .then(|| s.name.clone()),
                        containers: vec![container(s, v)],
                        ..Default::default()
                    }),
                },
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

/// The Kubernetes Service of `s`: its ports, selecting its pods by `app`.
fn kubernetes_service(s: &Service, labels: &BTreeMap<String, String>) -> K8sService {
    K8sService {
        metadata: meta(Some(&s.namespace), &s.name, labels),
        spec: Some(ServiceSpec {
            selector: Some(BTreeMap::from([("app".into(), s.name.clone())])),
            ports: Some(
                s.ports
                    .iter()
                    .map(|p| K8sServicePort {
                        name: Some(p.name.clone()),
                        port: i32::try_from(p.number).unwrap_or(0),
                        target_port: Some(IntOrString::Int(
                            i32::try_from(p.target_port()).unwrap_or(0),
                        )),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The one container of a version's pods.
fn container(s: &Service, v: &Version) -> Container {
    let first_port = s.ports.first().map(|p| p.target_port()).unwrap_or(8080);
    let probe = |p: &Probe| K8sProbe {
        http_get: Some(HTTPGetAction {
            path: Some(p.path.clone()),
            port: IntOrString::Int(i32::try_from(p.port.unwrap_or(first_port)).unwrap_or(0)),
            ..Default::default()
        }),
        initial_delay_seconds: p.initial_delay_seconds,
        period_seconds: p.period_seconds,
        ..Default::default()
    };
    let mut ports: Vec<i32> = s
        .ports
        .iter()
        .map(|p| i32::try_from(p.target_port()).unwrap_or(0))
        .collect();
    ports.sort_unstable();
    ports.dedup();
    Container {
        name: s.container.clone().unwrap_or_else(|| s.name.clone()),
        image: Some(v.image.clone()),
        ports: (!ports.is_empty()).then(|| {
            ports
                .iter()
                .map(|p| ContainerPort {
                    container_port: *p,
                    ..Default::default()
                })
                .collect()
        }),
        env: (!v.env.is_empty()).then(|| {
            v.env
                .iter()
                .map(|(k, val)| EnvVar {
                    name: k.clone(),
                    value: Some(val.clone()),
                    ..Default::default()
                })
                .collect()
        }),
        resources: resources(v),
        readiness_probe: v.readiness.as_ref().map(probe),
        liveness_probe: v.liveness.as_ref().map(probe),
        ..Default::default()
    }
}

/// A version's CPU and memory requests and limits, when it sets any.
fn resources(v: &Version) -> Option<ResourceRequirements> {
    let quantities = |pair: &Option<(String, String)>| {
        pair.as_ref().map(|(cpu, mem)| {
            BTreeMap::from([
                ("cpu".to_string(), Quantity(cpu.clone())),
                ("memory".to_string(), Quantity(mem.clone())),
            ])
        })
    };
    (v.requests.is_some() || v.limits.is_some()).then(|| ResourceRequirements {
        requests: quantities(&v.requests),
        limits: quantities(&v.limits),
        ..Default::default()
    })
}

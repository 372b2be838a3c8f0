//! Deployment analyzers: Services selecting a deployment, and the proxy's user ID.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::index::{Index, Workload, WorkloadKind, full_name};
use super::messages::{
    DEPLOYMENT_CONFLICTING_PORTS, DEPLOYMENT_MULTIPLE_SERVICES, INVALID_APPLICATION_UID,
};
use crate::diag::Diagnostic;

/// Istio's `DeploymentInMesh`: has a proxy, or is injected by label, annotation or
/// namespace label.
pub(crate) fn in_mesh(idx: &Index<'_>, w: &Workload<'_>) -> bool {
    if w.has_proxy() {
        return true;
    }
    if let Some(v) = w.labels.get("sidecar.istio.io/inject") {
        return *v == "true";
    }
    if let Some(v) = w.annotations.get("sidecar.istio.io/inject") {
        return *v == "true";
    }
    idx.namespace(w.ns)
        .is_some_and(|n| n.labels.get("istio-injection") == Some(&"enabled"))
}

/// `deployment.ServiceAssociationAnalyzer`: IST0116 when Services selecting an in-mesh
/// Deployment use one port with different protocols, IST0137 when they use one target port
/// with different ports.
pub(crate) fn service_association(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for d in idx.deployments() {
        if d.meta_labels.get("gateway.istio.io/managed") == Some(&"istio.io-mesh-controller") {
            continue;
        }
        if !in_mesh(idx, d) {
            continue;
        }
        let services = idx.services_selecting(d.ns, &d.labels);
        if services.len() < 2 {
            continue;
        }
        // port -> protocol -> services
        let mut by_port: BTreeMap<i32, BTreeMap<&str, Vec<String>>> = BTreeMap::new();
        // target port -> port -> service
        let mut by_target: BTreeMap<String, BTreeMap<i32, String>> = BTreeMap::new();
        for s in &services {
            let name = full_name(s.ns, s.name);
            for p in s.ports {
                let proto = p
                    .protocol
                    .as_deref()
                    .filter(|x| !x.is_empty())
                    .unwrap_or("TCP");
                by_port
                    .entry(p.port)
                    .or_default()
                    .entry(proto)
                    .or_default()
                    .push(name.clone());
                let target = match &p.target_port {
                    Some(IntOrString::Int(n)) if *n != 0 => n.to_string(),
                    Some(IntOrString::String(s)) if !s.is_empty() && s != "0" => s.clone(),
                    _ => p.port.to_string(),
                };
                by_target
                    .entry(target)
                    .or_default()
                    .insert(p.port, name.clone());
            }
        }
        for (port, protos) in &by_port {
            if protos.len() > 1 {
                let mut names: Vec<&String> = protos.values().flatten().collect();
                names.sort();
                out.push(
                    DEPLOYMENT_MULTIPLE_SERVICES
                        .on(
                            d.res,
                            format!(
                                "deployment {} is selected by services {names:?} that use port {port} with different protocols",
                                d.name
                            ),
                        )
                        .hint("use one protocol per port across the Services selecting the deployment"),
                );
            }
        }
        for (target, ports) in &by_target {
            if ports.len() > 1 {
                let mut names: Vec<&String> = ports.values().collect();
                names.sort();
                let numbers: Vec<&i32> = ports.keys().collect();
                out.push(
                    DEPLOYMENT_CONFLICTING_PORTS
                        .on(
                            d.res,
                            format!(
                                "deployment {} is selected by services {names:?} that map target port {target:?} to different ports {numbers:?}",
                                d.name
                            ),
                        )
                        .hint("Services selecting the same workload must use the same port for a target port"),
                );
            }
        }
    }
}

/// `deployment.ApplicationUIDAnalyzer`: IST0144 for pods and deployments whose application
/// containers run as user 1337, the proxy's; once per workload, at the first place found
/// (Istio's message names no container, and its analysis keeps one of identical messages).
pub(crate) fn application_uid(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    const PROXY_UID: i64 = 1337;
    let check = |w: &Workload<'_>, out: &mut Vec<Diagnostic>| {
        if w.is_control_plane() {
            return;
        }
        let prefix = match w.kind {
            WorkloadKind::Pod => "spec",
            WorkloadKind::Deployment => "spec.template.spec",
        };
        if w.run_as_user == Some(PROXY_UID) {
            out.push(
                INVALID_APPLICATION_UID
                    .on(
                        w.res,
                        "the pod runs as user ID 1337, which is reserved for the proxy",
                    )
                    .at(format!("{prefix}.securityContext.runAsUser")),
            );
        }
        for (i, c) in w.containers.iter().enumerate() {
            if c.name != "istio-proxy"
                && c.name != "istio-operator"
                && c.run_as_user == Some(PROXY_UID)
            {
                out.push(
                    INVALID_APPLICATION_UID
                        .on(
                            w.res,
                            format!(
                                "container {:?} runs as user ID 1337, which is reserved for the proxy",
                                c.name
                            ),
                        )
                        .at(format!("{prefix}.containers[{i}].securityContext.runAsUser")),
                );
            }
        }
    };
    for w in &idx.workloads {
        let mut found = Vec::new();
        check(w, &mut found);
        out.extend(found.into_iter().next());
    }
}

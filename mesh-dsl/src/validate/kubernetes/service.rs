//! Services: ports, protocols and selectors.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::metadata::labels;
use super::names::{dns1123_label, dns1123_subdomain, iana_svc_name};
use crate::validate::{Out, Path};

pub(super) fn port_number(n: i32) -> Result<(), String> {
    if (1..=65535).contains(&n) {
        Ok(())
    } else {
        Err(format!("port {n} must be in the range 1..65535"))
    }
}

pub(super) fn protocol(p: Option<&str>) -> Result<(), String> {
    match p {
        None | Some("TCP" | "UDP" | "SCTP") => Ok(()),
        Some(other) => Err(format!("protocol {other:?} is not one of TCP, UDP, SCTP")),
    }
}

pub(super) fn service(s: &Service, out: &mut Out) {
    let default = k8s_openapi::api::core::v1::ServiceSpec::default();
    let spec = s.spec.as_ref().unwrap_or(&default);
    let at = Path::new("spec");
    let ty = spec.type_.as_deref().unwrap_or("ClusterIP");
    let headless = spec.cluster_ip.as_deref() == Some("None");
    let ports = spec.ports.as_deref().unwrap_or(&[]);
    match ty {
        "ClusterIP" | "NodePort" | "LoadBalancer" => {}
        "ExternalName" => match spec.external_name.as_deref() {
            None | Some("") => out.k8s(
                &at.f("externalName"),
                "an ExternalName Service needs externalName",
            ),
            Some(n) => {
                if let Err(e) = dns1123_subdomain(n.trim_end_matches('.')) {
                    out.k8s(&at.f("externalName"), e);
                }
            }
        },
        other => out.k8s(&at.f("type"), format!("unknown Service type {other:?}")),
    }
    if ports.is_empty() && !headless && ty != "ExternalName" {
        out.k8s(&at.f("ports"), "a Service needs at least one port");
    }
    if let Some(ip) = spec.cluster_ip.as_deref()
        && !ip.is_empty()
        && ip != "None"
        && !crate::validate::common::is_ip(ip)
    {
        out.k8s(
            &at.f("clusterIP"),
            format!("{ip:?} is not an IP address or None"),
        );
    }
    let mut names: Vec<&str> = Vec::new();
    let mut pairs: Vec<(i32, &str)> = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        let pat_ports = at.f("ports");
        let pat = pat_ports.i(i);
        match p.name.as_deref().filter(|n| !n.is_empty()) {
            None if ports.len() > 1 => out.k8s(
                &pat.f("name"),
                "every port needs a name when a Service has several",
            ),
            None => {}
            Some(n) => {
                if let Err(e) = dns1123_label(n) {
                    out.k8s(&pat.f("name"), e);
                }
                if names.contains(&n) {
                    out.k8s(&pat.f("name"), format!("duplicate port name {n:?}"));
                }
                names.push(n);
            }
        }
        if let Err(e) = port_number(p.port) {
            out.k8s(&pat.f("port"), e);
        }
        if let Err(e) = protocol(p.protocol.as_deref()) {
            out.k8s(&pat.f("protocol"), e);
        }
        let proto = p.protocol.as_deref().unwrap_or("TCP");
        if pairs.contains(&(p.port, proto)) {
            out.k8s(&pat, format!("port {}/{proto} is defined twice", p.port));
        }
        pairs.push((p.port, proto));
        match &p.target_port {
            Some(IntOrString::Int(0)) | None => {}
            Some(IntOrString::Int(n)) => {
                if let Err(e) = port_number(*n) {
                    out.k8s(&pat.f("targetPort"), e);
                }
            }
            Some(IntOrString::String(n)) => {
                if let Err(e) = iana_svc_name(n) {
                    out.k8s(&pat.f("targetPort"), e);
                }
            }
        }
        if let Some(np) = p.node_port
            && np != 0
            && let Err(e) = port_number(np)
        {
            out.k8s(&pat.f("nodePort"), e);
        }
    }
    if let Some(sel) = &spec.selector {
        labels(sel, &at.f("selector"), out);
    }
}

/// Whether `sel` selects objects with `labels`.
pub(super) fn selector_matches(
    sel: &LabelSelector,
    labels: &BTreeMap<String, String>,
) -> Result<bool, String> {
    for (k, v) in sel.match_labels.iter().flatten() {
        if labels.get(k) != Some(v) {
            return Ok(false);
        }
    }
    for e in sel.match_expressions.iter().flatten() {
        let values = e.values.as_deref().unwrap_or(&[]);
        let have = labels.get(&e.key);
        let ok = match e.operator.as_str() {
            "In" => {
                if values.is_empty() {
                    return Err(format!("operator In on {:?} needs values", e.key));
                }
                have.is_some_and(|h| values.contains(h))
            }
            "NotIn" => {
                if values.is_empty() {
                    return Err(format!("operator NotIn on {:?} needs values", e.key));
                }
                have.is_none_or(|h| !values.contains(h))
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    return Err(format!(
                        "operator {} on {:?} takes no values",
                        e.operator, e.key
                    ));
                }
                (e.operator == "Exists") == have.is_some()
            }
            other => return Err(format!("unknown selector operator {other:?}")),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

//! Deployments and their containers.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Container;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::metadata::{annotations, labels};
use super::names::{dns1123_label, iana_svc_name};
use super::service::{port_number, protocol, selector_matches};
use crate::validate::{Out, Path};

pub(super) fn deployment(d: &Deployment, out: &mut Out) {
    let Some(spec) = &d.spec else {
        out.k8s(&Path::new("spec"), "a Deployment needs a spec");
        return;
    };
    let at = Path::new("spec");
    if spec.replicas.is_some_and(|r| r < 0) {
        out.k8s(&at.f("replicas"), "replicas must not be negative");
    }
    if spec.revision_history_limit.is_some_and(|r| r < 0) {
        out.k8s(
            &at.f("revisionHistoryLimit"),
            "revisionHistoryLimit must not be negative",
        );
    }
    if spec.min_ready_seconds.is_some_and(|r| r < 0) {
        out.k8s(
            &at.f("minReadySeconds"),
            "minReadySeconds must not be negative",
        );
    }
    if let Some(p) = spec.progress_deadline_seconds
        && p <= spec.min_ready_seconds.unwrap_or(0)
    {
        out.k8s(
            &at.f("progressDeadlineSeconds"),
            "progressDeadlineSeconds must be greater than minReadySeconds",
        );
    }
    let template_labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let sel = &spec.selector;
    let empty = sel.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
        && sel.match_expressions.as_ref().is_none_or(Vec::is_empty);
    if empty {
        out.k8s(&at.f("selector"), "a Deployment needs a non-empty selector");
    } else {
        if let Some(ml) = &sel.match_labels {
            labels(ml, &at.f("selector").f("matchLabels"), out);
        }
        match selector_matches(sel, &template_labels) {
            Ok(true) => {}
            Ok(false) => out.k8s(
                &at.f("template").f("metadata").f("labels"),
                "the selector does not match the template's labels",
            ),
            Err(e) => out.k8s(&at.f("selector"), e),
        }
    }
    if let Some(m) = &spec.template.metadata {
        let tat_template = at.f("template");
        let tat = tat_template.f("metadata");
        if let Some(l) = &m.labels {
            labels(l, &tat.f("labels"), out);
        }
        if let Some(a) = &m.annotations {
            annotations(a, &tat.f("annotations"), out);
        }
    }
    if let Some(s) = &spec.strategy
        && let Some(ru) = &s.rolling_update
    {
        let zero = |v: &Option<IntOrString>| match v {
            Some(IntOrString::Int(0)) => true,
            Some(IntOrString::String(p)) => {
                p.trim_end_matches('%').parse::<i64>().is_ok_and(|n| n == 0)
            }
            _ => false,
        };
        if zero(&ru.max_unavailable) && zero(&ru.max_surge) {
            out.k8s(
                &at.f("strategy").f("rollingUpdate"),
                "maxUnavailable and maxSurge cannot both be 0",
            );
        }
    }
    let pat_template = at.f("template");
    let pat = pat_template.f("spec");
    let Some(pod) = &spec.template.spec else {
        out.k8s(&pat, "the pod template needs a spec");
        return;
    };
    if let Some(r) = pod.restart_policy.as_deref()
        && r != "Always"
    {
        out.k8s(
            &pat.f("restartPolicy"),
            format!("a Deployment's pods must restart Always, not {r:?}"),
        );
    }
    if pod.containers.is_empty() {
        out.k8s(&pat.f("containers"), "a pod needs at least one container");
    }
    let mut names: Vec<&str> = Vec::new();
    for (field, list) in [
        (
            "initContainers",
            pod.init_containers.as_deref().unwrap_or(&[]),
        ),
        ("containers", &pod.containers),
    ] {
        for (i, c) in list.iter().enumerate() {
            container(c, &mut names, &pat.f(field).i(i), out);
        }
    }
}

fn container<'a>(c: &'a Container, names: &mut Vec<&'a str>, at: &Path, out: &mut Out) {
    if let Err(e) = dns1123_label(&c.name) {
        out.k8s(&at.f("name"), e);
    }
    if names.contains(&c.name.as_str()) {
        out.k8s(
            &at.f("name"),
            format!("duplicate container name {:?}", c.name),
        );
    }
    names.push(&c.name);
    match c.image.as_deref() {
        None | Some("") => out.k8s(&at.f("image"), "a container needs an image"),
        Some(i) if i.trim() != i => out.k8s(
            &at.f("image"),
            "the image must not have leading or trailing whitespace",
        ),
        _ => {}
    }
    let mut port_names: Vec<&str> = Vec::new();
    for (i, p) in c.ports.iter().flatten().enumerate() {
        let pat_ports_path = at.f("ports");
        let pat = pat_ports_path.i(i);
        if let Err(e) = port_number(p.container_port) {
            out.k8s(&pat.f("containerPort"), e);
        }
        if let Some(h) = p.host_port
            && h != 0
            && let Err(e) = port_number(h)
        {
            out.k8s(&pat.f("hostPort"), e);
        }
        if let Some(n) = p.name.as_deref().filter(|n| !n.is_empty()) {
            if let Err(e) = iana_svc_name(n) {
                out.k8s(&pat.f("name"), e);
            }
            if port_names.contains(&n) {
                out.k8s(&pat.f("name"), format!("duplicate port name {n:?}"));
            }
            port_names.push(n);
        }
        if let Err(e) = protocol(p.protocol.as_deref()) {
            out.k8s(&pat.f("protocol"), e);
        }
    }
    for (i, e) in c.env.iter().flatten().enumerate() {
        if e.name.is_empty()
            || e.name.contains('=')
            || !e.name.bytes().all(|b| (0x20..0x7f).contains(&b))
        {
            out.k8s(
                &at.f("env").i(i).f("name"),
                format!("invalid environment variable name {:?}", e.name),
            );
        }
    }
}

//! Sidecar injection analyzers: namespaces, pods, proxy images and `image: auto`.

use super::{HashMap, HashSet};
use std::collections::BTreeMap;

use serde_json::Value;

use super::index::{Index, OtherView};
use super::labels::{LabelMap, label_selector_matches};
use super::messages::{
    IMAGE_AUTO_WITHOUT_INJECTION_ERROR, IMAGE_AUTO_WITHOUT_INJECTION_WARNING,
    NAMESPACE_INJECTION_ENABLED_BY_DEFAULT, NAMESPACE_MULTIPLE_INJECTION_LABELS,
    NAMESPACE_NOT_INJECTED, POD_MISSING_PROXY, PROXY_IMAGE_MISMATCH,
};
use crate::diag::Diagnostic;

const INJECTION_LABEL: &str = "istio-injection";
const REVISION_LABEL: &str = "istio.io/rev";
const DATAPLANE_MODE: &str = "istio.io/dataplane-mode";
const INJECTOR_CONFIG_MAP: &str = "istio-sidecar-injector";

/// The injector ConfigMap's name for a revision.
fn injector_config_map(revision: &str) -> String {
    if revision.is_empty() || revision == "default" {
        INJECTOR_CONFIG_MAP.to_string()
    } else {
        format!("{INJECTOR_CONFIG_MAP}-{revision}")
    }
}

/// The injector's `values` (JSON in `data.values`).
fn injector_values(cm: &OtherView<'_>) -> Option<Value> {
    let text = cm.value.get("data")?.get("values")?.as_str()?;
    serde_json::from_str(text).ok()
}

/// `sidecarInjectorWebhook.enableNamespacesByDefault` of an injector ConfigMap.
fn enabled_by_default(cm: &OtherView<'_>) -> bool {
    injector_values(cm)
        .and_then(|v| {
            v.get("sidecarInjectorWebhook")?
                .get("enableNamespacesByDefault")?
                .as_bool()
        })
        .unwrap_or(false)
}

/// `injection.Analyzer`: IST0102 for namespaces without injection, IST0148 when injection is
/// on by default, IST0123 for namespaces with several kinds of injection label, IST0103 for
/// pods without a proxy in injected namespaces.
pub(crate) fn injection(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let config_maps = idx.others("ConfigMap");
    let mut by_default = false;
    let mut injected: HashSet<&str> = HashSet::default();
    for ns in &idx.namespaces {
        if ns.name == idx.opts.istio_namespace {
            continue;
        }
        let injection = ns.labels.get(INJECTION_LABEL).copied();
        let revision = ns.labels.get(REVISION_LABEL).copied();
        let mut kinds = Vec::new();
        if let Some(v) = injection {
            kinds.push(format!("{INJECTION_LABEL}={v}"));
        }
        for l in [REVISION_LABEL, DATAPLANE_MODE] {
            if let Some(v) = ns.labels.get(l)
                && injection.is_none_or(|i| i == "enabled")
            {
                kinds.push(format!("{l}={v}"));
            }
        }
        if kinds.len() > 1 {
            out.push(
                NAMESPACE_MULTIPLE_INJECTION_LABELS
                    .on(
                        ns.res,
                        format!(
                            "the namespace has more than one kind of injection label {kinds:?}, which leaves injection undefined"
                        ),
                    )
                    .at("metadata.labels")
                    .hint("keep only one of the labels"),
            );
        }
        if ns.labels.get(DATAPLANE_MODE) == Some(&"ambient") {
            continue;
        }
        let cm_name = injector_config_map(revision.unwrap_or(""));
        if let Some(cm) = config_maps.iter().find(|c| c.name == cm_name) {
            by_default = enabled_by_default(cm);
        }
        if injection.unwrap_or("").is_empty() && revision.is_none() {
            if by_default {
                out.push(NAMESPACE_INJECTION_ENABLED_BY_DEFAULT.on(
                    ns.res,
                    "the namespace is injected because Istio is installed with enableNamespacesByDefault",
                ));
            } else {
                out.push(
                    NAMESPACE_NOT_INJECTED
                        .on(
                            ns.res,
                            format!("the namespace {:?} is not enabled for sidecar injection", ns.name),
                        )
                        .at("metadata.labels")
                        .hint(format!(
                            "run `kubectl label namespace {0} istio-injection=enabled` to inject it, or label it istio-injection=disabled to say it needs none",
                            ns.name
                        )),
                );
            }
            continue;
        }
        if injection != Some("enabled") {
            continue;
        }
        injected.insert(ns.name);
    }
    for pod in idx.pods() {
        if !injected.contains(&pod.ns) {
            continue;
        }
        let mut inject = pod.annotations.get("sidecar.istio.io/inject").copied();
        if let Some(v) = pod.labels.get("sidecar.istio.io/inject") {
            inject = Some(v);
        }
        if inject.is_some_and(|v| v.eq_ignore_ascii_case("false")) || pod.host_network {
            continue;
        }
        if !pod.has_proxy() {
            out.push(
                POD_MISSING_PROXY
                    .on(
                        pod.res,
                        format!(
                            "the pod {} has no Istio proxy although its namespace is injected",
                            super::index::full_name(pod.ns, pod.name)
                        ),
                    )
                    .hint("restart or redeploy the workload so the injector adds the proxy"),
            );
        }
    }
}

/// The proxy image an injector ConfigMap injects.
fn proxy_image(cm: &OtherView<'_>) -> String {
    let Some(v) = injector_values(cm) else {
        return String::new();
    };
    let g = v.get("global");
    let s = |x: Option<&Value>| x.and_then(Value::as_str).unwrap_or("").to_string();
    let image = s(g.and_then(|g| g.get("proxy")).and_then(|p| p.get("image")));
    if image.contains('/') {
        return image;
    }
    format!(
        "{}/{image}:{}",
        s(g.and_then(|g| g.get("hub"))),
        s(g.and_then(|g| g.get("tag")))
    )
}

/// `injection.ImageAnalyzer`: IST0158 for namespaces whose pods run a proxy image other
/// than the one their injector would inject (the `-distroless` variant is accepted).
pub(crate) fn image(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let images: HashMap<&str, String> = idx
        .others("ConfigMap")
        .iter()
        .filter(|c| c.name.starts_with(INJECTOR_CONFIG_MAP))
        .map(|c| (c.name, proxy_image(c)))
        .collect();
    if images.is_empty() {
        return;
    }
    let mut injected: HashMap<&str, &str> = HashMap::default();
    for ns in &idx.namespaces {
        if let Some(rev) = ns.labels.get(REVISION_LABEL) {
            injected.insert(ns.name, rev);
        } else if ns.labels.get(INJECTION_LABEL) == Some(&"enabled") {
            injected.insert(ns.name, "default");
        }
    }
    let mut mismatched: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for pod in idx.pods() {
        let Some(rev) = injected.get(pod.ns) else {
            continue;
        };
        if pod
            .annotations
            .get("sidecar.istio.io/proxyImage")
            .is_some_and(|v| !v.is_empty())
        {
            continue;
        }
        let Some(want) = images.get(injector_config_map(rev).as_str()) else {
            continue;
        };
        for c in pod.containers.iter().chain(&pod.init_containers) {
            if c.name != "istio-proxy" {
                continue;
            }
            if c.image != want && c.image != format!("{want}-distroless") {
                mismatched.entry(pod.ns).or_default().push(pod.name);
            }
        }
    }
    for (ns, pods) in mismatched {
        if let Some(n) = idx.namespace(ns) {
            out.push(
                PROXY_IMAGE_MISMATCH
                    .on(
                        n.res,
                        format!(
                            "pods {pods:?} run a proxy image other than the injector's; this usually follows a control plane upgrade"
                        ),
                    )
                    .hint("restart the pods so they are injected with the current proxy"),
            );
        }
    }
}

/// `injection.ImageAutoAnalyzer`: IST0147 for pods whose proxy has `image: auto` (never
/// injected), IST0146 for Deployments with it that no Istio injection webhook selects.
pub(crate) fn image_auto(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let has_auto = |w: &super::index::Workload<'_>| {
        w.containers
            .iter()
            .any(|c| c.name == "istio-proxy" && c.image == "auto")
    };
    let webhooks: Vec<&Value> = idx
        .others("MutatingWebhookConfiguration")
        .iter()
        .flat_map(|m| {
            m.value
                .get("webhooks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter(|w| {
            w.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.ends_with("istio.io"))
        })
        .collect();
    for pod in idx.pods() {
        if has_auto(pod) {
            out.push(
                IMAGE_AUTO_WITHOUT_INJECTION_ERROR
                    .on(
                        pod.res,
                        format!("Pod {} has `image: auto` but was not injected", pod.name),
                    )
                    .hint("enable injection for its namespace or labels, then recreate the pod"),
            );
        }
    }
    let empty = LabelMap::new();
    for d in idx.deployments() {
        if !has_auto(d) {
            continue;
        }
        let ns = if d.ns.is_empty() { "default" } else { d.ns };
        let ns_labels = idx.namespace(ns).map_or(&empty, |n| &n.labels);
        let injected = webhooks.iter().any(|w| {
            label_selector_matches(w.get("namespaceSelector"), ns_labels)
                && label_selector_matches(w.get("objectSelector"), &d.labels)
        });
        if !injected {
            out.push(
                IMAGE_AUTO_WITHOUT_INJECTION_WARNING
                    .on(
                        d.res,
                        format!(
                            "Deployment {} has `image: auto` but no Istio injection webhook selects it",
                            d.name
                        ),
                    )
                    .hint("label the namespace or pod template for injection"),
            );
        }
    }
}

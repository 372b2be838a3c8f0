//! What the Kubernetes API server itself checks: object metadata (names, namespaces,
//! labels, annotations, finalizers) for every object, and the core kinds the DSL emits:
//! Namespace, ServiceAccount, Service and Deployment.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::{Out, Path};
use crate::resources::Resource;

fn lower_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// RFC 1123 label, as Kubernetes checks it: lowercase letters, digits and `-`, at most
/// 63 characters, starting and ending with a letter or digit.
pub(crate) fn dns1123_label(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    if b.len() > 63 {
        return Err(format!("{s:?} must be at most 63 characters"));
    }
    if b.is_empty()
        || !lower_alnum(b[0])
        || !lower_alnum(b[b.len() - 1])
        || !b.iter().all(|c| lower_alnum(*c) || *c == b'-')
    {
        return Err(format!(
            "{s:?} is not a lowercase RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

/// RFC 1123 subdomain: dot-separated labels, at most 253 characters.
pub(crate) fn dns1123_subdomain(s: &str) -> Result<(), String> {
    if s.len() > 253 {
        return Err(format!("{s:?} must be at most 253 characters"));
    }
    let ok = !s.is_empty()
        && s.split('.').all(|l| {
            let b = l.as_bytes();
            !b.is_empty()
                && lower_alnum(b[0])
                && lower_alnum(b[b.len() - 1])
                && b.iter().all(|c| lower_alnum(*c) || *c == b'-')
        });
    if !ok {
        return Err(format!(
            "{s:?} is not a lowercase RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

/// RFC 1035 label (Service names): an RFC 1123 label that starts with a letter.
fn dns1035_label(s: &str) -> Result<(), String> {
    dns1123_label(s)?;
    if !s.as_bytes()[0].is_ascii_lowercase() {
        return Err(format!(
            "{s:?} must start with a lowercase letter (RFC 1035 label)"
        ));
    }
    Ok(())
}

fn qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A label or annotation key: an optional DNS subdomain prefix and `/`, then a name of at
/// most 63 characters.
pub(crate) fn qualified_name(s: &str) -> Result<(), String> {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    if let Some(p) = prefix {
        if p.is_empty() {
            return Err(format!("{s:?}: the prefix before '/' must not be empty"));
        }
        dns1123_subdomain(p).map_err(|e| format!("{s:?}: prefix {e}"))?;
    }
    if !qualified_name_part(name) {
        return Err(format!(
            "{s:?} is not a qualified name: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, with an optional DNS prefix and '/'"
        ));
    }
    Ok(())
}

/// A label value: empty, or up to 63 letters, digits, `-`, `_`, `.`, starting and
/// ending with a letter or digit.
pub(crate) fn label_value(v: &str) -> Result<(), String> {
    if v.is_empty() || qualified_name_part(v) {
        Ok(())
    } else {
        Err(format!(
            "label value {v:?} must be empty or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        ))
    }
}

pub(crate) fn labels(labels: &BTreeMap<String, String>, at: &Path, out: &mut Out) {
    for (k, v) in labels {
        if let Err(e) = qualified_name(k) {
            out.k8s(&at.k(k), format!("invalid label key: {e}"));
        }
        if let Err(e) = label_value(v) {
            out.k8s(&at.k(k), e);
        }
    }
}

const ANNOTATIONS_LIMIT: usize = 256 * 1024;

fn annotations(annotations: &BTreeMap<String, String>, at: &Path, out: &mut Out) {
    let mut total = 0;
    for (k, v) in annotations {
        if let Err(e) = qualified_name(&k.to_ascii_lowercase()) {
            out.k8s(&at.k(k), format!("invalid annotation key: {e}"));
        }
        total += k.len() + v.len();
    }
    if total > ANNOTATIONS_LIMIT {
        out.k8s(
            at,
            format!("annotations are {total} bytes; the limit is {ANNOTATIONS_LIMIT}"),
        );
    }
}

/// How a kind's names are checked.
#[derive(Clone, Copy)]
enum NameRule {
    Label,
    Label1035,
    Subdomain,
    /// Any path segment (kinds this crate does not know).
    PathSegment,
}

struct Meta<'a> {
    name: Option<&'a str>,
    generate_name: Option<&'a str>,
    namespace: Option<&'a str>,
    labels: Option<&'a BTreeMap<String, String>>,
    annotations: Option<&'a BTreeMap<String, String>>,
    finalizers: Option<&'a [String]>,
}

fn check_name(name: &str, rule: NameRule) -> Result<(), String> {
    match rule {
        NameRule::Label => dns1123_label(name),
        NameRule::Label1035 => dns1035_label(name),
        NameRule::Subdomain => dns1123_subdomain(name),
        NameRule::PathSegment => {
            if name == "." || name == ".." || name.contains('/') || name.contains('%') {
                Err(format!(
                    "{name:?} may not be '.', '..' or contain '/' or '%'"
                ))
            } else {
                Ok(())
            }
        }
    }
}

fn metadata(m: &Meta<'_>, rule: NameRule, namespaced: Option<bool>, out: &mut Out) {
    let at = Path::new("metadata");
    match (
        m.name.filter(|n| !n.is_empty()),
        m.generate_name.filter(|g| !g.is_empty()),
    ) {
        (None, None) => out.k8s(&at.f("name"), "a name (or generateName) is required"),
        (Some(n), _) => {
            if let Err(e) = check_name(n, rule) {
                out.k8s(&at.f("name"), e);
            }
        }
        (None, Some(_)) => {}
    }
    if let Some(ns) = m.namespace.filter(|n| !n.is_empty()) {
        match namespaced {
            Some(false) => out.k8s(
                &at.f("namespace"),
                "a namespace is not allowed on this cluster-scoped kind",
            ),
            _ => {
                if let Err(e) = dns1123_label(ns) {
                    out.k8s(&at.f("namespace"), e);
                }
            }
        }
    }
    if let Some(l) = m.labels {
        labels(l, &at.f("labels"), out);
    }
    if let Some(a) = m.annotations {
        annotations(a, &at.f("annotations"), out);
    }
    for (i, f) in m.finalizers.into_iter().flatten().enumerate() {
        if let Err(e) = qualified_name(f) {
            out.k8s(&at.f("finalizers").i(i), e);
        }
    }
}

fn typed_meta(m: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> Meta<'_> {
    Meta {
        name: m.name.as_deref(),
        generate_name: m.generate_name.as_deref(),
        namespace: m.namespace.as_deref(),
        labels: m.labels.as_ref(),
        annotations: m.annotations.as_ref(),
        finalizers: m.finalizers.as_deref(),
    }
}

/// Checks what Kubernetes checks for `r`.
pub(crate) fn check(r: &Resource, out: &mut Out) {
    match r {
        Resource::Namespace(n) => {
            metadata(&typed_meta(&n.metadata), NameRule::Label, Some(false), out)
        }
        Resource::ServiceAccount(s) => metadata(
            &typed_meta(&s.metadata),
            NameRule::Subdomain,
            Some(true),
            out,
        ),
        Resource::Service(s) => {
            metadata(
                &typed_meta(&s.metadata),
                NameRule::Label1035,
                Some(true),
                out,
            );
            service(s, out);
        }
        Resource::Deployment(d) => {
            metadata(
                &typed_meta(&d.metadata),
                NameRule::Subdomain,
                Some(true),
                out,
            );
            deployment(d, out);
        }
        Resource::Istio(i) => metadata(
            &typed_meta(i.metadata()),
            NameRule::Subdomain,
            Some(true),
            out,
        ),
        Resource::Other(v) => other(v, out),
        // Kinds added to `Resource` later get the generic checks once listed here.
        #[allow(unreachable_patterns)]
        _ => {}
    }
}

fn other(v: &Value, out: &mut Out) {
    // `List` (and `*List`) documents are unpacked by kubectl; they are not objects.
    if v.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
    {
        return;
    }
    let Some(m) = v.get("metadata") else {
        out.k8s(&Path::new("metadata").f("name"), "a name is required");
        return;
    };
    let s = |k: &str| m.get(k).and_then(Value::as_str);
    let map = |k: &str| -> Option<BTreeMap<String, String>> {
        m.get(k).and_then(Value::as_object).map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
    };
    let (l, a) = (map("labels"), map("annotations"));
    let finalizers: Option<Vec<String>> = m.get("finalizers").and_then(Value::as_array).map(|f| {
        f.iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect()
    });
    let meta = Meta {
        name: s("name"),
        generate_name: s("generateName"),
        namespace: s("namespace"),
        labels: l.as_ref(),
        annotations: a.as_ref(),
        finalizers: finalizers.as_deref(),
    };
    metadata(&meta, NameRule::PathSegment, None, out);
}

/// IANA service names (named ports): at most 15 lowercase letters, digits and `-`, with a
/// letter, no `-` at either end and no `--`.
fn iana_svc_name(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 15
        && b.iter().all(|c| lower_alnum(*c) || *c == b'-')
        && b.iter().any(u8::is_ascii_lowercase)
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !s.contains("--");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a valid port name: at most 15 lowercase letters, digits and '-', with at least one letter, no '-' at either end and no '--'"
        ))
    }
}

fn port_number(n: i32) -> Result<(), String> {
    if (1..=65535).contains(&n) {
        Ok(())
    } else {
        Err(format!("port {n} must be in the range 1..65535"))
    }
}

fn protocol(p: Option<&str>) -> Result<(), String> {
    match p {
        None | Some("TCP" | "UDP" | "SCTP") => Ok(()),
        Some(other) => Err(format!("protocol {other:?} is not one of TCP, UDP, SCTP")),
    }
}

fn service(s: &Service, out: &mut Out) {
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
        && !super::common::is_ip(ip)
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
fn selector_matches(
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

fn deployment(d: &Deployment, out: &mut Out) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(dns1123_label("reviews-v2").is_ok());
        assert!(dns1123_label("Reviews").is_err());
        assert!(dns1123_label(&"a".repeat(64)).is_err());
        assert!(dns1123_subdomain("a.b-c.d").is_ok());
        assert!(dns1123_subdomain("a..b").is_err());
        assert!(dns1035_label("9lives").is_err());
        assert!(qualified_name("app.kubernetes.io/name").is_ok());
        assert!(qualified_name("App_Name.x").is_ok());
        assert!(qualified_name("/name").is_err());
        assert!(qualified_name("a/b/c").is_err());
        assert!(label_value("").is_ok());
        assert!(label_value("v1.2_3").is_ok());
        assert!(label_value("-v").is_err());
        assert!(iana_svc_name("http-web").is_ok());
        assert!(iana_svc_name("8080").is_err());
        assert!(iana_svc_name("a--b").is_err());
        assert!(iana_svc_name("this-is-too-long-1").is_err());
    }
}

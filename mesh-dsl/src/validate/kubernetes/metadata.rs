//! Object metadata: names by kind, namespaces, labels, annotations and finalizers.

use std::collections::BTreeMap;

use super::names::{dns1035_label, dns1123_label, dns1123_subdomain, label_value, qualified_name};
use crate::validate::{Out, Path};

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

pub(super) fn annotations(annotations: &BTreeMap<String, String>, at: &Path, out: &mut Out) {
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
pub(super) enum NameRule {
    Label,
    Label1035,
    Subdomain,
    /// Any path segment (kinds this crate does not know).
    PathSegment,
}

/// The metadata fields every object has, typed or not.
pub(super) struct Meta<'a> {
    pub(super) name: Option<&'a str>,
    pub(super) generate_name: Option<&'a str>,
    pub(super) namespace: Option<&'a str>,
    pub(super) labels: Option<&'a BTreeMap<String, String>>,
    pub(super) annotations: Option<&'a BTreeMap<String, String>>,
    pub(super) finalizers: Option<&'a [String]>,
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

pub(super) fn metadata(m: &Meta<'_>, rule: NameRule, namespaced: Option<bool>, out: &mut Out) {
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

pub(super) fn typed_meta(
    m: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> Meta<'_> {
    Meta {
        name: m.name.as_deref(),
        generate_name: m.generate_name.as_deref(),
        namespace: m.namespace.as_deref(),
        labels: m.labels.as_ref(),
        annotations: m.annotations.as_ref(),
        finalizers: m.finalizers.as_deref(),
    }
}

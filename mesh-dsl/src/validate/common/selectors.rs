//! Labels, workload selectors and policy target references.

use std::collections::BTreeMap;

use istio_types::common::{PolicyTargetReference, WorkloadSelector};

use super::names::{is_alnum, is_dns_label};
use crate::validate::{Out, Path};

fn is_qualified_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && is_alnum(b[0])
        && is_alnum(b[b.len() - 1])
        && b.iter()
            .all(|c| is_alnum(*c) || matches!(c, b'-' | b'_' | b'.'))
}

fn is_dns_prefix(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_dns_label)
}

/// Label keys and values as Istio's `labels.Instance.Validate` reads them.
pub(crate) fn validate_labels(labels: &BTreeMap<String, String>, at: &Path, out: &mut Out) {
    for (k, v) in labels {
        let name = match k.rsplit_once('/') {
            Some((prefix, name)) => {
                if !is_dns_prefix(prefix) || prefix.contains('/') {
                    out.err(&at.k(k), format!("invalid label key {k:?}"));
                    continue;
                }
                if prefix.len() > 253 {
                    out.err(
                        &at.k(k),
                        format!("invalid label key {k:?}: the prefix is too long"),
                    );
                }
                name
            }
            None => k.as_str(),
        };
        if !is_qualified_name(name) {
            out.err(&at.k(k), format!("invalid label key {k:?}"));
        } else if name.len() > 63 {
            out.err(
                &at.k(k),
                format!("invalid label key {k:?}: the name is too long"),
            );
        }
        if !v.is_empty() && !is_qualified_name(v) {
            out.err(&at.k(k), format!("invalid label value {v:?}"));
        }
    }
}

/// A `selector` (security, telemetry, extensions): no empty keys, no wildcards; a
/// selector without labels is a warning (it selects every workload).
pub(crate) fn workload_selector(sel: Option<&WorkloadSelector>, at: &Path, out: &mut Out) {
    let Some(sel) = sel else { return };
    selector_labels(&sel.match_labels, &at.f("matchLabels"), out);
    if sel.match_labels.is_empty() {
        out.warn(
            at,
            "workload selector without labels selects every workload in the namespace",
        );
    }
}

/// Labels of a selector: no empty keys, no wildcards.
pub(crate) fn selector_labels(labels: &BTreeMap<String, String>, at: &Path, out: &mut Out) {
    for (k, v) in labels {
        if k.is_empty() {
            out.err(
                &at.k(k),
                format!("empty key is not supported in a selector: \"={v}\""),
            );
        }
        if k.contains('*') || v.contains('*') {
            out.err(
                &at.k(k),
                format!("wildcard is not supported in a selector: \"{k}={v}\""),
            );
        }
    }
}

/// At most one of `selector`, `targetRef`, `targetRefs`.
pub(crate) fn one_selector_type(
    selector: bool,
    target_ref: bool,
    target_refs: bool,
    at: &Path,
    out: &mut Out,
) {
    if usize::from(selector) + usize::from(target_ref) + usize::from(target_refs) > 1 {
        out.err(
            at,
            "only one of selector, targetRef or targetRefs can be set",
        );
    }
}

/// A policy's `targetRef`: named, same namespace, and a Service, ServiceEntry or
/// Gateway API Gateway.
pub(crate) fn target_ref(r: &PolicyTargetReference, at: &Path, out: &mut Out) {
    if r.name.is_empty() {
        out.err(&at.f("name"), "targetRef name must be set");
    }
    if r.namespace.as_deref().is_some_and(|n| !n.is_empty()) {
        out.err(
            &at.f("namespace"),
            "targetRef namespace must not be set; cross-namespace references are not supported",
        );
    }
    let group = r
        .group
        .as_deref()
        .filter(|g| !g.is_empty())
        .unwrap_or("core");
    let allowed = matches!(
        (group, r.kind.as_str()),
        ("core", "Service")
            | ("networking.istio.io", "ServiceEntry")
            | ("gateway.networking.k8s.io", "Gateway")
    );
    if !allowed {
        out.err(
            at,
            format!(
                "targetRef must be to a Service, a ServiceEntry or a Gateway (gateway.networking.k8s.io), not {}/{}",
                r.group.as_deref().unwrap_or(""),
                r.kind
            ),
        );
    }
}

/// The selector, targetRef and targetRefs of a policy kind.
pub(crate) fn policy_targets(
    selector: Option<&WorkloadSelector>,
    one: Option<&PolicyTargetReference>,
    many: &[PolicyTargetReference],
    out: &mut Out,
) {
    let spec = Path::new("spec");
    one_selector_type(
        selector.is_some(),
        one.is_some(),
        !many.is_empty(),
        &spec,
        out,
    );
    workload_selector(selector, &spec.f("selector"), out);
    if let Some(r) = one {
        target_ref(r, &spec.f("targetRef"), out);
    }
    for (i, r) in many.iter().enumerate() {
        target_ref(r, &spec.f("targetRefs").i(i), out);
    }
}

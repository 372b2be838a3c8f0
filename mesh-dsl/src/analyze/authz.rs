//! Security analyzers: authorization policies and JWKS fetching.

use super::deployment::in_mesh;
use super::index::Index;
use super::labels::{LabelMap, label_map, matches, selector_string};
use super::messages::{
    JWKS_URI_FETCH_UNRESTRICTED, NO_MATCHING_WORKLOADS, REFERENCED_RESOURCE_NOT_FOUND,
};
use crate::diag::Diagnostic;

/// Istio's namespace pattern match: `*`, `prefix*`, `*suffix` or an exact name
/// (case-insensitive).
fn namespace_matches(ns: &str, pattern: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if let Some(suffix) = pattern.strip_prefix('*') {
        return ns.ends_with(suffix);
    }
    if let Some(prefix) = pattern.strip_suffix('*') {
        return ns.starts_with(prefix);
    }
    ns.eq_ignore_ascii_case(pattern)
}

/// `authz.AuthorizationPoliciesAnalyzer`: IST0127 when no in-mesh workload matches a policy
/// (in its namespace, or anywhere for selector policies in the root namespace), IST0101 for
/// `namespaces`/`notNamespaces` patterns that match no Namespace.
pub(crate) fn authorization_policies(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let root = idx.root_namespace();
    for ap in &idx.authorization_policies {
        let spec = &ap.obj.spec;
        let selector: Option<LabelMap> = spec.selector.as_ref().map(|s| label_map(&s.match_labels));
        let in_mesh_match = |ns: Option<&str>, sel: &LabelMap<'_>| {
            idx.select(ns, sel)
                .iter()
                .any(|w| matches(sel, &w.labels) && (w.ambient() || in_mesh(idx, w)))
        };
        let missing: Option<String> = if ap.ns == root {
            // Mesh-wide: only a selector needs something to match, anywhere.
            selector
                .as_ref()
                .filter(|s| !in_mesh_match(None, s))
                .map(selector_string)
        } else {
            match &selector {
                None => (!in_mesh_match(Some(ap.ns), &LabelMap::new())).then(String::new),
                Some(s) => (!in_mesh_match(Some(ap.ns), s)).then(|| selector_string(s)),
            }
        };
        if let Some(labels) = missing {
            out.push(
                NO_MATCHING_WORKLOADS
                    .on(
                        ap.res,
                        format!("no in-mesh workload matches this policy (labels {labels:?})"),
                    )
                    .at("spec.selector")
                    .hint("fix the selector labels, or deploy the workloads into the mesh"),
            );
        }
        for (i, rule) in spec.rules.iter().enumerate() {
            for (j, from) in rule.from.iter().enumerate() {
                let Some(source) = &from.source else {
                    continue;
                };
                let lists = [
                    ("namespaces", &source.namespaces),
                    ("notNamespaces", &source.not_namespaces),
                ];
                for (field, list) in lists {
                    for (k, pattern) in list.iter().enumerate() {
                        if !idx
                            .namespaces
                            .iter()
                            .any(|n| namespace_matches(n.name, pattern))
                        {
                            out.push(
                                REFERENCED_RESOURCE_NOT_FOUND
                                    .on(
                                        ap.res,
                                        format!("referenced namespace not found: {pattern:?}"),
                                    )
                                    .at(format!("spec.rules[{i}].from[{j}].source.{field}[{k}]")),
                            );
                        }
                    }
                }
            }
        }
    }
}

/// `authn.BlockedCIDRsAnalyzer`: IST0175 when RequestAuthentications exist but istiod does
/// not restrict the addresses JWKS URIs may resolve to (`BLOCKED_CIDRS_IN_JWKS_URIS`).
pub(crate) fn blocked_cidrs(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    if idx.request_authentications.is_empty() {
        return;
    }
    let names: Vec<String> = idx
        .request_authentications
        .iter()
        .map(|r| r.full_name())
        .collect();
    let shown = if names.len() > 5 {
        format!("{}, and {} more", names[..5].join(", "), names.len() - 5)
    } else {
        names.join(", ")
    };
    for d in idx.deployments() {
        if d.meta_labels.get("app") != Some(&"istiod") {
            continue;
        }
        let configured = d.containers.iter().any(|c| {
            c.env
                .iter()
                .any(|(k, v)| *k == "BLOCKED_CIDRS_IN_JWKS_URIS" && !v.is_empty())
        });
        if !configured {
            out.push(
                JWKS_URI_FETCH_UNRESTRICTED
                    .on(
                        d.res,
                        format!(
                            "{} RequestAuthentication(s) ({shown}) make istiod fetch JWKS URIs, but BLOCKED_CIDRS_IN_JWKS_URIS is not set, so any address can be fetched",
                            names.len()
                        ),
                    )
                    .hint("set BLOCKED_CIDRS_IN_JWKS_URIS on istiod to the internal ranges it must not fetch from"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_patterns() {
        assert!(namespace_matches("prod-a", "prod-*"));
        assert!(namespace_matches("a-test", "*-test"));
        assert!(namespace_matches("x", "*"));
        assert!(namespace_matches("Httpbin", "httpbin"));
        assert!(!namespace_matches("x", "bogus-*"));
    }
}

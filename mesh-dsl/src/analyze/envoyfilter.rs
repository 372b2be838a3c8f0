//! EnvoyFilter patch analyzer.

use istio_types::networking::v1alpha3::{ApplyTo, ObjectTypeMatch, PatchOperation};
use serde_json::Value;

use super::index::Index;
use super::messages::{
    ENVOY_FILTER_ADD_INCORRECT, ENVOY_FILTER_RELATIVE_OPERATION,
    ENVOY_FILTER_RELATIVE_WITH_PROXY_VERSION, ENVOY_FILTER_REMOVE_INCORRECT,
    ENVOY_FILTER_REPLACE_INCORRECT,
};
use crate::diag::Diagnostic;

/// `envoyfilter.EnvoyPatchAnalyzer`: IST0153/IST0154 for ADD/REMOVE on route configurations
/// and HTTP routes (ignored by Istio), IST0152 for REPLACE on objects it cannot replace,
/// IST0151 for relative operations without a priority, IST0155 when such a patch shares
/// its filter name with an earlier patch that matches a proxy version. Each code is
/// reported once per EnvoyFilter, at its first patch: Istio's messages carry no patch
/// index, and its analysis keeps one of identical messages (`SortedDedupedCopy`).
pub(crate) fn patches(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let mut all = Vec::new();
    patches_each(idx, &mut all);
    for d in all {
        if !out
            .iter()
            .any(|o| o.code == d.code && o.resource == d.resource)
        {
            out.push(d);
        }
    }
}

/// Every finding of [`patches`], one per patch.
fn patches_each(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    // Filter names of patches that match on a proxy version, across EnvoyFilters in order.
    let mut versioned: Vec<String> = Vec::new();
    for ef in &idx.envoy_filters {
        let spec = &ef.obj.spec;
        let priority = spec.priority.unwrap_or(0);
        for (i, cp) in spec.config_patches.iter().enumerate() {
            let Some(patch) = &cp.patch else {
                break;
            };
            let path = format!("spec.configPatches[{i}]");
            // The filter a patch is about: the value's name, else the matched filter's name.
            let mut name = String::new();
            if let Some(value) = patch.value.as_ref() {
                if let Some(n) = value.get("name") {
                    name = match n {
                        Value::String(s) => format!("value:{s}"),
                        other => format!("value:{other}"),
                    };
                } else if let Some(ObjectTypeMatch::Listener(l)) =
                    cp.r#match.as_ref().and_then(|m| m.object_types.as_ref())
                {
                    name = l
                        .filter_chain
                        .as_ref()
                        .and_then(|fc| fc.filter.as_ref())
                        .and_then(|f| f.name.clone())
                        .unwrap_or_default();
                }
            }
            let apply_to = cp.apply_to.unwrap_or(ApplyTo::Invalid);
            let routes = matches!(apply_to, ApplyTo::RouteConfiguration | ApplyTo::HttpRoute);
            let mut relative = false;
            match patch.operation.unwrap_or(PatchOperation::Invalid) {
                PatchOperation::Add if routes => out.push(
                    ENVOY_FILTER_ADD_INCORRECT
                        .on(ef.res, format!("ADD is ignored when applyTo is {apply_to}"))
                        .at(format!("{path}.patch.operation"))
                        .hint("use MERGE, or apply the patch to another object"),
                ),
                PatchOperation::Remove if routes => out.push(
                    ENVOY_FILTER_REMOVE_INCORRECT
                        .on(
                            ef.res,
                            format!("REMOVE is ignored when applyTo is {apply_to}"),
                        )
                        .at(format!("{path}.patch.operation")),
                ),
                PatchOperation::Remove => relative = true,
                PatchOperation::Replace => {
                    if matches!(
                        apply_to,
                        ApplyTo::HttpFilter | ApplyTo::NetworkFilter | ApplyTo::VirtualHost
                    ) {
                        relative = true;
                    } else {
                        out.push(
                            ENVOY_FILTER_REPLACE_INCORRECT
                                .on(
                                    ef.res,
                                    format!(
                                        "REPLACE only applies to HTTP_FILTER, NETWORK_FILTER and VIRTUAL_HOST, not {apply_to}"
                                    ),
                                )
                                .at(format!("{path}.patch.operation")),
                        );
                    }
                }
                PatchOperation::InsertBefore | PatchOperation::InsertAfter => relative = true,
                _ => {}
            }
            if relative && priority == 0 {
                let d = if versioned.contains(&name) {
                    ENVOY_FILTER_RELATIVE_WITH_PROXY_VERSION.on(
                        ef.res,
                        "a relative patch without a priority names a filter that an earlier patch matching a proxy version also names; it may not apply after an upgrade",
                    )
                } else {
                    ENVOY_FILTER_RELATIVE_OPERATION.on(
                        ef.res,
                        "a relative patch operation without a priority may not apply, depending on the order of EnvoyFilters",
                    )
                };
                out.push(
                    d.at(format!("{path}.patch.operation"))
                        .hint("set spec.priority, or use INSERT_FIRST or ADD"),
                );
            }
            if cp
                .r#match
                .as_ref()
                .and_then(|m| m.proxy.as_ref())
                .and_then(|p| p.proxy_version.as_deref())
                .is_some_and(|v| !v.is_empty())
            {
                versioned.push(name);
            }
        }
    }
}

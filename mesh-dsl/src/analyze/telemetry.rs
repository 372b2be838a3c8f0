//! Telemetry analyzers: providers, selectors, and the deprecated Lightstep provider.

use std::collections::BTreeMap;

use super::index::{Index, full_name};
use super::labels::{LabelMap, label_map, selector_string};
use super::messages::{
    CONFLICTING_TELEMETRY_SELECTORS, DEPRECATED, INVALID_TELEMETRY_PROVIDER,
    MULTIPLE_TELEMETRIES_WITHOUT_SELECTOR, REFERENCED_RESOURCE_NOT_FOUND,
};
use crate::diag::Diagnostic;

/// `telemetry.ProviderAnalyzer`: IST0157 for access logging without providers when the mesh
/// has no default access log provider.
pub(crate) fn providers(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    if !idx.mesh.default_access_logging.is_empty() {
        return;
    }
    for t in &idx.telemetries {
        for (i, al) in t.obj.spec.access_logging.iter().enumerate() {
            if al.providers.is_empty() && al.disabled != Some(true) {
                out.push(
                    INVALID_TELEMETRY_PROVIDER
                        .on(
                            t.res,
                            format!(
                                "Telemetry {} in namespace {:?} configures access logging without providers, and the mesh has no default provider, so it is ignored",
                                t.name, t.ns
                            ),
                        )
                        .at(format!("spec.accessLogging[{i}].providers"))
                        .hint("name a provider, or set defaultProviders.accessLogging in the mesh config"),
                );
            }
        }
    }
}

/// `telemetry.SelectorAnalyzer`: IST0101 when a Telemetry selector matches nothing in its
/// namespace, IST0159 when several Telemetry resources select one workload.
pub(crate) fn selectors(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let mut by_workload: BTreeMap<(String, String, usize), Vec<usize>> = BTreeMap::new();
    for (ti, t) in idx.telemetries.iter().enumerate() {
        let labels: LabelMap = t
            .obj
            .spec
            .selector
            .as_ref()
            .map(|s| label_map(&s.match_labels))
            .unwrap_or_default();
        if labels.is_empty() {
            continue;
        }
        let selected = idx.select(Some(t.ns), &labels);
        if selected.is_empty() {
            out.push(
                REFERENCED_RESOURCE_NOT_FOUND
                    .on(
                        t.res,
                        format!(
                            "referenced selector not found: {:?} (no workload in namespace {:?} has these labels)",
                            selector_string(&labels),
                            t.ns
                        ),
                    )
                    .at("spec.selector.matchLabels"),
            );
        }
        for w in selected {
            by_workload
                .entry((w.ns.to_string(), w.name.to_string(), w.kind as usize))
                .or_default()
                .push(ti);
        }
    }
    for (key, list) in &by_workload {
        if list.len() < 2 {
            continue;
        }
        let names: Vec<String> = list
            .iter()
            .filter_map(|&i| idx.telemetries.get(i))
            .map(|t| t.full_name())
            .collect();
        for &ti in list {
            if let Some(t) = idx.telemetries.get(ti) {
                out.push(
                    CONFLICTING_TELEMETRY_SELECTORS
                        .on(
                            t.res,
                            format!(
                                "the Telemetry resources {names:?} in namespace {:?} all select workload {:?}, which leaves its configuration undefined",
                                key.0,
                                full_name(&key.0, &key.1)
                            ),
                        )
                        .at("spec.selector")
                        .hint("make the selectors disjoint, or merge the Telemetry resources"),
                );
            }
        }
    }
}

/// `telemetry.DefaultSelectorAnalyzer`: IST0160 when a namespace has several Telemetry
/// resources that select no workload and target nothing.
pub(crate) fn default_selectors(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let mut by_ns: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (ti, t) in idx.telemetries.iter().enumerate() {
        let s = &t.obj.spec;
        if s.selector.is_none() && s.target_ref.is_none() && s.target_refs.is_empty() {
            by_ns.entry(t.ns).or_default().push(ti);
        }
    }
    for (ns, list) in by_ns {
        if list.len() < 2 {
            continue;
        }
        let names: Vec<String> = list
            .iter()
            .filter_map(|&i| idx.telemetries.get(i))
            .map(|t| t.full_name())
            .collect();
        for &ti in &list {
            if let Some(t) = idx.telemetries.get(ti) {
                out.push(
                    MULTIPLE_TELEMETRIES_WITHOUT_SELECTOR
                        .on(
                            t.res,
                            format!(
                                "the Telemetry resources {names:?} in namespace {ns:?} have no selector, which leaves the namespace's configuration undefined"
                            ),
                        )
                        .hint("keep one namespace-wide Telemetry and give the others a selector"),
                );
            }
        }
    }
}

/// `telemetry.LightstepAnalyzer`: IST0002 for tracing with a Lightstep provider.
pub(crate) fn lightstep(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let names = &idx.mesh.lightstep_providers;
    if names.is_empty() {
        return;
    }
    for t in &idx.telemetries {
        for (i, tr) in t.obj.spec.tracing.iter().enumerate() {
            for (j, p) in tr.providers.iter().enumerate() {
                if names.contains(&p.name) {
                    out.push(
                        DEPRECATED
                            .on(
                                t.res,
                                format!(
                                    "the Lightstep tracing provider {:?} is deprecated; use OpenTelemetry",
                                    p.name
                                ),
                            )
                            .at(format!("spec.tracing[{i}].providers[{j}]")),
                    );
                }
            }
        }
    }
}

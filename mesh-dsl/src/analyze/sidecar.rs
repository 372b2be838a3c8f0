//! Sidecar selector analyzers.

use super::HashMap;
use std::collections::BTreeMap;

use super::index::{Index, full_name};
use super::labels::{LabelMap, label_map, selector_string};
use super::messages::{
    CONFLICTING_SIDECAR_SELECTORS, INEFFECTIVE_POLICY, MULTIPLE_SIDECARS_WITHOUT_SELECTOR,
    REFERENCED_RESOURCE_NOT_FOUND,
};
use crate::diag::Diagnostic;

/// `sidecar.SelectorAnalyzer`: IST0101 when a Sidecar's workload selector matches nothing in
/// its namespace, IST0110 when several Sidecars select one workload, IST0111 when a
/// namespace has several Sidecars without a selector, IST0167 for Sidecars that only apply
/// to ambient workloads or namespaces.
pub(crate) fn selectors(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    // Workload (namespace, name, kind) -> sidecars selecting it.
    let mut by_workload: BTreeMap<(String, String, usize), Vec<usize>> = BTreeMap::new();
    let mut ambient_workload: HashMap<(String, String, usize), bool> = HashMap::default();
    let mut namespace_wide: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (si, sc) in idx.sidecars.iter().enumerate() {
        let labels: LabelMap = sc
            .obj
            .spec
            .workload_selector
            .as_ref()
            .map(|w| label_map(&w.labels))
            .unwrap_or_default();
        if labels.is_empty() {
            namespace_wide.entry(sc.ns).or_default().push(si);
            continue;
        }
        let selected = idx.select(Some(sc.ns), &labels);
        if selected.is_empty() {
            out.push(
                REFERENCED_RESOURCE_NOT_FOUND
                    .on(
                        sc.res,
                        format!(
                            "referenced selector not found: {:?} (no workload in namespace {:?} has these labels)",
                            selector_string(&labels),
                            sc.ns
                        ),
                    )
                    .at("spec.workloadSelector.labels")
                    .hint("fix the labels, or deploy the workload"),
            );
        }
        for w in &selected {
            let key = (w.ns.to_string(), w.name.to_string(), w.kind as usize);
            ambient_workload.insert(key.clone(), w.ambient());
            by_workload.entry(key).or_default().push(si);
        }
    }
    let mut reported = vec![false; idx.sidecars.len()];
    for (key, list) in &by_workload {
        let ambient = ambient_workload.get(key).copied().unwrap_or(false);
        if list.len() == 1 && !ambient {
            continue;
        }
        let names: Vec<String> = list
            .iter()
            .filter_map(|&i| idx.sidecars.get(i))
            .map(|s| s.full_name())
            .collect();
        for &si in list {
            let Some(sc) = idx.sidecars.get(si) else {
                continue;
            };
            if ambient {
                if !reported[si] {
                    reported[si] = true;
                    out.push(INEFFECTIVE_POLICY.on(
                        sc.res,
                        "the selected workload runs in ambient mode, so the Sidecar has no effect",
                    ));
                }
                continue;
            }
            out.push(
                CONFLICTING_SIDECAR_SELECTORS
                    .on(
                        sc.res,
                        format!(
                            "the Sidecars {names:?} in namespace {:?} all select workload {:?}, which leaves its configuration undefined",
                            key.0,
                            full_name(&key.0, &key.1)
                        ),
                    )
                    .at("spec.workloadSelector")
                    .hint("make the selectors disjoint, or merge the Sidecars"),
            );
        }
    }
    for (ns, list) in &namespace_wide {
        if idx.namespace(ns).is_some_and(|n| n.ambient()) {
            for &si in list {
                if let Some(sc) = idx.sidecars.get(si)
                    && !reported[si]
                {
                    reported[si] = true;
                    out.push(INEFFECTIVE_POLICY.on(
                        sc.res,
                        "the namespace runs in ambient mode, so the Sidecar has no effect",
                    ));
                }
            }
            continue;
        }
        if list.len() < 2 {
            continue;
        }
        let names: Vec<String> = list
            .iter()
            .filter_map(|&i| idx.sidecars.get(i))
            .map(|s| s.full_name())
            .collect();
        for &si in list {
            if let Some(sc) = idx.sidecars.get(si) {
                out.push(
                    MULTIPLE_SIDECARS_WITHOUT_SELECTOR
                        .on(
                            sc.res,
                            format!(
                                "the Sidecars {names:?} in namespace {ns:?} have no workload selector, which leaves the namespace's configuration undefined"
                            ),
                        )
                        .hint("keep one namespace-wide Sidecar and give the others a workloadSelector"),
                );
            }
        }
    }
}

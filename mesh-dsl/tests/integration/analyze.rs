//! Istio's own analyzer test grid (`pkg/config/analysis/analyzers/analyzers_test.go`, as
//! data in `../shared/istio/analyzer-cases.json`): every case whose analyzer mesh-dsl
//! implements must report exactly the expected findings (message code + resource, as sets).

use std::collections::BTreeSet;
use std::path::Path;

use mesh_dsl::Resources;
use mesh_dsl::analyze::{AnalyzeOptions, MeshConfig, MeshNetworks, analyze, analyzer, load_stream};
use serde_json::Value;

/// Cases skipped although their analyzer exists, and why.
const SKIPPED_CASES: &[(&str, &str)] = &[];

/// Mesh networks files the Go test grid passes but the JSON grid does not carry.
const MESH_NETWORKS: &[(&str, &str)] = &[(
    "unknown service registry in mesh networks",
    "testdata/common/meshnetworks.yaml",
)];

/// Analyzers not implemented, and why.
const NOT_IMPLEMENTED: &[(&str, &str)] = &[
    (
        "annotations.K8sAnalyzer",
        "needs Istio's annotation registry (names, kinds, deprecations), which is not in ../shared",
    ),
    (
        "maturity.AlphaAnalyzer",
        "needs Istio's annotation registry with feature status, which is not in ../shared",
    ),
];

fn set_of(ds: &mesh_dsl::Diagnostics) -> BTreeSet<(String, String)> {
    ds.iter()
        .map(|d| {
            (
                d.code.to_string(),
                d.resource
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn run_case(base: &Path, case: &Value, name: &str, deployments: bool) -> Result<(), String> {
    let mut resources = Vec::new();
    for f in case["inputFiles"].as_array().into_iter().flatten() {
        let rel = f.as_str().unwrap_or("");
        let path = base.join(rel);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{rel}: {e}"))?;
        let loaded = load_stream(&text, rel).map_err(|e| e.to_string())?;
        resources.extend(loaded.resources);
        resources.extend(loaded.repaired);
    }
    let mut opts = AnalyzeOptions::default()
        .only([name])
        .workloads_from_deployments(deployments);
    if let Some(mc) = case["meshConfigFile"].as_str() {
        let text = std::fs::read_to_string(base.join(mc)).map_err(|e| format!("{mc}: {e}"))?;
        opts = opts.mesh_config(MeshConfig::from_yaml(&text).map_err(|e| e.to_string())?);
    }
    let case_name = case["name"].as_str().unwrap_or("");
    if let Some((_, mn)) = MESH_NETWORKS.iter().find(|(n, _)| *n == case_name) {
        let text = std::fs::read_to_string(base.join(mn)).map_err(|e| format!("{mn}: {e}"))?;
        opts = opts.mesh_networks(MeshNetworks::from_yaml(&text).map_err(|e| e.to_string())?);
    }
    let found = set_of(&analyze(&Resources::from_vec(resources), &opts));
    let expected: BTreeSet<(String, String)> = case["expected"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["code"].as_str().unwrap_or("").to_string(),
                e["origin"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    if found == expected {
        Ok(())
    } else {
        Err(format!(
            "missing {:?}; unexpected {:?}",
            expected.difference(&found).collect::<Vec<_>>(),
            found.difference(&expected).collect::<Vec<_>>()
        ))
    }
}

#[test]
fn istio_analyzer_cases() {
    let Some(dir) = testkit::reference_data("istio_analyzer_cases") else {
        return;
    };
    let text =
        std::fs::read_to_string(dir.join("analyzer-cases.json")).expect("analyzer-cases.json");
    let cases: Vec<Value> = serde_json::from_str(&text).expect("analyzer-cases.json is JSON");
    let base = dir.join("corpus/pkg/config/analysis/analyzers");
    let (mut run, mut passed) = (0, 0);
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let name = case["name"].as_str().unwrap_or("");
        let label = format!("#{i} {name}");
        let an = case["analyzer"].as_str().unwrap_or("");
        if let Some((_, why)) = SKIPPED_CASES.iter().find(|(n, _)| *n == name) {
            skipped.push(format!("{label} ({an}): {why}"));
            continue;
        }
        if analyzer(an).is_none() {
            let why = NOT_IMPLEMENTED
                .iter()
                .find(|(n, _)| *n == an)
                .map_or("analyzer not implemented", |(_, w)| w);
            skipped.push(format!("{label} ({an}): {why}"));
            continue;
        }
        run += 1;
        // As Istio does (running pods only), and with Deployment pod templates counted as
        // workloads (mesh-dsl's default): both must give Istio's findings.
        let results = [
            run_case(&base, case, an, false),
            run_case(&base, case, an, true),
        ];
        match results {
            [Ok(()), Ok(())] => passed += 1,
            [Err(e), _] => failures.push(format!("{label} ({an}): {e}")),
            [_, Err(e)] => {
                failures.push(format!("{label} ({an}) with Deployments as workloads: {e}"))
            }
        }
    }
    println!(
        "{passed} of {} cases match ({run} run, {} skipped)",
        cases.len(),
        skipped.len()
    );
    for s in &skipped {
        println!("skipped {s}");
    }
    for f in &failures {
        println!("FAILED {f}");
    }
    assert_eq!(
        (passed, cases.len(), run, skipped.len()),
        (102, 104, 102, 2),
        "(cases matching, cases, run, skipped)"
    );
    assert!(
        failures.is_empty(),
        "{} of {run} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(run >= 95, "expected to run nearly all cases, ran {run}");
}

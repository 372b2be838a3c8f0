//! Istio's own analyzer test grid (`pkg/config/analysis/analyzers/analyzers_test.go`, as
//! data in `../shared/istio/analyzer-cases.json`): every case whose analyzer mesh-dsl
//! implements must report exactly the expected findings (message code + resource), each
//! as many times as Istio reports it (Istio's test compares with `ConsistOf`).
use std::path::Path;

use mesh_dsl::Resources;
use mesh_dsl::analyze::{AnalyzeOptions, MeshConfig, MeshNetworks, analyze, analyzer, load_stream};
use serde_json::Value;

/// Cases skipped although their analyzer exists, and why.
const SKIPPED_CASES: &[(&str, &str)] = &[];

/// Analyzers not implemented, and why.
const NOT_IMPLEMENTED: &[(&str, &str)] = &[];

/// The findings as (code, resource) pairs, sorted: a multiset.
fn findings(ds: &mesh_dsl::Diagnostics) -> Vec<(String, String)> {
    let mut v: Vec<_> = ds
        .iter()
        .map(|d| {
            (
                d.code.to_string(),
                d.resource
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

/// What is in `a` and not in `b`, counting repeats.
fn minus(a: &[(String, String)], b: &[(String, String)]) -> Vec<(String, String)> {
    let mut rest = b.to_vec();
    a.iter()
        .filter(|x| match rest.iter().position(|y| y == *x) {
            Some(i) => {
                rest.remove(i);
                false
            }
            None => true,
        })
        .cloned()
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
    if let Some(mn) = case["meshNetworksFile"].as_str() {
        let text = std::fs::read_to_string(base.join(mn)).map_err(|e| format!("{mn}: {e}"))?;
        opts = opts.mesh_networks(MeshNetworks::from_yaml(&text).map_err(|e| e.to_string())?);
    }
    let found = findings(&analyze(&Resources::from_vec(resources), &opts));
    let mut expected: Vec<(String, String)> = case["expected"]
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
    expected.sort();
    if found == expected {
        Ok(())
    } else {
        Err(format!(
            "missing {:?}; unexpected {:?}",
            minus(&expected, &found),
            minus(&found, &expected)
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
        (104, 104, 104, 0),
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

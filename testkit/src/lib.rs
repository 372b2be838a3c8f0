//! Helpers for the tests of the other workspace crates.
//!
//! This crate is never published and is only a dev-dependency. It bundles these kinds of
//! helpers:
//!
//! * **Reference data location**: [`reference_data`] finds the Istio reference data that lives
//!   next to the workspace (`<workspace>/../shared/istio`, or `$MESH_DSL_SHARED_DIR/istio`).
//!   That data is *not* part of the repository. A test that needs it and does not find it
//!   **fails** under CI (`CI=true`) and prints a visible `SKIPPED` line otherwise; it never
//!   passes silently.
//! * **CRD access**: [`Crds`] reads the Istio `CustomResourceDefinition`s from `crds.yaml` and
//!   gives the served versions and the `openAPIV3Schema` of every kind.
//! * **Schema checks**: [`SchemaValidator`] checks a whole resource (as a JSON value) against the
//!   structural schema of its kind, the way a Kubernetes API server with strict field validation
//!   would, except for the CEL rules (`x-kubernetes-validations`), which it does not evaluate.
//! * **Corpus access**: [`corpus_documents`] and [`corpus`] load the real Istio YAML files that sit
//!   under `shared/istio/corpus`, and [`is_istio_kind`] tells which of them are Istio resources.
//! * **Prometheus**: [`prometheus`] runs a real `prometheus` process scraping an exporter of
//!   Istio-shaped metrics whose values the test controls (missing binary: a failure under CI,
//!   a visible `SKIPPED` line otherwise).
//! * **YAML 1.1 reading**: [`yaml11_load_all`] reads YAML the way YAML 1.1 readers (kubectl's
//!   go-yaml v2, PyYAML) do, so a test can make sure that an emitted plain scalar such as `on`,
//!   `0755` or `2024-01-01` is not silently turned into something other than a string.

mod core_shape;
pub use core_shape::core_shape_problems;
mod corpus;
mod crds;
pub mod prometheus;
mod schema;
mod yaml11;

use std::path::{Path, PathBuf};

pub use corpus::{
    Corpus, CorpusDoc, CorpusFailure, ISTIO_GROUPS, corpus, corpus_dir, corpus_documents,
    is_istio_kind,
};
pub use crds::{CrdKind, Crds};
pub use schema::{SchemaError, SchemaValidator, render_errors, shared_validator};
pub use yaml11::{
    FLOAT_MARKER_PREFIX, TIMESTAMP_MARKER_PREFIX, yaml11_load_all, yaml11_plain_is_string,
    yaml11_plain_scalar,
};

/// What is wrong with one emitted object, checked as a cluster would: an Istio object (by
/// [`is_istio_kind`]) against its CRD schema, any other object by [`core_shape_problems`].
/// `None` when it passes.
///
/// Without the reference data the CRD schemas are unknown: under CI (see [`in_ci`]) that is a
/// panic naming the missing file; otherwise the schema part is skipped with a visible
/// `SKIPPED` line on stderr (once per test binary) and the object counts as passing.
pub fn document_problems(doc: &serde_json::Value) -> Option<String> {
    let api = doc["apiVersion"].as_str().unwrap_or("");
    let kind = doc["kind"].as_str().unwrap_or("");
    if is_istio_kind(api, kind) {
        let errors = reference_validator("testkit::document_problems (CRD schema part)")?
            .validate(doc)
            .err()?;
        Some(format!("fails its CRD schema: {}", render_errors(&errors)))
    } else {
        let problems = core_shape_problems(doc);
        (!problems.is_empty()).then(|| format!("{problems:?}"))
    }
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// The environment variable that moves the shared reference directory (the one holding
/// `istio/`); default `<workspace root>/../shared`. Setting it to a path that does not exist
/// shows what a run without the reference data does.
pub const SHARED_DIR_ENV: &str = "MESH_DSL_SHARED_DIR";

/// The shared reference directory: `$MESH_DSL_SHARED_DIR` when set and not empty, else
/// `<workspace root>/../shared`. Returned whether or not it exists.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os(SHARED_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("..").join("shared"),
    }
}

/// Where the Istio reference data would be: [`shared_dir`]`/istio`.
///
/// Returned whether or not it exists; [`shared_istio_dir`] checks for it.
pub fn expected_shared_istio_dir() -> PathBuf {
    shared_dir().join("istio")
}

/// The Istio reference data directory, [`expected_shared_istio_dir`], if it exists.
///
/// A plain lookup that neither skips nor fails: tests use [`reference_data`] instead.
pub fn shared_istio_dir() -> Option<PathBuf> {
    let dir = expected_shared_istio_dir();
    dir.is_dir().then_some(dir)
}

/// Whether this is a CI run: the environment variable `CI` is `true` or `1` (any case).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// What a test does when reference data it needs is missing: under CI (see [`in_ci`]) it
/// panics naming `test` and `path`; otherwise it prints one `SKIPPED` line to stderr and
/// returns, so the caller returns (or skips the part that needs the data). The line is written
/// to stderr directly, so it shows even though the test harness captures a passing test's
/// output.
///
/// # Panics
/// Under CI, always.
pub fn missing_reference_data(test: &str, path: &Path) {
    let what = format!(
        "{test}: {} not found (the Istio reference data beside the checkout, or set {SHARED_DIR_ENV})",
        path.display()
    );
    if in_ci() {
        panic!("reference data missing under CI: {what}");
    }
    // Straight to stderr, not `eprintln!`: the test harness captures the macro's output of a
    // passing test, and a skip must be seen.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED {what}");
}

/// What a test does when a program it runs (such as `openssl` or `prometheus`) is not
/// installed: the same rule as for reference data. Under CI it panics naming the test and
/// the program (`.ci/run` installs what the tests need); otherwise it prints one `SKIPPED`
/// line to stderr and returns, so the caller returns.
///
/// # Panics
/// Under CI, always.
pub fn missing_program(test: &str, program: &str) {
    let what = format!("{test}: the program `{program}` is not installed");
    if in_ci() {
        panic!("{what} (CI must install it: see .ci/run)");
    }
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED {what}");
}

/// The Istio reference data directory for test `test`, checked to hold `crds.yaml`,
/// `corpus/` and `analyzer-cases.json`.
///
/// When the data is missing: under CI (`CI=true`) this panics with a message naming the
/// missing path and the test; otherwise it prints `SKIPPED <test>: <path> not found ...` to
/// stderr and returns `None`, and the test returns (or skips the part needing the data).
/// Meant as the first line of a test that needs the reference data:
///
/// ```no_run
/// let Some(dir) = testkit::reference_data("my_test") else { return };
/// assert!(dir.join("crds.yaml").exists());
/// ```
///
/// # Panics
/// Under CI, when the data is missing.
pub fn reference_data(test: &str) -> Option<PathBuf> {
    let dir = expected_shared_istio_dir();
    let missing = ["crds.yaml", "corpus", "analyzer-cases.json"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| !p.exists());
    match missing {
        None => Some(dir),
        Some(path) => {
            missing_reference_data(test, if dir.is_dir() { &path } else { &dir });
            None
        }
    }
}

/// The former name of [`reference_data`], kept for callers on other branches.
pub fn shared_or_skip(test: &str) -> Option<PathBuf> {
    reference_data(test)
}

/// The CRDs of the reference data, for test `test` ([`reference_data`]'s rules when absent).
///
/// # Panics
/// Under CI, when the data is missing.
pub fn reference_crds(test: &str) -> Option<&'static Crds> {
    reference_data(test)?;
    static CRDS: std::sync::OnceLock<Crds> = std::sync::OnceLock::new();
    Some(CRDS.get_or_init(|| Crds::load().expect("crds.yaml was just found")))
}

/// The schema validator over the reference CRDs, for test `test` ([`reference_data`]'s rules
/// when absent). The `SKIPPED` line is printed once per test binary when the same `test`
/// asks again.
///
/// # Panics
/// Under CI, when the data is missing.
pub fn reference_validator(test: &str) -> Option<&'static SchemaValidator> {
    if let Some(v) = shared_validator() {
        return Some(v);
    }
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if in_ci() || !said.iter().any(|t| t == test) {
        said.push(test.to_string());
        drop(said);
        missing_reference_data(test, &expected_shared_istio_dir().join("crds.yaml"));
    }
    None
}

/// The documents of the reference corpus, for test `test` ([`reference_data`]'s rules when
/// absent).
///
/// # Panics
/// Under CI, when the data is missing.
pub fn reference_corpus(test: &str) -> Option<Vec<CorpusDoc>> {
    reference_data(test)?;
    corpus_documents()
}

/// insta settings that put snapshots in the workspace's top-level `snapshots/` folder
/// (one place for reviewers), named exactly as the test names them.
///
/// ```
/// testkit::snapshot_settings().bind(|| {
///     // insta::assert_snapshot!("name", text);
/// });
/// ```
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(workspace_root().join("snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_dir_is_next_to_the_workspace() {
        if std::env::var_os(SHARED_DIR_ENV).is_some() {
            assert_eq!(
                expected_shared_istio_dir(),
                PathBuf::from(std::env::var_os(SHARED_DIR_ENV).unwrap()).join("istio")
            );
            return;
        }
        let dir = expected_shared_istio_dir();
        assert!(dir.ends_with("../shared/istio"), "{}", dir.display());
        assert_eq!(
            dir.parent()
                .and_then(|p| p.parent())
                .and_then(|p| p.parent()),
            Some(workspace_root().as_path())
        );
    }

    #[test]
    fn reference_data_is_consistent() {
        let Some(dir) = reference_data("reference_data_is_consistent") else {
            assert!(!in_ci(), "reference_data returns None only outside CI");
            return;
        };
        assert_eq!(shared_istio_dir(), Some(dir.clone()));
        assert!(dir.join("crds.yaml").is_file());
        assert!(reference_crds("reference_data_is_consistent").is_some());
    }

    #[test]
    fn document_problems_routes_istio_objects_to_the_schema_and_others_to_the_shapes() {
        use serde_json::json;
        let good_ns =
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}});
        assert_eq!(document_problems(&good_ns), None);
        let bad_ns =
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Shop!"}});
        assert!(document_problems(&bad_ns).is_some());
        if reference_validator("document_problems_routes_istio_objects").is_none() {
            return;
        }
        let typo = json!({
            "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": "vs"}, "spec": {"hostz": ["a"]},
        });
        assert!(
            document_problems(&typo).is_some_and(|p| p.contains("CRD schema")),
            "{:?}",
            document_problems(&typo)
        );
    }
}

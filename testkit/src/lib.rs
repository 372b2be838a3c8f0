//! Helpers for the tests of the other workspace crates.
//!
//! This crate is never published and is only a dev-dependency. It bundles four kinds of
//! helpers:
//!
//! * **Reference data location**: [`shared_istio_dir`] and [`shared_or_skip`] find the Istio
//!   reference data that lives next to the workspace (`<workspace>/../shared/istio`). That data
//!   is *not* part of the repository; tests that need it skip themselves when it is absent.
//! * **CRD access**: [`Crds`] reads the Istio `CustomResourceDefinition`s from `crds.yaml` and
//!   gives the served versions and the `openAPIV3Schema` of every kind.
//! * **Schema checks**: [`SchemaValidator`] checks a whole resource (as a JSON value) against the
//!   structural schema of its kind, the way a Kubernetes API server with strict field validation
//!   would, except for the CEL rules (`x-kubernetes-validations`), which it does not evaluate.
//! * **Corpus access**: [`corpus_documents`] and [`corpus`] load the real Istio YAML files that sit
//!   under `shared/istio/corpus`, and [`is_istio_kind`] tells which of them are Istio resources.
//! * **YAML 1.1 reading**: [`yaml11_load_all`] reads YAML the way YAML 1.1 readers (kubectl's
//!   go-yaml v2, PyYAML) do, so a test can make sure that an emitted plain scalar such as `on`,
//!   `0755` or `2024-01-01` is not silently turned into something other than a string.

mod core_shape;
pub use core_shape::core_shape_problems;
mod corpus;
mod crds;
mod schema;
mod yaml11;

use std::path::PathBuf;

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
/// [`is_istio_kind`]) against its CRD schema when the shared CRDs are present (nothing is
/// checked otherwise), any other object by [`core_shape_problems`]. `None` when it passes.
pub fn document_problems(doc: &serde_json::Value) -> Option<String> {
    let api = doc["apiVersion"].as_str().unwrap_or("");
    let kind = doc["kind"].as_str().unwrap_or("");
    if is_istio_kind(api, kind) {
        let errors = shared_validator()?.validate(doc).err()?;
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

/// Where the Istio reference data would be: `<workspace root>/../shared/istio`.
///
/// Returned whether or not it exists; [`shared_istio_dir`] checks for it.
pub fn expected_shared_istio_dir() -> PathBuf {
    workspace_root().join("..").join("shared").join("istio")
}

/// The Istio reference data directory, `<workspace root>/../shared/istio`, if it exists.
///
/// The workspace root is the parent of the `testkit` crate directory. The data is only present
/// on machines that have the shared reference files next to the checkout; every caller must
/// cope with `None`.
pub fn shared_istio_dir() -> Option<PathBuf> {
    let dir = expected_shared_istio_dir();
    dir.is_dir().then_some(dir)
}

/// Like [`shared_istio_dir`], but prints one line to stderr naming `test` when the data is absent.
///
/// Meant as the first line of a test that needs the reference data:
///
/// ```
/// let Some(dir) = testkit::shared_or_skip("my_test") else { return };
/// assert!(dir.join("crds.yaml").exists());
/// ```
pub fn shared_or_skip(test: &str) -> Option<PathBuf> {
    let dir = shared_istio_dir();
    if dir.is_none() {
        eprintln!(
            "skipping {test}: ../shared/istio not found (reference data is only needed by tests)"
        );
    }
    dir
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
    fn shared_dir_is_consistent() {
        match shared_istio_dir() {
            Some(dir) => {
                assert!(dir.is_dir());
                assert_eq!(shared_or_skip("shared_dir_is_consistent"), Some(dir));
            }
            None => assert_eq!(shared_or_skip("shared_dir_is_consistent"), None),
        }
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
        let typo = json!({
            "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": "vs"}, "spec": {"hostz": ["a"]},
        });
        match shared_validator() {
            Some(_) => assert!(
                document_problems(&typo).is_some_and(|p| p.contains("CRD schema")),
                "{:?}",
                document_problems(&typo)
            ),
            None => assert_eq!(document_problems(&typo), None),
        }
    }
}

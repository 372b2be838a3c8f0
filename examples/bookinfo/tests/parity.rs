//! Parity with Istio's bookinfo samples: for every file of
//! `../shared/istio/corpus/samples/bookinfo/networking/`, the mesh `bookinfo::FILES` builds
//! for it compiles to the same Istio resources.
//!
//! How a file is compared: it is read with `istio_types::document::parse_stream` (which
//! also checks every document strictly); each of its documents is matched with the one
//! Istio resource of the DSL output that has the same kind and name, and the two are
//! compared as JSON values, the file's side as written in the file (not re-encoded). The
//! only normalisations are these:
//!
//! 1. `metadata.namespace`: Istio's files name no namespace (they go wherever they are
//!    applied), except `certmanager-gateway.yaml`, which names `istio-system` and is
//!    compared with it. The meshes are built in namespace `bookinfo`, so where a file's
//!    document has no namespace, the namespace is removed from the DSL's document before
//!    comparing.
//! 2. Numbers compare by value: the file's `value: 100` and the DSL's `100.0` are the same
//!    percentage.
//! 3. `ServiceEntry` `spec.location`: when a file leaves it out, it is Istio's default,
//!    `MESH_EXTERNAL`, which the DSL always writes out; the file's document is read with
//!    that default filled in.
//!
//! What the DSL emits beyond a file's documents (the `bookinfo` Namespace, and the
//! DestinationRules that give the routed services their subsets) is not part of the
//! comparison; it is in the snapshots.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use bookinfo::BuildMesh;
use istio_types::document::{Document, parse_stream};
use mesh_dsl::{Resource, Resources};
use serde_json::Value;

/// Files the DSL does not express yet, each with the reason. Every corpus file must be in
/// `bookinfo::FILES` or here.
const NOT_YET: &[(&str, &str)] = &[];

const TOTAL: usize = 21;

fn compile(file: &str, build: BuildMesh) -> Resources {
    let compiled = build()
        .compile()
        .unwrap_or_else(|e| panic!("the mesh for {file} compiles: {e}"));
    // The DSL itself must have nothing to say; the analyzers may warn about objects outside
    // these meshes (bookinfo's Services are deployed by Istio's own bookinfo.yaml, and the
    // ingress gateway's Service is assumed to be Istio's default one).
    let own: Vec<String> = compiled
        .warnings
        .iter()
        .filter(|d| !d.code.starts_with("IST"))
        .map(ToString::to_string)
        .collect();
    assert!(
        own.is_empty(),
        "the mesh for {file} compiles without DSL warnings:\n{}",
        own.join("\n")
    );
    compiled.resources
}

/// Where `expected` and `actual` differ, as `path: expected vs actual` lines (numbers by
/// value).
fn differences(expected: &Value, actual: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let keys: BTreeSet<&String> = e.keys().chain(a.keys()).collect();
            for k in keys {
                let p = format!("{path}.{k}");
                match (e.get(k), a.get(k)) {
                    (Some(x), Some(y)) => differences(x, y, &p, out),
                    (Some(x), None) => out.push(format!("{p}: the file has {x}, the DSL nothing")),
                    (None, Some(y)) => out.push(format!("{p}: the DSL has {y}, the file nothing")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(format!(
                    "{path}: the file has {} items, the DSL {}",
                    e.len(),
                    a.len()
                ));
            }
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                differences(x, y, &format!("{path}[{i}]"), out);
            }
        }
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => {}
        (e, a) if e == a => {}
        (e, a) => out.push(format!("{path}: the file has {e}, the DSL {a}")),
    }
}

/// Compares one corpus file with the DSL output; returns every problem found.
fn compare(dir: &Path, file: &str, build: BuildMesh) -> Vec<String> {
    let path = dir.join(file);
    let src = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let docs = match parse_stream(&src, file) {
        Ok(d) => d,
        Err(e) => return vec![format!("{file} does not parse: {e}")],
    };
    let raw = istio_types::yaml::parse_stream(&src).expect("the file is YAML");
    let out = compile(file, build);
    let mut problems = Vec::new();
    for doc in &docs {
        let Document::Istio(r) = &doc.document else {
            problems.push(format!(
                "{file}: document {} is not an Istio resource",
                doc.index
            ));
            continue;
        };
        let (kind, name) = (r.kind(), r.metadata().name.as_deref().unwrap_or(""));
        let namespace = r.metadata().namespace.as_deref();
        let mut expected = raw
            .iter()
            .find(|d| d.index == doc.index)
            .expect("the same documents")
            .value
            .clone();
        // Normalisation 3: Istio's default location, which the DSL writes out.
        if kind == "ServiceEntry"
            && let Some(spec) = expected.get_mut("spec").and_then(Value::as_object_mut)
        {
            spec.entry("location")
                .or_insert_with(|| Value::String("MESH_EXTERNAL".into()));
        }
        let matching: Vec<&Resource> = out
            .iter()
            .filter(|x| matches!(x, Resource::Istio(_)))
            .filter(|x| x.kind() == kind && x.name() == name)
            .filter(|x| namespace.is_none() || x.namespace() == namespace)
            .collect();
        let [found] = matching.as_slice() else {
            problems.push(format!(
                "{file}: {kind} {name}: the DSL emits {} of it",
                matching.len()
            ));
            continue;
        };
        let mut actual = found.to_json();
        // Normalisation 1: the file names no namespace.
        if namespace.is_none()
            && let Some(meta) = actual.get_mut("metadata").and_then(Value::as_object_mut)
        {
            meta.remove("namespace");
        }
        let mut diffs = Vec::new();
        differences(&expected, &actual, "", &mut diffs);
        if !diffs.is_empty() {
            problems.push(format!(
                "{file}: {kind} {name} differs:\n  {}\nthe DSL's:\n{}",
                diffs.join("\n  "),
                istio_types::yaml::to_yaml(&actual).unwrap_or_default()
            ));
        }
    }
    problems
}

#[test]
fn every_bookinfo_sample_file_is_expressed_by_the_dsl() {
    let Some(shared) =
        testkit::reference_data("every_bookinfo_sample_file_is_expressed_by_the_dsl")
    else {
        return;
    };
    let dir = shared.join("corpus/samples/bookinfo/networking");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| {
            e.expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|f| f.ends_with(".yaml"))
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        TOTAL,
        "the corpus folder has {TOTAL} files: {files:?}"
    );

    let mut problems = Vec::new();
    for (file, _) in bookinfo::FILES {
        if !files.iter().any(|f| f == file) {
            problems.push(format!(
                "bookinfo::FILES names {file}, which the corpus does not have"
            ));
        }
        if NOT_YET.iter().any(|(f, _)| f == &file) {
            problems.push(format!("{file} is both expressed and listed as not yet"));
        }
    }
    let mut expressed = 0;
    for file in &files {
        if let Some((_, build)) = bookinfo::FILES.iter().find(|(f, _)| f == file) {
            let found = compare(&dir, file, *build);
            if found.is_empty() {
                expressed += 1;
            }
            problems.extend(found);
        } else if let Some((_, why)) = NOT_YET.iter().find(|(f, _)| f == file) {
            eprintln!("not yet expressed: {file}: {why}");
        } else {
            problems.push(format!(
                "{file} is neither expressed (bookinfo::FILES) nor listed, with a reason, in NOT_YET"
            ));
        }
    }
    println!("bookinfo parity: {expressed} of {} files", files.len());
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert_eq!(
        (expressed, files.len()),
        (21, 21),
        "(files expressed, files)"
    );
}

#[test]
fn the_comparison_sees_a_difference() {
    let Some(shared) = testkit::reference_data("the_comparison_sees_a_difference") else {
        return;
    };
    let dir = shared.join("corpus/samples/bookinfo/networking");
    // The 90/10 split is not the 80/20 file.
    let found = compare(
        &dir,
        "virtual-service-reviews-80-20.yaml",
        bookinfo::virtual_service_reviews_90_10,
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains(".spec.http[0].route[0].weight: the file has 80, the DSL 90"),
        "{}",
        found[0]
    );
    // A mesh without the file's resource.
    let found = compare(
        &dir,
        "virtual-service-details-v2.yaml",
        bookinfo::virtual_service_reviews_v3,
    );
    assert_eq!(
        found,
        ["virtual-service-details-v2.yaml: VirtualService details: the DSL emits 0 of it"]
    );
}

#[test]
fn every_mesh_matches_its_reviewed_snapshot() {
    for (file, build) in bookinfo::FILES {
        let stem = file.trim_end_matches(".yaml");
        let yaml = mesh_dsl::render::to_yaml(&compile(file, build)).unwrap();
        testkit::snapshot_settings().bind(|| {
            insta::assert_snapshot!(format!("bookinfo_{stem}"), yaml);
        });
    }
}

#[test]
fn every_document_passes_its_schema_or_core_shape() {
    // Fails under CI without the CRDs; says it skips the schema part otherwise.
    testkit::reference_validator(
        "every_document_passes_its_schema_or_core_shape (CRD schema part)",
    );
    for (file, build) in bookinfo::FILES {
        for r in &compile(file, build) {
            if let Some(p) = testkit::document_problems(&r.to_json()) {
                panic!("{file}: {} {} {p}", r.kind(), r.name());
            }
        }
    }
}

#[test]
fn only_istio_configuration_and_the_namespace_are_emitted() {
    // The application is deployed by Istio's bookinfo.yaml, not by these meshes.
    for (file, build) in bookinfo::FILES {
        for r in &compile(file, build) {
            assert!(
                matches!(r, Resource::Istio(_))
                    || (r.kind() == "Namespace" && r.name() == "bookinfo"),
                "{file}: {} {} is emitted",
                r.kind(),
                r.name()
            );
        }
    }
}

#[test]
fn the_command_renders_a_file_and_rejects_unknown_ones() {
    let bin = env!("CARGO_BIN_EXE_bookinfo");
    let out = Command::new(bin)
        .arg("virtual-service-reviews-90-10")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = compile(
        "virtual-service-reviews-90-10.yaml",
        bookinfo::virtual_service_reviews_90_10,
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        mesh_dsl::render::to_yaml(&expected).unwrap()
    );
    let bad = Command::new(bin).arg("reviews-99-1").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("virtual-service-reviews-v3"));
}

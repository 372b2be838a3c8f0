//! The corpus of real Istio YAML files under `shared/istio/corpus`.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The API groups of Istio's own kinds.
pub const ISTIO_GROUPS: [&str; 4] = [
    "networking.istio.io",
    "security.istio.io",
    "telemetry.istio.io",
    "extensions.istio.io",
];

/// Whether `apiVersion` belongs to one of the Istio API groups ([`ISTIO_GROUPS`]).
///
/// Only the group is looked at, so that a misspelt kind in an Istio group still counts as an
/// Istio resource (and is then refused by [`crate::SchemaValidator`]). `kind` must not be empty.
pub fn is_istio_kind(api_version: &str, kind: &str) -> bool {
    let Some((group, version)) = api_version.split_once('/') else {
        return false;
    };
    !kind.is_empty() && !version.is_empty() && ISTIO_GROUPS.contains(&group)
}

/// One YAML document of a corpus file.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusDoc {
    /// The file, relative to the corpus directory.
    pub file: PathBuf,
    /// Position of the document in its file, counting from 0 and skipping empty documents.
    pub index: usize,
    /// The document, as read by `serde-saphyr`.
    pub value: Value,
}

impl CorpusDoc {
    /// The document's `apiVersion`, or `""`.
    pub fn api_version(&self) -> &str {
        self.value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The document's `kind`, or `""`.
    pub fn kind(&self) -> &str {
        self.value.get("kind").and_then(Value::as_str).unwrap_or("")
    }

    /// Whether the document is an Istio resource (see [`is_istio_kind`]).
    pub fn is_istio(&self) -> bool {
        is_istio_kind(self.api_version(), self.kind())
    }
}

/// A corpus file that could not be read or parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusFailure {
    /// The file, relative to the corpus directory.
    pub file: PathBuf,
    /// Why it failed.
    pub message: String,
}

/// Everything read from the corpus directory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Corpus {
    /// Every non-empty document of every file that parsed, files in sorted path order.
    pub documents: Vec<CorpusDoc>,
    /// The files that could not be read or parsed.
    pub failures: Vec<CorpusFailure>,
}

/// The corpus directory, `<shared istio dir>/corpus`, if it exists.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = crate::shared_istio_dir()?.join("corpus");
    dir.is_dir().then_some(dir)
}

/// Reads every `.yaml`/`.yml` file under the corpus directory, recursively and in sorted path
/// order, and splits each into documents. Empty and `null` documents are skipped.
///
/// Returns `None` when the reference data is absent.
pub fn corpus() -> Option<Corpus> {
    Some(read_corpus(&corpus_dir()?))
}

/// The documents of [`corpus`], without the list of failures.
///
/// A file that fails to parse is reported on stderr (one line each) rather than dropped in
/// silence; call [`corpus`] to handle failures in a test.
pub fn corpus_documents() -> Option<Vec<CorpusDoc>> {
    let corpus = corpus()?;
    for f in &corpus.failures {
        eprintln!(
            "warning: corpus file {} not read: {}",
            f.file.display(),
            f.message
        );
    }
    Some(corpus.documents)
}

fn read_corpus(dir: &Path) -> Corpus {
    let mut files = Vec::new();
    let mut failures = Vec::new();
    collect_yaml_files(dir, &mut files, &mut failures, dir);
    files.sort();
    let mut documents = Vec::new();
    for path in files {
        let file = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                failures.push(CorpusFailure {
                    file,
                    message: e.to_string(),
                });
                continue;
            }
        };
        let parsed: Result<Vec<Value>, _> = serde_saphyr::from_str_multiple(&text);
        match parsed {
            Ok(values) => {
                documents.extend(values.into_iter().filter(|v| !v.is_null()).enumerate().map(
                    |(index, value)| CorpusDoc {
                        file: file.clone(),
                        index,
                        value,
                    },
                ))
            }
            Err(e) => failures.push(CorpusFailure {
                file,
                message: e.to_string().lines().next().unwrap_or_default().to_owned(),
            }),
        }
    }
    failures.sort_by(|a, b| a.file.cmp(&b.file));
    Corpus {
        documents,
        failures,
    }
}

fn collect_yaml_files(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    failures: &mut Vec<CorpusFailure>,
    root: &Path,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            failures.push(CorpusFailure {
                file: dir.strip_prefix(root).unwrap_or(dir).to_path_buf(),
                message: e.to_string(),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_yaml_files(&path, files, failures, root);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            files.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn istio_kinds() {
        assert!(is_istio_kind("networking.istio.io/v1", "VirtualService"));
        assert!(is_istio_kind(
            "security.istio.io/v1beta1",
            "AuthorizationPolicy"
        ));
        assert!(is_istio_kind("telemetry.istio.io/v1alpha1", "Telemetry"));
        assert!(is_istio_kind("extensions.istio.io/v1alpha1", "WasmPlugin"));
        assert!(!is_istio_kind("v1", "Service"));
        assert!(!is_istio_kind("apps/v1", "Deployment"));
        assert!(!is_istio_kind("gateway.networking.k8s.io/v1", "Gateway"));
        assert!(!is_istio_kind("install.istio.io/v1alpha1", "IstioOperator"));
        assert!(!is_istio_kind("networking.istio.io", "VirtualService"));
        assert!(!is_istio_kind("networking.istio.io/v1", ""));
    }

    #[test]
    fn reads_a_directory_tree() {
        let dir = std::env::temp_dir().join(format!("testkit-corpus-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("b")).unwrap();
        std::fs::write(dir.join("b/two.yml"), "kind: B\n").unwrap();
        std::fs::write(dir.join("a.yaml"), "---\nkind: A1\n---\n---\nkind: A2\n").unwrap();
        std::fs::write(dir.join("bad.yaml"), "a: [\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "a: [\n").unwrap();
        let corpus = read_corpus(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        let seen: Vec<_> = corpus
            .documents
            .iter()
            .map(|d| (d.file.to_str().unwrap(), d.index, d.kind()))
            .collect();
        assert_eq!(
            seen,
            [
                ("a.yaml", 0, "A1"),
                ("a.yaml", 1, "A2"),
                ("b/two.yml", 0, "B")
            ]
        );
        assert_eq!(corpus.failures.len(), 1);
        assert_eq!(corpus.failures[0].file, Path::new("bad.yaml"));
    }

    #[test]
    fn reads_the_shared_corpus() {
        if crate::reference_data("reads_the_shared_corpus").is_none() {
            return;
        }
        let corpus = corpus().expect("the corpus directory");
        assert!(corpus.failures.is_empty(), "{:?}", corpus.failures);
        assert!(corpus.documents.len() > 400);
        let istio = corpus.documents.iter().filter(|d| d.is_istio()).count();
        assert!(istio > 400, "{istio}");
        assert!(corpus.documents.iter().all(|d| d.file.is_relative()));
        let mut files: Vec<_> = corpus.documents.iter().map(|d| &d.file).collect();
        let before = files.clone();
        files.sort();
        assert_eq!(files, before, "documents come in sorted file order");
    }
}

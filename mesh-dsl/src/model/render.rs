//! Rendering compiled resources: one YAML stream for `kubectl apply -f`, JSON, or a
//! directory per namespace with a `kustomization.yaml` (for Argo CD and Flux).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::resources::{Resource, Resources};

/// Why rendering failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// A value could not be written as YAML.
    #[error("cannot render YAML: {0}")]
    Yaml(#[from] istio_types::yaml::YamlError),
    /// A value could not be written as JSON.
    #[error("cannot render JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Writing the output failed (a closed pipe, a full disk).
    #[error("cannot write the output: {0}")]
    Output(#[source] std::io::Error),
    /// Writing a file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// One multi-document YAML stream, documents in the resources' stable order.
///
/// # Errors
/// When a value cannot be written as YAML.
pub fn to_yaml(resources: &Resources) -> Result<String, RenderError> {
    Ok(istio_types::yaml::to_yaml_stream(resources.iter())?)
}

/// Writes the stream of [`to_yaml`] to `out` one document at a time, without holding
/// the whole text in memory (for large meshes written to a file or a pipe). Wrap files
/// in a [`std::io::BufWriter`]; `out` is flushed at the end.
///
/// # Errors
/// When a value cannot be written as YAML, or `out` fails; what was written before
/// stays written.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mesh_dsl::{Mesh, Namespace};
/// let mut mesh = Mesh::new();
/// mesh.namespace(Namespace::new("shop"));
/// let compiled = mesh.compile()?;
/// let mut out = Vec::new();
/// mesh_dsl::render::write_yaml(&compiled.resources, &mut out)?;
/// assert_eq!(String::from_utf8(out)?, mesh_dsl::render::to_yaml(&compiled.resources)?);
/// # Ok(())
/// # }
/// ```
pub fn write_yaml(resources: &Resources, mut out: impl std::io::Write) -> Result<(), RenderError> {
    let mut buf = String::new();
    for (i, r) in resources.iter().enumerate() {
        buf.clear();
        if i > 0 {
            buf.push_str("---\n");
        }
        istio_types::yaml::append_yaml(&mut buf, r)?;
        out.write_all(buf.as_bytes()).map_err(RenderError::Output)?;
    }
    out.flush().map_err(RenderError::Output)
}

/// A Kubernetes `List` as pretty JSON, items in the stable order.
///
/// # Errors
/// When a value cannot be written as JSON.
pub fn to_json(resources: &Resources) -> Result<String, RenderError> {
    let items: Vec<Value> = resources.iter().map(Resource::to_json).collect();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    let mut s = serde_json::to_string_pretty(&list)?;
    s.push('\n');
    Ok(s)
}

/// The files of a directory layout: `<namespace>/<kind>-<name>.yaml` per object (objects
/// without a namespace, such as Namespaces, under `cluster/`), and a
/// `kustomization.yaml` in each folder and at the top listing them. Paths are relative.
///
/// # Errors
/// When a value cannot be written as YAML.
pub fn to_files(resources: &Resources) -> Result<BTreeMap<PathBuf, String>, RenderError> {
    let mut files = BTreeMap::new();
    let mut dirs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in resources {
        let dir = r.namespace().unwrap_or("cluster").to_string();
        let file = format!("{}-{}.yaml", r.kind().to_ascii_lowercase(), r.name());
        files.insert(Path::new(&dir).join(&file), istio_types::yaml::to_yaml(r)?);
        dirs.entry(dir).or_default().push(file);
    }
    for (dir, mut list) in dirs.clone() {
        list.sort();
        files.insert(
            Path::new(&dir).join("kustomization.yaml"),
            kustomization(&list)?,
        );
    }
    // The top level lists the cluster-scoped folder first, so namespaces exist before
    // what goes in them.
    let mut top: Vec<String> = dirs.keys().cloned().collect();
    top.sort_by_key(|d| (d != "cluster", d.clone()));
    files.insert(PathBuf::from("kustomization.yaml"), kustomization(&top)?);
    Ok(files)
}

fn kustomization(resources: &[String]) -> Result<String, RenderError> {
    Ok(istio_types::yaml::to_yaml(&serde_json::json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    }))?)
}

/// Writes [`to_files`] under `dir`, creating folders as needed. Files that are already
/// there with other names are left alone.
///
/// # Errors
/// When rendering or writing fails.
pub fn write_dir(resources: &Resources, dir: &Path) -> Result<Vec<PathBuf>, RenderError> {
    let files = to_files(resources)?;
    let mut written = Vec::new();
    for (rel, text) in files {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| RenderError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, text).map_err(|source| RenderError::Io {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

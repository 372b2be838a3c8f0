//! The generator behind `istio-types`: reads Istio's CRD file and the Kubernetes
//! Gateway API's, and writes the Rust types under `istio-types/src/generated/` (the
//! Gateway API's under `generated/gateway_api/`). Not published; run it with
//! `cargo xtask generate`.

mod api;
mod case;
mod cel;
mod emit;
mod emit_validate;
mod model;
mod names;
mod names_gateway;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// Where the generator's input lives: `../shared/istio` beside the workspace, or
/// `$MESH_DSL_SHARED_DIR/istio` when that variable is set (as `testkit::shared_dir` reads it).
pub fn shared_istio_dir() -> PathBuf {
    match std::env::var_os("MESH_DSL_SHARED_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("istio"),
        _ => workspace_root().join("../shared/istio"),
    }
}

/// Where the output goes.
pub fn generated_dir() -> PathBuf {
    workspace_root().join("istio-types/src/generated")
}

/// The upstream commit of `crds.yaml`, read from the README beside it.
fn crds_commit(readme: &str) -> String {
    readme
        .lines()
        .find(|l| l.starts_with("| crds.yaml"))
        .and_then(|l| l.trim_end_matches('|').rsplit('|').next())
        .map(|c| c.trim().to_string())
        .filter(|c| c.len() >= 7)
        .unwrap_or_else(|| "unknown".into())
}

/// Generates every file from the CRD text: relative path -> formatted source.
///
/// # Errors
/// When the CRDs hold something the generator does not handle, or rustfmt fails.
pub fn generate_from(crds_yaml: &str, readme: &str) -> Result<BTreeMap<String, String>> {
    generate_api(&api::ISTIO, crds_yaml, readme)
}

/// Generates the files of one API from its CRD text.
fn generate_api(
    api: &'static api::Api,
    crds_yaml: &str,
    readme: &str,
) -> Result<BTreeMap<String, String>> {
    let model = model::Model::from_crds(crds_yaml, api)?;
    let stamp = format!("{}@{}", api.input, crds_commit(readme));
    let files = emit::emit(&model, &stamp)?;
    files
        .into_iter()
        .map(|(path, text)| {
            let formatted = rustfmt(&text).with_context(|| format!("formatting {path}"))?;
            Ok((path, formatted))
        })
        .collect()
}

/// Generates from `../shared/istio`.
///
/// # Errors
/// When the input is missing or cannot be generated from.
pub fn generate() -> Result<BTreeMap<String, String>> {
    let dir = shared_istio_dir();
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap_or_default();
    let mut files = BTreeMap::new();
    for api in [&api::ISTIO, &api::GATEWAY_API] {
        let path = dir.join(api.input);
        let crds = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        files.extend(
            generate_api(api, &crds, &readme)
                .with_context(|| format!("generating {}", api.input))?,
        );
    }
    Ok(files)
}

fn rustfmt(src: &str) -> Result<String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running rustfmt (install it with `rustup component add rustfmt`)")?;
    child
        .stdin
        .take()
        .context("rustfmt stdin")?
        .write_all(src.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("rustfmt failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// Compares generated files with what is on disk; returns the differences found.
pub fn diff_against_disk(files: &BTreeMap<String, String>) -> Vec<String> {
    let root = generated_dir();
    let mut problems = Vec::new();
    for (path, text) in files {
        match std::fs::read_to_string(root.join(path)) {
            Ok(disk) if disk == *text => {}
            Ok(_) => problems.push(format!("{path} differs from what the generator writes")),
            Err(_) => problems.push(format!("{path} is missing")),
        }
    }
    let mut on_disk = Vec::new();
    collect_rs(&root, &root, &mut on_disk);
    for p in on_disk {
        if !files.contains_key(&p) {
            problems.push(format!("{p} is not written by the generator"));
        }
    }
    problems
}

fn collect_rs(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_rs(root, &p, out);
        } else if p.extension().is_some_and(|x| x == "rs")
            && let Ok(rel) = p.strip_prefix(root)
        {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// Writes the files, removing generated files that are no longer produced.
///
/// # Errors
/// On I/O failure.
pub fn write(files: &BTreeMap<String, String>) -> Result<()> {
    let root = generated_dir();
    let mut on_disk = Vec::new();
    collect_rs(&root, &root, &mut on_disk);
    for p in on_disk {
        if !files.contains_key(&p) {
            std::fs::remove_file(root.join(&p))?;
        }
    }
    for (path, text) in files {
        let full = root.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&full, text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed output is exactly what the generator writes from the CRD file.
    #[test]
    fn generated_code_is_up_to_date() {
        let crds = shared_istio_dir().join("crds.yaml");
        if !crds.exists() {
            // Fails under CI, says SKIPPED otherwise.
            testkit::missing_reference_data("generated_code_is_up_to_date", &crds);
            return;
        }
        let files = generate().expect("generation succeeds");
        let problems = diff_against_disk(&files);
        assert!(
            problems.is_empty(),
            "istio-types/src/generated is stale; run `cargo xtask generate`:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn commit_is_read_from_the_readme_table() {
        let readme =
            "| file | from | commit |\n| --- | --- | --- |\n| crds.yaml | x | 86c9f01fd735 |\n";
        assert_eq!(crds_commit(readme), "86c9f01fd735");
        assert_eq!(crds_commit(""), "unknown");
    }
}

//! Renders the mesh of `mesh.rs` into `$OUT_DIR/mesh.yaml` when the crate is built, with
//! mesh-dsl built without its default features (no kube client, no tokio). A mesh that
//! does not compile fails the build with every problem listed; warnings show up as cargo
//! warnings.

use std::path::PathBuf;

mod mesh;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=mesh.rs");
    let compiled = match mesh::mesh().compile() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    for w in &compiled.warnings {
        // One line per warning: cargo reads `cargo::` instructions line by line.
        println!("cargo::warning={}", w.to_string().replace('\n', " "));
    }
    let yaml = mesh_dsl::render::to_yaml(&compiled.resources).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1);
    });
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("mesh.yaml");
    std::fs::write(&out, yaml).unwrap_or_else(|e| {
        eprintln!("error: cannot write {}: {e}", out.display());
        std::process::exit(1);
    });
}

//! mesh-dsl used from a build script: `build.rs` compiles the mesh described in `mesh.rs`
//! and renders it into `$OUT_DIR/mesh.yaml`; this crate embeds the result, so a program
//! can carry its own deployment manifests without linking mesh-dsl at run time.
//!
//! ```
//! let yaml = build_script_example::manifests();
//! assert!(yaml.contains("kind: VirtualService"));
//! ```

/// The manifests rendered at build time: one multi-document YAML stream, ready for
/// `kubectl apply -f -`.
pub fn manifests() -> &'static str {
    include_str!(concat!(env!("OUT_DIR"), "/mesh.yaml"))
}

//! The core model every subsystem shares, whatever produced it.
//!
//! - [`resources`]: [`Resources`](resources::Resources), the typed set of Kubernetes and
//!   Istio objects in a stable order. `compile` produces it from the builders,
//!   [`Resources::from_documents`](resources::Resources::from_documents) from YAML;
//!   validation, analysis, simulation, rendering and apply read it.
//! - [`diag`]: [`Diagnostic`](diag::Diagnostic)s, the problems every check collects, with
//!   a code, the place and a hint.
//! - [`render`]: deterministic YAML, JSON or a kustomize directory.
//!
//! The model knows nothing of the builders. Each module is re-exported at the crate root
//! (`mesh_dsl::resources`, ...), which is the public path.

pub mod diag;
pub mod render;
pub mod resources;

//! mesh-dsl: describe an Istio service mesh in Rust.

pub mod diag;
pub mod resources;

pub use diag::{Diagnostic, Diagnostics, ResourceRef, Severity};
pub use resources::{Resource, Resources};

// The README's code blocks are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

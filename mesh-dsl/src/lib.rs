//! mesh-dsl: describe an Istio service mesh in Rust.

// The README's code blocks are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

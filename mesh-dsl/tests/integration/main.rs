//! Integration tests of mesh-dsl: one binary, one module per concern.

mod compile;
mod features;

//! Integration tests of mesh-dsl: one binary, one module per concern.

mod analyze;
#[cfg(feature = "apply")]
mod apply;
#[cfg(feature = "apply")]
mod apply_safety;
mod compile;
mod dsl_bookinfo_features;
mod features;
mod gateway_api;
#[cfg(feature = "rollout")]
mod rollout;
#[cfg(feature = "simulate")]
mod simulate;
#[cfg(feature = "simulate")]
mod simulate_bookinfo;
mod validate;

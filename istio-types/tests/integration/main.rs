//! Integration tests of istio-types: one binary, one module per concern.

mod cel_rules;
mod fidelity;
mod gateway_api;
#[cfg(feature = "kube")]
mod kube_resource;
mod limits;
mod strict;
mod yaml11;

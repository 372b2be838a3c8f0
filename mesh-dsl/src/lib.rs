//! mesh-dsl: describe an Istio service mesh in Rust, compile it to validated Istio and
//! Kubernetes resources, and render them as deterministic YAML.
//!
//! - [`Mesh`] holds the description: [`Namespace`]s, [`Service`]s with [`Port`]s and
//!   [`Version`]s, [`Routes`] of [`Route`]s, [`Canary`] plans, traffic [`Policy`]s,
//!   [`Gateway`]s, [`Egress`], [`SidecarScope`]s, [`Mtls`], [`Authorization`], [`Jwt`],
//!   [`Telemetry`] and [`TelemetryProviders`].
//! - [`Mesh::compile`] (or [`Mesh::compile_stage`] for a canary stage) checks it and
//!   produces [`Resources`]: typed istio-types and k8s-openapi objects in a stable order.
//! - [`render`] writes them as YAML, JSON, or a directory with kustomizations.
//! - [`diag`] has the diagnostics every check reports.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod analyze;
#[cfg(feature = "apply")]
#[cfg_attr(docsrs, doc(cfg(feature = "apply")))]
pub mod apply;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
#[deprecated(since = "0.2.0", note = "renamed to mesh_dsl::deploy")]
pub mod cli;
pub mod compile;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub mod deploy;
pub mod diag;
pub mod gateway;
pub mod mesh;
pub mod policy;
pub mod render;
pub mod resources;
pub mod route;
pub mod security;
pub mod service;
pub mod simulate;
pub mod telemetry;
pub mod validate;

pub use compile::{CompileError, CompileOptions, Compiled};
pub use diag::{Diagnostic, Diagnostics, ResourceRef, Severity};
pub use gateway::{Egress, EgressRef, Gateway, GatewayRef, SidecarScope};
pub use mesh::Mesh;
pub use policy::{ConnectionPool, LoadBalancer, OutlierDetection, Policy, Tls};
pub use resources::{Resource, Resources};
pub use route::{Canary, Cors, Match, Route, Routes, Target, exact, prefix, regex};
pub use security::{Authorization, AuthzRule, Jwt, Mtls, MtlsMode};
pub use service::{
    Identity, Namespace, NamespaceRef, Port, Probe, Protocol, Service, ServiceRef, SubsetRef,
    Version,
};
pub use telemetry::{Telemetry, TelemetryProviders};

/// The string-match type of routes and matches, re-exported for convenience.
pub use istio_types::networking::v1::StringMatch;

// The README's code blocks are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

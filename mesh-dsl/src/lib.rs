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
//!
//! # Map of the modules
//!
//! Data flows one way: builders, then `compile`, then the model that everything else
//! reads.
//!
//! - The builders (source folder `dsl/`): [`mesh`], [`service`], [`route`], [`policy`],
//!   [`gateway`], [`security`], [`telemetry`]. Intents only, no Istio objects, no checks.
//! - [`compile`]: lowers the builders to the model and runs the checks. The only module
//!   that reads both the builders and the model.
//! - The model (source folder `model/`): [`resources`] (the typed [`Resources`] set),
//!   [`diag`] (diagnostics) and [`render`] (YAML, JSON, kustomize directories);
//!   [`codes`] is the registry of every diagnostic code.
//! - [`istio`]: Istio's naming and host rules, in one place (cluster domain, host
//!   qualification, wildcards, `exportTo`, protocols); compile, validate, analyze and
//!   simulate all use it.
//! - [`validate`] checks each object on its own (CRD schema, CEL rules, Istio's admission
//!   webhook, Kubernetes' rules); [`analyze`] checks them together (`istioctl analyze`).
//! - `simulate` (feature `simulate`, on by default): where a request goes, offline, from
//!   any [`Resources`].
//! - `apply` (feature `apply`, on by default): server-side apply, dry run, diff, prune,
//!   wait.
//! - `rollout` (feature `rollout`, part of `cli`): walks the canary stages, promoting or
//!   rolling back on Prometheus metrics.
//! - `deploy` (feature `cli`): turns a `fn() -> Mesh` into a deploy program (`cli` is its
//!   deprecated old name).
//!
//! Everything after `compile` reads the model, never the builders, so it works the same on
//! resources read from YAML.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod analyze;
#[cfg(feature = "apply")]
#[cfg_attr(docsrs, doc(cfg(feature = "apply")))]
pub mod apply;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
#[deprecated(since = "0.2.0", note = "renamed to mesh_dsl::deploy")]
pub mod cli;
pub mod codes;
pub mod compile;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub mod deploy;
mod dsl;
pub mod istio;
mod model;
#[cfg(feature = "rollout")]
#[cfg_attr(docsrs, doc(cfg(feature = "rollout")))]
pub mod rollout;
#[cfg(feature = "simulate")]
#[cfg_attr(docsrs, doc(cfg(feature = "simulate")))]
pub mod simulate;
pub mod validate;

// The builders and the model live in `dsl/` and `model/`; their public paths stay at the
// crate root, where rustdoc shows them.
pub use dsl::{gateway, mesh, policy, route, security, service, telemetry};
pub use model::{diag, render, resources};

pub use compile::{CompileError, CompileOptions, Compiled};
// The builders' and the model's main types at the crate root. `no_inline` keeps them
// listed as re-exports of their modules, as when the modules sat at the root.
#[doc(no_inline)]
pub use diag::{Diagnostic, Diagnostics, ResourceRef, Severity};
#[doc(no_inline)]
pub use gateway::{Egress, EgressRef, Gateway, GatewayRef, SidecarScope};
#[doc(no_inline)]
pub use mesh::Mesh;
#[doc(no_inline)]
pub use policy::{ConnectionPool, LoadBalancer, OutlierDetection, Policy, Tls};
#[doc(no_inline)]
pub use resources::{Resource, Resources};
#[doc(no_inline)]
pub use route::{Canary, Cors, Match, Route, Routes, Target, exact, prefix, regex};
#[doc(no_inline)]
pub use security::{Authorization, AuthzRule, Jwt, Mtls, MtlsMode};
#[doc(no_inline)]
pub use service::{
    Identity, Namespace, NamespaceRef, Port, Probe, Protocol, Service, ServiceRef, SubsetRef,
    Version,
};
#[doc(no_inline)]
pub use telemetry::{Telemetry, TelemetryProviders};

/// The string-match type of routes and matches, re-exported for convenience.
pub use istio_types::networking::v1::StringMatch;

// The README's code blocks are compiled and run as doctests (they use `apply` and
// `simulate`).
#[cfg(all(doctest, feature = "apply", feature = "simulate"))]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

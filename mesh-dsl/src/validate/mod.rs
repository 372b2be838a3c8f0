//! Per-resource validation: would a cluster with Istio installed accept each object?
//!
//! [`validate`] checks every object of a [`Resources`] set on its own (references between
//! objects are the analyzers' business) and reports every problem in one pass, never
//! stopping at the first and never panicking. Three layers are checked, and each has its
//! own diagnostic code:
//!
//! | code | name | what | severity |
//! | --- | --- | --- | --- |
//! | `IST0106` | `SchemaValidationError` | The CRD's OpenAPI schema (ranges, lengths, patterns, sizes, formats, unique list keys) and every `x-kubernetes-validations` CEL rule, as the API server checks them. Types, enums and unknown fields are already enforced when YAML is read ([`istio_types::de`]). | error |
//! | `MESH0100` | `IstioValidationError` | Istio's validating admission webhook (istiod's `pkg/config/validation`): host names and wildcards, header names and values, RE2 regular expressions, ports, percentages, durations, retries, route conflicts, gateway servers and TLS, authorization rules and more. | error when Istio rejects, warning when Istio's webhook warns |
//! | `IST0130` | `VirtualServiceUnreachableRule` | A VirtualService rule that can never match (the webhook's warning; istioctl gives it this code). | warning |
//! | `IST0131` | `VirtualServiceIneffectiveMatch` | A match that an earlier one already covers (likewise). | warning |
//! | `MESH0101` | `KubernetesValidationError` | Kubernetes' own rules: object names, namespaces, label and annotation syntax, and the core kinds the DSL emits (Namespace, ServiceAccount, Service, Deployment). | error |
//!
//! The schema checks are generated from Istio's CRDs into `istio-types` (see
//! [`istio_types::validate`]); the webhook and Kubernetes rules are written by hand here,
//! following Istio's and Kubernetes' sources, in files per kind family.
//!
//! ```
//! use istio_types::networking::v1::*;
//! use mesh_dsl::{Resources, validate};
//!
//! let vs = VirtualService::new("shop", "reviews", VirtualServiceSpec {
//!     hosts: vec!["reviews".into()],
//!     http: vec![HttpRoute {
//!         route: vec![HttpRouteDestination {
//!             destination: Destination { host: "reviews".into(), subset: Some("V_2".into()), ..Default::default() },
//!             ..Default::default()
//!         }],
//!         timeout: Some(istio_types::Duration::from_nanos(500)),
//!         ..Default::default()
//!     }],
//!     ..Default::default()
//! });
//! let diags = validate::validate(&Resources::from_vec(vec![istio_types::IstioResource::from(vs).into()]));
//! let found: Vec<(&str, &str)> = diags.iter().map(|d| (&*d.code, d.path.as_deref().unwrap_or(""))).collect();
//! assert_eq!(found, [
//!     ("MESH0100", "spec.http[0].route[0].destination.subset"),
//!     ("IST0106", "spec.http[0].timeout"),
//!     ("MESH0100", "spec.http[0].timeout"),
//! ]);
//! ```

mod common;
/// RE2 regexes parsed with Go's rules, for simulate's matching.
#[cfg(feature = "simulate")]
pub(crate) mod re2 {
    #[cfg(test)]
    pub(crate) use super::common::unicode_names;
    pub(crate) use super::common::{Assert, Class, ClassItem, Node, Perl, parse_re2};
}
mod extensions;
mod gateway;
mod kubernetes;
mod routing;
pub(crate) use routing::rule_warnings;
mod security;
mod service_entry;
mod sidecar;
mod traffic;

use istio_types::IstioResource;
pub use istio_types::validate::CelEngine;
use istio_types::validate::{Validate as _, Validator, ViolationKind};

use crate::diag::{Diagnostic, Diagnostics, ResourceRef, Severity};
use crate::resources::{Resource, Resources};

/// Code of schema and CEL rule failures (the code `istioctl` uses for them).
pub const SCHEMA_CODE: &str = crate::analyze::messages::SCHEMA_VALIDATION_ERROR.code;
/// Name of [`SCHEMA_CODE`].
pub const SCHEMA_NAME: &str = crate::analyze::messages::SCHEMA_VALIDATION_ERROR.name;
/// Code of what Istio's validating webhook rejects or warns about
/// ([`codes::ISTIO_VALIDATION_ERROR`](crate::codes::ISTIO_VALIDATION_ERROR)).
pub const ISTIO_CODE: &str = crate::codes::ISTIO_VALIDATION_ERROR.code;
/// Name of [`ISTIO_CODE`].
pub const ISTIO_NAME: &str = crate::codes::ISTIO_VALIDATION_ERROR.name;
/// Code of what Kubernetes itself rejects (metadata, core kinds)
/// ([`codes::KUBERNETES_VALIDATION_ERROR`](crate::codes::KUBERNETES_VALIDATION_ERROR)).
pub const KUBERNETES_CODE: &str = crate::codes::KUBERNETES_VALIDATION_ERROR.code;
/// Name of [`KUBERNETES_CODE`].
pub const KUBERNETES_NAME: &str = crate::codes::KUBERNETES_VALIDATION_ERROR.name;

/// How to validate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidateOptions {
    /// How CEL rules are evaluated (default: the generated translation).
    pub cel_engine: CelEngine,
}

impl ValidateOptions {
    /// The default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Evaluates CEL rules with `engine` (default [`CelEngine::Generated`]).
    #[must_use]
    pub fn cel_engine(mut self, engine: CelEngine) -> Self {
        self.cel_engine = engine;
        self
    }
}

/// The outcome of a validation run.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Report {
    /// Every problem, sorted (see [`Diagnostics::sort`]).
    pub diagnostics: Diagnostics,
    /// Objects checked.
    pub resources: usize,
    /// CEL rule evaluations performed.
    pub rules_evaluated: usize,
    /// CEL rule applications skipped (transition rules, which need the stored object).
    pub rules_skipped: usize,
}

/// Checks every object and returns every problem, sorted.
pub fn validate(resources: &Resources) -> Diagnostics {
    validate_with(resources, &ValidateOptions::default()).diagnostics
}

/// Checks every object with `options`; the report also counts what was done.
pub fn validate_with(resources: &Resources, options: &ValidateOptions) -> Report {
    let mut report = Report::default();
    for r in resources {
        check_resource(r, options, &mut report);
    }
    report.diagnostics.sort();
    report
}

/// Checks one object.
pub fn validate_resource(resource: &Resource, options: &ValidateOptions) -> Report {
    let mut report = Report::default();
    check_resource(resource, options, &mut report);
    report.diagnostics.sort();
    report
}

fn check_resource(r: &Resource, options: &ValidateOptions, report: &mut Report) {
    report.resources += 1;
    let reference = r.reference();
    let mut out = Out::new(reference.clone());
    kubernetes::check(r, &mut out);
    // Gateway API resources: their CRDs' schema and CEL rules (no Istio webhook checks).
    if let Resource::GatewayApi(gr) = r {
        let mut v = Validator::with_engine(options.cel_engine);
        gr.validate(&mut v);
        schema_findings(v, &reference, report);
    }
    if let Resource::Istio(ir) = r {
        let mut v = Validator::with_engine(options.cel_engine);
        ir.validate(&mut v);
        schema_findings(v, &reference, report);
        istio(ir, &mut out);
    }
    report.diagnostics.extend(out.diags);
}

/// Reports what the schema and CEL checks found, as [`SCHEMA_CODE`] errors.
fn schema_findings(v: Validator, reference: &ResourceRef, report: &mut Report) {
    {
        let (violations, stats) = v.finish();
        report.rules_evaluated += stats.rules_evaluated;
        report.rules_skipped += stats.rules_skipped;
        for x in violations {
            let mut d = Diagnostic::error(SCHEMA_CODE, SCHEMA_NAME, x.kind.to_string())
                .on(reference.clone())
                .at(x.path.to_string());
            if let ViolationKind::Rule { rule } | ViolationKind::RuleError { rule, .. } = &x.kind {
                d = d.hint(format!("CRD rule: {}", rule.rule.replace('\n', " ")));
            }
            report.diagnostics.push(d);
        }
    }
}

fn istio(r: &IstioResource, out: &mut Out) {
    common::metadata(r, out);
    let ns = r.metadata().namespace.as_deref().unwrap_or("");
    match r {
        IstioResource::VirtualService(x) => routing::virtual_service(x, out),
        IstioResource::DestinationRule(x) => traffic::destination_rule(x, ns, out),
        IstioResource::Gateway(x) => gateway::gateway(x, out),
        IstioResource::Sidecar(x) => sidecar::sidecar(x, ns, out),
        IstioResource::ServiceEntry(x) => service_entry::service_entry(x, ns, out),
        IstioResource::WorkloadEntry(x) => service_entry::workload_entry(x, out),
        IstioResource::WorkloadGroup(x) => service_entry::workload_group(x, out),
        IstioResource::EnvoyFilter(x) => extensions::envoy_filter(x, out),
        IstioResource::ProxyConfig(x) => extensions::proxy_config(x, out),
        IstioResource::AuthorizationPolicy(x) => security::authorization_policy(x, out),
        IstioResource::PeerAuthentication(x) => security::peer_authentication(x, out),
        IstioResource::RequestAuthentication(x) => security::request_authentication(x, out),
        IstioResource::Telemetry(x) => extensions::telemetry(x, out),
        IstioResource::WasmPlugin(x) => extensions::wasm_plugin(x, out),
        IstioResource::TrafficExtension(x) => extensions::traffic_extension(x, out),
        _ => {}
    }
}

/// A field path under construction, printed like `spec.http[0].headers["x-id"]`.
///
/// Each step borrows its parent, so building paths costs nothing; the text is only made
/// when a problem is reported (validation walks every field of thousands of objects and
/// reports on few).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Path<'a> {
    Root(&'a str),
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
    Key(&'a Path<'a>, &'a str),
}

impl<'a> Path<'a> {
    pub(crate) fn new(root: &'a str) -> Self {
        Self::Root(root)
    }

    pub(crate) fn f<'b>(&'b self, name: &'b str) -> Path<'b> {
        Path::Field(self, name)
    }

    pub(crate) fn i(&self, i: usize) -> Path<'_> {
        Path::Index(self, i)
    }

    pub(crate) fn k<'b>(&'b self, k: &'b str) -> Path<'b> {
        Path::Key(self, k)
    }

    fn is_empty(&self) -> bool {
        matches!(self, Self::Root(""))
    }
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Root(r) => f.write_str(r),
            Self::Field(p, name) if p.is_empty() => f.write_str(name),
            Self::Field(p, name) => write!(f, "{p}.{name}"),
            Self::Index(p, i) => write!(f, "{p}[{i}]"),
            Self::Key(p, k) => write!(f, "{p}[{k:?}]"),
        }
    }
}

/// Collects the diagnostics of one object.
pub(crate) struct Out {
    resource: ResourceRef,
    pub(crate) diags: Vec<Diagnostic>,
}

impl Out {
    pub(crate) fn new(resource: ResourceRef) -> Self {
        Self {
            resource,
            diags: Vec::new(),
        }
    }

    fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        name: &'static str,
        at: &Path,
        msg: String,
    ) {
        let mut d = Diagnostic::new(severity, code, name, msg).on(self.resource.clone());
        if !at.is_empty() {
            d = d.at(at.to_string());
        }
        self.diags.push(d);
    }

    /// Istio's webhook rejects this.
    pub(crate) fn err(&mut self, at: &Path, msg: impl Into<String>) {
        self.push(Severity::Error, ISTIO_CODE, ISTIO_NAME, at, msg.into());
    }

    /// Istio's webhook accepts this with a warning.
    pub(crate) fn warn(&mut self, at: &Path, msg: impl Into<String>) {
        self.push(Severity::Warning, ISTIO_CODE, ISTIO_NAME, at, msg.into());
    }

    /// Istio's webhook rejects this, if `r` is an error.
    pub(crate) fn check(&mut self, at: &Path, r: Result<(), String>) {
        if let Err(e) = r {
            self.err(at, e);
        }
    }

    /// A warning with one of Istio's analysis codes (`IST0130`...), as istioctl reports
    /// the webhook's warnings that carry one.
    pub(crate) fn warn_code(
        &mut self,
        code: &'static str,
        name: &'static str,
        at: &Path,
        msg: impl Into<String>,
    ) {
        self.push(Severity::Warning, code, name, at, msg.into());
    }

    /// Kubernetes rejects this.
    pub(crate) fn k8s(&mut self, at: &Path, msg: impl Into<String>) {
        self.push(
            Severity::Error,
            KUBERNETES_CODE,
            KUBERNETES_NAME,
            at,
            msg.into(),
        );
    }
}

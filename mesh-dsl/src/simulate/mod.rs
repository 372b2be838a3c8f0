//! Offline routing: where does a request go, and why?
//!
//! [`Simulator`] reads the routing configuration of a [`Resources`] set (VirtualServices,
//! DestinationRules, Gateways, Services, ServiceEntries: built with the DSL or read from
//! YAML) once, indexed by host, and then answers [`Simulator::simulate`] for any
//! [`Request`] in microseconds, with a [`Decision`]: the VirtualService and route that
//! matched (or why none did), the destinations with their shares and DestinationRule
//! policies, rewrites, redirects, header changes, mirrors, timeout, retries and faults,
//! and a step-by-step trace.
//!
//! The rules are Istio's (as of its 1.2x releases):
//!
//! - Routes are tried in order and the first that matches decides. Inside a `match` block
//!   every condition must hold; a route matches when any of its blocks does.
//! - `uri`, `scheme`, `method`, `authority`, `headers` and `queryParams` take `exact`,
//!   `prefix` or `regex` (RE2 syntax, matched against the whole value); `{}` or `regex:
//!   "*"` only ask for presence. `ignoreUriCase` folds case for exact and prefix URIs.
//!   `withoutHeaders` inverts a header condition (a missing header counts as empty).
//! - `port`, `gateways`, `sourceLabels` and `sourceNamespace` decide whether a block is
//!   part of a proxy's configuration at all. VirtualServices without `gateways` apply to
//!   sidecars (`mesh`) only.
//! - Hosts: short names are qualified with the resource's namespace
//!   (`reviews` in `shop` is `reviews.shop.svc.cluster.local`); the request's short host is
//!   qualified with the caller's namespace. An exact host wins over wildcards, the most
//!   specific wildcard over others, and the oldest VirtualService over newer ones.
//! - `exportTo` hides VirtualServices and DestinationRules from other namespaces.
//!   Delegate VirtualServices are merged into their root.
//! - When no VirtualService applies to a service, the request goes to the service itself
//!   (Istio's default route); when one applies but no route matches, Envoy answers 404.
//! - The DestinationRule for a destination is looked up from the caller's namespace, then
//!   the service's, then `istio-system`; its subset and port-level settings are merged
//!   over the top-level ones.
//!
//! Not simulated: Sidecar resources (every service is visible), JWT claim matching,
//! TCP and TLS routes, path normalisation, and EnvoyFilters.
//!
//! Regexes are judged as Istio and Envoy judge them (Go's `regexp` rules, at most 1024
//! bytes, an RE2 program within Envoy's limit; one that fails never matches and is
//! reported in [`Simulator::warnings`]) and matched as RE2 matches them, with the `regex`
//! crate: `\d`, `\w`, `\s` (without `\v`) and `\b` are ASCII, while `.`, `(?i)` and
//! Unicode classes (`\pN`, `\p{Greek}`, `\p{Lu}`) work on characters. What still
//! differs from RE2: the crate's Unicode tables (16.0) are newer than RE2's and Go's
//! (15.0), so a class may hold a few more characters; in `a(?U)*` the operator keeps the
//! greediness it had before the flag group; and Envoy's program-size limit is checked
//! with a lower bound, so a pattern just above it may still compile here.
//!
//! Needs the feature `simulate` (on by default), which adds the `regex` crate.
//!
//! ```
//! use mesh_dsl::Resources;
//! use mesh_dsl::simulate::{Request, Simulator};
//!
//! let yaml = r#"
//! apiVersion: networking.istio.io/v1
//! kind: VirtualService
//! metadata: {name: reviews, namespace: default}
//! spec:
//!   hosts: [reviews]
//!   http:
//!   - match: [{headers: {end-user: {exact: jason}}}]
//!     route: [{destination: {host: reviews, subset: v2}}]
//!   - route: [{destination: {host: reviews, subset: v1}}]
//! "#;
//! let resources = Resources::from_documents(istio_types::document::parse_stream(yaml, "inline")?);
//! let sim = Simulator::new(&resources);
//! let jason = sim.simulate(&Request::new("reviews").header("end-user", "jason"))?;
//! assert_eq!(jason.destination().and_then(|d| d.subset.as_deref()), Some("v2"));
//! let anyone = sim.simulate(&Request::new("reviews"))?;
//! assert_eq!(anyone.destination().and_then(|d| d.subset.as_deref()), Some("v1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod decision;
mod delegate;
mod engine;
mod error;
mod hosts;
mod index;
mod matching;
mod policy;
mod re2;
mod request;
mod sampler;

pub use decision::{
    AbortFault, AbortWith, CheckResult, Decision, DelayFault, DelegateRef, DestinationPolicy,
    DirectResponse, Distribution, Fault, Forward, Mirror, Mismatch, Outcome, PolicyLevel, Redirect,
    RequestSummary, Retries, RetrySource, Rewrite, RouteCheck, RouteRef, RoutedDestination,
    Setting, Share, Stage, Step,
};
pub use error::SimulateError;
pub use request::{Entry, Request};
pub use sampler::{Sampler, Samples};

use crate::resources::Resources;

/// The namespace of resources that do not name one, unless told otherwise (as `kubectl
/// apply` without `-n`).
pub const DEFAULT_NAMESPACE: &str = "default";

/// Istio's root configuration namespace, searched last for DestinationRules.
pub const ROOT_NAMESPACE: &str = "istio-system";

/// The routing configuration of a [`Resources`] set, indexed by host once, so that each
/// [`simulate`](Simulator::simulate) call only looks up what the request needs.
#[derive(Clone, Debug)]
pub struct Simulator {
    index: index::Index,
}

impl Simulator {
    /// Indexes `resources`; those without a namespace are taken to be in
    /// [`DEFAULT_NAMESPACE`].
    pub fn new(resources: &Resources) -> Self {
        Self::with_default_namespace(resources, DEFAULT_NAMESPACE)
    }

    /// Indexes `resources`; those without a namespace are taken to be in `namespace`, which
    /// is also where requests come from unless they say otherwise.
    pub fn with_default_namespace(resources: &Resources, namespace: &str) -> Self {
        Self {
            index: index::Index::build(resources, namespace, ROOT_NAMESPACE),
        }
    }

    /// Decides where `request` goes.
    ///
    /// # Errors
    /// [`SimulateError::InvalidRequest`] for a malformed request (empty host, port 0...),
    /// [`SimulateError::UnknownGateway`] for a gateway the resources do not define.
    pub fn simulate(&self, request: &Request) -> Result<Decision, SimulateError> {
        engine::simulate(&self.index, request)
    }

    /// The exact traffic shares of the destinations `request` is sent to (empty when it is
    /// not forwarded).
    ///
    /// # Errors
    /// As [`Simulator::simulate`].
    pub fn distribution(&self, request: &Request) -> Result<Distribution, SimulateError> {
        Ok(self.simulate(request)?.distribution())
    }

    /// Problems found while indexing: regexes that do not compile, delegates that are
    /// missing or whose routes conflict with their root.
    pub fn warnings(&self) -> &[String] {
        &self.index.warnings
    }
}

/// Decides where `request` goes in `resources` (indexes them first: to simulate many
/// requests, build a [`Simulator`] once).
///
/// # Errors
/// As [`Simulator::simulate`].
pub fn simulate(resources: &Resources, request: &Request) -> Result<Decision, SimulateError> {
    Simulator::new(resources).simulate(request)
}

/// The exact traffic shares for `request` in `resources`.
///
/// # Errors
/// As [`Simulator::simulate`].
pub fn distribution(
    resources: &Resources,
    request: &Request,
) -> Result<Distribution, SimulateError> {
    Simulator::new(resources).distribution(request)
}

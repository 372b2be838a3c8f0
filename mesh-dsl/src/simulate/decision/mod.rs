//! [`Decision`]: where a request goes, what happens to it on the way, and why.
//!
//! The outcome and its answers are here; [`forward`] has the forwarding details,
//! [`policy`] the DestinationRule policies, [`trace`] the explanation, [`distribution`]
//! the traffic shares and [`report`] the readable text.

mod distribution;
mod forward;
mod policy;
mod report;
mod trace;

use std::collections::BTreeMap;

use istio_types::networking::v1::{CorsPolicy, Headers};
use serde::Serialize;

pub use distribution::{Distribution, Share};
pub use forward::{Forward, Mirror, Retries, RetrySource, Rewrite, RoutedDestination};
pub use policy::{DestinationPolicy, PolicyLevel, Setting};
pub(crate) use report::fmt_labels;
pub use trace::{CheckResult, DelegateRef, Mismatch, RouteCheck, RouteRef, Stage, Step};

use super::request::Entry;
use crate::diag::ResourceRef;
use istio_types::Duration;

/// The request as the simulator understood it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestSummary {
    /// The method.
    pub method: String,
    /// The host as given.
    pub host: String,
    /// The host routing used: a short name qualified with the source namespace
    /// (`reviews.default.svc.cluster.local`); through a gateway, the host as given.
    pub routed_host: String,
    /// The port the request is sent to (the listener port).
    pub port: u32,
    /// The path with its query string.
    pub path: String,
    /// Where the request enters.
    pub entry: Entry,
    /// The namespace of the calling proxy.
    pub source_namespace: String,
    /// The labels of the calling proxy.
    pub source_labels: BTreeMap<String, String>,
    /// The calling workload's service account, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
}

/// Where a request goes and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Decision {
    /// The request as understood.
    pub request: RequestSummary,
    /// The VirtualService whose route decided (`None` for the default route or no route).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_service: Option<ResourceRef>,
    /// The route that matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<RouteRef>,
    /// What happens to the request.
    pub outcome: Outcome,
    /// Faults the matched route injects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
    /// Header changes the matched route makes (destinations may add their own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<Headers>,
    /// The CORS policy of the matched route.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors: Option<CorsPolicy>,
    /// Every route tried, in order, up to the one that matched.
    pub checks: Vec<RouteCheck>,
    /// The explanation, step by step.
    pub trace: Vec<Step>,
    /// Problems found on the way (a subset no DestinationRule defines, a host no Service
    /// defines...).
    pub warnings: Vec<String>,
}

impl Decision {
    /// The destinations when the request is forwarded (empty otherwise).
    pub fn destinations(&self) -> &[RoutedDestination] {
        match &self.outcome {
            Outcome::Forward(f) => &f.destinations,
            _ => &[],
        }
    }

    /// The forwarding details, when the request is forwarded.
    pub fn forward(&self) -> Option<&Forward> {
        match &self.outcome {
            Outcome::Forward(f) => Some(f),
            _ => None,
        }
    }

    /// The first destination (the only one unless traffic is split).
    pub fn destination(&self) -> Option<&RoutedDestination> {
        self.destinations().first()
    }

    /// The traffic shares of the destinations.
    pub fn distribution(&self) -> Distribution {
        Distribution::from_destinations(self.destinations())
    }
}

/// What happens to a request.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
#[non_exhaustive]
// One Outcome per decision: boxing Forward would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    /// Sent on to one or more destinations.
    Forward(Forward),
    /// Answered with a redirect.
    Redirect(Redirect),
    /// Answered by the proxy itself.
    DirectResponse(DirectResponse),
    /// No route matches: Envoy answers 404 (`NR`).
    NoRoute {
        /// Why.
        reason: String,
    },
}

/// A redirect answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Redirect {
    /// The status code (301 unless the route says otherwise).
    pub status: u32,
    /// Where the client is sent.
    pub location: String,
}

/// An answer made by the proxy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DirectResponse {
    /// The status code.
    pub status: u32,
    /// The body, when there is one (`bytes` bodies as written, base64).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// Faults injected by the matched route.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fault {
    /// A delay before forwarding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay: Option<DelayFault>,
    /// An error answered instead of forwarding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abort: Option<AbortFault>,
}

/// An injected delay.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DelayFault {
    /// How long.
    pub fixed_delay: Duration,
    /// The percentage of requests delayed (0 to 100); 0 when none is given.
    pub percent: f64,
}

/// An injected error.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AbortFault {
    /// The error returned.
    pub error: AbortWith,
    /// The percentage of requests aborted (0 to 100); 0 when none is given.
    pub percent: f64,
}

/// The error of an injected abort.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AbortWith {
    /// An HTTP status code.
    HttpStatus(u32),
    /// A gRPC status name.
    GrpcStatus(String),
}

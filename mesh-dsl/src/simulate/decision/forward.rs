//! A forwarded request: its destinations with their shares and policies, rewrites,
//! mirrors and retries.

use istio_types::Duration;
use istio_types::networking::v1::Headers;
use serde::Serialize;

use super::policy::DestinationPolicy;
use crate::diag::ResourceRef;

/// A request sent on to destinations.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Forward {
    /// The destinations with their shares. One destination gets all traffic whatever its
    /// weight; with several, destinations of weight 0 are dropped.
    pub destinations: Vec<RoutedDestination>,
    /// True when no VirtualService applies and the request goes to the service itself.
    pub default_route: bool,
    /// Path and authority rewrites.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rewrite: Option<Rewrite>,
    /// Copies of the request sent elsewhere.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mirrors: Vec<Mirror>,
    /// The route timeout; `None` means none (Istio disables Envoy's default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// The retry policy in force.
    pub retries: Retries,
}

/// One destination of a forwarded request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RoutedDestination {
    /// The full host name.
    pub host: String,
    /// The subset, when one is named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subset: Option<String>,
    /// The port: the one named in the route, else the service's only port, else the
    /// request's port.
    pub port: u32,
    /// The weight as written (100 for a single destination).
    pub weight: u32,
    /// The share of traffic, between 0 and 1.
    pub share: f64,
    /// Header changes for this destination only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<Headers>,
    /// The Service or ServiceEntry that defines the host, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ResourceRef>,
    /// The DestinationRule policy that applies, merged for the subset and port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<DestinationPolicy>,
    /// True when the route names a subset that no visible DestinationRule defines for the
    /// host: Envoy has no cluster for it and answers 503.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub subset_missing: bool,
}

/// Rewrites applied before forwarding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rewrite {
    /// The path (with query) the destination receives, when rewritten.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The authority (Host) the destination receives, when rewritten.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
}

/// A mirror: a copy of the request sent to another destination, whose answer is ignored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mirror {
    /// The full host name.
    pub host: String,
    /// The subset, when one is named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subset: Option<String>,
    /// The port.
    pub port: u32,
    /// The percentage of requests mirrored (0 to 100).
    pub percent: f64,
}

/// Where a retry policy comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetrySource {
    /// Istio's default for routes without `retries`.
    MeshDefault,
    /// The route's `retries`.
    Route,
}

/// The retry policy of a route.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Retries {
    /// Where it comes from.
    pub from: RetrySource,
    /// Retries after the first try; 0 when retries are off.
    pub attempts: u32,
    /// Envoy's retry conditions.
    pub retry_on: String,
    /// Status codes retried (`retriable-status-codes`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retriable_status_codes: Vec<u32>,
    /// The timeout of each try.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_try_timeout: Option<Duration>,
    /// The base interval between tries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Duration>,
}

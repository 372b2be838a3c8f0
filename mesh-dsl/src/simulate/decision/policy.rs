//! The DestinationRule policy of a destination, each setting with the part of the rule it
//! comes from.

use std::collections::BTreeMap;
use std::fmt;

use istio_types::networking::v1::{
    ClientTlsSettings, ConnectionPoolSettings, LoadBalancerSettings, OutlierDetection,
    ProxyProtocol, RetryBudget, TrafficPolicyTunnelSettings,
};
use serde::{Serialize, Serializer};

use crate::diag::ResourceRef;

/// Which part of a DestinationRule a setting comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyLevel {
    /// The top-level `trafficPolicy`.
    Destination,
    /// The top-level `portLevelSettings` entry for this port.
    DestinationPort(u32),
    /// The subset's `trafficPolicy`.
    Subset(String),
    /// The subset's `portLevelSettings` entry for this port.
    SubsetPort(String, u32),
}

impl fmt::Display for PolicyLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Destination => write!(f, "trafficPolicy"),
            Self::DestinationPort(p) => write!(f, "trafficPolicy port {p}"),
            Self::Subset(s) => write!(f, "subset {s}"),
            Self::SubsetPort(s, p) => write!(f, "subset {s} port {p}"),
        }
    }
}

impl Serialize for PolicyLevel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A setting and where it comes from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Setting<T> {
    /// The setting.
    pub value: T,
    /// The part of the DestinationRule it comes from.
    pub from: PolicyLevel,
}

/// The DestinationRule policy for one destination: top-level settings, overridden by the
/// port's `portLevelSettings` (which replace load balancer, connection pool, outlier
/// detection and TLS as a whole), then by the subset's settings, as Istio merges them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DestinationPolicy {
    /// The DestinationRule (the first one when several for the host were merged).
    pub destination_rule: ResourceRef,
    /// Other DestinationRules for the same host merged into it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<ResourceRef>,
    /// The subset's labels, when the destination names a subset the rule defines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subset_labels: Option<BTreeMap<String, String>>,
    /// Load balancing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<Setting<LoadBalancerSettings>>,
    /// Connection pool limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_pool: Option<Setting<ConnectionPoolSettings>>,
    /// Outlier detection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outlier_detection: Option<Setting<OutlierDetection>>,
    /// Client TLS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<Setting<ClientTlsSettings>>,
    /// Tunnelling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<Setting<TrafficPolicyTunnelSettings>>,
    /// PROXY protocol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_protocol: Option<Setting<ProxyProtocol>>,
    /// Retry budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_budget: Option<Setting<RetryBudget>>,
}

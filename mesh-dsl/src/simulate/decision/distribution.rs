//! [`Distribution`]: the exact traffic shares of a decision's destinations.

use serde::Serialize;

use super::forward::RoutedDestination;

/// The share of traffic one destination (host, subset, port) receives.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Share {
    /// The full host name.
    pub host: String,
    /// The subset, when one is named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subset: Option<String>,
    /// The port.
    pub port: u32,
    /// The weight (summed when the same destination appears twice).
    pub weight: u32,
    /// The share of traffic, between 0 and 1.
    pub share: f64,
}

impl Share {
    /// Whether this is `host` (a full name, or its first labels such as `reviews` or
    /// `reviews.default`) and `subset`.
    pub fn is(&self, host: &str, subset: Option<&str>) -> bool {
        let host_ok = self.host == host
            || (self.host.len() > host.len()
                && self.host.starts_with(host)
                && self.host.as_bytes().get(host.len()) == Some(&b'.'));
        host_ok && self.subset.as_deref() == subset
    }
}

/// How forwarded traffic is split, exactly as the weights say.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Distribution {
    /// One entry per destination, in route order.
    pub shares: Vec<Share>,
}

impl Distribution {
    pub(crate) fn from_destinations(dests: &[RoutedDestination]) -> Self {
        let mut shares: Vec<Share> = Vec::new();
        for d in dests {
            match shares
                .iter_mut()
                .find(|s| s.host == d.host && s.subset == d.subset && s.port == d.port)
            {
                Some(s) => {
                    s.weight = s.weight.saturating_add(d.weight);
                    s.share += d.share;
                }
                None => shares.push(Share {
                    host: d.host.clone(),
                    subset: d.subset.clone(),
                    port: d.port,
                    weight: d.weight,
                    share: d.share,
                }),
            }
        }
        Self { shares }
    }

    /// The share of `host` (see [`Share::is`]) and `subset`; 0 when it gets nothing.
    ///
    /// ```
    /// # use mesh_dsl::simulate::{Distribution, Share};
    /// let d = Distribution { shares: vec![Share {
    ///     host: "reviews.default.svc.cluster.local".into(), subset: Some("v1".into()),
    ///     port: 9080, weight: 90, share: 0.9 }] };
    /// assert_eq!(d.share("reviews", Some("v1")), 0.9);
    /// assert_eq!(d.share("reviews", Some("v2")), 0.0);
    /// ```
    pub fn share(&self, host: &str, subset: Option<&str>) -> f64 {
        self.shares
            .iter()
            .filter(|s| s.is(host, subset))
            .map(|s| s.share)
            .sum()
    }
}

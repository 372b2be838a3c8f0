//! Destinations: where a route sends traffic.

use crate::dsl::gateway::EgressRef;
use crate::dsl::service::{ServiceRef, SubsetRef};

/// Where a route sends traffic.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// A whole service (all its versions; a canary plan on the service splits it).
    Service(ServiceRef, Option<u32>),
    /// One version of a service.
    Subset(SubsetRef, Option<u32>),
    /// An external host declared as egress.
    External(EgressRef, Option<u32>),
}

impl Target {
    /// Sends to this port of the destination (needed when it has more than one).
    #[must_use]
    pub fn port(self, port: u32) -> Self {
        match self {
            Self::Service(s, _) => Self::Service(s, Some(port)),
            Self::Subset(s, _) => Self::Subset(s, Some(port)),
            Self::External(e, _) => Self::External(e, Some(port)),
        }
    }
}

impl From<&ServiceRef> for Target {
    fn from(s: &ServiceRef) -> Self {
        Self::Service(s.clone(), None)
    }
}

impl From<ServiceRef> for Target {
    fn from(s: ServiceRef) -> Self {
        Self::Service(s, None)
    }
}

impl From<SubsetRef> for Target {
    fn from(s: SubsetRef) -> Self {
        Self::Subset(s, None)
    }
}

impl From<&SubsetRef> for Target {
    fn from(s: &SubsetRef) -> Self {
        Self::Subset(s.clone(), None)
    }
}

impl From<&EgressRef> for Target {
    fn from(e: &EgressRef) -> Self {
        Self::External(e.clone(), None)
    }
}

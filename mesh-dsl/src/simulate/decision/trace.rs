//! The explanation of a decision: the routes tried and why each did or did not match
//! ([`RouteCheck`], [`Mismatch`]), and the step-by-step trace ([`Step`]).

use std::fmt;

use serde::Serialize;

use crate::diag::ResourceRef;

/// Why a condition did not hold: the field (`uri`, `headers[end-user]`, `sourceLabels`...),
/// what the route asks for, and what the request has (`None` when absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// The condition, named as in the VirtualService (`headers[end-user]`).
    pub field: String,
    /// What the route asks for, e.g. `exact "jason"`.
    pub expected: String,
    /// What the request has; `None` when it has nothing there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

impl Mismatch {
    pub(crate) fn new(
        field: impl Into<String>,
        expected: impl Into<String>,
        actual: Option<String>,
    ) -> Self {
        Self {
            field: field.into(),
            expected: expected.into(),
            actual,
        }
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.actual {
            Some(a) => write!(
                f,
                "{} wants {}, request has {a:?}",
                self.field, self.expected
            ),
            None => write!(
                f,
                "{} wants {}, request has none",
                self.field, self.expected
            ),
        }
    }
}

/// A route of a VirtualService: which resource, which `http` entry, which match block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouteRef {
    /// The VirtualService (the root one when the route came from a delegate).
    pub virtual_service: ResourceRef,
    /// The index in its `spec.http`.
    pub index: usize,
    /// The route's name, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The index of the match block (`None` for a route without `match`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_index: Option<usize>,
    /// The match block's name, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_name: Option<String>,
    /// The delegate VirtualService the route was merged from, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delegate: Option<DelegateRef>,
}

impl fmt::Display for RouteRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} http[{}]", self.virtual_service, self.index)?;
        if let Some(n) = &self.name {
            write!(f, " {n:?}")?;
        }
        if let Some(d) = &self.delegate {
            write!(f, " (delegated to {} http[{}])", d.virtual_service, d.index)?;
        }
        match self.match_index {
            Some(i) => write!(f, " match[{i}]")?,
            None => write!(f, " (no match conditions)")?,
        }
        Ok(())
    }
}

/// A route that came from a delegate VirtualService.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DelegateRef {
    /// The delegate VirtualService.
    pub virtual_service: ResourceRef,
    /// The index in the delegate's `spec.http`.
    pub index: usize,
}

/// What happened when a route was tried.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result", content = "why")]
#[non_exhaustive]
pub enum CheckResult {
    /// Every condition held: this route decides.
    Matched,
    /// A request condition failed.
    NotMatched(Mismatch),
    /// Left out of this proxy's configuration altogether (`port`, `gateways`,
    /// `sourceLabels` or `sourceNamespace` do not fit the proxy).
    Excluded(Mismatch),
}

/// One route tried, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouteCheck {
    /// The route and match block.
    pub route: RouteRef,
    /// What happened.
    #[serde(flatten)]
    pub result: CheckResult,
}

/// A step of the explanation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What part of the decision this is about.
    pub stage: Stage,
    /// What happened, in words.
    pub message: String,
    /// The resource concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceRef>,
}

/// The parts of a decision, in the order they are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stage {
    /// Reading the request.
    Request,
    /// The gateway and its server (gateway traffic only).
    Gateway,
    /// Choosing the VirtualService for the host.
    VirtualService,
    /// Trying routes.
    Route,
    /// The destinations.
    Destination,
    /// DestinationRule policies.
    Policy,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Request => "request",
            Self::Gateway => "gateway",
            Self::VirtualService => "virtual service",
            Self::Route => "route",
            Self::Destination => "destination",
            Self::Policy => "policy",
        })
    }
}

//! What every step of the engine shares: the explanation being written ([`Ctx`]) and the
//! proxy the request leaves from ([`Proxy`]).

use std::collections::BTreeMap;

use crate::diag::ResourceRef;
use crate::simulate::decision::{Decision, Outcome, RequestSummary, RouteCheck, Stage, Step};

/// The explanation being written.
#[derive(Default)]
pub(super) struct Ctx {
    pub(super) trace: Vec<Step>,
    pub(super) warnings: Vec<String>,
    pub(super) checks: Vec<RouteCheck>,
}

impl Ctx {
    pub(super) fn step(
        &mut self,
        stage: Stage,
        message: impl Into<String>,
        resource: Option<&ResourceRef>,
    ) {
        self.trace.push(Step {
            stage,
            message: message.into(),
            resource: resource.cloned(),
        });
    }

    /// The decision with this explanation, and no VirtualService, route, fault, headers or
    /// CORS policy (set them with struct update syntax).
    pub(super) fn decide(self, request: RequestSummary, outcome: Outcome) -> Decision {
        Decision {
            request,
            virtual_service: None,
            route: None,
            outcome,
            fault: None,
            headers: None,
            cors: None,
            checks: self.checks,
            trace: self.trace,
            warnings: self.warnings,
        }
    }
}

/// The proxy the request leaves from.
pub(super) struct Proxy<'a> {
    pub(super) namespace: String,
    pub(super) labels: &'a BTreeMap<String, String>,
    pub(super) listen_port: u32,
}

//! Trying a proxy's route entries in order: the first whose conditions all hold decides
//! ([`super::outcome`]); when none does, Envoy answers 404.

use super::ctx::{Ctx, Proxy};
use super::entries::Flat;
use super::outcome;
use crate::simulate::decision::{
    CheckResult, Decision, Outcome, RequestSummary, RouteCheck, Stage,
};
use crate::simulate::index::Index;
use crate::simulate::request::Request;

/// Tries route entries in order; the first whose conditions all hold decides.
pub(super) fn evaluate(
    ix: &Index,
    req: &Request,
    proxy: &Proxy<'_>,
    flat: Vec<Flat<'_>>,
    summary: RequestSummary,
    mut ctx: Ctx,
) -> Decision {
    for f in &flat {
        if let Some(m) = &f.excluded {
            ctx.checks.push(RouteCheck {
                route: f.route_ref(),
                result: CheckResult::Excluded(m.clone()),
            });
            continue;
        }
        let result = match f.m {
            None => Ok(()),
            Some(m) => m.check(req),
        };
        match result {
            Ok(()) => {
                let rr = f.route_ref();
                ctx.checks.push(RouteCheck {
                    route: rr.clone(),
                    result: CheckResult::Matched,
                });
                ctx.step(Stage::Route, format!("{rr} matches"), Some(&f.vs.reference));
                return outcome::act(ix, req, proxy, f, rr, summary, ctx);
            }
            Err(m) => {
                ctx.checks.push(RouteCheck {
                    route: f.route_ref(),
                    result: CheckResult::NotMatched(m.clone()),
                });
                ctx.step(
                    Stage::Route,
                    format!("{} does not match: {m}", f.route_ref()),
                    Some(&f.vs.reference),
                );
            }
        }
    }
    ctx.step(
        Stage::Route,
        "no route matches: Envoy answers 404 (NR)",
        None,
    );
    let outcome = Outcome::NoRoute {
        reason: "no route of the VirtualService matches the request".into(),
    };
    Decision {
        virtual_service: flat.first().map(|f| f.vs.reference.clone()),
        ..ctx.decide(summary, outcome)
    }
}

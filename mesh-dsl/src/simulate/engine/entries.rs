//! A proxy's route entries ([`Flat`]) as Istio builds them from a VirtualService: one
//! per match block, those that do not fit the proxy marked as excluded.

use super::ctx::{Ctx, Proxy};
use crate::simulate::decision::{CheckResult, Mismatch, RouteCheck, RouteRef, Stage};
use crate::simulate::index::{CompiledRoute, VsEntry};
use crate::simulate::matching::CompiledMatch;

/// A route entry of a proxy's configuration: one match block of one route.
pub(super) struct Flat<'a> {
    pub(super) vs: &'a VsEntry,
    pub(super) route: &'a CompiledRoute,
    pub(super) m: Option<&'a CompiledMatch>,
    pub(super) excluded: Option<Mismatch>,
    pub(super) catch_all: bool,
}

impl Flat<'_> {
    pub(super) fn route_ref(&self) -> RouteRef {
        RouteRef {
            virtual_service: self.vs.reference.clone(),
            index: self.route.index,
            name: self.route.http.name.clone(),
            match_index: self.m.map(|m| m.index),
            match_name: self.m.and_then(|m| m.name.clone()),
            delegate: self.route.delegate.clone(),
        }
    }
}

/// The route entries a VirtualService gives a proxy, as Istio builds them: blocks whose
/// port, gateways or source do not fit are left out (kept here, marked, to explain), and
/// nothing after a route that matches everything is kept.
pub(super) fn flatten<'a>(vs: &'a VsEntry, proxy: &Proxy<'_>, gateway: &str) -> Vec<Flat<'a>> {
    let mut out = Vec::new();
    for route in &vs.routes {
        if route.matches.is_empty() {
            out.push(Flat {
                vs,
                route,
                m: None,
                excluded: None,
                catch_all: true,
            });
            return out;
        }
        for m in &route.matches {
            let excluded = m.excluded(proxy.listen_port, gateway, proxy.labels, &proxy.namespace);
            let catch_all = excluded.is_none() && m.is_catch_all();
            out.push(Flat {
                vs,
                route,
                m: Some(m),
                excluded,
                catch_all,
            });
            if catch_all {
                return out;
            }
        }
    }
    out
}

pub(super) fn has_routes(flat: &[Flat<'_>]) -> bool {
    flat.iter().any(|f| f.excluded.is_none())
}

/// Records a VirtualService that gives the proxy no route: its excluded blocks, and that
/// Istio ignores it.
pub(super) fn ignored_vs(vs: &VsEntry, flat: &[Flat<'_>], port: u32, ctx: &mut Ctx) {
    for f in flat {
        if let Some(m) = &f.excluded {
            ctx.checks.push(RouteCheck {
                route: f.route_ref(),
                result: CheckResult::Excluded(m.clone()),
            });
        }
    }
    ctx.step(
        Stage::VirtualService,
        format!(
            "{} gives this proxy no route on port {port} (every match block is excluded); Istio ignores it",
            vs.reference
        ),
        Some(&vs.reference),
    );
}

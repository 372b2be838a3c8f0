//! The decision itself: choosing the VirtualService and route for a request, for a
//! sidecar ([`mesh`]) or a gateway ([`gateway`]), building the proxy's route entries
//! ([`entries`]), trying them in order ([`evaluate`]), and turning the matched route into
//! an outcome ([`outcome`], with [`forward`], [`destination`] and [`rewrite`]).

mod ctx;
mod destination;
mod entries;
mod evaluate;
mod forward;
mod gateway;
mod mesh;
mod outcome;
mod rewrite;

use ctx::Ctx;

use super::decision::{Decision, Stage};
use super::error::SimulateError;
use super::index::Index;
use super::request::{Entry, Request};

pub(crate) fn simulate(ix: &Index, req: &Request) -> Result<Decision, SimulateError> {
    validate(req)?;
    let mut ctx = Ctx::default();
    match &req.entry {
        Entry::Mesh => Ok(mesh::sidecar(ix, req, ctx)),
        Entry::Gateway(g) => {
            let name = if g.contains('/') {
                g.clone()
            } else {
                format!("{}/{g}", ix.default_namespace)
            };
            let Some(gw) = ix.gateways.get(&name) else {
                return Err(SimulateError::UnknownGateway {
                    gateway: name,
                    known: ix.gateways.keys().cloned().collect(),
                });
            };
            ctx.step(
                Stage::Gateway,
                format!("the request enters through Gateway {name}"),
                Some(&gw.reference),
            );
            Ok(gateway::gateway(ix, req, gw, ctx))
        }
    }
}

fn validate(req: &Request) -> Result<(), SimulateError> {
    let bad = |field: &'static str, reason: &str| {
        Err(SimulateError::InvalidRequest {
            field,
            reason: reason.to_string(),
        })
    };
    if req.host.is_empty() {
        return bad("host", "the host is empty");
    }
    if req.host.chars().any(|c| c.is_whitespace() || c == '/') {
        return bad("host", "a host has no spaces or slashes");
    }
    if let Some(p) = req.port
        && (p == 0 || p > 65535)
    {
        return bad("port", "a port is between 1 and 65535");
    }
    if req.method.is_empty() {
        return bad("method", "the method is empty");
    }
    if !req.path.starts_with('/') {
        return bad("path", "a path starts with /");
    }
    if let Entry::Gateway(g) = &req.entry
        && (g.is_empty() || g.split('/').count() > 2 || g.starts_with('/') || g.ends_with('/'))
    {
        return bad("gateway", "a gateway is written namespace/name");
    }
    Ok(())
}

//! What the matched route does to the request: a redirect, a direct response, or a
//! forward ([`super::forward`]), with the faults it injects.

use istio_types::networking::v1::{
    AbortError, DelayKind, HttpBody, HttpRedirect, HttpRoute, RedirectPort, RedirectPortSelection,
};

use super::ctx::{Ctx, Proxy};
use super::entries::Flat;
use super::forward::forward;
use super::rewrite::with_query;
use crate::simulate::decision::{
    AbortFault, AbortWith, Decision, DelayFault, DirectResponse, Fault, Outcome, Redirect,
    RequestSummary, RouteRef, Stage,
};
use crate::simulate::hosts;
use crate::simulate::index::Index;
use crate::simulate::request::Request;

/// Turns the matched route into what happens to the request.
pub(super) fn act(
    ix: &Index,
    req: &Request,
    proxy: &Proxy<'_>,
    f: &Flat<'_>,
    rr: RouteRef,
    summary: RequestSummary,
    mut ctx: Ctx,
) -> Decision {
    let http = &f.route.http;
    let fault = fault(http, &mut ctx);
    let outcome = if let Some(r) = &http.redirect {
        Outcome::Redirect(redirect(r, req, proxy, &mut ctx))
    } else if let Some(d) = &http.direct_response {
        let body = d.body.as_ref().and_then(|b| match b {
            HttpBody::String(s) | HttpBody::Bytes(s) => Some(s.clone()),
            _ => None,
        });
        ctx.step(
            Stage::Route,
            format!("the route answers {} itself", d.status),
            None,
        );
        Outcome::DirectResponse(DirectResponse {
            status: d.status,
            body,
        })
    } else {
        Outcome::Forward(forward(ix, req, proxy, f, &mut ctx))
    };
    Decision {
        virtual_service: Some(f.vs.reference.clone()),
        route: Some(rr),
        fault,
        headers: http.headers.clone(),
        cors: http.cors_policy.clone(),
        ..ctx.decide(summary, outcome)
    }
}

/// The redirect answer: scheme, authority, port and path from the route, the rest from
/// the request.
fn redirect(r: &HttpRedirect, req: &Request, proxy: &Proxy<'_>, ctx: &mut Ctx) -> Redirect {
    let scheme = r.scheme.clone().unwrap_or_else(|| req.scheme.clone());
    let authority = r
        .authority
        .clone()
        .unwrap_or_else(|| hosts::split_authority(&req.authority()).0.to_string());
    let port = match &r.redirect_port {
        Some(RedirectPort::Port(p)) => Some(*p),
        Some(RedirectPort::DerivePort(RedirectPortSelection::FromRequestPort)) => {
            Some(proxy.listen_port)
        }
        _ => None,
    }
    .filter(|&p| !((p == 80 && scheme == "http") || (p == 443 && scheme == "https")));
    let path = match &r.uri {
        Some(u) if u.contains('?') => u.clone(),
        Some(u) => with_query(u, req),
        None => req.full_path(),
    };
    let status = r.redirect_code.unwrap_or(301);
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        ctx.warnings.push(format!(
            "redirect code {status} is not supported: Istio leaves the route without an action"
        ));
    }
    let location = match port {
        Some(p) => format!("{scheme}://{authority}:{p}{path}"),
        None => format!("{scheme}://{authority}{path}"),
    };
    ctx.step(
        Stage::Route,
        format!("the route redirects ({status}) to {location}"),
        None,
    );
    Redirect { status, location }
}

/// Envoy's resolution for fault percentages: millionths.
fn fault_percent(p: f64) -> f64 {
    ((p * 10_000.0).trunc() / 10_000.0).clamp(0.0, 100.0)
}

/// The faults the route injects (the ones Istio supports).
fn fault(http: &HttpRoute, ctx: &mut Ctx) -> Option<Fault> {
    let f = http.fault.as_ref()?;
    let delay = f.delay.as_ref().and_then(|d| {
        let pct = match (&d.percentage, d.percent) {
            (Some(p), _) => p.value.unwrap_or(0.0),
            (None, Some(p)) => f64::from(p),
            (None, None) => 0.0,
        };
        match &d.http_delay_type {
            Some(DelayKind::FixedDelay(t)) => Some(DelayFault {
                fixed_delay: t.clone(),
                percent: fault_percent(pct),
            }),
            Some(DelayKind::ExponentialDelay(_)) => {
                ctx.warnings.push(
                    "exponentialDelay is not supported by Istio: no delay is injected".into(),
                );
                None
            }
            _ => None,
        }
    });
    let abort = f.abort.as_ref().and_then(|a| {
        let pct = a.percentage.as_ref().and_then(|p| p.value).unwrap_or(0.0);
        let error = match &a.error_type {
            Some(AbortError::HttpStatus(s)) => AbortWith::HttpStatus(s.unsigned_abs()),
            Some(AbortError::GrpcStatus(s)) => AbortWith::GrpcStatus(s.clone()),
            Some(AbortError::Http2Error(_)) => {
                ctx.warnings.push(
                    "http2Error aborts are not supported by Istio: no abort is injected".into(),
                );
                return None;
            }
            _ => return None,
        };
        Some(AbortFault {
            error,
            percent: fault_percent(pct),
        })
    });
    if delay.is_none() && abort.is_none() {
        return None;
    }
    if let Some(d) = &delay {
        ctx.step(
            Stage::Route,
            format!(
                "fault: delay {} for {}% of requests",
                d.fixed_delay, d.percent
            ),
            None,
        );
    }
    if let Some(a) = &abort {
        ctx.step(
            Stage::Route,
            format!(
                "fault: abort ({:?}) for {}% of requests",
                a.error, a.percent
            ),
            None,
        );
    }
    Some(Fault { delay, abort })
}

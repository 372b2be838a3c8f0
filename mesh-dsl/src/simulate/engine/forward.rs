//! A forwarded request: the destinations with their shares, rewrites, mirrors, timeout
//! and retries of the matched route.

use istio_types::networking::v1::{HttpRetry, HttpRoute};

use super::ctx::{Ctx, Proxy};
use super::destination::{mirror, routed};
use super::entries::Flat;
use super::rewrite::rewrite;
use crate::simulate::decision::{Forward, Mirror, Retries, RetrySource, RoutedDestination, Stage};
use crate::simulate::index::Index;
use crate::simulate::request::Request;

/// Istio's retry policy for routes that set none.
const DEFAULT_RETRY_ON: &str =
    "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

pub(super) fn forward(
    ix: &Index,
    req: &Request,
    proxy: &Proxy<'_>,
    f: &Flat<'_>,
    ctx: &mut Ctx,
) -> Forward {
    let http = &f.route.http;
    let destinations = destinations(ix, http, proxy, ctx);
    let rewrite = rewrite(req, f, ctx);
    let mirrors = mirrors(ix, http, proxy);
    for m in &mirrors {
        ctx.step(
            Stage::Destination,
            format!(
                "{}% of requests are mirrored to {} port {}",
                m.percent, m.host, m.port
            ),
            None,
        );
    }
    if let Some(t) = &http.timeout {
        ctx.step(Stage::Route, format!("timeout {t}"), None);
    }
    Forward {
        destinations,
        default_route: false,
        rewrite,
        mirrors,
        timeout: http.timeout.clone().filter(|t| t.as_nanos() != 0),
        retries: retries(http.retries.as_ref()),
    }
}

/// The route's destinations: a single one gets all traffic whatever its weight; with
/// several, each gets its weight's share and those of weight 0 are dropped.
fn destinations(
    ix: &Index,
    http: &HttpRoute,
    proxy: &Proxy<'_>,
    ctx: &mut Ctx,
) -> Vec<RoutedDestination> {
    if http.route.len() == 1 {
        let d = &http.route[0];
        return vec![routed(
            ix,
            &d.destination,
            100,
            1.0,
            d.headers.clone(),
            proxy,
            ctx,
        )];
    }
    let weighted: Vec<_> = http
        .route
        .iter()
        .filter(|d| d.weight.unwrap_or(0) > 0)
        .collect();
    let total: u64 = weighted
        .iter()
        .map(|d| u64::from(d.weight.unwrap_or(0).unsigned_abs()))
        .sum();
    if http.route.is_empty() {
        ctx.warnings.push("the route has no destination".into());
    } else if total == 0 {
        ctx.warnings
            .push("every destination has weight 0: Envoy rejects a split with no weight".into());
    }
    weighted
        .into_iter()
        .map(|d| {
            let w = d.weight.unwrap_or(0).unsigned_abs();
            let share = if total == 0 {
                0.0
            } else {
                f64::from(w) / total as f64
            };
            routed(ix, &d.destination, w, share, d.headers.clone(), proxy, ctx)
        })
        .collect()
}

/// The mirrors of the route (`mirror` with its percentage, then `mirrors`), those at 0%
/// left out.
fn mirrors(ix: &Index, http: &HttpRoute, proxy: &Proxy<'_>) -> Vec<Mirror> {
    let mut mirrors = Vec::new();
    if let Some(m) = &http.mirror {
        let pct = match (
            &http.mirror_percentage,
            http.mirror_percent.or(http.deprecated_mirror_percent),
        ) {
            (Some(p), _) => p.value.unwrap_or(0.0),
            (None, Some(p)) => f64::from(p),
            (None, None) => 100.0,
        };
        if pct > 0.0 {
            mirrors.push(mirror(ix, m, pct, proxy));
        }
    }
    for m in &http.mirrors {
        let pct = m
            .percentage
            .as_ref()
            .map_or(100.0, |p| p.value.unwrap_or(0.0));
        if pct > 0.0 {
            mirrors.push(mirror(ix, &m.destination, pct, proxy));
        }
    }
    mirrors
}

/// The retry policy in force: Istio's default without `retries`, none with 0 attempts,
/// else the route's, with status codes in `retryOn` moved to `retriable-status-codes`.
pub(super) fn retries(r: Option<&HttpRetry>) -> Retries {
    let Some(r) = r else {
        return Retries {
            from: RetrySource::MeshDefault,
            attempts: 2,
            retry_on: DEFAULT_RETRY_ON.into(),
            retriable_status_codes: vec![503],
            per_try_timeout: None,
            backoff: None,
        };
    };
    let attempts = r.attempts.unwrap_or(0);
    if attempts <= 0 {
        return Retries {
            from: RetrySource::Route,
            attempts: 0,
            retry_on: String::new(),
            retriable_status_codes: Vec::new(),
            per_try_timeout: None,
            backoff: None,
        };
    }
    let (mut retry_on, mut codes) = (DEFAULT_RETRY_ON.to_string(), vec![503]);
    if let Some(on) = r.retry_on.as_deref().filter(|s| !s.is_empty()) {
        codes.clear();
        let mut names = Vec::new();
        for part in on.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.parse::<u32>() {
                Ok(c) if (100..600).contains(&c) => codes.push(c),
                _ => names.push(part),
            }
        }
        retry_on = names.join(",");
        if !codes.is_empty() && !retry_on.contains("retriable-status-codes") {
            if !retry_on.is_empty() {
                retry_on.push(',');
            }
            retry_on.push_str("retriable-status-codes");
        }
    }
    Retries {
        from: RetrySource::Route,
        attempts: attempts.unsigned_abs(),
        retry_on,
        retriable_status_codes: codes,
        per_try_timeout: r.per_try_timeout.clone(),
        backoff: r.backoff.clone(),
    }
}

//! Route destinations and their weights.

use istio_types::networking::v1::{Destination, HttpRouteDestination, RouteDestination};

use super::policies::header_operations;
use crate::validate::common::*;
use crate::validate::{Out, Path};

pub(crate) fn destination(d: &Destination, at: &Path, out: &mut Out) {
    if d.host == "*" {
        out.err(&at.f("host"), "the destination host cannot be *");
    } else {
        out.check(&at.f("host"), validate_wildcard_domain(&d.host));
    }
    if let Some(s) = d.subset.as_deref().filter(|s| !s.is_empty())
        && !is_dns_label(s)
    {
        out.err(
            &at.f("subset"),
            format!("subset name {s:?} is not a DNS label"),
        );
    }
    if let Some(p) = &d.port {
        out.check(
            &at.f("port").f("number"),
            validate_port(i64::from(p.number.unwrap_or(0))),
        );
    }
}

pub(super) fn http_destinations(
    routes: &[HttpRouteDestination],
    gateway_semantics: bool,
    at: &Path,
    out: &mut Out,
) {
    let mut total: i64 = 0;
    for (i, r) in routes.iter().enumerate() {
        let at = at.i(i);
        header_operations(r.headers.as_ref(), &at.f("headers"), out);
        if !gateway_semantics {
            destination(&r.destination, &at.f("destination"), out);
        }
        let w = r.weight.unwrap_or(0);
        if w < 0 {
            out.err(&at.f("weight"), format!("weight {w} is negative"));
        }
        total += i64::from(w);
    }
    if routes.len() > 1 && total == 0 {
        out.err(at, "the destinations' weights add up to 0");
    }
}

pub(super) fn l4_destinations(
    routes: &[RouteDestination],
    gateway_semantics: bool,
    at: &Path,
    out: &mut Out,
) {
    let mut total: i64 = 0;
    for (i, r) in routes.iter().enumerate() {
        if !gateway_semantics {
            destination(&r.destination, &at.i(i).f("destination"), out);
        }
        let w = r.weight.unwrap_or(0);
        if w < 0 {
            out.err(&at.i(i).f("weight"), format!("weight {w} is negative"));
        }
        total += i64::from(w);
    }
    if routes.len() > 1 && total == 0 {
        out.err(at, "the destinations' weights add up to 0");
    }
}

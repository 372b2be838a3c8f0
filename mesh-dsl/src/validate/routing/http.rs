//! HTTP routes and their actions: mirrors, redirects, direct responses and rewrites.

use istio_types::networking::v1::{
    Headers, HttpBody, HttpDirectResponse, HttpRedirect, HttpRewrite, HttpRoute, RedirectPort,
};

use super::destinations::{destination, http_destinations};
use super::matches::http_match;
use super::policies::{cors, fault, header_operations, http_status, retries};
use crate::validate::common::*;
use crate::validate::{Out, Path};

pub(super) fn http_route(
    h: &HttpRoute,
    delegate: bool,
    gateway_semantics: bool,
    at: &Path,
    out: &mut Out,
) {
    let root = !delegate && h.delegate.is_some();
    if root {
        if h.redirect.is_some() {
            out.err(
                &at.f("redirect"),
                "a route that delegates must not also redirect",
            );
        }
        if !h.route.is_empty() {
            out.err(
                &at.f("route"),
                "a route that delegates must not also have destinations",
            );
        }
    } else {
        if delegate && h.delegate.is_some() {
            out.err(
                &at.f("delegate"),
                "a delegate VirtualService cannot delegate again",
            );
        }
        if h.redirect.is_some() {
            if !h.route.is_empty() {
                out.err(at, "an HTTP route cannot have both route and redirect");
            }
            if h.fault.is_some() {
                out.err(at, "an HTTP route cannot have both fault and redirect");
            }
            if h.rewrite.is_some() {
                out.err(at, "an HTTP route cannot have both rewrite and redirect");
            }
            if h.direct_response.is_some() {
                out.err(
                    at,
                    "an HTTP route cannot have both directResponse and redirect",
                );
            }
        } else if h.direct_response.is_some() {
            if !h.route.is_empty() {
                out.err(
                    at,
                    "an HTTP route cannot have both route and directResponse",
                );
            }
            if h.fault.is_some() {
                out.err(
                    at,
                    "an HTTP route cannot have both fault and directResponse",
                );
            }
            if h.rewrite.is_some() {
                out.err(
                    at,
                    "an HTTP route cannot have both rewrite and directResponse",
                );
            }
        } else if h.route.is_empty() {
            out.err(
                at,
                "an HTTP route needs a route, a redirect or a directResponse",
            );
        }
        if h.mirror.is_some() && !h.mirrors.is_empty() {
            out.err(at, "an HTTP route cannot have both mirror and mirrors");
        }
    }
    for (j, m) in h.r#match.iter().enumerate() {
        http_match(m, &at.f("match").i(j), out);
    }
    header_operations(h.headers.as_ref(), &at.f("headers"), out);
    if let Some(c) = &h.cors_policy {
        cors(c, &at.f("corsPolicy"), out);
    }
    if let Some(f) = &h.fault {
        fault(f, &at.f("fault"), out);
    }
    for (field, v) in [
        ("mirrorPercent", h.mirror_percent),
        ("mirror_percent", h.deprecated_mirror_percent),
    ] {
        if let Some(v) = v {
            if v > 100 {
                out.err(&at.f(field), format!("mirror percent {v} is above 100"));
            }
            out.warn(
                &at.f(field),
                "mirrorPercent is deprecated; use mirrorPercentage",
            );
        }
    }
    if let Some(p) = &h.mirror_percentage {
        mirror_percentage(p.value.unwrap_or(0.0), &at.f("mirrorPercentage"), out);
    }
    if let Some(d) = &h.mirror {
        destination(d, &at.f("mirror"), out);
    }
    for (i, m) in h.mirrors.iter().enumerate() {
        let at_mirrors = at.f("mirrors");
        let at = at_mirrors.i(i);
        destination(&m.destination, &at.f("destination"), out);
        if let Some(p) = &m.percentage {
            mirror_percentage(p.value.unwrap_or(0.0), &at.f("percentage"), out);
        }
    }
    if let Some(r) = &h.redirect {
        redirect(r, &at.f("redirect"), out);
    }
    if let Some(d) = &h.direct_response {
        direct_response(d, &at.f("directResponse"), out);
    }
    if let Some(r) = &h.retries {
        retries(r, &at.f("retries"), out);
    }
    if let Some(r) = &h.rewrite {
        rewrite(r, &at.f("rewrite"), out);
    }
    authority_rewrite(h.rewrite.as_ref(), h.headers.as_ref(), at, out);
    http_destinations(&h.route, gateway_semantics, &at.f("route"), out);
    if let Some(t) = &h.timeout {
        out.check(&at.f("timeout"), validate_duration(t));
    }
}

fn mirror_percentage(v: f64, at: &Path, out: &mut Out) {
    if v > 100.0 {
        out.err(at, format!("mirror percentage {v} is above 100"));
    }
    if v < 0.0 {
        out.err(at, format!("mirror percentage {v} is below 0"));
    }
}

fn redirect(r: &HttpRedirect, at: &Path, out: &mut Out) {
    let empty = |s: &Option<String>| s.as_deref().is_none_or(str::is_empty);
    if empty(&r.uri) && empty(&r.authority) && r.redirect_port.is_none() && empty(&r.scheme) {
        out.err(
            at,
            "a redirect must set a uri, an authority, a scheme or a port",
        );
        return;
    }
    if let Some(code) = r.redirect_code
        && code != 0
        && !(300..=399).contains(&code)
    {
        out.err(
            &at.f("redirectCode"),
            format!("{code} is not a redirect code (3xx)"),
        );
        return;
    }
    if let Some(s) = r.scheme.as_deref().filter(|s| !s.is_empty())
        && s != "http"
        && s != "https"
    {
        out.err(&at.f("scheme"), "the redirect scheme must be http or https");
        return;
    }
    if let Some(RedirectPort::Port(p)) = r.redirect_port
        && p > 0
    {
        out.check(&at.f("port"), validate_port(i64::from(p)));
    }
}

fn direct_response(d: &HttpDirectResponse, at: &Path, out: &mut Out) {
    if let Some(body) = &d.body {
        let size = match body {
            HttpBody::String(s) => s.len(),
            // base64 text: the decoded size
            HttpBody::Bytes(b) => b.trim_end_matches('=').len() * 3 / 4,
            _ => 0,
        };
        if size > 1024 * 1024 {
            out.err(
                &at.f("body"),
                "a direct response body must be smaller than 1MB",
            );
        } else if size > 100 * 1024 {
            out.warn(
                &at.f("body"),
                "large direct responses may slow down the control plane",
            );
        }
    }
    out.check(&at.f("status"), http_status(i64::from(d.status)));
}

fn rewrite(r: &HttpRewrite, at: &Path, out: &mut Out) {
    let uri = r.uri.as_deref().is_some_and(|s| !s.is_empty());
    let authority = r.authority.as_deref().is_some_and(|s| !s.is_empty());
    if uri && r.uri_regex_rewrite.is_some() {
        out.err(at, "a rewrite may have uri or uriRegexRewrite, not both");
        return;
    }
    if !uri && r.uri_regex_rewrite.is_none() && !authority {
        out.err(at, "a rewrite needs uri, uriRegexRewrite or authority");
        return;
    }
    if let Some(rr) = &r.uri_regex_rewrite {
        let at = at.f("uriRegexRewrite");
        let m = rr.r#match.as_deref().unwrap_or("");
        if m.is_empty() || rr.rewrite.as_deref().unwrap_or("").is_empty() {
            out.err(&at, "uriRegexRewrite needs both match and rewrite");
        } else {
            out.check(&at.f("match"), validate_regex(m));
        }
    }
}

fn authority_rewrite(
    rewrite: Option<&HttpRewrite>,
    headers: Option<&Headers>,
    at: &Path,
    out: &mut Out,
) {
    let mut current = rewrite
        .and_then(|r| r.authority.clone())
        .unwrap_or_default();
    let Some(req) = headers.and_then(|h| h.request.as_ref()) else {
        return;
    };
    for map in [&req.set, &req.add] {
        for (k, v) in map {
            if !is_authority_header(k) {
                continue;
            }
            if !current.is_empty() {
                out.err(
                    at,
                    format!("the authority is set more than once: {current:?}, then {v:?}"),
                );
                return;
            }
            current = v.clone();
        }
    }
}

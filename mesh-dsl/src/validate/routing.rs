//! VirtualService: what Istio's webhook checks beyond the schema (hosts, gateways, route
//! conflicts, matches, header operations, CORS, faults, retries, redirects, rewrites,
//! destinations, weights, timeouts) and the rules it warns are unreachable.

use std::collections::BTreeMap;

use istio_types::networking::v1::{
    AbortError, CorsPolicy, DelayKind, Destination, HeaderOperations, Headers, HttpBody,
    HttpDirectResponse, HttpFaultInjection, HttpMatchRequest, HttpRedirect, HttpRetry, HttpRewrite,
    HttpRoute, HttpRouteDestination, L4MatchAttributes, RedirectPort, RouteDestination,
    StringMatch, TcpRoute, TlsMatchAttributes, TlsRoute, VirtualService,
};

use super::common::*;
use super::{Out, Path};
use crate::istio::host;

const GATEWAY_SEMANTICS: &str = "internal.istio.io/route-semantics";
/// The codes istioctl gives the webhook's warnings about unreachable rules and matches.
const UNREACHABLE: (&str, &str) = ("IST0130", "VirtualServiceUnreachableRule");
const INEFFECTIVE: (&str, &str) = ("IST0131", "VirtualServiceIneffectiveMatch");

pub(crate) fn virtual_service(vs: &VirtualService, out: &mut Out) {
    let spec = &vs.spec;
    let at = Path::new("spec");
    let gateway_semantics = vs
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(GATEWAY_SEMANTICS))
        .is_some_and(|v| v == "gateway");
    let delegate = spec.hosts.is_empty();
    if delegate {
        if !spec.gateways.is_empty() {
            out.err(
                &at.f("gateways"),
                "a delegate VirtualService (one without hosts) must not name gateways",
            );
        }
        if !spec.tls.is_empty() {
            out.err(
                &at.f("tls"),
                "a delegate VirtualService (one without hosts) cannot have TLS routes",
            );
        }
        if !spec.tcp.is_empty() {
            out.err(
                &at.f("tcp"),
                "a delegate VirtualService (one without hosts) cannot have TCP routes",
            );
        }
    }
    let (applies_to_gateway, applies_to_mesh) = if spec.gateways.is_empty() {
        (false, true)
    } else {
        gateway_names(&spec.gateways, &at.f("gateways"), out);
        let gw = !spec.gateways.iter().any(|g| g == "mesh");
        (gw, !gw)
    };
    if !applies_to_gateway {
        for (i, h) in spec.http.iter().enumerate() {
            for (j, m) in h.r#match.iter().enumerate() {
                let mat_http = at.f("http");
                let mat_rule = mat_http.i(i);
                let mat_match = mat_rule.f("match");
                let mat = mat_match.i(j);
                for (field, map) in [
                    ("headers", &m.headers),
                    ("withoutHeaders", &m.without_headers),
                ] {
                    for k in map.keys().filter(|k| is_jwt_claim_route(k)) {
                        out.err(
                            &mat.f(field).k(k),
                            format!("JWT claim based routing ({k}) is only supported on gateways, and this VirtualService applies to the mesh"),
                        );
                    }
                }
            }
        }
    }
    let sni = spec
        .tls
        .iter()
        .any(|t| t.r#match.iter().any(|m| !m.sni_hosts.is_empty()));
    let mut all_valid = true;
    for (i, host) in spec.hosts.iter().enumerate() {
        let r = if applies_to_gateway {
            validate_gateway_bound_domain(sni, host)
        } else {
            validate_wildcard_domain(host)
        };
        match r {
            Err(e) if !is_ip(host) => {
                out.err(&at.f("hosts").i(i), e);
                all_valid = false;
            }
            Err(_) => {}
            Ok(()) if applies_to_mesh && host == "*" => {
                out.err(
                    &at.f("hosts").i(i),
                    "the wildcard host * is not allowed for a VirtualService bound to the mesh",
                );
                all_valid = false;
            }
            Ok(()) => {}
        }
    }
    if all_valid {
        for i in 0..spec.hosts.len() {
            for j in i + 1..spec.hosts.len() {
                if host::matches(&spec.hosts[i], &spec.hosts[j]) {
                    out.err(
                        &at.f("hosts").i(j),
                        format!(
                            "duplicate hosts in the VirtualService: {} and {}",
                            spec.hosts[i], spec.hosts[j]
                        ),
                    );
                }
            }
        }
    }
    if spec.http.is_empty() && spec.tcp.is_empty() && spec.tls.is_empty() {
        out.err(&at, "a VirtualService needs http, tcp or tls routes");
    }
    for (i, h) in spec.http.iter().enumerate() {
        http_route(h, delegate, gateway_semantics, &at.f("http").i(i), out);
    }
    for (i, t) in spec.tls.iter().enumerate() {
        tls_route(t, vs, gateway_semantics, &at.f("tls").i(i), out);
    }
    for (i, t) in spec.tcp.iter().enumerate() {
        tcp_route(t, gateway_semantics, &at.f("tcp").i(i), out);
    }
    let ns = vs.metadata.namespace.as_deref().unwrap_or("");
    validate_export_to(ns, &spec.export_to, false, false, &at.f("exportTo"), out);
    rule_warnings(vs, out);
}

/// IST0130 / IST0131: rules that can never be used and matches an earlier one covers, as
/// Istio's webhook warns. Also the analyzer `schema.ValidationAnalyzer` reports these.
pub(crate) fn rule_warnings(vs: &VirtualService, out: &mut Out) {
    let spec = &vs.spec;
    let at = Path::new("spec");
    unreachable_http(&spec.http, &at.f("http"), out);
    unreachable_l4(
        spec.tcp
            .iter()
            .map(|t| t.r#match.iter().map(l4_key).collect())
            .collect(),
        &at.f("tcp"),
        out,
    );
    unreachable_l4(
        spec.tls
            .iter()
            .map(|t| t.r#match.iter().map(tls_key).collect())
            .collect(),
        &at.f("tls"),
        out,
    );
}

fn http_route(h: &HttpRoute, delegate: bool, gateway_semantics: bool, at: &Path, out: &mut Out) {
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

/// The text a string match carries, if any.
fn match_text(m: &StringMatch) -> Option<&str> {
    match m {
        StringMatch::Exact(s) | StringMatch::Prefix(s) | StringMatch::Regex(s) => Some(s),
        _ => None,
    }
}

fn string_match(m: &StringMatch, allow_empty_prefix: bool, at: &Path, out: &mut Out) {
    match m {
        StringMatch::Prefix(p) if p.is_empty() && !allow_empty_prefix => {
            out.err(at, "a prefix match must not be empty")
        }
        StringMatch::Regex(r) if r.is_empty() => out.err(at, "a regex match must not be empty"),
        StringMatch::Regex(r) => out.check(at, validate_regex(r)),
        _ => {}
    }
}

fn http_match(m: &HttpMatchRequest, at: &Path, out: &mut Out) {
    for (name, sm) in &m.headers {
        let hat_headers = at.f("headers");
        let hat = hat_headers.k(name);
        out.check(&hat, validate_header_name_or_claim(name));
        string_match(sm, false, &hat, out);
    }
    for (name, sm) in &m.without_headers {
        let hat_without_headers = at.f("withoutHeaders");
        let hat = hat_without_headers.k(name);
        out.check(&hat, validate_header_name_or_claim(name));
        // `regex: "*"` is not a regex here: it stands for "header present".
        if !matches!(sm, StringMatch::Regex(r) if r == "*") {
            string_match(sm, false, &hat, out);
        }
    }
    if let Some(u) = &m.uri {
        string_match(u, true, &at.f("uri"), out);
    }
    for (field, sm) in [
        ("scheme", &m.scheme),
        ("method", &m.method),
        ("authority", &m.authority),
    ] {
        if let Some(sm) = sm {
            string_match(sm, false, &at.f(field), out);
        }
    }
    for (name, sm) in &m.query_params {
        string_match(sm, false, &at.f("queryParams").k(name), out);
    }
    if let Some(p) = m.port
        && p != 0
    {
        out.check(&at.f("port"), validate_port(i64::from(p)));
    }
    validate_labels(&m.source_labels, &at.f("sourceLabels"), out);
    gateway_names(&m.gateways, &at.f("gateways"), out);
    if let Some(ns) = m.source_namespace.as_deref().filter(|s| !s.is_empty())
        && !is_dns_label(ns)
    {
        out.err(
            &at.f("sourceNamespace"),
            format!("sourceNamespace {ns:?} is not a valid namespace name"),
        );
    }
}

fn header_map(map: &BTreeMap<String, String>, request: bool, at: &Path, out: &mut Out) {
    for (name, value) in map {
        let r = if request {
            validate_request_header_set(name)
        } else {
            validate_header_operation(name)
        };
        out.check(&at.k(name), r);
        out.check(&at.k(name), validate_header_value(value));
    }
}

fn header_ops(ops: &HeaderOperations, request: bool, at: &Path, out: &mut Out) {
    header_map(&ops.add, request, &at.f("add"), out);
    header_map(&ops.set, request, &at.f("set"), out);
    for (i, name) in ops.remove.iter().enumerate() {
        out.check(&at.f("remove").i(i), validate_header_operation(name));
    }
}

fn header_operations(h: Option<&Headers>, at: &Path, out: &mut Out) {
    let Some(h) = h else { return };
    if let Some(r) = &h.request {
        header_ops(r, true, &at.f("request"), out);
    }
    if let Some(r) = &h.response {
        header_ops(r, false, &at.f("response"), out);
    }
}

const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE",
];

fn cors(c: &CorsPolicy, at: &Path, out: &mut Out) {
    for (i, o) in c.allow_origins.iter().enumerate() {
        let oat_allow_origins = at.f("allowOrigins");
        let oat = oat_allow_origins.i(i);
        match match_text(o) {
            None | Some("") => out.err(
                &oat,
                "an allowed origin needs a non-empty exact, prefix or regex match",
            ),
            Some(_) => {
                if let StringMatch::Regex(r) = o {
                    out.check(&oat, validate_regex(r));
                }
            }
        }
    }
    for (i, m) in c.allow_methods.iter().enumerate() {
        if !METHODS.contains(&m.as_str()) {
            out.err(
                &at.f("allowMethods").i(i),
                format!("{m:?} is not a supported HTTP method"),
            );
        }
    }
    for (field, list) in [
        ("allowHeaders", &c.allow_headers),
        ("exposeHeaders", &c.expose_headers),
    ] {
        for (i, h) in list.iter().enumerate() {
            if h != "*" {
                out.check(&at.f(field).i(i), validate_header_name(h));
            }
        }
    }
    if let Some(d) = &c.max_age {
        out.check(&at.f("maxAge"), validate_duration(d));
        if d.as_nanos() % 1_000_000_000 != 0 {
            out.err(
                &at.f("maxAge"),
                "maxAge is only accurate to seconds; use whole seconds",
            );
        }
    }
}

const GRPC_STATUS: &[&str] = &[
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

fn http_status(s: i64) -> Result<(), String> {
    if !(200..=600).contains(&s) {
        return Err(format!("HTTP status {s} is not in the range 200-599"));
    }
    Ok(())
}

fn fault(f: &HttpFaultInjection, at: &Path, out: &mut Out) {
    if f.abort.is_none() && f.delay.is_none() {
        out.err(at, "fault injection needs an abort, a delay, or both");
    }
    if let Some(a) = &f.abort {
        let at = at.f("abort");
        if let Some(p) = &a.percentage {
            out.check(
                &at.f("percentage"),
                validate_percentage(p.value.unwrap_or(0.0)),
            );
        }
        match &a.error_type {
            Some(AbortError::GrpcStatus(s)) => {
                if !GRPC_STATUS.contains(&s.as_str()) {
                    out.err(
                        &at.f("grpcStatus"),
                        format!("gRPC status {s:?} is not supported; use a status name such as NOT_FOUND"),
                    );
                }
            }
            Some(AbortError::Http2Error(_)) => out.err(
                &at.f("http2Error"),
                "HTTP/2 abort fault injection is not supported yet",
            ),
            Some(AbortError::HttpStatus(s)) => {
                out.check(&at.f("httpStatus"), http_status(i64::from(*s)))
            }
            None => out.warn(&at, "abort configured, but without an error type"),
        }
    }
    if let Some(d) = &f.delay {
        let at = at.f("delay");
        if let Some(p) = &d.percentage {
            out.check(
                &at.f("percentage"),
                validate_percentage(p.value.unwrap_or(0.0)),
            );
        }
        match &d.http_delay_type {
            Some(DelayKind::FixedDelay(t)) => out.check(&at.f("fixedDelay"), validate_duration(t)),
            Some(DelayKind::ExponentialDelay(t)) => {
                out.check(&at.f("exponentialDelay"), validate_duration(t));
                out.err(
                    &at.f("exponentialDelay"),
                    "exponentialDelay is not supported yet",
                );
            }
            None => {}
        }
    }
}

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

const RETRY_ON: &[&str] = &[
    "5xx",
    "gateway-error",
    "reset",
    "reset-before-request",
    "connect-failure",
    "retriable-4xx",
    "refused-stream",
    "retriable-status-codes",
    "retriable-headers",
    "envoy-ratelimited",
    "http3-post-connect-failure",
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
];

/// Status codes Go's `http.StatusText` knows.
fn known_status(code: i64) -> bool {
    matches!(
        code,
        100..=103
            | 200..=208
            | 226
            | 300..=305
            | 307
            | 308
            | 400..=418
            | 421..=426
            | 428
            | 429
            | 431
            | 451
            | 500..=508
            | 510
            | 511
    )
}

fn retries(r: &HttpRetry, at: &Path, out: &mut Out) {
    let attempts = r.attempts.unwrap_or(0);
    if attempts < 0 {
        out.err(&at.f("attempts"), "attempts cannot be negative");
    }
    if attempts == 0
        && (r.per_try_timeout.is_some()
            || r.retry_on.as_deref().is_some_and(|s| !s.is_empty())
            || r.retry_remote_localities.is_some())
    {
        out.err(
            at,
            "a retry policy is configured but attempts is 0 (retries disabled)",
        );
    }
    if let Some(t) = &r.per_try_timeout {
        out.check(&at.f("perTryTimeout"), validate_duration(t));
    }
    if let Some(on) = r.retry_on.as_deref().filter(|s| !s.is_empty()) {
        for policy in on.split(',') {
            let status = policy.parse::<i64>().unwrap_or(0);
            if !known_status(status) && !RETRY_ON.contains(&policy) {
                out.err(
                    &at.f("retryOn"),
                    format!("{policy:?} is not a valid retryOn policy"),
                );
            }
        }
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

fn http_destinations(
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

fn l4_destinations(routes: &[RouteDestination], gateway_semantics: bool, at: &Path, out: &mut Out) {
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

fn tls_route(t: &TlsRoute, vs: &VirtualService, gateway_semantics: bool, at: &Path, out: &mut Out) {
    if t.r#match.is_empty() {
        out.err(&at.f("match"), "a TLS route needs at least one match");
    }
    let to_gateway = !vs.spec.gateways.is_empty() && !vs.spec.gateways.iter().any(|g| g == "mesh");
    for (j, m) in t.r#match.iter().enumerate() {
        tls_match(m, vs, to_gateway, &at.f("match").i(j), out);
    }
    if t.route.is_empty() {
        out.err(&at.f("route"), "a TLS route needs a destination");
    }
    l4_destinations(&t.route, gateway_semantics, &at.f("route"), out);
}

fn tls_match(
    m: &TlsMatchAttributes,
    vs: &VirtualService,
    to_gateway: bool,
    at: &Path,
    out: &mut Out,
) {
    if m.sni_hosts.is_empty() {
        out.err(&at.f("sniHosts"), "a TLS match needs at least one SNI host");
    }
    for (i, sni) in m.sni_hosts.iter().enumerate() {
        let sat_sni_hosts = at.f("sniHosts");
        let sat = sat_sni_hosts.i(i);
        let r = if to_gateway {
            validate_gateway_bound_domain(true, sni)
        } else {
            validate_wildcard_domain(sni)
        };
        if let Err(e) = r {
            if is_ip(sni) {
                out.warn(&sat, format!("an IP address ({sni:?}) as SNI goes against the SNI specification; most clients do not send it"));
            } else {
                out.err(&sat, e);
            }
            continue;
        }
        if !vs.spec.hosts.iter().any(|h| host::subset_of(sni, h)) {
            out.err(
                &sat,
                format!(
                    "SNI host {sni:?} is not covered by any of the VirtualService's hosts [{}]",
                    vs.spec.hosts.join(", ")
                ),
            );
        }
    }
    l4_common(
        &m.destination_subnets,
        m.port,
        &m.source_labels,
        &m.gateways,
        at,
        out,
    );
}

fn l4_common(
    subnets: &[String],
    port: Option<u32>,
    source_labels: &BTreeMap<String, String>,
    gateways: &[String],
    at: &Path,
    out: &mut Out,
) {
    for (i, s) in subnets.iter().enumerate() {
        out.check(&at.f("destinationSubnets").i(i), validate_ip_or_cidr(s));
    }
    if let Some(p) = port
        && p != 0
    {
        out.check(&at.f("port"), validate_port(i64::from(p)));
    }
    validate_labels(source_labels, &at.f("sourceLabels"), out);
    gateway_names(gateways, &at.f("gateways"), out);
}

fn tcp_route(t: &TcpRoute, gateway_semantics: bool, at: &Path, out: &mut Out) {
    for (j, m) in t.r#match.iter().enumerate() {
        tcp_match(m, &at.f("match").i(j), out);
    }
    if t.route.is_empty() {
        out.err(&at.f("route"), "a TCP route needs a destination");
    }
    l4_destinations(&t.route, gateway_semantics, &at.f("route"), out);
}

fn tcp_match(m: &L4MatchAttributes, at: &Path, out: &mut Out) {
    l4_common(
        &m.destination_subnets,
        m.port,
        &m.source_labels,
        &m.gateways,
        at,
        out,
    );
}

fn l4_key(m: &L4MatchAttributes) -> String {
    serde_json::to_string(m).unwrap_or_default()
}

fn tls_key(m: &TlsMatchAttributes) -> String {
    serde_json::to_string(m).unwrap_or_default()
}

fn route_name(h: &HttpRoute, i: usize) -> String {
    match h.name.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => format!("{n:?}"),
        None => format!("#{i}"),
    }
}

fn match_name(m: &HttpMatchRequest, j: usize) -> String {
    match m.name.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => format!("{n:?}"),
        None => format!("#{j}"),
    }
}

fn exact_or_prefix(m: Option<&StringMatch>) -> String {
    match m {
        Some(StringMatch::Exact(s)) if !s.is_empty() => format!("exact:{s}"),
        Some(StringMatch::Prefix(s)) if !s.is_empty() => format!("prefix:{s}"),
        _ => String::new(),
    }
}

/// The parts of a prefix-URI match Istio compares to find matches that earlier ones cover.
struct PrefixMatch {
    /// Rule and match index, for the path and names of a report.
    rule: usize,
    index: usize,
    prefix: String,
    port: u32,
    method: String,
    authority: String,
    headers: BTreeMap<String, String>,
    query: BTreeMap<String, String>,
    without: BTreeMap<String, String>,
}

fn covers(a: &PrefixMatch, b: &PrefixMatch) -> bool {
    let sub = |x: &str, y: &str| x == y || x.starts_with(y);
    let maps = |x: &BTreeMap<String, String>, y: &BTreeMap<String, String>| {
        x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| sub(v, w)))
    };
    b.prefix.starts_with(&a.prefix)
        && a.port == b.port
        && sub(&a.method, &b.method)
        && sub(&a.authority, &b.authority)
        && maps(&a.headers, &b.headers)
        && maps(&a.query, &b.query)
        && maps(&a.without, &b.without)
}

/// Istio's warnings about HTTP rules that can never match.
fn unreachable_http(routes: &[HttpRoute], at: &Path, out: &mut Out) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut empty_seen = false;
    let mut prefixes: Vec<PrefixMatch> = Vec::new();
    for (i, r) in routes.iter().enumerate() {
        let rat = at.i(i);
        if r.r#match.is_empty() {
            if empty_seen {
                out.warn_code(
                    UNREACHABLE.0,
                    UNREACHABLE.1,
                    &rat,
                    format!(
                        "rule {} is never used: only the last rule can have no matches",
                        route_name(r, i)
                    ),
                );
            }
            empty_seen = true;
            continue;
        }
        let mut duplicates = 0;
        for (j, m) in r.r#match.iter().enumerate() {
            let mut key_match = m.clone();
            key_match.name = None;
            let key = serde_json::to_string(&key_match).unwrap_or_default();
            if let Some(&first) = seen.get(&key) {
                out.warn_code(
                    INEFFECTIVE.0,
                    INEFFECTIVE.1,
                    &rat.f("match").i(j),
                    format!(
                        "match {} of rule {} is never used: rule {} has the same match",
                        match_name(m, j),
                        route_name(r, i),
                        route_name(&routes[first], first)
                    ),
                );
                duplicates += 1;
                continue;
            }
            seen.insert(key, i);
            if let Some(StringMatch::Prefix(p)) = &m.uri
                && !p.is_empty()
            {
                let method = match exact_or_prefix(m.method.as_ref()) {
                    s if s.is_empty() => "exact:GET".to_string(),
                    s => s,
                };
                let map = |x: &BTreeMap<String, StringMatch>| -> BTreeMap<String, String> {
                    x.iter()
                        .map(|(k, v)| (k.clone(), exact_or_prefix(Some(v))))
                        .collect()
                };
                prefixes.push(PrefixMatch {
                    rule: i,
                    index: j,
                    prefix: p.clone(),
                    port: m.port.unwrap_or(0),
                    method,
                    authority: exact_or_prefix(m.authority.as_ref()),
                    headers: map(&m.headers),
                    query: map(&m.query_params),
                    without: map(&m.without_headers),
                });
            }
        }
        if duplicates == r.r#match.len() {
            out.warn_code(
                UNREACHABLE.0,
                UNREACHABLE.1,
                &rat,
                format!(
                    "rule {} is never used: earlier rules have all its matches",
                    route_name(r, i)
                ),
            );
        }
    }
    for (a_i, a) in prefixes.iter().enumerate() {
        for b in &prefixes[a_i + 1..] {
            if b.prefix != a.prefix && covers(a, b) {
                let names = |p: &PrefixMatch| {
                    let rule = &routes[p.rule];
                    (
                        route_name(rule, p.rule),
                        match_name(&rule.r#match[p.index], p.index),
                    )
                };
                let ((a_route, a_name), (b_route, b_name)) = (names(a), names(b));
                out.warn_code(
                    INEFFECTIVE.0,
                    INEFFECTIVE.1,
                    &at.i(b.rule).f("match").i(b.index),
                    format!(
                        "match {b_name} (prefix {}) of rule {b_route} is never used: match {a_name} (prefix {}) of rule {a_route} comes first and covers it",
                        b.prefix, a.prefix
                    ),
                );
            }
        }
    }
}

/// The same warnings for TCP and TLS rules, given each rule's match keys.
fn unreachable_l4(rules: Vec<Vec<String>>, at: &Path, out: &mut Out) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut empty_seen = false;
    for (i, matches) in rules.iter().enumerate() {
        if matches.is_empty() {
            if empty_seen {
                out.warn_code(
                    UNREACHABLE.0,
                    UNREACHABLE.1,
                    &at.i(i),
                    format!("rule #{i} is never used: only the last rule can have no matches"),
                );
            }
            empty_seen = true;
            continue;
        }
        let mut duplicates = 0;
        for (j, key) in matches.iter().enumerate() {
            if let Some(first) = seen.get(key) {
                out.warn_code(
                    INEFFECTIVE.0,
                    INEFFECTIVE.1,
                    &at.i(i).f("match").i(j),
                    format!(
                        "match #{j} of rule #{i} is never used: rule #{first} has the same match"
                    ),
                );
                duplicates += 1;
            } else {
                seen.insert(key.clone(), i);
            }
        }
        if duplicates == matches.len() {
            out.warn_code(
                UNREACHABLE.0,
                UNREACHABLE.1,
                &at.i(i),
                format!("rule #{i} is never used: earlier rules have all its matches"),
            );
        }
    }
}

//! Policies of an HTTP route: header operations, CORS, fault injection and retries.

use std::collections::BTreeMap;

use istio_types::networking::v1::{
    AbortError, CorsPolicy, DelayKind, HeaderOperations, Headers, HttpFaultInjection, HttpRetry,
    StringMatch,
};

use super::matches::match_text;
use crate::validate::common::*;
use crate::validate::{Out, Path};

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

pub(super) fn header_operations(h: Option<&Headers>, at: &Path, out: &mut Out) {
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

pub(super) fn cors(c: &CorsPolicy, at: &Path, out: &mut Out) {
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

pub(super) fn http_status(s: i64) -> Result<(), String> {
    if !(200..=600).contains(&s) {
        return Err(format!("HTTP status {s} is not in the range 200-599"));
    }
    Ok(())
}

pub(super) fn fault(f: &HttpFaultInjection, at: &Path, out: &mut Out) {
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

pub(super) fn retries(r: &HttpRetry, at: &Path, out: &mut Out) {
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

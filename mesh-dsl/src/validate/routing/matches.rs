//! HTTP match requests and string matches.

use istio_types::networking::v1::{HttpMatchRequest, StringMatch};

use crate::validate::common::*;
use crate::validate::{Out, Path};

/// The text a string match carries, if any.
pub(super) fn match_text(m: &StringMatch) -> Option<&str> {
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

pub(super) fn http_match(m: &HttpMatchRequest, at: &Path, out: &mut Out) {
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

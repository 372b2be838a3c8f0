//! Rules and matches that can never apply (the webhook's warnings IST0130 and IST0131).

use std::collections::BTreeMap;

use istio_types::networking::v1::{
    HttpMatchRequest, HttpRoute, L4MatchAttributes, StringMatch, TlsMatchAttributes,
};

use super::{INEFFECTIVE, UNREACHABLE};
use crate::validate::{Out, Path};

pub(super) fn l4_key(m: &L4MatchAttributes) -> String {
    serde_json::to_string(m).unwrap_or_default()
}

pub(super) fn tls_key(m: &TlsMatchAttributes) -> String {
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
pub(super) fn unreachable_http(routes: &[HttpRoute], at: &Path, out: &mut Out) {
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
pub(super) fn unreachable_l4(rules: Vec<Vec<String>>, at: &Path, out: &mut Out) {
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

//! Schema findings: IST0106 for objects of Istio kinds that do not decode, and the
//! VirtualService rule checks Istio's validation reports as warnings (IST0130, IST0131).

use std::collections::{BTreeMap, HashMap};

use istio_types::networking::v1::{HttpMatchRequest, HttpRoute, StringMatch};
use istio_types::{IstioResource, KindMatch};
use serde::Serialize;

use super::index::Index;
use super::messages::{SCHEMA_VALIDATION_ERROR, VS_INEFFECTIVE_MATCH, VS_UNREACHABLE_RULE};
use crate::diag::Diagnostic;
use crate::resources::Resource;

/// `schema.ValidationAnalyzer`: IST0106 for objects kept as JSON whose kind is an Istio
/// kind (or in an Istio API group) but that do not decode strictly. Documents read with
/// [`super::load_stream`] are checked while reading instead.
pub(crate) fn validation(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for r in &idx.all {
        let Resource::Other(v) = r else { continue };
        if IstioResource::classify(r.api_version(), r.kind()) == KindMatch::NotIstio {
            continue;
        }
        if let Err(errs) = IstioResource::from_value(v) {
            for e in errs {
                let mut d = SCHEMA_VALIDATION_ERROR.on(r, e.kind.to_string());
                if !e.path.is_root() {
                    d = d.at(e.path.to_string());
                }
                out.push(d);
            }
        }
    }
}

fn json_key<T: Serialize>(x: &T) -> String {
    serde_json::to_string(x).unwrap_or_default()
}

fn route_name(r: &HttpRoute, n: usize) -> String {
    match r.name.as_deref().filter(|s| !s.is_empty()) {
        Some(name) => format!("{name:?}"),
        None => format!("#{n}"),
    }
}

fn request_name(m: &HttpMatchRequest, n: usize) -> String {
    match m.name.as_deref().filter(|s| !s.is_empty()) {
        Some(name) => format!("{name:?}"),
        None => format!("#{n}"),
    }
}

/// `exact:` / `prefix:` form of a string match (empty for regex or none).
fn exact_or_prefix(m: Option<&StringMatch>) -> String {
    match m {
        Some(StringMatch::Exact(s)) if !s.is_empty() => format!("exact:{s}"),
        Some(StringMatch::Prefix(s)) if !s.is_empty() => format!("prefix:{s}"),
        _ => String::new(),
    }
}

/// A prefix match, for the overlap check.
struct PrefixMatch {
    route: String,
    matchn: String,
    prefix: String,
    port: u32,
    method: String,
    authority: String,
    headers: BTreeMap<String, String>,
    query: BTreeMap<String, String>,
    without: BTreeMap<String, String>,
}

fn prefix_match(
    route: &HttpRoute,
    m: &HttpMatchRequest,
    rulen: usize,
    matchn: usize,
) -> Option<PrefixMatch> {
    let Some(StringMatch::Prefix(prefix)) = &m.uri else {
        return None;
    };
    if prefix.is_empty() {
        return None;
    }
    let mut method = exact_or_prefix(m.method.as_ref());
    if method.is_empty() {
        method = "exact:GET".into();
    }
    let map = |x: &BTreeMap<String, StringMatch>| -> BTreeMap<String, String> {
        x.iter()
            .map(|(k, v)| (k.clone(), exact_or_prefix(Some(v))))
            .collect()
    };
    Some(PrefixMatch {
        route: route_name(route, rulen),
        matchn: request_name(m, matchn),
        prefix: prefix.clone(),
        port: m.port.unwrap_or(0),
        method,
        authority: exact_or_prefix(m.authority.as_ref()),
        headers: map(&m.headers),
        query: map(&m.query_params),
        without: map(&m.without_headers),
    })
}

/// Whether `a`'s values cover `b`'s (equal, or `a`'s starts with `b`'s).
fn map_covered(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> bool {
    a.len() == b.len()
        && a.iter().all(|(k, v)| {
            b.get(k)
                .is_some_and(|bv| v == bv || v.starts_with(bv.as_str()))
        })
}

/// Istio's `coveredValidation`: whether the earlier prefix match `a` covers the later `b`.
fn covered(a: &PrefixMatch, b: &PrefixMatch) -> bool {
    b.prefix.starts_with(a.prefix.as_str())
        && a.port == b.port
        && (a.method == b.method || a.method.starts_with(b.method.as_str()))
        && (a.authority == b.authority || a.authority.starts_with(b.authority.as_str()))
        && map_covered(&a.headers, &b.headers)
        && map_covered(&a.query, &b.query)
        && map_covered(&a.without, &b.without)
}

/// What the unreachable-rule analysis found.
enum Finding {
    /// Rule `rule` (index `rulen`) is never used.
    Unused {
        rule: String,
        reason: &'static str,
        rulen: usize,
    },
    /// Match `matchn` of rule `rule` repeats one of rule `dup`.
    Ineffective {
        rule: String,
        matchn: String,
        dup: String,
        rulen: usize,
        mi: usize,
    },
}

/// Istio's unreachable-rule analysis of one list of routes, given each route's match keys
/// (serialized matches), rule names and match names.
fn unreachable<R>(
    routes: &[R],
    matches_of: impl Fn(&R) -> Vec<String>,
    names: impl Fn(&R, usize) -> String,
    match_names: impl Fn(&R, usize) -> String,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut empty_at: Option<usize> = None;
    for (rulen, route) in routes.iter().enumerate() {
        let keys = matches_of(route);
        if keys.is_empty() {
            if empty_at.is_some() {
                out.push(Finding::Unused {
                    rule: names(route, rulen),
                    reason: "only the last rule can have no matches",
                    rulen,
                });
            }
            empty_at = Some(rulen);
            continue;
        }
        let mut dups = 0;
        for (matchn, key) in keys.iter().enumerate() {
            if empty_at.is_some() {
                out.push(Finding::Unused {
                    rule: names(route, rulen),
                    reason: "a rule without matches comes before it",
                    rulen,
                });
                continue;
            }
            match seen.get(key) {
                Some(&dupn) => {
                    out.push(Finding::Ineffective {
                        rule: names(route, rulen),
                        matchn: match_names(route, matchn),
                        dup: routes.get(dupn).map(|r| names(r, dupn)).unwrap_or_default(),
                        rulen,
                        mi: matchn,
                    });
                    dups += 1;
                }
                None => {
                    seen.insert(key.clone(), rulen);
                }
            }
        }
        if dups == keys.len() {
            out.push(Finding::Unused {
                rule: names(route, rulen),
                reason: "all its matches are used by earlier rules",
                rulen,
            });
        }
    }
    out
}

/// IST0130 / IST0131: VirtualService rules that can never be used and matches that repeat
/// (or are covered by) an earlier one, as Istio's validation warns.
pub(crate) fn virtual_service_matches(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for vs in &idx.virtual_services {
        let spec = &vs.obj.spec;
        let res = vs.res;
        let http = unreachable(
            &spec.http,
            |r| {
                r.r#match
                    .iter()
                    .map(|m| {
                        let mut m = m.clone();
                        m.name = None;
                        json_key(&m)
                    })
                    .collect()
            },
            route_name,
            |r, n| {
                r.r#match
                    .get(n)
                    .map(|m| request_name(m, n))
                    .unwrap_or_default()
            },
        );
        let tcp = unreachable(
            &spec.tcp,
            |r| r.r#match.iter().map(json_key).collect(),
            |_, n| format!("#{n}"),
            |_, n| format!("#{n}"),
        );
        let tls = unreachable(
            &spec.tls,
            |r| r.r#match.iter().map(json_key).collect(),
            |_, n| format!("#{n}"),
            |_, n| format!("#{n}"),
        );
        for (kind, findings) in [("http", http), ("tcp", tcp), ("tls", tls)] {
            for f in findings {
                out.push(match f {
                    Finding::Unused { rule, reason, rulen } => VS_UNREACHABLE_RULE
                        .on(res, format!("VirtualService rule {rule} is never used ({reason})"))
                        .at(format!("spec.{kind}[{rulen}]"))
                        .hint("remove the rule, or move it before the rule that shadows it"),
                    Finding::Ineffective { rule, matchn, dup, rulen, mi } => VS_INEFFECTIVE_MATCH
                        .on(
                            res,
                            format!(
                                "VirtualService rule {rule} match {matchn} is never used (it repeats a match of rule {dup})"
                            ),
                        )
                        .at(format!("spec.{kind}[{rulen}].match[{mi}]")),
                });
            }
        }
        // Prefix matches covered by an earlier, shorter prefix with the same conditions.
        let mut prefixes: Vec<(usize, usize, PrefixMatch)> = Vec::new();
        let mut seen: HashMap<String, ()> = HashMap::new();
        let mut empty_seen = false;
        for (rulen, route) in spec.http.iter().enumerate() {
            if route.r#match.is_empty() {
                empty_seen = true;
                continue;
            }
            if empty_seen {
                continue;
            }
            for (matchn, m) in route.r#match.iter().enumerate() {
                let mut key = m.clone();
                key.name = None;
                if seen.insert(json_key(&key), ()).is_some() {
                    continue;
                }
                if let Some(p) = prefix_match(route, m, rulen, matchn) {
                    prefixes.push((rulen, matchn, p));
                }
            }
        }
        for (i, (_, _, a)) in prefixes.iter().enumerate() {
            for (rulen, matchn, b) in prefixes.iter().skip(i + 1) {
                if b.prefix == a.prefix {
                    continue;
                }
                if covered(a, b) {
                    out.push(
                        VS_INEFFECTIVE_MATCH
                            .on(
                                res,
                                format!(
                                    "VirtualService rule {} match {} of prefix {} is never used (covered by match {} of prefix {} on rule {})",
                                    b.route, b.matchn, b.prefix, a.matchn, a.prefix, a.route
                                ),
                            )
                            .at(format!("spec.http[{rulen}].match[{matchn}]")),
                    );
                }
            }
        }
    }
}

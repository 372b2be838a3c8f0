//! Path and authority rewrites of a forwarded request, and the query string carried over
//! to rewritten and redirected paths.

use std::collections::BTreeMap;

use super::ctx::Ctx;
use super::entries::Flat;
use crate::simulate::decision::{Rewrite, Stage};
use crate::simulate::matching::Matcher;
use crate::simulate::request::Request;

/// `path` with the request's query string, when it has one.
pub(super) fn with_query(path: &str, req: &Request) -> String {
    match req.full_path().split_once('?') {
        Some((_, q)) => format!("{path}?{q}"),
        None => path.to_string(),
    }
}

/// The rewrites of the matched route: `uriRegexRewrite` or `uri` for the path, the
/// rewrite's `authority` or a `Host` header set by the route for the authority.
pub(super) fn rewrite(req: &Request, f: &Flat<'_>, ctx: &mut Ctx) -> Option<Rewrite> {
    let http = &f.route.http;
    let header_authority = http
        .headers
        .as_ref()
        .and_then(|h| h.request.as_ref())
        .and_then(|r| {
            let find = |m: &BTreeMap<String, String>| {
                m.iter()
                    .find(|(k, _)| {
                        k.eq_ignore_ascii_case("host") || k.eq_ignore_ascii_case(":authority")
                    })
                    .map(|(_, v)| v.clone())
            };
            find(&r.set).or_else(|| find(&r.add))
        });
    let rw = http.rewrite.as_ref();
    let authority = rw.and_then(|r| r.authority.clone()).or(header_authority);
    let path = rw.and_then(|r| {
        if let Some(rr) = &r.uri_regex_rewrite {
            let pattern = rr.r#match.clone().unwrap_or_default();
            let sub = rr.rewrite.clone().unwrap_or_default();
            match regex_rewrite(&pattern, &sub, &req.path) {
                Ok(p) => Some(with_query(&p, req)),
                Err(e) => {
                    ctx.warnings
                        .push(format!("uriRegexRewrite {pattern:?} does not compile: {e}"));
                    None
                }
            }
        } else {
            r.uri.as_ref().map(|u| {
                // The matched part is swapped: the prefix for a prefix match, the whole
                // path for an exact or regex match, `/` when the block has no uri.
                let rest = match f.m.and_then(|m| m.uri.as_ref()) {
                    Some(Matcher::Prefix(p)) => req.path.get(p.len()..).unwrap_or(""),
                    Some(_) => "",
                    None => req.path.get(1..).unwrap_or(""),
                };
                with_query(&format!("{u}{rest}"), req)
            })
        }
    });
    if path.is_none() && authority.is_none() {
        return None;
    }
    if let Some(p) = &path {
        ctx.step(Stage::Route, format!("the path is rewritten to {p}"), None);
    }
    if let Some(a) = &authority {
        ctx.step(
            Stage::Route,
            format!("the authority is rewritten to {a}"),
            None,
        );
    }
    Some(Rewrite { path, authority })
}

/// RE2 `GlobalReplace` over the path: every match replaced, `\1` naming groups.
fn regex_rewrite(pattern: &str, substitution: &str, path: &str) -> Result<String, String> {
    let re = crate::simulate::re2::compile(pattern, false)?;
    let mut rep = String::new();
    let mut chars = substitution.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek().copied() {
                Some(d) if d.is_ascii_digit() => {
                    chars.next();
                    rep.push_str(&format!("${{{d}}}"));
                }
                Some('\\') => {
                    chars.next();
                    rep.push('\\');
                }
                _ => rep.push('\\'),
            },
            '$' => rep.push_str("$$"),
            c => rep.push(c),
        }
    }
    let out = re.replace_all(path.as_bytes(), rep.as_bytes());
    Ok(String::from_utf8_lossy(&out).into_owned())
}

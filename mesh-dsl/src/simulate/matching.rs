//! Istio's HTTP match conditions, compiled once and evaluated per request the way Envoy
//! evaluates the route Istio generates from them.

use std::collections::BTreeMap;

use istio_types::networking::v1::{HttpMatchRequest, StringMatch};

use super::decision::{Mismatch, fmt_labels};
use super::hosts;
use super::request::Request;

/// A compiled `StringMatch`.
#[derive(Clone, Debug)]
pub(crate) enum Matcher {
    /// `{}` or `regex: "*"`: Istio turns both into "the value is present".
    Present,
    /// `exact`.
    Exact(String),
    /// `prefix`.
    Prefix(String),
    /// `regex`: RE2 syntax, matched against the whole value. `None` when the pattern does
    /// not compile (Istio's validation rejects such a resource; here it never matches).
    Regex(String, Option<::regex::bytes::Regex>),
}

/// Compiles a regular expression as Envoy matches it: RE2 syntax (judged with Go's rules,
/// like Istio), anchored at both ends; see [`super::re2`].
pub(crate) fn compile_regex(pattern: &str) -> Result<::regex::bytes::Regex, String> {
    super::re2::compile(pattern, true)
}

impl Matcher {
    pub(crate) fn compile(m: &StringMatch, warnings: &mut Vec<String>, at: &str) -> Self {
        match m {
            StringMatch::Any => Self::Present,
            StringMatch::Regex(r) if r == "*" => Self::Present,
            StringMatch::Exact(s) => Self::Exact(s.clone()),
            StringMatch::Prefix(s) => Self::Prefix(s.clone()),
            StringMatch::Regex(r) => match compile_regex(r) {
                Ok(re) => Self::Regex(r.clone(), Some(re)),
                Err(e) => {
                    warnings.push(format!(
                        "{at}: regex {r:?} does not compile ({e}); Istio rejects it, here it never matches"
                    ));
                    Self::Regex(r.clone(), None)
                }
            },
            // `StringMatch` may gain choices; an unknown one never matches.
            #[allow(unreachable_patterns)]
            _ => Self::Regex(String::new(), None),
        }
    }

    /// Whether a present value matches; `ignore_case` folds ASCII case (URI only).
    pub(crate) fn matches_value(&self, value: &str, ignore_case: bool) -> bool {
        match self {
            Self::Present => true,
            Self::Exact(e) if ignore_case => value.eq_ignore_ascii_case(e),
            Self::Exact(e) => value == e,
            Self::Prefix(p) if ignore_case => {
                value.len() >= p.len()
                    && value.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
            }
            Self::Prefix(p) => value.starts_with(p.as_str()),
            Self::Regex(_, Some(re)) => re.is_match(value.as_bytes()),
            Self::Regex(_, None) => false,
        }
    }

    /// A header-style check: an absent value matches nothing.
    pub(crate) fn matches(&self, value: Option<&str>) -> bool {
        value.is_some_and(|v| self.matches_value(v, false))
    }

    /// How Istio reads it, for traces.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Present => "present".into(),
            Self::Exact(s) => format!("exact {s:?}"),
            Self::Prefix(s) => format!("prefix {s:?}"),
            Self::Regex(r, Some(_)) => format!("regex {r:?}"),
            Self::Regex(r, None) => format!("regex {r:?} (invalid)"),
        }
    }

    /// Getters with Go's zero-value semantics, for the delegate conflict rules.
    pub(crate) fn exact(m: &StringMatch) -> &str {
        match m {
            StringMatch::Exact(s) => s,
            _ => "",
        }
    }
    pub(crate) fn prefix(m: &StringMatch) -> &str {
        match m {
            StringMatch::Prefix(s) => s,
            _ => "",
        }
    }
    pub(crate) fn regex(m: &StringMatch) -> &str {
        match m {
            StringMatch::Regex(s) => s,
            _ => "",
        }
    }
}

/// One compiled match block (`HTTPMatchRequest`): every condition in it must hold.
#[derive(Clone, Debug)]
pub(crate) struct CompiledMatch {
    pub(crate) index: usize,
    pub(crate) name: Option<String>,
    pub(crate) uri: Option<Matcher>,
    pub(crate) ignore_uri_case: bool,
    pub(crate) scheme: Option<Matcher>,
    pub(crate) method: Option<Matcher>,
    pub(crate) authority: Option<Matcher>,
    pub(crate) headers: Vec<(String, Matcher)>,
    pub(crate) without_headers: Vec<(String, Matcher)>,
    pub(crate) query_params: Vec<(String, Matcher)>,
    pub(crate) port: Option<u32>,
    pub(crate) source_labels: BTreeMap<String, String>,
    pub(crate) source_namespace: Option<String>,
    /// Resolved to `namespace/name` (or `mesh`).
    pub(crate) gateways: Vec<String>,
}

/// The prefix Istio reserves for matching JWT claims through `headers`.
const CLAIM_PREFIX: &str = "@request.auth.claims";

impl CompiledMatch {
    pub(crate) fn compile(
        m: &HttpMatchRequest,
        index: usize,
        vs_namespace: &str,
        warnings: &mut Vec<String>,
        at: &str,
    ) -> Self {
        let c = |s: &StringMatch, w: &mut Vec<String>| Matcher::compile(s, w, at);
        let map = |src: &BTreeMap<String, StringMatch>, w: &mut Vec<String>| {
            src.iter()
                .map(|(k, v)| {
                    let key = if k.starts_with('@') {
                        k.clone()
                    } else {
                        k.to_ascii_lowercase()
                    };
                    (key, c(v, w))
                })
                .collect::<Vec<_>>()
        };
        Self {
            index,
            name: m.name.clone(),
            uri: m.uri.as_ref().map(|s| c(s, warnings)),
            ignore_uri_case: m.ignore_uri_case.unwrap_or(false),
            scheme: m.scheme.as_ref().map(|s| c(s, warnings)),
            method: m.method.as_ref().map(|s| c(s, warnings)),
            authority: m.authority.as_ref().map(|s| c(s, warnings)),
            headers: map(&m.headers, warnings),
            without_headers: map(&m.without_headers, warnings),
            query_params: m
                .query_params
                .iter()
                .map(|(k, v)| (k.clone(), c(v, warnings)))
                .collect(),
            port: m.port.filter(|&p| p != 0),
            source_labels: m.source_labels.clone(),
            source_namespace: m.source_namespace.clone().filter(|s| !s.is_empty()),
            gateways: m
                .gateways
                .iter()
                .map(|g| hosts::resolve_gateway(g, vs_namespace))
                .collect(),
        }
    }

    /// The conditions Istio applies when it builds a proxy's routes, not per request: a
    /// block whose `port`, `gateways` or source conditions do not fit the proxy is left
    /// out of its configuration. With `gateways` set, the source conditions are not
    /// looked at (as in Istio).
    pub(crate) fn excluded(
        &self,
        listen_port: u32,
        gateway: &str,
        proxy_labels: &BTreeMap<String, String>,
        proxy_ns: &str,
    ) -> Option<Mismatch> {
        if let Some(p) = self.port
            && p != listen_port
        {
            return Some(Mismatch::new(
                "port",
                p.to_string(),
                Some(listen_port.to_string()),
            ));
        }
        if !self.gateways.is_empty() {
            if self.gateways.iter().any(|g| g == gateway) {
                return None;
            }
            return Some(Mismatch::new(
                "gateways",
                self.gateways.join(", "),
                Some(gateway.to_string()),
            ));
        }
        let labels_ok = self
            .source_labels
            .iter()
            .all(|(k, v)| proxy_labels.get(k) == Some(v));
        if !labels_ok {
            return Some(Mismatch::new(
                "sourceLabels",
                fmt_labels(&self.source_labels),
                Some(fmt_labels(proxy_labels)),
            ));
        }
        if let Some(ns) = &self.source_namespace
            && ns != proxy_ns
        {
            return Some(Mismatch::new(
                "sourceNamespace",
                ns.clone(),
                Some(proxy_ns.to_string()),
            ));
        }
        None
    }

    /// Whether Envoy treats the route from this block as matching every request (Istio
    /// moves such routes after the others when it merges VirtualServices on a gateway).
    pub(crate) fn is_catch_all(&self) -> bool {
        let path_all = match &self.uri {
            None => true,
            Some(Matcher::Prefix(p)) => p == "/",
            Some(Matcher::Regex(r, _)) => r == ".*",
            Some(_) => false,
        };
        path_all
            && self.headers.is_empty()
            && self.without_headers.is_empty()
            && self.query_params.is_empty()
            && self.method.is_none()
            && self.authority.is_none()
            && self.scheme.is_none()
    }

    /// Checks the request-dependent conditions; the first one that fails is returned.
    pub(crate) fn check(&self, req: &Request) -> Result<(), Mismatch> {
        if let Some(uri) = &self.uri {
            // Envoy's `case_sensitive: false` does not apply to regex paths.
            if !uri.matches_value(&req.path, self.ignore_uri_case) {
                let mut expected = uri.describe();
                if self.ignore_uri_case && !matches!(uri, Matcher::Regex(..)) {
                    expected.push_str(" (ignoring case)");
                }
                return Err(Mismatch::new("uri", expected, Some(req.path.clone())));
            }
        }
        if let Some(m) = &self.scheme
            && !m.matches(Some(&req.scheme))
        {
            return Err(Mismatch::new(
                "scheme",
                m.describe(),
                Some(req.scheme.clone()),
            ));
        }
        if let Some(m) = &self.method
            && !m.matches(Some(&req.method))
        {
            return Err(Mismatch::new(
                "method",
                m.describe(),
                Some(req.method.clone()),
            ));
        }
        if let Some(m) = &self.authority {
            let a = req.authority();
            if !m.matches(Some(&a)) {
                return Err(Mismatch::new("authority", m.describe(), Some(a)));
            }
        }
        for (name, m) in &self.headers {
            if name.starts_with(CLAIM_PREFIX) {
                return Err(Mismatch::new(
                    format!("headers[{name}]"),
                    format!("{} (JWT claim routing is not simulated)", m.describe()),
                    None,
                ));
            }
            let v = req.headers.get(name).map(String::as_str);
            if !m.matches(v) {
                return Err(Mismatch::new(
                    format!("headers[{name}]"),
                    m.describe(),
                    v.map(String::from),
                ));
            }
        }
        for (name, m) in &self.without_headers {
            if name.starts_with(CLAIM_PREFIX) {
                return Err(Mismatch::new(
                    format!("withoutHeaders[{name}]"),
                    format!("not {} (JWT claim routing is not simulated)", m.describe()),
                    None,
                ));
            }
            let v = req.headers.get(name).map(String::as_str);
            // Inverted; a missing header counts as empty unless the condition is "present".
            let hit = match m {
                Matcher::Present => v.is_some(),
                _ => m.matches_value(v.unwrap_or(""), false),
            };
            if hit {
                return Err(Mismatch::new(
                    format!("withoutHeaders[{name}]"),
                    format!("not {}", m.describe()),
                    v.map(String::from),
                ));
            }
        }
        for (name, m) in &self.query_params {
            let v = req.query.get(name).map(String::as_str);
            if !m.matches(v) {
                return Err(Mismatch::new(
                    format!("queryParams[{name}]"),
                    m.describe(),
                    v.map(String::from),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_is_anchored_and_ascii_like_re2() {
        let re = compile_regex(r"/api/v\d+").unwrap();
        assert!(re.is_match(b"/api/v12"));
        assert!(!re.is_match(b"/api/v12/x"));
        assert!(!re.is_match(b"x/api/v1"));
        assert!(compile_regex("a)|(b").is_err());
        assert!(compile_regex(r"(a)\1").is_err(), "no backreferences in RE2");
        // Non-ASCII literals are matched by their UTF-8 bytes.
        assert!(
            compile_regex("caf\u{e9}.*")
                .unwrap()
                .is_match("caf\u{e9}s".as_bytes())
        );
        // \d is ASCII-only, as in RE2.
        assert!(!compile_regex(r"\d").unwrap().is_match("\u{663}".as_bytes()));
    }

    #[test]
    fn string_matches() {
        let mut w = Vec::new();
        let p = Matcher::compile(&StringMatch::Prefix("/A".into()), &mut w, "");
        assert!(p.matches_value("/a/b", true));
        assert!(!p.matches_value("/a/b", false));
        assert!(Matcher::compile(&StringMatch::Regex("*".into()), &mut w, "").matches(Some("")));
        assert!(!Matcher::compile(&StringMatch::Any, &mut w, "").matches(None));
        let bad = Matcher::compile(&StringMatch::Regex("(".into()), &mut w, "here");
        assert!(!bad.matches(Some("(")));
        assert_eq!(w.len(), 1);
    }
}

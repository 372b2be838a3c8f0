//! Delegate VirtualServices: a root route with `delegate` is replaced by the delegate's
//! routes, each merged with the root route the way Istio merges them (conditions of the
//! delegate must fall inside the root's, unset fields are inherited from the root).

use istio_types::networking::v1::{HttpMatchRequest, HttpRoute, StringMatch};

use super::matching::Matcher;

/// Merges a root route with one delegate route; `None` when their conditions conflict
/// (Istio drops such a delegate route).
pub(crate) fn merge_route(root: &HttpRoute, delegate: &HttpRoute) -> Option<HttpRoute> {
    let matches = merge_matches(&root.r#match, &delegate.r#match)?;
    let mut out = delegate.clone();
    out.r#match = matches;
    out.name = match (&root.name, &delegate.name) {
        (r, None) => r.clone(),
        (Some(r), Some(d)) if !r.is_empty() => Some(format!("{r}-{d}")),
        (_, d) => d.clone(),
    };
    macro_rules! inherit {
        ($($f:ident),*) => {$(
            if out.$f.is_none() {
                out.$f = root.$f.clone();
            }
        )*};
    }
    inherit!(
        rewrite,
        timeout,
        retries,
        fault,
        mirror,
        mirror_percent,
        mirror_percentage,
        cors_policy,
        headers
    );
    if out.deprecated_mirror_percent.is_none() {
        out.deprecated_mirror_percent = root.deprecated_mirror_percent;
    }
    out.delegate = None;
    Some(out)
}

/// Every delegate block must fit inside at least one root block; each fitting pair gives
/// a merged block. `None` on conflict.
fn merge_matches(
    root: &[HttpMatchRequest],
    delegate: &[HttpMatchRequest],
) -> Option<Vec<HttpMatchRequest>> {
    if root.is_empty() {
        return Some(delegate.to_vec());
    }
    if delegate.is_empty() {
        return Some(root.to_vec());
    }
    let mut out = Vec::new();
    for sub in delegate {
        let mut found = false;
        for r in root {
            if has_conflict(r, sub) {
                continue;
            }
            out.push(merge_match(r, sub));
            found = true;
        }
        if !found {
            return None;
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

fn merge_match(root: &HttpMatchRequest, delegate: &HttpMatchRequest) -> HttpMatchRequest {
    let mut out = delegate.clone();
    out.name = match (&root.name, &delegate.name) {
        (r, None) => r.clone(),
        (Some(r), Some(d)) if !r.is_empty() => Some(format!("{r}-{d}")),
        (_, d) => d.clone(),
    };
    if out.uri.is_none() {
        out.uri = root.uri.clone();
    }
    if out.scheme.is_none() {
        out.scheme = root.scheme.clone();
    }
    if out.method.is_none() {
        out.method = root.method.clone();
    }
    if out.authority.is_none() {
        out.authority = root.authority.clone();
    }
    // Delegate entries win over the root's for the same name.
    let mut headers = root.headers.clone();
    headers.extend(delegate.headers.clone());
    out.headers = headers;
    let mut without = root.without_headers.clone();
    without.extend(delegate.without_headers.clone());
    out.without_headers = without;
    let mut query = root.query_params.clone();
    query.extend(delegate.query_params.clone());
    out.query_params = query;
    if out.port.unwrap_or(0) == 0 {
        out.port = root.port;
    }
    let mut labels = root.source_labels.clone();
    labels.extend(delegate.source_labels.clone());
    out.source_labels = labels;
    if out.source_namespace.as_deref().unwrap_or("").is_empty() {
        out.source_namespace = root.source_namespace.clone();
    }
    if out.gateways.is_empty() {
        out.gateways = root.gateways.clone();
    }
    out
}

fn has_conflict(root: &HttpMatchRequest, leaf: &HttpMatchRequest) -> bool {
    let pairs = [
        (&root.uri, &leaf.uri),
        (&root.scheme, &leaf.scheme),
        (&root.method, &leaf.method),
        (&root.authority, &leaf.authority),
    ];
    if pairs
        .iter()
        .any(|(r, l)| string_match_conflict(r.as_ref(), l.as_ref()))
    {
        return true;
    }
    if leaf
        .headers
        .iter()
        .any(|(k, v)| string_match_conflict(root.headers.get(k), Some(v)))
    {
        return true;
    }
    if leaf
        .without_headers
        .iter()
        .any(|(k, v)| string_match_conflict(root.without_headers.get(k), Some(v)))
    {
        return true;
    }
    if leaf
        .query_params
        .iter()
        .any(|(k, v)| string_match_conflict(root.query_params.get(k), Some(v)))
    {
        return true;
    }
    if root.ignore_uri_case.unwrap_or(false) != leaf.ignore_uri_case.unwrap_or(false) {
        return true;
    }
    let (rp, lp) = (root.port.unwrap_or(0), leaf.port.unwrap_or(0));
    if rp > 0 && lp > 0 && rp != lp {
        return true;
    }
    let root_ns = root.source_namespace.as_deref().unwrap_or("");
    if !root_ns.is_empty() && leaf.source_namespace.as_deref().unwrap_or("") != root_ns {
        return true;
    }
    if leaf
        .source_labels
        .iter()
        .any(|(k, v)| root.source_labels.get(k).is_some_and(|rv| rv != v))
    {
        return true;
    }
    if !root.gateways.is_empty() && !leaf.gateways.is_empty() {
        if root.gateways.len() < leaf.gateways.len() {
            return true;
        }
        if leaf.gateways.iter().any(|g| !root.gateways.contains(g)) {
            return true;
        }
    }
    false
}

/// Istio's rule: no conflict when either side is unset; regexes conflict with anything;
/// an exact root needs the same exact leaf; a prefix root needs a leaf inside it; any
/// other combination (an empty `{}` root, for instance) conflicts.
fn string_match_conflict(root: Option<&StringMatch>, leaf: Option<&StringMatch>) -> bool {
    let (Some(root), Some(leaf)) = (root, leaf) else {
        return false;
    };
    let (re, rp, rx) = (
        Matcher::exact(root),
        Matcher::prefix(root),
        Matcher::regex(root),
    );
    let (le, lp, lx) = (
        Matcher::exact(leaf),
        Matcher::prefix(leaf),
        Matcher::regex(leaf),
    );
    if !rx.is_empty() && (!lx.is_empty() || !lp.is_empty() || !le.is_empty()) {
        return true;
    }
    if !lx.is_empty() && (!rx.is_empty() || !rp.is_empty() || !re.is_empty()) {
        return true;
    }
    if !re.is_empty() {
        return !lp.is_empty() || le != re;
    }
    if !rp.is_empty() {
        if !lp.is_empty() {
            return !lp.starts_with(rp);
        }
        if !le.is_empty() {
            return !le.starts_with(rp);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(m: StringMatch) -> HttpMatchRequest {
        HttpMatchRequest {
            uri: Some(m),
            ..Default::default()
        }
    }

    #[test]
    fn delegate_blocks_must_fit_inside_the_root() {
        let root = vec![uri(StringMatch::Prefix("/productpage".into()))];
        let inside = vec![uri(StringMatch::Exact("/productpage/v1".into()))];
        let outside = vec![uri(StringMatch::Prefix("/reviews".into()))];
        let merged = merge_matches(&root, &inside).unwrap();
        assert_eq!(
            merged[0].uri,
            Some(StringMatch::Exact("/productpage/v1".into()))
        );
        assert!(merge_matches(&root, &outside).is_none());
        assert!(string_match_conflict(
            Some(&StringMatch::Regex(".*".into())),
            Some(&StringMatch::Prefix("/".into()))
        ));
        assert!(!string_match_conflict(
            None,
            Some(&StringMatch::Prefix("/".into()))
        ));
    }

    #[test]
    fn unset_fields_are_inherited() {
        let root = HttpRoute {
            name: Some("root".into()),
            timeout: Some(istio_types::Duration::from_secs(3)),
            ..Default::default()
        };
        let leaf = HttpRoute {
            name: Some("leaf".into()),
            ..Default::default()
        };
        let m = merge_route(&root, &leaf).unwrap();
        assert_eq!(m.name.as_deref(), Some("root-leaf"));
        assert_eq!(m.timeout, Some(istio_types::Duration::from_secs(3)));
    }
}

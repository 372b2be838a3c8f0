//! Host names the way Istio compares them: short names qualified by a namespace, `*`
//! wildcards, gateway references, and `exportTo` visibility.

use crate::istio::host;

/// The export rules of VirtualServices, DestinationRules and ServiceEntries.
pub(crate) use crate::istio::export_to::Visibility;

/// The name a route uses for sidecars rather than for a gateway.
pub(crate) const MESH_GATEWAY: &str = "mesh";

/// Qualifies a host written in a resource of `namespace` ([`host::qualify`]), after
/// trimming and lowercasing it: Envoy matches domains case-insensitively, so the
/// simulator keeps every host in lower case.
pub(crate) fn qualify(host: &str, namespace: &str) -> String {
    host::qualify(&host.trim().to_ascii_lowercase(), namespace)
}

/// Whether `host` is a wildcard host (`*` or `*.example.com`).
pub(crate) fn is_wildcard(host: &str) -> bool {
    host::is_wildcard(host)
}

/// Whether a wildcard (or exact) `pattern` covers the concrete or wildcard `host`
/// ([`host::subset_of`] with the arguments swapped).
pub(crate) fn covers(pattern: &str, host: &str) -> bool {
    host::subset_of(host, pattern)
}

/// Istio's `Names.Intersection` ([`host::intersection`]).
pub(crate) fn intersect(a: &[String], b: &[String]) -> Vec<String> {
    host::intersection(a, b)
}

/// The wildcard keys that could cover `host`, most specific first: for `a.b.c` these are
/// `*.b.c`, `*.c` and `*`.
pub(crate) fn wildcard_keys(host: &str) -> impl Iterator<Item = String> + '_ {
    let concrete = host.strip_prefix('*').unwrap_or(host);
    concrete
        .char_indices()
        .filter(|&(i, c)| c == '.' && i + 1 < concrete.len())
        .map(move |(i, _)| format!("*{}", &concrete[i..]))
        .chain(std::iter::once("*".to_string()))
}

/// Resolves a gateway reference written in a VirtualService of `namespace` to
/// `namespace/name`, following Istio: `name` is in the same namespace, `./name` too,
/// `ns/name` is kept, and the old `name.ns.svc.cluster.local` form becomes `ns/name`.
/// `mesh` stays `mesh`.
pub(crate) fn resolve_gateway(reference: &str, namespace: &str) -> String {
    let g = reference.trim();
    if g == MESH_GATEWAY {
        return g.to_string();
    }
    match g.split_once('/') {
        Some((".", name)) => format!("{namespace}/{name}"),
        Some(_) => g.to_string(),
        None => match g.split_once('.') {
            None => format!("{namespace}/{g}"),
            Some((name, rest)) => {
                let ns = rest.split('.').next().unwrap_or(rest);
                format!("{ns}/{name}")
            }
        },
    }
}

/// Strips a `:port` suffix from an authority, returning the host and the port if any.
pub(crate) fn split_authority(authority: &str) -> (&str, Option<u32>) {
    if let Some((h, p)) = authority.rsplit_once(':')
        && !h.is_empty()
        && !h.ends_with(':')
        && p.chars().all(|c| c.is_ascii_digit())
        && let Ok(port) = p.parse::<u32>()
    {
        return (h, Some(port));
    }
    (authority, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifies_short_names_only() {
        assert_eq!(qualify("reviews", "shop"), "reviews.shop.svc.cluster.local");
        assert_eq!(qualify(" Reviews.prod ", "shop"), "reviews.prod");
        assert_eq!(qualify("*", "shop"), "*");
        assert_eq!(qualify("*.example.com", "shop"), "*.example.com");
        // As istiod: IP addresses and the empty host stay as written.
        assert_eq!(qualify("::1", "shop"), "::1");
        assert_eq!(qualify("", "shop"), "");
    }

    #[test]
    fn wildcards() {
        assert!(covers("*", "anything.at.all"));
        assert!(covers("*.example.com", "a.example.com"));
        assert!(covers("*.example.com", "b.a.example.com"));
        assert!(!covers("*.example.com", "example.com"));
        assert!(covers("*.example.com", "*.a.example.com"));
        assert!(!covers("a.example.com", "b.example.com"));
        assert_eq!(
            wildcard_keys("a.b.c").collect::<Vec<_>>(),
            ["*.b.c", "*.c", "*"]
        );
    }

    #[test]
    fn gateway_references() {
        assert_eq!(resolve_gateway("gw", "shop"), "shop/gw");
        assert_eq!(resolve_gateway("./gw", "shop"), "shop/gw");
        assert_eq!(
            resolve_gateway("istio-system/gw", "shop"),
            "istio-system/gw"
        );
        assert_eq!(
            resolve_gateway("gw.istio-system.svc.cluster.local", "shop"),
            "istio-system/gw"
        );
        assert_eq!(resolve_gateway("mesh", "shop"), "mesh");
    }

    #[test]
    fn authorities() {
        assert_eq!(split_authority("a.b:8080"), ("a.b", Some(8080)));
        assert_eq!(split_authority("a.b"), ("a.b", None));
    }
}

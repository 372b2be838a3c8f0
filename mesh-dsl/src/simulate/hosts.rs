//! Host names the way Istio compares them: short names qualified by a namespace, `*`
//! wildcards, gateway references, and `exportTo` visibility.

use std::collections::BTreeSet;

use crate::validate::host_subset_of;

/// The cluster's DNS suffix after `svc.`.
pub(crate) const CLUSTER_DOMAIN: &str = "cluster.local";

/// The name a route uses for sidecars rather than for a gateway.
pub(crate) const MESH_GATEWAY: &str = "mesh";

/// Qualifies a host written in a resource of `namespace`, as Istio does for VirtualService
/// hosts and destinations and DestinationRule hosts: a name without a dot becomes
/// `name.namespace.svc.cluster.local`; `*` and names with a dot are kept as written.
pub(crate) fn qualify(host: &str, namespace: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    if host == "*" || host.contains('.') {
        host
    } else {
        format!("{host}.{namespace}.svc.{CLUSTER_DOMAIN}")
    }
}

/// Whether `host` is a wildcard host (`*` or `*.example.com`).
pub(crate) fn is_wildcard(host: &str) -> bool {
    host.starts_with('*')
}

/// Whether a wildcard (or exact) `pattern` covers the concrete or wildcard `host`:
/// `*` covers everything, `*.a.com` covers `b.a.com`, `c.b.a.com` and `*.b.a.com` but not
/// `a.com`; an exact pattern covers only itself.
pub(crate) fn covers(pattern: &str, host: &str) -> bool {
    host_subset_of(host, pattern)
}

/// Istio's `Names.Intersection`: the more specific host of every pair where one covers
/// the other, without duplicates, in the order of `a`.
pub(crate) fn intersect(a: &[String], b: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for x in a {
        for y in b {
            let pick = if host_subset_of(x, y) {
                x
            } else if host_subset_of(y, x) {
                y
            } else {
                continue;
            };
            if !out.iter().any(|h| h == pick) {
                out.push(pick.clone());
            }
        }
    }
    out
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

/// Who may see a VirtualService, DestinationRule or ServiceEntry (`exportTo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Visibility {
    /// Every namespace (`*`, or no `exportTo`: Istio's default).
    Public,
    /// No namespace (`~`).
    Nobody,
    /// These namespaces (`.` already replaced by the resource's own namespace).
    Namespaces(BTreeSet<String>),
}

impl Visibility {
    /// Reads `exportTo` of a resource in `namespace`.
    pub(crate) fn from_export_to(export_to: &[String], namespace: &str) -> Self {
        if export_to.is_empty() || export_to.iter().any(|e| e == "*") {
            return Self::Public;
        }
        if export_to.iter().any(|e| e == "~") {
            return Self::Nobody;
        }
        Self::Namespaces(
            export_to
                .iter()
                .map(|e| {
                    if e == "." {
                        namespace.to_string()
                    } else {
                        e.clone()
                    }
                })
                .collect(),
        )
    }

    /// Whether a proxy in `namespace` sees the resource.
    pub(crate) fn visible_to(&self, namespace: &str) -> bool {
        match self {
            Self::Public => true,
            Self::Nobody => false,
            Self::Namespaces(set) => set.contains(namespace),
        }
    }

    /// Whether only the resource's own namespace sees it.
    pub(crate) fn private_to(&self, own: &str) -> bool {
        matches!(self, Self::Namespaces(set) if set.len() == 1 && set.contains(own))
    }

    /// The order in which Istio lists VirtualServices for a proxy in `proxy_ns`:
    /// 0 for ones exported to their own namespace (the proxy's), 1 for ones exported
    /// to the proxy's namespace by name, 2 for public ones; `None` when hidden.
    pub(crate) fn rank(&self, own: &str, proxy_ns: &str) -> Option<u8> {
        match self {
            Self::Public => Some(2),
            Self::Nobody => None,
            Self::Namespaces(set) if set.contains(proxy_ns) => {
                Some(if proxy_ns == own { 0 } else { 1 })
            }
            Self::Namespaces(_) => None,
        }
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
        assert_eq!(qualify("Reviews.prod", "shop"), "reviews.prod");
        assert_eq!(qualify("*", "shop"), "*");
        assert_eq!(qualify("*.example.com", "shop"), "*.example.com");
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
    fn intersection_keeps_the_more_specific_host() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            intersect(&s(&["foo.com", "*.net"]), &s(&["*.com", "bar.net"])),
            s(&["foo.com", "bar.net"])
        );
        assert_eq!(
            intersect(&s(&["foo.com", "*.net"]), &s(&["*.bar.net"])),
            s(&["*.bar.net"])
        );
        assert!(intersect(&s(&["foo.com"]), &s(&["bar.com"])).is_empty());
        assert_eq!(intersect(&s(&["*"]), &s(&["x.y"])), s(&["x.y"]));
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
    fn visibility() {
        let v = Visibility::from_export_to(&[".".into()], "shop");
        assert!(v.visible_to("shop") && !v.visible_to("other"));
        assert_eq!(v.rank("shop", "shop"), Some(0));
        assert!(Visibility::from_export_to(&[], "shop").visible_to("x"));
        assert!(!Visibility::from_export_to(&["~".into()], "shop").visible_to("shop"));
        assert_eq!(split_authority("a.b:8080"), ("a.b", Some(8080)));
        assert_eq!(split_authority("a.b"), ("a.b", None));
    }
}

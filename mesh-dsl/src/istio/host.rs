//! Host names: the cluster domain, qualification of short names, parsing of Kubernetes
//! Service FQDNs, and `*` wildcard matching.
//!
//! Hosts are compared as written: Istio neither trims nor lowercases them here (Envoy
//! matches domains case-insensitively later, which is the simulator's business).

/// Kubernetes' default cluster domain (Istio's `constants.DefaultClusterLocalDomain`).
pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// The suffix of every Kubernetes Service host: `svc.` and the cluster domain.
pub const SERVICE_DOMAIN: &str = "svc.cluster.local";

/// The fully qualified host of Kubernetes Service `name` in `namespace`:
/// `name.namespace.svc.cluster.local` (Istio's `kube.ServiceHostname`).
pub fn service_fqdn(name: &str, namespace: &str) -> String {
    let mut fqdn = String::with_capacity(name.len() + namespace.len() + SERVICE_DOMAIN.len() + 2);
    for part in [name, ".", namespace, ".", SERVICE_DOMAIN] {
        fqdn.push_str(part);
    }
    fqdn
}

/// Qualifies a host written in a resource of `namespace` as istiod does for
/// VirtualService hosts and destinations, DestinationRule and ServiceEntry hosts
/// (`model.ResolveShortnameToFQDN`): a name without a dot becomes
/// `name.namespace.svc.cluster.local`; `*`, IP addresses, names with a dot and the empty
/// string are kept as written.
pub fn qualify(host: &str, namespace: &str) -> String {
    if host.is_empty()
        || host == "*"
        || host.contains('.')
        || host.parse::<std::net::IpAddr>().is_ok()
    {
        host.to_string()
    } else {
        service_fqdn(host, namespace)
    }
}

/// Qualifies a host the way `istioctl analyze`'s analyzers do (`util.ConvertHostToFQDN`):
/// like [`qualify`], except that every name starting with `*` is kept (so `*x` stays
/// `*x`, where istiod would make it `*x.namespace.svc.cluster.local`).
pub fn analysis_fqdn(host: &str, namespace: &str) -> String {
    if host.starts_with('*') || host.contains('.') {
        host.to_string()
    } else {
        service_fqdn(host, namespace)
    }
}

/// Splits a Kubernetes Service FQDN `name.namespace.svc.cluster.local` into
/// `(name, namespace)`; the namespace is the last label before `.svc`, as in the
/// analyzers' `util.GetFullNameFromFQDN`. `None` for any other host.
pub fn parse_service_fqdn(host: &str) -> Option<(&str, &str)> {
    let rest = host.strip_suffix(SERVICE_DOMAIN)?.strip_suffix('.')?;
    let (name, ns) = rest.rsplit_once('.')?;
    (!name.is_empty() && !ns.is_empty()).then_some((name, ns))
}

/// The `(namespace, name)` of the Kubernetes Service a destination host names, from a
/// Service FQDN or else a short name in `default_namespace` (the analyzers'
/// `util.GetResourceNameFromHost`).
pub fn service_of_host<'h>(default_namespace: &'h str, host: &'h str) -> (&'h str, &'h str) {
    match parse_service_fqdn(host) {
        Some((name, ns)) => (ns, name),
        None => (default_namespace, host),
    }
}

/// Whether `host` is a wildcard host: it starts with `*` (`host.Name.IsWildCarded`).
pub fn is_wildcard(host: &str) -> bool {
    host.starts_with('*')
}

/// Whether two hosts overlap (`host.Name.Matches`): equal, or one is a wildcard whose
/// suffix (after the `*`) ends the other. `*` overlaps everything; `*.a.com` overlaps
/// `b.a.com` and `*.b.a.com` but not `a.com`.
pub fn matches(a: &str, b: &str) -> bool {
    match (a.strip_prefix('*'), b.strip_prefix('*')) {
        (Some(a), Some(b)) => a.ends_with(b) || b.ends_with(a),
        (Some(a), None) => b.ends_with(a),
        (None, Some(b)) => a.ends_with(b),
        (None, None) => a == b,
    }
}

/// Whether `a` is covered by `b` (`host.Name.SubsetOf`): like [`matches()`] in one
/// direction only. A wildcard is never a subset of a concrete host.
pub fn subset_of(a: &str, b: &str) -> bool {
    match (a.strip_prefix('*'), b.strip_prefix('*')) {
        (Some(a), Some(b)) => a.ends_with(b),
        (Some(_), None) => false,
        (None, Some(b)) => a.ends_with(b),
        (None, None) => a == b,
    }
}

/// The hosts two host lists share (`host.Names.Intersection`): for every pair where one
/// covers the other, the more specific of the two, without duplicates, in the order of
/// `a`.
pub fn intersection(a: &[String], b: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for x in a {
        for y in b {
            let pick = if subset_of(x, y) {
                x
            } else if subset_of(y, x) {
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

#[cfg(test)]
mod tests {
    use super::*;

    // model.ResolveShortnameToFQDN
    #[test]
    fn qualify_follows_istiod() {
        assert_eq!(qualify("reviews", "shop"), "reviews.shop.svc.cluster.local");
        assert_eq!(qualify("reviews.prod", "shop"), "reviews.prod");
        assert_eq!(qualify("*", "shop"), "*");
        assert_eq!(qualify("*.example.com", "shop"), "*.example.com");
        // A short wildcard has no dot, so istiod qualifies it.
        assert_eq!(qualify("*x", "shop"), "*x.shop.svc.cluster.local");
        // IP addresses (IPv6 has no dot) and the empty host are kept.
        assert_eq!(qualify("::1", "shop"), "::1");
        assert_eq!(qualify("10.0.0.1", "shop"), "10.0.0.1");
        assert_eq!(qualify("", "shop"), "");
        // No trimming or lowercasing.
        assert_eq!(qualify("Reviews", "shop"), "Reviews.shop.svc.cluster.local");
    }

    // util.ConvertHostToFQDN (analyzers)
    #[test]
    fn analysis_fqdn_keeps_every_wildcard() {
        assert_eq!(
            analysis_fqdn("reviews", "ns"),
            "reviews.ns.svc.cluster.local"
        );
        assert_eq!(analysis_fqdn("a.b", "ns"), "a.b");
        assert_eq!(analysis_fqdn("*", "ns"), "*");
        assert_eq!(analysis_fqdn("*x", "ns"), "*x");
    }

    // util.GetFullNameFromFQDN, util.GetResourceNameFromHost
    #[test]
    fn service_fqdns() {
        assert_eq!(service_fqdn("a", "b"), "a.b.svc.cluster.local");
        assert_eq!(
            parse_service_fqdn("reviews.default.svc.cluster.local"),
            Some(("reviews", "default"))
        );
        assert_eq!(
            parse_service_fqdn("a.b.default.svc.cluster.local"),
            Some(("a.b", "default"))
        );
        assert_eq!(parse_service_fqdn("svc.cluster.local"), None);
        assert_eq!(parse_service_fqdn("x.svc.cluster.local"), None);
        assert_eq!(parse_service_fqdn("a.bsvc.cluster.local"), None);
        assert_eq!(service_of_host("ns", "reviews"), ("ns", "reviews"));
        assert_eq!(
            service_of_host("ns", "r.other.svc.cluster.local"),
            ("other", "r")
        );
    }

    // host.Name.Matches (the examples of its doc comment)
    #[test]
    fn matches_follows_name_matches() {
        assert!(matches("foo.com", "foo.com"));
        assert!(!matches("foo.com", "bar.com"));
        assert!(matches("*.com", "foo.com"));
        assert!(matches("bar.com", "*.com"));
        assert!(!matches("*.foo.com", "foo.com"));
        assert!(matches("*", "foo.com"));
        assert!(matches("*", "*.com"));
        assert!(matches("*.productpage.d", "*.d"));
        assert!(matches("*.d", "*.productpage.d"));
    }

    // host.Name.SubsetOf
    #[test]
    fn subset_of_follows_name_subset_of() {
        assert!(subset_of("a.example.com", "*.example.com"));
        assert!(subset_of("b.a.example.com", "*.example.com"));
        assert!(!subset_of("example.com", "*.example.com"));
        assert!(subset_of("*.a.example.com", "*.example.com"));
        assert!(!subset_of("*.example.com", "*.a.example.com"));
        assert!(!subset_of("*.example.com", "a.example.com"));
        assert!(subset_of("anything.at.all", "*"));
        assert!(subset_of("*", "*"));
        assert!(!subset_of("a.example.com", "b.example.com"));
    }

    // host.Names.Intersection
    #[test]
    fn intersection_keeps_the_more_specific_host() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            intersection(&s(&["foo.com", "*.net"]), &s(&["*.com", "bar.net"])),
            s(&["foo.com", "bar.net"])
        );
        assert_eq!(
            intersection(&s(&["foo.com", "*.net"]), &s(&["*.bar.net"])),
            s(&["*.bar.net"])
        );
        assert!(intersection(&s(&["foo.com"]), &s(&["bar.com"])).is_empty());
        assert_eq!(intersection(&s(&["*"]), &s(&["x.y"])), s(&["x.y"]));
    }
}

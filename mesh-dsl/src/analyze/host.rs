//! Host names as Istio resolves them: short names to FQDNs, wildcard matching, and the
//! registry of hosts that Services and ServiceEntries make visible to each namespace.

use super::HashMap;

use super::index::Index;
use super::labels::{LabelMap, label_map, labels_typed};

/// Kubernetes' cluster domain.
pub(crate) const CLUSTER_DOMAIN: &str = "svc.cluster.local";

/// Istio's `ConvertHostToFQDN`: a short name (no dot, not a wildcard) gets the namespace
/// and cluster domain appended; anything else is kept.
pub(crate) fn to_fqdn(ns: &str, host: &str) -> String {
    if !host.starts_with('*') && !host.contains('.') {
        // Called for every host of every route: one exact allocation, no formatting.
        let mut fqdn = String::with_capacity(host.len() + ns.len() + CLUSTER_DOMAIN.len() + 2);
        for part in [host, ".", ns, ".", CLUSTER_DOMAIN] {
            fqdn.push_str(part);
        }
        fqdn
    } else {
        host.to_string()
    }
}

/// Istio's `GetResourceNameFromHost`: `(namespace, name)` of a Kubernetes Service host,
/// for a short name or a `name.namespace.svc.cluster.local` FQDN.
pub(crate) fn service_name_of<'h>(default_ns: &'h str, host: &'h str) -> (&'h str, &'h str) {
    match parse_svc_fqdn(host) {
        Some((name, ns)) => (ns, name),
        None => (default_ns, host),
    }
}

/// `name.namespace.svc.cluster.local` split into `(name, namespace)` (the name is as
/// long as possible, like Istio's regular expression).
pub(crate) fn parse_svc_fqdn(host: &str) -> Option<(&str, &str)> {
    let rest = host.strip_suffix(".svc.cluster.local")?;
    let dot = rest.rfind('.')?;
    let (name, ns) = (&rest[..dot], &rest[dot + 1..]);
    (!name.is_empty() && !ns.is_empty()).then_some((name, ns))
}

/// The namespaces an `exportTo` list makes an object visible to: `None` for all.
pub(crate) fn export_scopes<'a>(export_to: &'a [String], own_ns: &'a str) -> Option<Vec<&'a str>> {
    if export_to.is_empty() || export_to.iter().any(|e| e == "*") {
        return None;
    }
    let mut out: Vec<&str> = export_to
        .iter()
        .map(|e| if e == "." { own_ns } else { e.as_str() })
        .collect();
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// A port of a registered host.
#[derive(Debug)]
pub(crate) struct HostPort {
    pub number: u32,
}

/// A host some Service or ServiceEntry provides.
pub(crate) struct HostEntry<'a> {
    /// Its namespace.
    pub ns: &'a str,
    pub ports: Vec<HostPort>,
    /// The workloads behind it: a ServiceEntry's workload selector or a Service's selector.
    pub selector: LabelMap<'a>,
    /// Whether it is a Kubernetes Service.
    pub kubernetes: bool,
}

/// Istio's `InitServiceEntryHostMap`: every `(scope, FQDN)` a Service or ServiceEntry is
/// visible as, where the scope is a namespace or `*`.
#[derive(Default)]
pub(crate) struct ServiceRegistry<'a> {
    entries: Vec<HostEntry<'a>>,
    /// Scope, then FQDN.
    exact: HashMap<String, HashMap<String, usize>>,
    /// `(scope, host without its leading '*', entry)` for wildcard hosts.
    wildcards: Vec<(String, String, usize)>,
}

impl<'a> ServiceRegistry<'a> {
    pub fn build(idx: &Index<'a>) -> Self {
        let mut reg = Self::default();
        for se in &idx.service_entries {
            let spec = &se.obj.spec;
            let at = reg.entries.len();
            reg.entries.push(HostEntry {
                ns: se.ns,
                ports: spec
                    .ports
                    .iter()
                    .map(|p| HostPort { number: p.number })
                    .collect(),
                selector: spec
                    .workload_selector
                    .as_ref()
                    .map(|w| label_map(&w.labels))
                    .unwrap_or_default(),
                kubernetes: false,
            });
            let scopes = export_scopes(&spec.export_to, se.ns);
            for h in &spec.hosts {
                match &scopes {
                    None => reg.insert("*", se.ns, h, at),
                    Some(list) => {
                        for s in list {
                            reg.insert(s, se.ns, h, at);
                        }
                    }
                }
            }
        }
        for svc in &idx.services {
            let at = reg.entries.len();
            reg.entries.push(HostEntry {
                ns: svc.ns,
                ports: svc
                    .ports
                    .iter()
                    .map(|p| HostPort {
                        number: u32::try_from(p.port).unwrap_or(0),
                    })
                    .collect(),
                selector: svc
                    .svc
                    .spec
                    .as_ref()
                    .map(|s| labels_typed(&s.selector))
                    .unwrap_or_default(),
                kubernetes: true,
            });
            let anno = svc
                .annotations
                .get("networking.istio.io/exportTo")
                .copied()
                .unwrap_or("");
            if anno.is_empty() {
                reg.insert("*", svc.ns, svc.name, at);
            } else {
                for scope in anno.split(',') {
                    let scope = if scope == "." { svc.ns } else { scope };
                    reg.insert(scope, svc.ns, svc.name, at);
                }
            }
        }
        reg
    }

    fn insert(&mut self, scope: &str, ns: &str, host: &str, at: usize) {
        let fqdn = to_fqdn(ns, host);
        if let Some(rest) = fqdn.strip_prefix('*') {
            self.wildcards
                .push((scope.to_string(), rest.to_string(), at));
        }
        // Later definitions replace earlier ones, as in Istio's map.
        self.exact
            .entry(scope.to_string())
            .or_default()
            .insert(fqdn, at);
    }

    fn get(&self, scope: &str, fqdn: &str) -> Option<&HostEntry<'a>> {
        self.exact
            .get(scope)
            .and_then(|m| m.get(fqdn))
            .and_then(|&i| self.entries.get(i))
    }

    /// Istio's `GetDestinationHost`: the Service or ServiceEntry that `host`, used from
    /// namespace `source_ns` by an object exported to `export_to`, resolves to.
    pub fn resolve(
        &self,
        source_ns: &str,
        export_to: &[String],
        host: &str,
    ) -> Option<&HostEntry<'a>> {
        let fqdn = to_fqdn(source_ns, host);
        if let Some(e) = self.get("*", &fqdn) {
            return Some(e);
        }
        if export_to.is_empty() {
            if let Some(e) = self.get(source_ns, &fqdn) {
                return Some(e);
            }
        } else {
            for e in export_to {
                let scope = if e == "." { source_ns } else { e.as_str() };
                if let Some(found) = self.get(scope, &fqdn) {
                    return Some(found);
                }
            }
        }
        let host_rest = host.strip_prefix('*').unwrap_or(host);
        self.wildcards
            .iter()
            .find(|(scope, se_rest, _)| {
                (scope == "*" || scope == source_ns) && host_rest.ends_with(se_rest.as_str())
            })
            .and_then(|(_, _, i)| self.entries.get(*i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_and_matching() {
        assert_eq!(to_fqdn("ns", "reviews"), "reviews.ns.svc.cluster.local");
        assert_eq!(to_fqdn("ns", "a.b"), "a.b");
        assert_eq!(to_fqdn("ns", "*"), "*");
        assert_eq!(
            parse_svc_fqdn("reviews.default.svc.cluster.local"),
            Some(("reviews", "default"))
        );
        assert_eq!(parse_svc_fqdn("svc.cluster.local"), None);
        assert!(crate::validate::hosts_overlap("*", "foo.com"));
        assert!(crate::validate::hosts_overlap("*.com", "foo.com"));
        assert!(crate::validate::hosts_overlap("bar.com", "*.com"));
        assert!(!crate::validate::hosts_overlap("*.foo.com", "foo.com"));
        assert!(crate::validate::hosts_overlap("*.productpage.d", "*.d"));
    }
}

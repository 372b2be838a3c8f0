//! The registry of hosts that Services and ServiceEntries make visible to each namespace
//! (the host rules themselves are in [`crate::istio::host`]). [`super::index`] fills it.

use super::HashMap;

use super::labels::LabelMap;
use crate::istio::host::analysis_fqdn;

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
    /// Adds a Service or ServiceEntry; returns its position for [`Self::insert`].
    pub fn add(&mut self, entry: HostEntry<'a>) -> usize {
        self.entries.push(entry);
        self.entries.len() - 1
    }

    /// Makes `host`, written in namespace `ns`, of entry `at` visible in `scope`.
    pub fn insert(&mut self, scope: &str, ns: &str, host: &str, at: usize) {
        let fqdn = analysis_fqdn(host, ns);
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
        let fqdn = analysis_fqdn(host, source_ns);
        if let Some(e) = self.get("*", &fqdn) {
            return Some(e);
        }
        if export_to.is_empty() {
            if let Some(e) = self.get(source_ns, &fqdn) {
                return Some(e);
            }
        } else {
            for e in export_to {
                let scope = crate::istio::export_to::resolve(e, source_ns);
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

//! ServiceEntry analyzers.

use super::HashSet;
use std::collections::{BTreeMap, BTreeSet};

use super::index::Index;
use super::messages::{CONFLICTING_SERVICE_ENTRY_PROTOCOL, SERVICE_ENTRY_ADDRESSES_REQUIRED};
use crate::diag::Diagnostic;
use crate::istio::export_to::analysis_scopes;

/// `serviceentry.ProtocolAddressesAnalyzer`: IST0134 for TCP (or protocol-less) ports of
/// ServiceEntries without addresses, unless DNS auto-allocation or the status provides them.
pub(crate) fn protocol_addresses(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    if idx.mesh.dns_auto_allocate() {
        return;
    }
    for se in &idx.service_entries {
        let spec = &se.obj.spec;
        if !spec.addresses.is_empty() {
            continue;
        }
        let allocated = se
            .obj
            .status
            .as_ref()
            .and_then(|s| s.other.get("addresses"))
            .and_then(|a| a.as_array())
            .is_some_and(|a| !a.is_empty());
        if allocated {
            continue;
        }
        for (i, p) in spec.ports.iter().enumerate() {
            let proto = p.protocol.as_deref().unwrap_or("");
            if proto.is_empty() || proto.eq_ignore_ascii_case("TCP") {
                out.push(
                    SERVICE_ENTRY_ADDRESSES_REQUIRED
                        .on(
                            se.res,
                            format!(
                                "port {} carries TCP (or no protocol), which needs the ServiceEntry to have addresses",
                                p.number
                            ),
                        )
                        .at(format!("spec.ports[{i}].protocol"))
                        .hint("set spec.addresses, a more specific protocol, or enable DNS auto-allocation"),
                );
            }
        }
    }
}

/// `serviceentry.ConflictingServiceEntryProtocolAnalyzer`: IST0177 for ServiceEntries
/// visible in one namespace that give the same host and port different protocols.
pub(crate) fn conflicting_protocols(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    // (scope, host, port) -> (protocol, service entry)
    type Key<'k> = (&'k str, &'k str, u32);
    let mut by_key: BTreeMap<Key<'_>, Vec<(String, usize)>> = BTreeMap::new();
    for (si, se) in idx.service_entries.iter().enumerate() {
        let spec = &se.obj.spec;
        let scopes = analysis_scopes(&spec.export_to, se.ns).unwrap_or_else(|| vec!["*"]);
        for scope in scopes {
            for h in &spec.hosts {
                for p in &spec.ports {
                    by_key
                        .entry((scope, h.as_str(), p.number))
                        .or_default()
                        .push((p.protocol.as_deref().unwrap_or("").to_ascii_uppercase(), si));
                }
            }
        }
    }
    let mut reported: HashSet<usize> = HashSet::default();
    for ((scope, host, port), entries) in &by_key {
        let mut all: Vec<&(String, usize)> = entries.iter().collect();
        if *scope != "*"
            && let Some(star) = by_key.get(&("*", host, *port))
        {
            all.extend(star);
        }
        let protocols: BTreeSet<&str> = all.iter().map(|(p, _)| p.as_str()).collect();
        if protocols.len() < 2 {
            continue;
        }
        let names: BTreeSet<String> = all
            .iter()
            .filter_map(|(_, i)| idx.service_entries.get(*i))
            .map(|s| s.full_name())
            .collect();
        for (_, si) in all {
            if !reported.insert(*si) {
                continue;
            }
            if let Some(se) = idx.service_entries.get(*si) {
                out.push(
                    CONFLICTING_SERVICE_ENTRY_PROTOCOL
                        .on(
                            se.res,
                            format!(
                                "ServiceEntries {} define {host}:{port} with different protocols {}",
                                super::bounded::name_list(
                                    &names.iter().collect::<Vec<_>>(),
                                    ", "
                                ),
                                protocols.iter().copied().collect::<Vec<_>>().join(", ")
                            ),
                        )
                        .at("spec.ports")
                        .hint("use one protocol for a host and port across ServiceEntries"),
                );
            }
        }
    }
}

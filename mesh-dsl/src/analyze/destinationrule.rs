//! DestinationRule analyzers: server certificate verification, unknown hosts, and subsets
//! that select no workload.

use istio_types::networking::v1::{ClientTlsMode, ClientTlsSettings};

use super::index::Index;
use super::labels::{LabelMap, matches};
use super::messages::{
    DR_SUBSET_NOT_SELECT_PODS, NO_SERVER_CERT_VERIFICATION_DEST, NO_SERVER_CERT_VERIFICATION_PORT,
    UNKNOWN_DR_HOST,
};
use crate::diag::Diagnostic;

/// Whether originating TLS with these settings leaves the server unverified: SIMPLE or
/// MUTUAL without `caCertificates`, unless a `credentialName` supplies the CA for a
/// DestinationRule scoped by `workloadSelector`.
fn unverified(tls: &ClientTlsSettings, scoped: bool) -> Option<ClientTlsMode> {
    let mode = tls.mode?;
    if !matches!(mode, ClientTlsMode::Simple | ClientTlsMode::Mutual) {
        return None;
    }
    if tls
        .ca_certificates
        .as_deref()
        .is_some_and(|c| !c.is_empty())
    {
        return None;
    }
    if scoped
        && tls
            .credential_name
            .as_deref()
            .is_some_and(|c| !c.is_empty())
    {
        return None;
    }
    if tls.insecure_skip_verify == Some(true) {
        // Skipping verification is explicit: not a forgotten CA.
        return None;
    }
    Some(mode)
}

/// `destinationrule.CaCertificateAnalyzer`: IST0128 / IST0129 when TLS origination (SIMPLE or
/// MUTUAL) does not verify the server certificate, for the whole host or for a port.
pub(crate) fn ca_certificates(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for dr in &idx.destination_rules {
        let spec = &dr.obj.spec;
        let scoped = spec.workload_selector.is_some();
        let Some(tp) = &spec.traffic_policy else {
            continue;
        };
        if let Some(mode) = tp.tls.as_ref().and_then(|t| unverified(t, scoped)) {
            out.push(
                NO_SERVER_CERT_VERIFICATION_DEST
                    .on(
                        dr.res,
                        format!(
                            "DestinationRule {} in namespace {} originates TLS ({mode}) to {} without caCertificates, so the server's identity is not verified",
                            dr.name, dr.ns, spec.host
                        ),
                    )
                    .at("spec.trafficPolicy.tls")
                    .hint("set caCertificates (or a credentialName holding the CA)"),
            );
        }
        for (i, pl) in tp.port_level_settings.iter().enumerate() {
            if let Some(mode) = pl.tls.as_ref().and_then(|t| unverified(t, scoped)) {
                let port = pl
                    .port
                    .as_ref()
                    .and_then(|p| p.number)
                    .map_or_else(String::new, |n| n.to_string());
                out.push(
                    NO_SERVER_CERT_VERIFICATION_PORT
                        .on(
                            dr.res,
                            format!(
                                "DestinationRule {} in namespace {} originates TLS ({mode}) to {} port {port} without caCertificates, so the server's identity is not verified",
                                dr.name, dr.ns, spec.host
                            ),
                        )
                        .at(format!("spec.trafficPolicy.portLevelSettings[{i}].tls"))
                        .hint("set caCertificates (or a credentialName holding the CA)"),
                );
            }
        }
    }
}

/// Kubernetes topology labels Istio adds to endpoints from their node.
const TOPOLOGY_LABELS: &[&str] = &[
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topology.istio.io/subzone",
];

/// `destinationrule.PodNotSelectedAnalyzer`: IST0174 when a DestinationRule's host matches
/// no Service or ServiceEntry, IST0173 when a subset selects no workload of the host.
pub(crate) fn pod_not_selected(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for dr in &idx.destination_rules {
        let spec = &dr.obj.spec;
        let Some(entry) = idx.registry.resolve(dr.ns, &spec.export_to, &spec.host) else {
            out.push(
                UNKNOWN_DR_HOST
                    .on(
                        dr.res,
                        format!(
                            "the host {} of the DestinationRule matches no service in the mesh",
                            spec.host
                        ),
                    )
                    .at("spec.host")
                    .hint("fix the host name, use the FQDN for another namespace, or add a ServiceEntry"),
            );
            continue;
        };
        for (i, subset) in spec.subsets.iter().enumerate() {
            let mut sel: LabelMap = entry.selector.clone();
            for (k, v) in &subset.labels {
                sel.insert(k, v);
            }
            // Workloads of a Kubernetes Service live in its namespace.
            let ns = entry.kubernetes.then_some(entry.ns);
            let found = idx.any_selected(ns, &sel) || topology_match(idx, ns, &sel);
            if !found {
                out.push(
                    DR_SUBSET_NOT_SELECT_PODS
                        .on(
                            dr.res,
                            format!(
                                "subset {} selects no workload; requests routed to it fail with 503 (no healthy upstream)",
                                subset.name
                            ),
                        )
                        .at(format!("spec.subsets[{i}].labels"))
                        .hint("fix the subset labels, deploy the workloads, or remove the subset"),
                );
            }
        }
    }
}

/// Whether a pod matches once the topology labels of its node are added (only needed when
/// the selector uses such labels).
fn topology_match(idx: &Index<'_>, ns: Option<&str>, sel: &LabelMap<'_>) -> bool {
    if !sel
        .keys()
        .any(|k| TOPOLOGY_LABELS.contains(k) || *k == "kubernetes.io/hostname")
    {
        return false;
    }
    let rest: LabelMap = sel
        .iter()
        .filter(|(k, _)| !TOPOLOGY_LABELS.contains(*k) && **k != "kubernetes.io/hostname")
        .map(|(k, v)| (*k, *v))
        .collect();
    idx.select(ns, &rest).iter().any(|w| {
        let Some(node) = w.node_name else {
            return false;
        };
        let mut labels = w.labels.clone();
        if let Some(nl) = idx.node_labels.get(node) {
            for t in TOPOLOGY_LABELS {
                if let Some(v) = nl.get(t).filter(|v| !v.is_empty()) {
                    labels.insert(t, v);
                }
            }
        }
        labels.insert("kubernetes.io/hostname", node);
        matches(sel, &labels)
    })
}

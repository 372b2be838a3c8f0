//! Multi-cluster analyzers.

use serde_json::Value;

use super::index::Index;
use super::messages::UNKNOWN_MESH_NETWORKS_REGISTRY;
use crate::diag::{Diagnostic, ResourceRef};

/// Registries Istio always knows.
const KNOWN_REGISTRIES: &[&str] = &["Mock", "Kubernetes", "External"];

/// `multicluster.MeshNetworksAnalyzer`: IST0126 for mesh networks whose endpoints come from
/// a registry that is neither built in nor a cluster of a remote secret
/// (`istio/multiCluster: "true"`).
pub(crate) fn mesh_networks(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let Some(mn) = &idx.opts.mesh_networks else {
        return;
    };
    let mut known: Vec<&str> = KNOWN_REGISTRIES.to_vec();
    for s in idx.others("Secret") {
        if s.meta_map("labels").get("istio/multiCluster") != Some(&"true") {
            continue;
        }
        for key in ["data", "stringData"] {
            if let Some(m) = s.value.get(key).and_then(Value::as_object) {
                known.extend(m.keys().map(String::as_str));
            }
        }
    }
    let reference = ResourceRef::new(
        "MeshNetworks",
        Some(&idx.opts.istio_namespace),
        "meshnetworks",
    );
    for (network, registries) in &mn.networks {
        for r in registries {
            if !known.contains(&r.as_str()) {
                out.push(UNKNOWN_MESH_NETWORKS_REGISTRY.on_ref(
                    reference.clone(),
                    format!("network {network} takes endpoints from the unknown service registry {r:?}"),
                ).hint("use Kubernetes, or the cluster name of a remote secret"));
            }
        }
    }
}

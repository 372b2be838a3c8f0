//! Deprecated fields and resource types.

use super::index::Index;
use super::messages::DEPRECATED;
use crate::diag::Diagnostic;

/// Removed Istio CRDs, by `(group, kind)`.
const REMOVED_CRDS: &[(&str, &str)] = &[
    ("rbac.istio.io", "ClusterRbacConfig"),
    ("rbac.istio.io", "RbacConfig"),
    ("rbac.istio.io", "ServiceRole"),
    ("rbac.istio.io", "ServiceRoleBinding"),
];

/// `deprecation.FieldAnalyzer`: IST0002 for `fault.delay.percent` (use `percentage`),
/// Sidecar `outboundTrafficPolicy.egressProxy` (ignored), and CRDs of removed Istio kinds.
pub(crate) fn fields(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for vs in &idx.virtual_services {
        for (i, http) in vs.obj.spec.http.iter().enumerate() {
            let percent = http
                .fault
                .as_ref()
                .and_then(|f| f.delay.as_ref())
                .and_then(|d| d.percent);
            if percent.is_some_and(|p| p > 0) {
                out.push(
                    DEPRECATED
                        .on(
                            vs.res,
                            "HTTPRoute.fault.delay.percent is deprecated; use HTTPRoute.fault.delay.percentage",
                        )
                        .at(format!("spec.http[{i}].fault.delay.percent"))
                        .hint("write `percentage: {value: N}` instead"),
                );
            }
        }
    }
    for sc in &idx.sidecars {
        let egress_proxy = sc
            .obj
            .spec
            .outbound_traffic_policy
            .as_ref()
            .is_some_and(|o| o.egress_proxy.is_some());
        if egress_proxy {
            out.push(
                DEPRECATED
                    .on(sc.res, "OutboundTrafficPolicy.EgressProxy is ignored")
                    .at("spec.outboundTrafficPolicy.egressProxy"),
            );
        }
    }
    for crd in idx.others("CustomResourceDefinition") {
        let spec = crd.value.get("spec");
        let group = spec
            .and_then(|s| s.get("group"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or("");
        let kind = spec
            .and_then(|s| s.get("names"))
            .and_then(|n| n.get("kind"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or("");
        if REMOVED_CRDS.contains(&(group, kind)) {
            out.push(DEPRECATED.on(
                crd.res,
                format!("custom resource type {group} {kind} has been removed from Istio"),
            ));
        }
    }
}

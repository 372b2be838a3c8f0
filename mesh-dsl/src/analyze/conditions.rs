//! Negative status conditions Istio writes on resources.

use istio_types::IstioStatus;
use serde_json::Value;

use super::index::Index;
use super::messages::NEGATIVE_CONDITION_STATUS;
use crate::diag::Diagnostic;
use crate::resources::Resource;

fn report(
    out: &mut Vec<Diagnostic>,
    r: &Resource,
    path: &str,
    kind: &str,
    reason: &str,
    message: &str,
) {
    out.push(
        NEGATIVE_CONDITION_STATUS
            .on(
                r,
                format!("condition {kind} reports a problem: reason {reason}, {message}"),
            )
            .at(path.to_string())
            .hint("read the condition's reason and message, then fix the resource or what it refers to"),
    );
}

fn istio_conditions(
    out: &mut Vec<Diagnostic>,
    r: &Resource,
    status: Option<&IstioStatus>,
    negative: impl Fn(&str, &str, &str) -> bool,
) {
    for (i, c) in status.iter().flat_map(|s| s.conditions.iter()).enumerate() {
        let t = c.r#type.as_deref().unwrap_or("");
        let st = c.status.as_deref().unwrap_or("");
        let reason = c.reason.as_deref().unwrap_or("");
        if negative(t, st, reason) {
            report(
                out,
                r,
                &format!("status.conditions[{i}]"),
                t,
                reason,
                c.message.as_deref().unwrap_or(""),
            );
        }
    }
}

fn json_conditions(list: Option<&Value>) -> impl Iterator<Item = (usize, &Value)> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

fn field<'v>(c: &'v Value, k: &str) -> &'v str {
    c.get(k).and_then(Value::as_str).unwrap_or("")
}

/// `conditions.ConditionAnalyzer`: IST0171 for status conditions that report a problem:
/// `istio.io/WaypointBound=False` on Services, ServiceEntries and WorkloadEntries;
/// `ZtunnelAccepted`/`WaypointAccepted=False` (or `WaypointAccepted` with reason
/// `PartiallyInvalid`) on AuthorizationPolicies; `Accepted`, `Programmed`, `ResolvedRefs`
/// `=False` on Gateway API Gateways, HTTPRoutes and GRPCRoutes.
pub(crate) fn conditions(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let waypoint = |t: &str, s: &str, _: &str| t == "istio.io/WaypointBound" && s == "False";
    for svc in &idx.services {
        let conds = svc.svc.status.as_ref().and_then(|s| s.conditions.as_ref());
        for (i, c) in conds.into_iter().flatten().enumerate() {
            if waypoint(&c.type_, &c.status, "") {
                report(
                    out,
                    svc.res,
                    &format!("status.conditions[{i}]"),
                    &c.type_,
                    &c.reason,
                    &c.message,
                );
            }
        }
    }
    for se in &idx.service_entries {
        istio_conditions(out, se.res, se.obj.status.as_ref(), waypoint);
    }
    for we in &idx.workload_entries {
        istio_conditions(out, we.res, we.obj.status.as_ref(), waypoint);
    }
    for ap in &idx.authorization_policies {
        istio_conditions(out, ap.res, ap.obj.status.as_ref(), |t, s, reason| {
            (matches!(t, "ZtunnelAccepted" | "WaypointAccepted") && s == "False")
                || (t == "WaypointAccepted" && reason == "PartiallyInvalid")
        });
    }
    let gateway_api =
        |t: &str, s: &str| matches!(t, "Accepted" | "Programmed" | "ResolvedRefs") && s == "False";
    for kind in ["Gateway", "HTTPRoute", "GRPCRoute"] {
        for o in idx.others(kind) {
            if !o
                .res
                .api_version()
                .starts_with("gateway.networking.k8s.io/")
            {
                continue;
            }
            let status = o.value.get("status");
            for (i, c) in json_conditions(status.and_then(|s| s.get("conditions"))) {
                if gateway_api(field(c, "type"), field(c, "status")) {
                    report(
                        out,
                        o.res,
                        &format!("status.conditions[{i}]"),
                        field(c, "type"),
                        field(c, "reason"),
                        field(c, "message"),
                    );
                }
            }
            for (p, parent) in json_conditions(status.and_then(|s| s.get("parents"))) {
                for (i, c) in json_conditions(parent.get("conditions")) {
                    if gateway_api(field(c, "type"), field(c, "status")) {
                        report(
                            out,
                            o.res,
                            &format!("status.parents[{p}].conditions[{i}]"),
                            field(c, "type"),
                            field(c, "reason"),
                            field(c, "message"),
                        );
                    }
                }
            }
        }
    }
}

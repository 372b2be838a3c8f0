//! Waiting for Deployments to roll out, with `kubectl rollout status`'s rules. Istio's
//! kinds write no readiness signal, so only workloads are waited on.

use std::time::Duration;

use kube::Client;
use kube::core::ApiResource;
use serde_json::Value;
use tokio::time::Instant;

use super::error::ApplyError;
use super::options::ApplyOptions;
use super::plan::Plan;
use super::report::{Event, NotReady, WaitReport};
use super::request::Requester;
use crate::diag::ResourceRef;
use crate::resources::{Resource, Resources};

/// Why a Deployment has not rolled out yet; `None` when it has.
///
/// ```
/// use serde_json::json;
/// use mesh_dsl::apply::rollout_pending;
///
/// let d = json!({"metadata": {"generation": 2}, "spec": {"replicas": 2},
///     "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 1}});
/// assert_eq!(rollout_pending(&d).unwrap(), "1 of 2 updated replicas are available");
/// ```
pub fn rollout_pending(deployment: &Value) -> Option<String> {
    let int = |v: &Value| v.as_i64().unwrap_or(0);
    let generation = int(&deployment["metadata"]["generation"]);
    let status = &deployment["status"];
    let observed = int(&status["observedGeneration"]);
    if observed < generation {
        return Some("the new spec has not been observed yet".into());
    }
    if let Some(c) = status["conditions"].as_array().and_then(|cs| {
        cs.iter()
            .find(|c| c["type"] == "Progressing" && c["reason"] == "ProgressDeadlineExceeded")
    }) {
        return Some(format!(
            "progress deadline exceeded: {}",
            c["message"].as_str().unwrap_or("")
        ));
    }
    let wanted = deployment["spec"]["replicas"].as_i64().unwrap_or(1);
    let updated = int(&status["updatedReplicas"]);
    let replicas = int(&status["replicas"]);
    let available = int(&status["availableReplicas"]);
    if updated < wanted {
        return Some(format!("{updated} of {wanted} replicas are updated"));
    }
    if replicas > updated {
        return Some(format!(
            "{} old replica(s) are pending termination",
            replicas - updated
        ));
    }
    if available < updated {
        return Some(format!(
            "{available} of {updated} updated replicas are available"
        ));
    }
    None
}

/// The resources' Deployments rolled out? Waits like
/// [`ApplyOptions::wait`](super::ApplyOptions::wait), on its own.
///
/// # Errors
/// As [`apply`](super::apply)'s preflight.
pub async fn wait(
    client: &Client,
    resources: &Resources,
    options: &ApplyOptions,
) -> Result<WaitReport, ApplyError> {
    let api = Requester {
        client,
        options,
        deadline: Instant::now() + options.timeout,
    };
    let deployments: Resources = resources
        .iter()
        .filter(|r| matches!(r, Resource::Deployment(_)))
        .cloned()
        .collect();
    let plan = Plan::prepare(&api, &deployments, false).await?;
    let Some(m) = plan.members.first() else {
        return Ok(WaitReport::default());
    };
    let refs: Vec<ResourceRef> = plan.members.iter().map(|m| m.reference.clone()).collect();
    Ok(wait_for(&api, &m.ar, &refs, api.deadline).await)
}

/// Polls the Deployments until every one has rolled out or `deadline` passes.
pub(crate) async fn wait_for(
    api: &Requester<'_>,
    ar: &ApiResource,
    deployments: &[ResourceRef],
    deadline: Instant,
) -> WaitReport {
    let mut pending: Vec<(ResourceRef, String)> = deployments
        .iter()
        .map(|d| (d.clone(), "not checked yet".to_string()))
        .collect();
    let mut ready = Vec::new();
    let total = deployments.len();
    api.options.notify(&Event::Waiting { ready: 0, total });
    let mut interval = Duration::from_millis(250);
    loop {
        let mut still = Vec::new();
        for (d, _) in pending {
            let reason = match api.get(ar, d.namespace.as_deref(), &d.name).await {
                Ok(Some(live)) => rollout_pending(&live),
                Ok(None) => Some("it does not exist".into()),
                Err(e) => Some(format!("cannot read it: {e}")),
            };
            match reason {
                None => ready.push(d),
                Some(r) => still.push((d, r)),
            }
        }
        pending = still;
        api.options.notify(&Event::Waiting {
            ready: ready.len(),
            total,
        });
        if pending.is_empty() || Instant::now() + interval >= deadline {
            break;
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(Duration::from_secs(2));
    }
    WaitReport {
        ready,
        not_ready: pending
            .into_iter()
            .map(|(resource, reason)| NotReady { resource, reason })
            .collect(),
    }
}

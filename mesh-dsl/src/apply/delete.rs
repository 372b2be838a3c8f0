//! Deleting everything an ApplySet records.

use std::collections::{BTreeSet, HashSet};

use kube::Client;
use tokio::time::Instant;

use super::error::ApplyError;
use super::options::ApplyOptions;
use super::plan::Plan;
use super::prune::{delete_in_order, prune_candidates};
use super::report::{Action, ApplyReport, Event, ResourceResult, Step, Stopped};
use super::request::Requester;
use super::results::failure;
use crate::diag::ResourceRef;
use crate::resources::Resources;

/// Deletes every object of the ApplySet (Istio kinds first, namespaces last), then the
/// ApplySet parent. Objects without the set's label are never touched, and neither are
/// they through their namespace: as deleting a namespace deletes everything in it, a
/// namespace of the set that holds objects outside the set is kept (reported as skipped,
/// naming them), unless [`ApplyOptions::delete_populated_namespaces`] says otherwise.
/// Objects Kubernetes makes itself (the `kube-root-ca.crt` ConfigMap, the `default`
/// ServiceAccount), objects owned by others (`ownerReferences`), events and endpoints do
/// not keep a namespace; every other namespaced kind of the discovered API groups is
/// listed. While a namespace is kept, so is the parent, recording only the kept
/// namespaces: `delete` run again once they are empty deletes them, then the parent.
///
/// # Errors
/// As [`apply`](super::apply)'s preflight; a set whose parent does not exist has nothing
/// to delete and gives an empty report.
pub async fn delete(client: &Client, options: &ApplyOptions) -> Result<ApplyReport, ApplyError> {
    let started = Instant::now();
    let api = Requester {
        client,
        options,
        deadline: started + options.timeout,
    };
    let mut report = ApplyReport {
        dry_run: options.dry_run,
        ..ApplyReport::default()
    };
    let plan = Plan::prepare(&api, &Resources::new(), true).await?;
    if !plan.parent_exists {
        report.elapsed = started.elapsed();
        return Ok(report);
    }
    let candidates = prune_candidates(&api, &plan, &HashSet::new()).await?;
    options.notify(&Event::Started {
        step: Step::Delete,
        total: candidates.len() + 1,
    });
    report.results = delete_in_order(&api, &plan, candidates, Action::Deleted, Step::Delete).await;
    let kept: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.action == Action::Skipped && r.resource.kind == "Namespace")
        .map(|r| r.resource.name.clone())
        .collect();
    if report.results.iter().any(|r| r.action == Action::Failed) {
        report.stopped = Some(Stopped::WriteFailed);
    } else if kept.is_empty() {
        report.results.push(delete_parent(&api, &plan).await);
    } else {
        report.results.push(keep_parent(&api, &plan, &kept).await);
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// While namespaces of the set are kept, the parent stays and records only them, so that
/// `delete` run again (once they are empty) deletes them and then the parent.
async fn keep_parent(api: &Requester<'_>, plan: &Plan, kept: &[String]) -> ResourceResult {
    let options = api.options;
    let parent_ref = ResourceRef::new(
        options.applyset.kind.kind(),
        Some(&options.applyset.namespace),
        &options.applyset.name,
    );
    let kinds = BTreeSet::from(["Namespace".to_string()]);
    match plan
        .write_parent(api, options, &kinds, &BTreeSet::new(), options.dry_run)
        .await
    {
        Ok(()) => ResourceResult::new(parent_ref, "v1", Action::Skipped).message(format!(
            "kept: it still records the kept namespace(s) {}; run delete again once they are empty",
            kept.join(", ")
        )),
        Err(e) => ResourceResult::new(parent_ref, "v1", Action::Failed).message(e.to_string()),
    }
}

/// Deletes the ApplySet parent, once its members are gone.
async fn delete_parent(api: &Requester<'_>, plan: &Plan) -> ResourceResult {
    let options = api.options;
    let parent_ref = ResourceRef::new(
        options.applyset.kind.kind(),
        Some(&options.applyset.namespace),
        &options.applyset.name,
    );
    match api
        .delete(
            &plan.parent_ar,
            Some(&options.applyset.namespace),
            &options.applyset.name,
            options.dry_run,
        )
        .await
    {
        Ok(_) => ResourceResult::new(parent_ref, "v1", Action::Deleted),
        Err(e) => failure(&parent_ref, "v1", &e),
    }
}

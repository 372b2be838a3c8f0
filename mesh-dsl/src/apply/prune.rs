//! Finding the objects of the set that are no longer declared, and deleting objects in
//! order (Istio kinds first, namespaces last); shared by prune and delete.

use std::collections::{BTreeMap, HashSet};

use kube::core::ApiResource;
use kube::discovery::Scope;
use serde_json::Value;

use super::applyset::PART_OF_LABEL;
use super::concurrently;
use super::error::ApplyError;
use super::plan::{MemberKey, Plan, group_of_gk, resolve_gk};
use super::report::{Action, Event, ResourceResult, Step};
use super::request::Requester;
use super::results::failure;
use crate::diag::ResourceRef;

/// An object of the set found in the cluster.
pub(crate) struct Candidate {
    pub(crate) reference: ResourceRef,
    pub(crate) api_version: String,
    pub(crate) namespace: Option<String>,
    pub(crate) ar: ApiResource,
    pub(crate) group: u8,
    pub(crate) live: Value,
}

/// One list request: a group-kind, its resource, and the namespace (`None`: cluster
/// scoped).
type Listing = (String, ApiResource, Option<String>);

/// The list requests that find the set's members: every recorded and current group-kind
/// the cluster still serves, in every recorded namespace for namespaced kinds.
fn listings(plan: &Plan, parent_ns: &str) -> Vec<Listing> {
    let namespaces = plan.all_namespaces(parent_ns);
    let mut lists = Vec::new();
    for gk in &plan.all_group_kinds() {
        let Some((ar, caps)) = resolve_gk(&plan.discovery, gk) else {
            tracing::warn!("{gk} is recorded in the ApplySet but no longer served: not pruned");
            continue;
        };
        match caps.scope {
            Scope::Cluster => lists.push((gk.clone(), ar, None)),
            Scope::Namespaced => {
                for ns in &namespaces {
                    lists.push((gk.clone(), ar.clone(), Some(ns.clone())));
                }
            }
        }
    }
    lists
}

/// The members of the set in the cluster that are not in `keep`: every recorded and
/// current group-kind, listed by the part-of label in every recorded namespace.
pub(crate) async fn prune_candidates(
    api: &Requester<'_>,
    plan: &Plan,
    keep: &HashSet<MemberKey>,
) -> Result<Vec<Candidate>, ApplyError> {
    let options = api.options;
    let lists = listings(plan, &options.applyset.namespace);
    let selector = format!("{PART_OF_LABEL}={}", plan.set_id);
    let listed = concurrently(options.concurrency, lists, |(gk, ar, ns)| {
        let selector = &selector;
        async move {
            let r = api.list(&ar, ns.as_deref(), selector).await;
            (gk, ar, ns, r)
        }
    })
    .await;
    let mut out = Vec::new();
    for (gk, ar, ns, r) in listed {
        let items = r.map_err(|e| {
            ApplyError::request(
                format!(
                    "list {} in {} for prune",
                    ar.plural,
                    ns.as_deref().unwrap_or("the cluster")
                ),
                e,
            )
        })?;
        for item in items {
            let name = item["metadata"]["name"].as_str().unwrap_or("").to_string();
            let item_ns = item["metadata"]["namespace"].as_str().map(String::from);
            let owned = item["metadata"]["labels"][PART_OF_LABEL] == plan.set_id.as_str();
            if !owned || keep.contains(&(gk.clone(), item_ns.clone(), name.clone())) {
                continue;
            }
            out.push(Candidate {
                reference: ResourceRef::new(&ar.kind, item_ns.as_deref(), &name),
                api_version: ar.api_version.clone(),
                namespace: item_ns,
                ar: ar.clone(),
                group: group_of_gk(&gk),
                live: item,
            });
        }
    }
    Ok(out)
}

/// Deletes candidates, Istio kinds first and namespaces last.
pub(crate) async fn delete_in_order(
    api: &Requester<'_>,
    candidates: Vec<Candidate>,
    action: Action,
    step: Step,
) -> Vec<ResourceResult> {
    let mut by_group: BTreeMap<u8, Vec<Candidate>> = BTreeMap::new();
    for c in candidates {
        by_group.entry(c.group).or_default().push(c);
    }
    let mut results = Vec::new();
    for (_, mut these) in by_group.into_iter().rev() {
        these.sort_by(|a, b| a.reference.cmp(&b.reference));
        let done = concurrently(api.options.concurrency, these, |c| async move {
            let r = match api
                .delete(
                    &c.ar,
                    c.namespace.as_deref(),
                    &c.reference.name,
                    api.options.dry_run,
                )
                .await
            {
                Ok(_) => ResourceResult::new(c.reference.clone(), &c.api_version, action),
                Err(e) => failure(&c.reference, &c.api_version, &e),
            };
            api.options.notify(&Event::Done { step, result: &r });
            r
        })
        .await;
        results.extend(done);
    }
    results
}

//! Finding the objects of the set that are no longer declared, and deleting objects in
//! order (Istio kinds first, namespaces last); shared by prune and delete.

use std::collections::{BTreeMap, HashSet};

use kube::core::ApiResource;
use kube::discovery::{Scope, verbs};
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
            let r = api.list(&ar, ns.as_deref(), Some(selector)).await;
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

/// Kinds never listed to decide whether a namespace holds other objects: records of what
/// happened (events) and what Kubernetes derives from Services (endpoints).
const DERIVED_KINDS: [(&str, &str); 4] = [
    ("", "Event"),
    ("events.k8s.io", "Event"),
    ("", "Endpoints"),
    ("discovery.k8s.io", "EndpointSlice"),
];

/// At most this many occupants are named in the message of a kept namespace.
const NAMED_OCCUPANTS: usize = 8;

/// Whether a listed object keeps its namespace alive: anything that is not a member of
/// this ApplySet, not made by Kubernetes itself (the `kube-root-ca.crt` ConfigMap, the
/// `default` ServiceAccount and its token Secret) and not owned by another object (pods
/// of a ReplicaSet go with it), nor the ApplySet parent.
fn is_occupant(api: &Requester<'_>, plan: &Plan, ar: &ApiResource, item: &Value) -> bool {
    let meta = &item["metadata"];
    let name = meta["name"].as_str().unwrap_or("");
    let parent = &api.options.applyset;
    let kubernetes_made = matches!(
        (ar.group.as_str(), ar.kind.as_str(), name),
        ("", "ConfigMap", "kube-root-ca.crt") | ("", "ServiceAccount", "default")
    ) || (ar.group.is_empty()
        && ar.kind == "Secret"
        && item["type"] == "kubernetes.io/service-account-token");
    let is_parent = ar.group.is_empty()
        && ar.kind == parent.kind.kind()
        && name == parent.name
        && meta["namespace"].as_str() == Some(parent.namespace.as_str());
    let member = meta["labels"][PART_OF_LABEL] == plan.set_id.as_str();
    let owned = meta["ownerReferences"]
        .as_array()
        .is_some_and(|o| !o.is_empty());
    !(member || kubernetes_made || is_parent || owned)
}

/// What keeps a namespace alive: the objects in it that [`is_occupant`] counts, over every
/// namespaced, listable kind of the discovered API groups (the core group in full, and the
/// groups of the mesh's and the recorded kinds), events and endpoints aside. A kind that
/// cannot be listed counts too, as the namespace cannot be shown to be empty.
async fn occupants(api: &Requester<'_>, plan: &Plan, namespace: &str) -> Vec<String> {
    let mut by_kind: BTreeMap<(String, String), ApiResource> = BTreeMap::new();
    for (ar, caps) in plan
        .discovery
        .groups()
        .flat_map(|g| g.recommended_resources())
    {
        if caps.scope == Scope::Namespaced
            && caps.supports_operation(verbs::LIST)
            && !DERIVED_KINDS.contains(&(ar.group.as_str(), ar.kind.as_str()))
        {
            // One version of each kind is enough.
            by_kind
                .entry((ar.group.clone(), ar.kind.clone()))
                .or_insert(ar);
        }
    }
    let kinds: Vec<ApiResource> = by_kind.into_values().collect();
    let listed = concurrently(api.options.concurrency, kinds, |ar| async move {
        let r = api.list(&ar, Some(namespace), None).await;
        (ar, r)
    })
    .await;
    let mut found = Vec::new();
    for (ar, r) in listed {
        match r {
            Ok(items) => {
                for item in items.iter().filter(|i| is_occupant(api, plan, &ar, i)) {
                    let name = item["metadata"]["name"].as_str().unwrap_or("");
                    found.push(format!("{} {namespace}/{name}", ar.kind));
                }
            }
            Err(e) => found.push(format!("{} (cannot list them: {e})", ar.plural)),
        }
    }
    found.sort();
    found
}

/// Deletes a namespace of the set unless it holds objects of others (or the options say to
/// delete populated namespaces too): then it is kept, and its result names what keeps it.
async fn delete_namespace(
    api: &Requester<'_>,
    plan: &Plan,
    c: &Candidate,
    action: Action,
) -> ResourceResult {
    match kept_namespace(api, plan, c).await {
        Some(kept) => kept,
        None => delete_one(api, c, action).await,
    }
}

/// The result of a namespace candidate that is kept because it holds objects of others
/// (naming them), unless the options say to delete populated namespaces; `None` when it
/// may be deleted.
pub(crate) async fn kept_namespace(
    api: &Requester<'_>,
    plan: &Plan,
    c: &Candidate,
) -> Option<ResourceResult> {
    if !api.options.delete_populated_namespaces {
        let found = occupants(api, plan, &c.reference.name).await;
        if !found.is_empty() {
            let mut named = found
                .iter()
                .take(NAMED_OCCUPANTS)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if found.len() > NAMED_OCCUPANTS {
                named.push_str(&format!(" and {} more", found.len() - NAMED_OCCUPANTS));
            }
            return Some(
                ResourceResult::new(c.reference.clone(), &c.api_version, Action::Skipped)
                    .message(format!(
                        "kept: it holds objects this ApplySet did not deploy: {named} (delete them first, or delete populated namespaces explicitly with --delete-namespaces=force)"
                    )),
            );
        }
    }
    None
}

/// Whether a candidate is a Namespace.
pub(crate) fn is_namespace(c: &Candidate) -> bool {
    c.ar.group.is_empty() && c.ar.kind == "Namespace"
}

/// Deletes one candidate.
async fn delete_one(api: &Requester<'_>, c: &Candidate, action: Action) -> ResourceResult {
    match api
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
    }
}

/// Deletes candidates, Istio kinds first and namespaces last; a namespace that holds
/// objects of others is kept (see [`delete_namespace`]).
pub(crate) async fn delete_in_order(
    api: &Requester<'_>,
    plan: &Plan,
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
            let r = if is_namespace(&c) {
                delete_namespace(api, plan, &c, action).await
            } else {
                delete_one(api, &c, action).await
            };
            api.options.notify(&Event::Done { step, result: &r });
            r
        })
        .await;
        results.extend(done);
    }
    results
}

//! What is known before the first request that changes anything: the ApplySet parent,
//! discovery, and every declared object resolved against it, in its apply group.

use std::collections::{BTreeSet, HashSet};

use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::{ApiCapabilities, Scope};
use serde_json::Value;

use super::applyset::{self, Recorded};
use super::error::{ApplyError, MissingKinds};
use super::options::ApplyOptions;
use super::request::Requester;
use super::served::{self, Served};
use crate::diag::ResourceRef;
use crate::resources::Resources;

/// One declared object, resolved against discovery.
pub(crate) struct Member {
    pub(crate) reference: ResourceRef,
    pub(crate) api_version: String,
    pub(crate) group_kind: String,
    pub(crate) namespace: Option<String>,
    /// 0 namespaces, 1 core objects and workloads, 2 Istio kinds, 3 anything else.
    pub(crate) group: u8,
    pub(crate) object: Value,
    pub(crate) ar: ApiResource,
}

/// The identity prune compares: group-kind, namespace, name.
pub(crate) type MemberKey = (String, Option<String>, String);

impl Member {
    /// Its group-kind, namespace and name.
    pub(crate) fn key(&self) -> MemberKey {
        (
            self.group_kind.clone(),
            self.namespace.clone(),
            self.reference.name.clone(),
        )
    }

    /// Whether it lives in one of these namespaces (e.g. those an apply creates).
    pub(crate) fn in_namespaces(&self, namespaces: &HashSet<String>) -> bool {
        self.namespace
            .as_ref()
            .is_some_and(|ns| namespaces.contains(ns))
    }
}

/// The apply group of a compile phase.
fn apply_group(phase: u8) -> u8 {
    match phase {
        0 => 0,
        1..=3 => 1,
        4 => 2,
        _ => 3,
    }
}

/// The apply group of a group-kind (for prune and delete order).
pub(crate) fn group_of_gk(gk: &str) -> u8 {
    let (group, kind) = applyset::split_group_kind(gk);
    match (group.as_str(), kind.as_str()) {
        ("", "Namespace") => 0,
        ("", "ServiceAccount" | "Service") | ("apps", "Deployment") => 1,
        (g, _) if g.ends_with(".istio.io") => 2,
        _ => 3,
    }
}

/// Everything known before the first request that changes anything.
pub(crate) struct Plan {
    pub(crate) members: Vec<Member>,
    pub(crate) discovery: Served,
    pub(crate) parent_ar: ApiResource,
    pub(crate) recorded: Recorded,
    pub(crate) parent_exists: bool,
    pub(crate) set_id: String,
}

/// The served resource of a group-kind, if the cluster serves it.
pub(crate) fn resolve_gk(served: &Served, gk: &str) -> Option<(ApiResource, ApiCapabilities)> {
    let (group, kind) = applyset::split_group_kind(gk);
    served.recommended_kind(&group, &kind)
}

/// What to discover: the core group's `v1` and the resources' group-versions; and with
/// `extra_groups`, the groups of the kinds the parent records.
fn to_discover(
    resources: &Resources,
    recorded: &Recorded,
    extra_groups: bool,
) -> (BTreeSet<(String, String)>, BTreeSet<String>) {
    let mut wanted = BTreeSet::from([(String::new(), "v1".to_string())]);
    for r in resources {
        let (g, v) = r
            .api_version()
            .rsplit_once('/')
            .unwrap_or(("", r.api_version()));
        wanted.insert((g.to_string(), v.to_string()));
    }
    let mut others = BTreeSet::new();
    if extra_groups {
        for gk in &recorded.group_kinds {
            others.insert(applyset::split_group_kind(gk).0);
        }
    }
    (wanted, others)
}

/// Every resource resolved against discovery, labelled as a member of the set; or the
/// kinds the cluster does not serve.
fn resolve_members(
    api: &Requester<'_>,
    resources: &Resources,
    discovery: &Served,
    set_id: &str,
) -> Result<Vec<Member>, ApplyError> {
    let mut missing = BTreeSet::new();
    let mut members = Vec::new();
    for r in resources {
        let api_version = r.api_version().to_string();
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", &api_version));
        let gvk = GroupVersionKind::gvk(group, version, r.kind());
        let Some((ar, caps)) = discovery.resolve_gvk(&gvk) else {
            missing.insert(format!("{api_version} {}", r.kind()));
            continue;
        };
        let namespace = match caps.scope {
            Scope::Cluster => None,
            Scope::Namespaced => Some(
                r.namespace()
                    .unwrap_or(api.client.default_namespace())
                    .to_string(),
            ),
        };
        let mut object = r.to_json();
        if let Some(ns) = &namespace {
            object["metadata"]["namespace"] = Value::String(ns.clone());
        }
        applyset::label_member(&mut object, set_id);
        members.push(Member {
            reference: ResourceRef::new(r.kind(), namespace.as_deref(), r.name()),
            group_kind: applyset::group_kind(&api_version, r.kind()),
            api_version,
            namespace,
            group: apply_group(r.phase()),
            object,
            ar,
        });
    }
    if !missing.is_empty() {
        return Err(ApplyError::MissingKinds(MissingKinds {
            missing: missing.into_iter().collect(),
        }));
    }
    Ok(members)
}

impl Plan {
    /// Reads the ApplySet parent (refusing another tool's), discovers the cluster's API
    /// and resolves every resource; `extra_groups` also discovers the recorded kinds.
    pub(crate) async fn prepare(
        api: &Requester<'_>,
        resources: &Resources,
        extra_groups: bool,
    ) -> Result<Self, ApplyError> {
        let options = api.options;
        let parent_ar = options.applyset.api_resource();
        let set_id = applyset::id(&options.applyset);
        let parent = api
            .get(
                &parent_ar,
                Some(&options.applyset.namespace),
                &options.applyset.name,
            )
            .await
            .map_err(|e| ApplyError::parent(options, e))?;
        let recorded = parent.as_ref().map(Recorded::of).unwrap_or_default();
        if let Some(tooling) = recorded.foreign_tool() {
            return Err(ApplyError::ForeignApplySet {
                parent: options.applyset.to_string(),
                tooling: tooling.to_string(),
            });
        }
        let (wanted, others) = to_discover(resources, &recorded, extra_groups);
        let discovery = served::discover(api, &wanted, &others).await?;
        let members = resolve_members(api, resources, &discovery, &set_id)?;
        Ok(Self {
            members,
            discovery,
            parent_ar,
            parent_exists: parent.is_some(),
            recorded,
            set_id,
        })
    }

    /// Server-side applies the ApplySet parent listing `group_kinds` and `namespaces` (only
    /// checks it with `dry_run`).
    pub(crate) async fn write_parent(
        &self,
        api: &Requester<'_>,
        options: &ApplyOptions,
        group_kinds: &BTreeSet<String>,
        namespaces: &BTreeSet<String>,
        dry_run: bool,
    ) -> Result<(), ApplyError> {
        let parent = applyset::parent_object(&options.applyset, group_kinds, namespaces);
        api.apply(
            &self.parent_ar,
            Some(&options.applyset.namespace),
            &options.applyset.name,
            &parent,
            dry_run,
        )
        .await
        .map(drop)
        .map_err(|e| ApplyError::parent(options, e))
    }

    /// The group-kinds of the declared objects.
    pub(crate) fn group_kinds(&self) -> BTreeSet<String> {
        self.members.iter().map(|m| m.group_kind.clone()).collect()
    }

    /// The namespaces of the declared objects, and the parent's.
    pub(crate) fn namespaces(&self, parent_ns: &str) -> BTreeSet<String> {
        let mut ns: BTreeSet<String> = self
            .members
            .iter()
            .filter_map(|m| m.namespace.clone())
            .collect();
        ns.insert(parent_ns.to_string());
        ns
    }

    /// The group-kinds of both the declared objects and those the parent records.
    pub(crate) fn all_group_kinds(&self) -> BTreeSet<String> {
        self.group_kinds()
            .union(&self.recorded.group_kinds)
            .cloned()
            .collect()
    }

    /// The namespaces of both the declared objects (and the parent) and those the parent
    /// records.
    pub(crate) fn all_namespaces(&self, parent_ns: &str) -> BTreeSet<String> {
        self.namespaces(parent_ns)
            .union(&self.recorded.namespaces)
            .cloned()
            .collect()
    }
}

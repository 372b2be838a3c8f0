//! What is known before the first request that changes anything: the ApplySet parent,
//! discovery, and every declared object resolved against it, in its apply group.

use std::collections::{BTreeSet, HashSet};

use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::{ApiCapabilities, Discovery, Scope};
use serde_json::Value;
use tokio::time::Instant;

use super::applyset::{self, Recorded};
use super::error::{ApplyError, MissingKinds};
use super::options::ApplyOptions;
use super::request::{self, RequestError, Requester};
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
    pub(crate) discovery: Discovery,
    pub(crate) parent_ar: ApiResource,
    pub(crate) recorded: Recorded,
    pub(crate) parent_exists: bool,
    pub(crate) set_id: String,
}

fn parent_resource(options: &ApplyOptions) -> ApiResource {
    let kind = options.applyset.kind.kind();
    ApiResource {
        group: String::new(),
        version: "v1".into(),
        api_version: "v1".into(),
        kind: kind.into(),
        plural: format!("{}s", kind.to_ascii_lowercase()),
    }
}

/// Discovery of these API groups, retried while the failure may pass.
async fn discover(api: &Requester<'_>, groups: &BTreeSet<String>) -> Result<Discovery, ApplyError> {
    let names: Vec<&str> = groups.iter().map(String::as_str).collect();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = tokio::time::timeout(
            api.options.request_timeout * 4,
            Discovery::new(api.client.clone()).filter(&names).run(),
        )
        .await;
        let error = match result {
            Ok(Ok(d)) => return Ok(d),
            Ok(Err(e)) => e,
            Err(_) => {
                return Err(ApplyError::request(
                    "discover the cluster's API",
                    RequestError::Timeout(api.options.request_timeout * 4),
                ));
            }
        };
        let transient = match &error {
            kube::Error::Api(s) => matches!(s.code, 429 | 500 | 502 | 503 | 504),
            kube::Error::HyperError(_) | kube::Error::Service(_) => true,
            _ => false,
        };
        let delay = request::backoff(api.options, attempt);
        if !transient
            || attempt >= api.options.retry.attempts
            || Instant::now() + delay >= api.deadline
        {
            return Err(ApplyError::Unreachable(error));
        }
        tokio::time::sleep(delay).await;
    }
}

/// The served resource of a group-kind, if the cluster serves it.
pub(crate) fn resolve_gk(
    discovery: &Discovery,
    gk: &str,
) -> Option<(ApiResource, ApiCapabilities)> {
    let (group, kind) = applyset::split_group_kind(gk);
    discovery.get(&group)?.recommended_kind(&kind)
}

/// The API groups to discover: the core group, the resources' groups, and with
/// `extra_groups` those of the kinds the parent records.
fn groups_to_discover(
    resources: &Resources,
    recorded: &Recorded,
    extra_groups: bool,
) -> BTreeSet<String> {
    let mut groups: BTreeSet<String> = BTreeSet::from([String::new()]);
    for r in resources {
        if let Some((g, _)) = r.api_version().rsplit_once('/') {
            groups.insert(g.to_string());
        }
    }
    if extra_groups {
        for gk in &recorded.group_kinds {
            groups.insert(applyset::split_group_kind(gk).0);
        }
    }
    groups
}

/// Every resource resolved against discovery, labelled as a member of the set; or the
/// kinds the cluster does not serve.
fn resolve_members(
    api: &Requester<'_>,
    resources: &Resources,
    discovery: &Discovery,
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
        let parent_ar = parent_resource(options);
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
        let groups = groups_to_discover(resources, &recorded, extra_groups);
        let discovery = discover(api, &groups).await?;
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

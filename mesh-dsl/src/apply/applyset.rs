//! Kubernetes ApplySets, as kubectl writes them: a parent object labelled with the set's
//! id and annotated with the group-kinds and namespaces of its members, and every member
//! labelled `applyset.kubernetes.io/part-of=<id>`.
//! See [KEP-3659](https://github.com/kubernetes/enhancements/tree/master/keps/sig-cli/3659-kubectl-apply-prune).

use std::collections::BTreeSet;

use base64::Engine as _;
use serde_json::{Value, json};

use super::options::ApplySetParent;

/// The label on the parent: its id.
pub const ID_LABEL: &str = "applyset.kubernetes.io/id";
/// The label on every member: the id of its set.
pub const PART_OF_LABEL: &str = "applyset.kubernetes.io/part-of";
/// The annotation naming the tool that owns the set, `<tool>/<version>`.
pub const TOOLING_ANNOTATION: &str = "applyset.kubernetes.io/tooling";
/// The annotation listing the members' group-kinds, `Kind.group`, sorted.
pub const GROUP_KINDS_ANNOTATION: &str = "applyset.kubernetes.io/contains-group-kinds";
/// The annotation listing the members' namespaces other than the parent's, sorted.
pub const NAMESPACES_ANNOTATION: &str = "applyset.kubernetes.io/additional-namespaces";

/// The tool name written in the tooling annotation.
pub const TOOL: &str = "mesh-dsl";

/// `mesh-dsl/v<version>`.
pub fn tooling() -> String {
    format!("{TOOL}/v{}", env!("CARGO_PKG_VERSION"))
}

/// The set's id: `applyset-` + unpadded base64url of sha256(`name.namespace.Kind.group`)
/// + `-v1` (the group of ConfigMap and Secret is empty).
pub fn id(parent: &ApplySetParent) -> String {
    let key = format!(
        "{}.{}.{}.",
        parent.name,
        parent.namespace,
        parent.kind.kind()
    );
    let hash = ring::digest::digest(&ring::digest::SHA256, key.as_bytes());
    format!(
        "applyset-{}-v1",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hash.as_ref())
    )
}

/// A group-kind as ApplySets write it: `Kind` for the core group, `Kind.group` otherwise.
pub fn group_kind(api_version: &str, kind: &str) -> String {
    match api_version.rsplit_once('/') {
        Some((group, _)) => format!("{kind}.{group}"),
        None => kind.to_string(),
    }
}

/// Splits `Kind.group` back into (group, kind).
pub fn split_group_kind(gk: &str) -> (String, String) {
    match gk.split_once('.') {
        Some((kind, group)) => (group.to_string(), kind.to_string()),
        None => (String::new(), gk.to_string()),
    }
}

/// What a parent records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Recorded {
    pub(crate) tooling: Option<String>,
    pub(crate) group_kinds: BTreeSet<String>,
    pub(crate) namespaces: BTreeSet<String>,
}

fn comma_list(v: &Value) -> BTreeSet<String> {
    v.as_str()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

impl Recorded {
    /// What a live parent records.
    pub(crate) fn of(parent: &Value) -> Self {
        let a = &parent["metadata"]["annotations"];
        Self {
            tooling: a[TOOLING_ANNOTATION].as_str().map(String::from),
            group_kinds: comma_list(&a[GROUP_KINDS_ANNOTATION]),
            namespaces: comma_list(&a[NAMESPACES_ANNOTATION]),
        }
    }

    /// Whether another tool owns the set (kubectl refuses to touch such a set too).
    pub(crate) fn foreign_tool(&self) -> Option<&str> {
        self.tooling
            .as_deref()
            .filter(|t| t.split('/').next() != Some(TOOL))
    }
}

/// The parent object to apply, recording these group-kinds and namespaces.
pub(crate) fn parent_object(
    parent: &ApplySetParent,
    group_kinds: &BTreeSet<String>,
    namespaces: &BTreeSet<String>,
) -> Value {
    let join = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(",");
    let additional: BTreeSet<String> = namespaces
        .iter()
        .filter(|n| **n != parent.namespace)
        .cloned()
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": parent.kind.kind(),
        "metadata": {
            "name": parent.name,
            "namespace": parent.namespace,
            "labels": {ID_LABEL: id(parent)},
            "annotations": {
                TOOLING_ANNOTATION: tooling(),
                GROUP_KINDS_ANNOTATION: join(group_kinds),
                NAMESPACES_ANNOTATION: join(&additional),
            },
        },
    })
}

/// Labels a member object as part of the set.
pub(crate) fn label_member(object: &mut Value, id: &str) {
    let meta = &mut object["metadata"];
    if !meta["labels"].is_object() {
        meta["labels"] = json!({});
    }
    meta["labels"][PART_OF_LABEL] = Value::String(id.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_kubectls() {
        // printf 'shop.default.ConfigMap.' | sha256sum, as unpadded base64url.
        let p = ApplySetParent::config_map("shop", "default");
        assert_eq!(
            id(&p),
            "applyset-eJnHvE2GWb1x7cuOigFbmWy6kz3rLjS9N8VMrZGS2Os-v1"
        );
        let s = ApplySetParent::secret("shop", "default");
        assert_ne!(id(&s), id(&p));
    }

    #[test]
    fn group_kinds_round_trip() {
        assert_eq!(group_kind("v1", "Namespace"), "Namespace");
        assert_eq!(group_kind("apps/v1", "Deployment"), "Deployment.apps");
        assert_eq!(
            group_kind("networking.istio.io/v1", "VirtualService"),
            "VirtualService.networking.istio.io"
        );
        assert_eq!(
            split_group_kind("VirtualService.networking.istio.io"),
            ("networking.istio.io".into(), "VirtualService".into())
        );
        assert_eq!(
            split_group_kind("Service"),
            (String::new(), "Service".into())
        );
    }

    #[test]
    fn the_parent_records_kinds_and_other_namespaces() {
        let p = ApplySetParent::config_map("shop", "default");
        let gks: BTreeSet<String> = ["Service".into(), "Deployment.apps".into()].into();
        let nss: BTreeSet<String> = ["default".into(), "shop".into()].into();
        let obj = parent_object(&p, &gks, &nss);
        let r = Recorded::of(&obj);
        assert_eq!(r.group_kinds, gks);
        assert_eq!(r.namespaces, BTreeSet::from(["shop".to_string()]));
        assert_eq!(
            obj["metadata"]["annotations"][GROUP_KINDS_ANNOTATION],
            "Deployment.apps,Service"
        );
        assert_eq!(r.foreign_tool(), None);
        let mut other = obj.clone();
        other["metadata"]["annotations"][TOOLING_ANNOTATION] = json!("kubectl/v1.32");
        assert_eq!(Recorded::of(&other).foreign_tool(), Some("kubectl/v1.32"));
    }
}

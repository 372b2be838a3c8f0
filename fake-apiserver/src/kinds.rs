//! The kinds the fake server serves, and the discovery documents that describe them.

use istio_types::IstioKind;
use serde_json::{Value, json};

/// One kind the server serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kind {
    /// The API group (`""` for the core group).
    pub group: String,
    /// The served versions, in the CRD's order.
    pub versions: Vec<String>,
    /// The kind, e.g. `VirtualService`.
    pub kind: String,
    /// The plural resource name, e.g. `virtualservices`.
    pub plural: String,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
}

impl Kind {
    /// A kind served at one version.
    pub fn new(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> Self {
        Self {
            group: group.into(),
            versions: vec![version.into()],
            kind: kind.into(),
            plural: plural.into(),
            namespaced,
        }
    }

    /// `group/version`, or `version` for the core group.
    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{version}", self.group)
        }
    }

    /// `plural.group` as the API server names a resource in messages.
    pub(crate) fn resource_name(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// The core kinds mesh-dsl emits or uses as an ApplySet parent.
pub fn core_kinds() -> Vec<Kind> {
    vec![
        Kind::new("", "v1", "Namespace", "namespaces", false),
        Kind::new("", "v1", "ServiceAccount", "serviceaccounts", true),
        Kind::new("", "v1", "Service", "services", true),
        Kind::new("", "v1", "ConfigMap", "configmaps", true),
        Kind::new("", "v1", "Secret", "secrets", true),
        Kind::new("apps", "v1", "Deployment", "deployments", true),
    ]
}

/// One Istio kind as istio-types describes it: group, served versions and plural from its
/// [`IstioKind`] constants; every Istio kind is namespaced.
fn istio_kind<K: IstioKind>() -> Kind {
    Kind {
        group: K::GROUP.into(),
        versions: K::SERVED_VERSIONS
            .iter()
            .map(|v| (*v).to_string())
            .collect(),
        kind: K::KIND.into(),
        plural: K::PLURAL.into(),
        namespaced: true,
    }
}

/// Every Istio kind istio-types knows (every served version), without any CRD file.
pub fn istio_kinds() -> Vec<Kind> {
    use istio_types::{extensions, networking, security, telemetry};
    vec![
        istio_kind::<networking::v1::DestinationRule>(),
        istio_kind::<networking::v1alpha3::EnvoyFilter>(),
        istio_kind::<networking::v1::Gateway>(),
        istio_kind::<networking::v1beta1::ProxyConfig>(),
        istio_kind::<networking::v1::ServiceEntry>(),
        istio_kind::<networking::v1::Sidecar>(),
        istio_kind::<networking::v1::VirtualService>(),
        istio_kind::<networking::v1::WorkloadEntry>(),
        istio_kind::<networking::v1::WorkloadGroup>(),
        istio_kind::<security::v1::AuthorizationPolicy>(),
        istio_kind::<security::v1::PeerAuthentication>(),
        istio_kind::<security::v1::RequestAuthentication>(),
        istio_kind::<telemetry::v1::Telemetry>(),
        istio_kind::<extensions::v1alpha1::TrafficExtension>(),
        istio_kind::<extensions::v1alpha1::WasmPlugin>(),
    ]
}

/// The kinds of a CRD file (every served version).
pub fn crd_kinds(crds: &testkit::Crds) -> Vec<Kind> {
    crds.kinds()
        .map(|k| Kind {
            group: k.group.clone(),
            versions: k.served.clone(),
            kind: k.kind.clone(),
            plural: k.plural.clone(),
            namespaced: k.scope != "Cluster",
        })
        .collect()
}

/// Kubernetes' version priority: GA, then beta, then alpha, higher numbers first.
fn priority(version: &str) -> (u8, u32, u32) {
    let rest = version.trim_start_matches('v');
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let major = digits.parse().unwrap_or(0);
    let tail = &rest[digits.len()..];
    let (level, minor) = if let Some(n) = tail.strip_prefix("beta") {
        (1, n.parse().unwrap_or(0))
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (0, n.parse().unwrap_or(0))
    } else {
        (2, 0)
    };
    (level, major, minor)
}

/// The versions of a group, preferred first.
fn group_versions(kinds: &[Kind], group: &str) -> Vec<String> {
    let mut versions: Vec<String> = kinds
        .iter()
        .filter(|k| k.group == group)
        .flat_map(|k| k.versions.iter().cloned())
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(priority(v)));
    versions.dedup();
    versions
}

/// `GET /api`.
pub(crate) fn core_versions(addr: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": addr}],
    })
}

/// `GET /apis`.
pub(crate) fn group_list(kinds: &[Kind]) -> Value {
    let mut groups: Vec<&str> = kinds
        .iter()
        .map(|k| k.group.as_str())
        .filter(|g| !g.is_empty())
        .collect();
    groups.sort_unstable();
    groups.dedup();
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|g| {
            let versions: Vec<Value> = group_versions(kinds, g)
                .iter()
                .map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
                .collect();
            json!({"name": g, "preferredVersion": versions[0].clone(), "versions": versions})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /api/v1` or `GET /apis/{group}/{version}`; `None` when nothing is served there.
pub(crate) fn resource_list(kinds: &[Kind], group: &str, version: &str) -> Option<Value> {
    let resources: Vec<Value> = kinds
        .iter()
        .filter(|k| k.group == group && k.versions.iter().any(|v| v == version))
        .map(|k| {
            json!({
                "name": k.plural,
                "singularName": k.kind.to_ascii_lowercase(),
                "namespaced": k.namespaced,
                "kind": k.kind,
                "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            })
        })
        .collect();
    if resources.is_empty() {
        return None;
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": gv,
        "resources": resources,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// istio-types' kinds are the CRD file's kinds, when the reference data is there.
    #[test]
    fn istio_kinds_match_the_crds() {
        let mut ours = istio_kinds();
        let Some(crds) = testkit::reference_crds("istio_kinds_match_the_crds") else {
            return;
        };
        let mut theirs = crd_kinds(crds);
        let key = |k: &Kind| (k.group.clone(), k.kind.clone());
        ours.sort_by_key(key);
        theirs.sort_by_key(key);
        for k in ours.iter_mut().chain(theirs.iter_mut()) {
            k.versions.sort();
        }
        assert_eq!(ours, theirs);
    }

    #[test]
    fn versions_are_ordered_as_kubernetes_orders_them() {
        let mut v = vec!["v1alpha3", "v1beta1", "v1", "v2alpha1", "v1alpha1"];
        v.sort_by_key(|v| std::cmp::Reverse(priority(v)));
        assert_eq!(v, ["v1", "v1beta1", "v2alpha1", "v1alpha3", "v1alpha1"]);
    }
}

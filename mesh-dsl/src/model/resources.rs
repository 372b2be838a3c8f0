//! [`Resources`]: the typed set of Kubernetes and Istio objects that everything downstream
//! reads (rendering, validation, analysis, simulation, apply), whether it came from the
//! DSL or from YAML files.

use std::cmp::Ordering;

use istio_types::document::{Document, SourceDocument};
use istio_types::{GatewayApiResource, IstioResource};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Service, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::Value;

use super::diag::ResourceRef;

/// One object.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Resource {
    /// A Kubernetes Namespace.
    Namespace(Box<Namespace>),
    /// A Kubernetes ServiceAccount.
    ServiceAccount(Box<ServiceAccount>),
    /// A Kubernetes Service.
    Service(Box<Service>),
    /// A Kubernetes Deployment.
    Deployment(Box<Deployment>),
    /// An Istio resource.
    Istio(IstioResource),
    /// A Kubernetes Gateway API resource (HTTPRoute, Gateway, ...).
    GatewayApi(GatewayApiResource),
    /// Any other object, as JSON (a Pod, a ConfigMap, another project's CRD...).
    Other(Value),
}

fn meta_of(v: &Value) -> (Option<&str>, Option<&str>) {
    let m = v.get("metadata");
    (
        m.and_then(|m| m.get("namespace")).and_then(Value::as_str),
        m.and_then(|m| m.get("name")).and_then(Value::as_str),
    )
}

impl Resource {
    /// The kind, e.g. `Deployment` or `VirtualService`.
    pub fn kind(&self) -> &str {
        match self {
            Self::Namespace(_) => "Namespace",
            Self::ServiceAccount(_) => "ServiceAccount",
            Self::Service(_) => "Service",
            Self::Deployment(_) => "Deployment",
            Self::Istio(r) => r.kind(),
            Self::GatewayApi(r) => r.kind(),
            Self::Other(v) => v.get("kind").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// The `apiVersion`, e.g. `apps/v1`.
    pub fn api_version(&self) -> &str {
        match self {
            Self::Namespace(_) | Self::ServiceAccount(_) | Self::Service(_) => "v1",
            Self::Deployment(_) => "apps/v1",
            Self::Istio(r) => r.api_version(),
            Self::GatewayApi(r) => r.api_version(),
            Self::Other(v) => v.get("apiVersion").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// The metadata of typed objects (`None` for [`Resource::Other`]).
    pub fn metadata(&self) -> Option<&ObjectMeta> {
        Some(match self {
            Self::Namespace(r) => &r.metadata,
            Self::ServiceAccount(r) => &r.metadata,
            Self::Service(r) => &r.metadata,
            Self::Deployment(r) => &r.metadata,
            Self::Istio(r) => r.metadata(),
            Self::GatewayApi(r) => r.metadata(),
            Self::Other(_) => return None,
        })
    }

    /// The metadata of typed objects, to change.
    pub fn metadata_mut(&mut self) -> Option<&mut ObjectMeta> {
        Some(match self {
            Self::Namespace(r) => &mut r.metadata,
            Self::ServiceAccount(r) => &mut r.metadata,
            Self::Service(r) => &mut r.metadata,
            Self::Deployment(r) => &mut r.metadata,
            Self::Istio(r) => r.metadata_mut(),
            Self::GatewayApi(r) => r.metadata_mut(),
            Self::Other(_) => return None,
        })
    }

    /// The namespace, if any.
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Self::Other(v) => meta_of(v).0,
            _ => self.metadata().and_then(|m| m.namespace.as_deref()),
        }
    }

    /// The name (empty if the object has none).
    pub fn name(&self) -> &str {
        match self {
            Self::Other(v) => meta_of(v).1.unwrap_or(""),
            _ => self
                .metadata()
                .and_then(|m| m.name.as_deref())
                .unwrap_or(""),
        }
    }

    /// A reference for diagnostics.
    pub fn reference(&self) -> ResourceRef {
        ResourceRef::new(self.kind(), self.namespace(), self.name())
    }

    /// Where this kind goes in output and apply order: namespaces first, then the core
    /// objects workloads need, then workloads, then Istio configuration, then the rest.
    pub fn phase(&self) -> u8 {
        match self {
            Self::Namespace(_) => 0,
            Self::ServiceAccount(_) => 1,
            Self::Service(_) => 2,
            Self::Deployment(_) => 3,
            Self::Istio(_) | Self::GatewayApi(_) => 4,
            Self::Other(_) => 5,
        }
    }

    /// The object as JSON.
    ///
    /// # Panics
    /// Never in practice: every variant serializes to JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Converts a parsed document, typing the core kinds mesh-dsl works with.
    pub fn from_document(doc: Document) -> Self {
        match doc {
            Document::Istio(r) => Self::Istio(r),
            Document::GatewayApi(r) => Self::GatewayApi(r),
            Document::Other(v) => Self::from_json(v),
        }
    }

    /// Converts a JSON object, typing the core kinds mesh-dsl works with when they parse.
    pub fn from_json(v: Value) -> Self {
        let api = v.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
        let typed = match (api, kind) {
            ("v1", "Namespace") => serde_json::from_value(v.clone())
                .ok()
                .map(|x| Self::Namespace(Box::new(x))),
            ("v1", "ServiceAccount") => serde_json::from_value(v.clone())
                .ok()
                .map(|x| Self::ServiceAccount(Box::new(x))),
            ("v1", "Service") => serde_json::from_value(v.clone())
                .ok()
                .map(|x| Self::Service(Box::new(x))),
            ("apps/v1", "Deployment") => serde_json::from_value(v.clone())
                .ok()
                .map(|x| Self::Deployment(Box::new(x))),
            _ => None,
        };
        typed.unwrap_or(Self::Other(v))
    }
}

impl Serialize for Resource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Istio(r) => r.serialize(s),
            Self::GatewayApi(r) => r.serialize(s),
            Self::Other(v) => istio_types::document::Document::Other(v.clone()).serialize(s),
            // k8s-openapi writes apiVersion, kind, metadata, then the rest in name order:
            // the same layout `Document::Other` gives JSON objects.
            Self::Namespace(r) => r.serialize(s),
            Self::ServiceAccount(r) => r.serialize(s),
            Self::Service(r) => r.serialize(s),
            Self::Deployment(r) => r.serialize(s),
        }
    }
}

impl From<IstioResource> for Resource {
    fn from(r: IstioResource) -> Self {
        Self::Istio(r)
    }
}

impl From<GatewayApiResource> for Resource {
    fn from(r: GatewayApiResource) -> Self {
        Self::GatewayApi(r)
    }
}

impl From<Namespace> for Resource {
    fn from(r: Namespace) -> Self {
        Self::Namespace(Box::new(r))
    }
}

impl From<ServiceAccount> for Resource {
    fn from(r: ServiceAccount) -> Self {
        Self::ServiceAccount(Box::new(r))
    }
}

impl From<Service> for Resource {
    fn from(r: Service) -> Self {
        Self::Service(Box::new(r))
    }
}

impl From<Deployment> for Resource {
    fn from(r: Deployment) -> Self {
        Self::Deployment(Box::new(r))
    }
}

/// A set of objects in a stable order: by [`Resource::phase`], then kind, namespace, name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resources {
    items: Vec<Resource>,
}

impl Resources {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a set, putting the objects in the stable order.
    pub fn from_vec(mut items: Vec<Resource>) -> Self {
        // The sort keys are read once per object rather than at every comparison.
        let mut order: Vec<usize> = {
            let keys: Vec<_> = items
                .iter()
                .map(|r| (r.phase(), r.kind(), r.namespace(), r.name()))
                .collect();
            let mut order: Vec<usize> = (0..items.len()).collect();
            order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
            order
        };
        // Put the objects in that order in place (one cycle of swaps at a time), so that
        // a large set is never held twice: position `j` takes the object at `order[j]`.
        for start in 0..items.len() {
            let mut j = start;
            loop {
                let k = order[j];
                order[j] = j;
                if k == start || k == j {
                    break;
                }
                items.swap(j, k);
                j = k;
            }
        }
        items.shrink_to_fit();
        Self { items }
    }

    /// Reads parsed documents (from `istio_types::document::parse_stream`).
    pub fn from_documents(docs: impl IntoIterator<Item = SourceDocument>) -> Self {
        Self::from_vec(
            docs.into_iter()
                .map(|d| Resource::from_document(d.document))
                .collect(),
        )
    }

    fn order(a: &Resource, b: &Resource) -> Ordering {
        (a.phase(), a.kind(), a.namespace(), a.name()).cmp(&(
            b.phase(),
            b.kind(),
            b.namespace(),
            b.name(),
        ))
    }

    /// Adds an object, keeping the order.
    pub fn push(&mut self, r: Resource) {
        let at = self
            .items
            .partition_point(|x| Self::order(x, &r) != Ordering::Greater);
        self.items.insert(at, r);
    }

    /// The objects, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Resource> {
        self.items.iter()
    }

    /// The objects, to adjust before rendering (names and kinds should stay as they are, or
    /// the order is no longer sorted; call [`Resources::sort`] after renaming).
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Resource> {
        self.items.iter_mut()
    }

    /// Restores the stable order after objects were renamed.
    pub fn sort(&mut self) {
        self.items.sort_by(Self::order);
    }

    /// How many objects there are.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The Istio resources.
    pub fn istio(&self) -> impl Iterator<Item = &IstioResource> {
        self.items.iter().filter_map(|r| match r {
            Resource::Istio(i) => Some(i),
            _ => None,
        })
    }

    /// The Kubernetes Services.
    pub fn services(&self) -> impl Iterator<Item = &Service> {
        self.items.iter().filter_map(|r| match r {
            Resource::Service(s) => Some(&**s),
            _ => None,
        })
    }

    /// The Deployments.
    pub fn deployments(&self) -> impl Iterator<Item = &Deployment> {
        self.items.iter().filter_map(|r| match r {
            Resource::Deployment(d) => Some(&**d),
            _ => None,
        })
    }

    /// The Namespaces.
    pub fn namespaces(&self) -> impl Iterator<Item = &Namespace> {
        self.items.iter().filter_map(|r| match r {
            Resource::Namespace(n) => Some(&**n),
            _ => None,
        })
    }

    /// Finds an object by kind, namespace and name.
    pub fn find(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&Resource> {
        self.items
            .iter()
            .find(|r| r.kind() == kind && r.namespace() == namespace && r.name() == name)
    }

    /// The objects as a vector.
    pub fn into_vec(self) -> Vec<Resource> {
        self.items
    }
}

impl IntoIterator for Resources {
    type Item = Resource;
    type IntoIter = std::vec::IntoIter<Resource>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> IntoIterator for &'a Resources {
    type Item = &'a Resource;
    type IntoIter = std::slice::Iter<'a, Resource>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl FromIterator<Resource> for Resources {
    fn from_iter<I: IntoIterator<Item = Resource>>(iter: I) -> Self {
        Self::from_vec(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The in-place ordering of `from_vec` is the stable sort by (phase, kind, namespace,
    /// name): equal objects keep the order they were given in.
    #[test]
    fn from_vec_orders_in_place_and_stably() {
        let mut state = 7u64;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        for len in [0, 1, 2, 3, 10, 100, 1000] {
            let items: Vec<Resource> = (0..len)
                .map(|i| {
                    let kind = ["Service", "Namespace", "ConfigMap"][next(3) as usize];
                    Resource::from_json(serde_json::json!({
                        "apiVersion": "v1",
                        "kind": kind,
                        "metadata": {"name": format!("n{}", next(5)), "namespace": "ns", "uid": i.to_string()},
                    }))
                })
                .collect();
            let mut expected = items.clone();
            expected.sort_by(Resources::order);
            let got = Resources::from_vec(items).into_vec();
            assert_eq!(got, expected, "{len} objects");
        }
    }
}

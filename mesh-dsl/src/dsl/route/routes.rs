//! [`Routes`]: the ordered routes for one destination, which become one VirtualService.

use super::Route;
use crate::dsl::gateway::{EgressRef, GatewayRef};
use crate::dsl::service::ServiceRef;

/// Which traffic a set of routes applies to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum RoutesScope {
    /// Calls to a service from inside the mesh.
    Service(ServiceRef),
    /// Requests entering through a gateway for some hosts.
    Ingress(GatewayRef, Vec<String>),
    /// Calls from inside the mesh to an external host declared as egress.
    External(EgressRef),
}

/// The routes for one destination: calls to a service inside the mesh, or requests for
/// some hosts entering through a gateway. Becomes one VirtualService.
///
/// ```
/// use mesh_dsl::{Gateway, Match, Mesh, Namespace, Port, Route, Routes, Service, Version};
/// let mut mesh = Mesh::new();
/// let ns = mesh.namespace(Namespace::new("shop"));
/// let user = mesh.service(Service::new(&ns, "user").port(Port::http(80)).version(Version::new("v1", "user:1")));
/// let gw = mesh.gateway(Gateway::new(&ns, "shop-gateway").http(["shop.example.com"]));
/// mesh.routes(
///     Routes::ingress("storefront", &gw, ["shop.example.com"])
///         .route(Route::new().when(Match::prefix("/api/users")).to(&user)),
/// );
/// assert!(mesh.compile().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct Routes {
    pub(crate) name: String,
    pub(crate) namespace: String,
    pub(crate) scope: RoutesScope,
    pub(crate) also_mesh: bool,
    pub(crate) routes: Vec<Route>,
    pub(crate) export_to: Vec<String>,
}

impl Routes {
    /// Routes for calls to `service` from inside the mesh (a VirtualService named after
    /// the service, in its namespace).
    pub fn new(service: &ServiceRef) -> Self {
        Self {
            name: service.name.clone(),
            namespace: service.namespace.clone(),
            scope: RoutesScope::Service(service.clone()),
            also_mesh: false,
            routes: Vec::new(),
            export_to: Vec::new(),
        }
    }

    /// Routes for requests to `hosts` entering through `gateway` (a VirtualService named
    /// `name` in the gateway's namespace).
    pub fn ingress(
        name: impl Into<String>,
        gateway: &GatewayRef,
        hosts: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            name: name.into(),
            namespace: gateway.namespace.clone(),
            scope: RoutesScope::Ingress(
                gateway.clone(),
                hosts.into_iter().map(Into::into).collect(),
            ),
            also_mesh: false,
            routes: Vec::new(),
            export_to: Vec::new(),
        }
    }

    /// Routes for calls from inside the mesh to an external host declared with
    /// [`crate::Mesh::egress`] (a VirtualService named `name` in the egress's namespace,
    /// for the external host): for example, sending calls made on port 80 to port 443,
    /// where a policy from [`crate::Mesh::egress_policy`] originates TLS.
    ///
    /// ```
    /// use mesh_dsl::{Egress, Match, Mesh, Namespace, Port, Protocol, Route, Routes, Target};
    /// let mut mesh = Mesh::new();
    /// let ns = mesh.namespace(Namespace::new("bookinfo"));
    /// let google = mesh.egress(
    ///     Egress::new(&ns, "googleapis", "www.googleapis.com")
    ///         .ports([Port::http(80), Port::new(Protocol::Https, 443)]),
    /// );
    /// mesh.routes(
    ///     Routes::external("rewrite-port-for-googleapis", &google)
    ///         .route(Route::new().when(Match::any().port(80)).to(Target::from(&google).port(443))),
    /// );
    /// let out = mesh.compile().unwrap().resources;
    /// let vs = out.find("VirtualService", Some("bookinfo"), "rewrite-port-for-googleapis").unwrap();
    /// assert_eq!(vs.to_json()["spec"]["hosts"][0], "www.googleapis.com");
    /// ```
    pub fn external(name: impl Into<String>, egress: &EgressRef) -> Self {
        Self {
            name: name.into(),
            namespace: egress.namespace.clone(),
            scope: RoutesScope::External(egress.clone()),
            also_mesh: false,
            routes: Vec::new(),
            export_to: Vec::new(),
        }
    }

    /// Applies ingress routes to calls from inside the mesh as well.
    pub fn also_from_mesh(mut self) -> Self {
        self.also_mesh = true;
        self
    }

    /// Adds a route; routes are tried in the order they were added, the first match wins.
    pub fn route(mut self, route: Route) -> Self {
        self.routes.push(route);
        self
    }

    /// Limits which namespaces see these routes (`.` own namespace, `*` all; default all).
    pub fn export_to(mut self, namespaces: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.export_to = namespaces.into_iter().map(Into::into).collect();
        self
    }
}

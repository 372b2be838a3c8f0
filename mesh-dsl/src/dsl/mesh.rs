//! [`Mesh`]: the description of a service mesh that [`Mesh::compile`] turns into resources.

use std::collections::BTreeMap;

use super::gateway::{Egress, EgressRef, Gateway, GatewayRef, SidecarScope};
use super::policy::Policy;
use super::route::{Canary, Routes};
use super::security::{Authorization, Jwt, Mtls};
use super::service::{Namespace, NamespaceRef, Service, ServiceRef, SubsetRef};
use super::telemetry::{Telemetry, TelemetryProviders};
use crate::model::resources::Resource;

/// What a traffic policy applies to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PolicyTarget {
    Service(ServiceRef),
    Subset(SubsetRef),
}

impl PolicyTarget {
    pub(crate) fn service(&self) -> &ServiceRef {
        match self {
            Self::Service(s) => s,
            Self::Subset(s) => &s.service,
        }
    }
}

/// A service mesh described in code.
///
/// Parts are added with the methods below, in any order and from any number of modules:
/// the compiled output is the same whatever the order (everything is sorted by identity).
/// Methods that declare something referable (a namespace, a service, a gateway, an
/// external host) return a handle; routes, policies and authorization take handles, so
/// they cannot point at something the mesh does not declare.
///
/// ```
/// use mesh_dsl::*;
/// use istio_types::Duration;
///
/// let mut mesh = Mesh::new();
/// let shop = mesh.namespace(Namespace::new("shop").sidecar_injection());
/// let user = mesh.service(
///     Service::new(&shop, "user")
///         .port(Port::http(80).target(8080))
///         .version(Version::new("v1", "example/user:1.0"))
///         .version(Version::new("v2", "example/user:2.0")),
/// );
/// mesh.routes(Routes::new(&user).route(Route::new().timeout(Duration::from_secs(5)).to(&user)));
/// mesh.canary(Canary::new(user.subset("v1"), user.subset("v2")).stages([10, 50, 100]));
///
/// let compiled = mesh.compile_stage(1).expect("a valid mesh");
/// let yaml = mesh_dsl::render::to_yaml(&compiled.resources).unwrap();
/// assert!(yaml.contains("weight: 50"));
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct Mesh {
    pub(crate) namespaces: Vec<Namespace>,
    pub(crate) services: Vec<Service>,
    pub(crate) routes: Vec<Routes>,
    pub(crate) canaries: Vec<Canary>,
    pub(crate) policies: Vec<(PolicyTarget, Policy)>,
    pub(crate) gateways: Vec<Gateway>,
    pub(crate) egress: Vec<Egress>,
    pub(crate) egress_policies: Vec<(String, EgressRef, Policy)>,
    pub(crate) sidecars: Vec<SidecarScope>,
    pub(crate) mtls: Vec<Mtls>,
    pub(crate) authz: Vec<Authorization>,
    pub(crate) jwts: Vec<Jwt>,
    pub(crate) telemetry: Vec<Telemetry>,
    pub(crate) providers: TelemetryProviders,
    pub(crate) raw: Vec<Resource>,
    pub(crate) labels: BTreeMap<String, String>,
}

impl Mesh {
    /// An empty mesh.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares a namespace.
    pub fn namespace(&mut self, ns: Namespace) -> NamespaceRef {
        let r = NamespaceRef {
            name: ns.name.clone(),
        };
        self.namespaces.push(ns);
        r
    }

    /// Declares a service (its Service, ServiceAccount, and a Deployment per version).
    pub fn service(&mut self, service: Service) -> ServiceRef {
        let r = ServiceRef {
            namespace: service.namespace.clone(),
            name: service.name.clone(),
            account: service.account(),
        };
        self.services.push(service);
        r
    }

    /// Adds routes (a VirtualService).
    pub fn routes(&mut self, routes: Routes) {
        self.routes.push(routes);
    }

    /// Adds a staged canary plan.
    pub fn canary(&mut self, canary: Canary) {
        self.canaries.push(canary);
    }

    /// The canary plans, in the order added.
    pub fn canaries(&self) -> &[Canary] {
        &self.canaries
    }

    /// Sets the traffic policy for calls to a service (its DestinationRule).
    pub fn policy(&mut self, service: &ServiceRef, policy: Policy) {
        self.policies
            .push((PolicyTarget::Service(service.clone()), policy));
    }

    /// Sets the traffic policy for calls to one version of a service; it overrides the
    /// service-wide policy for that version.
    pub fn subset_policy(&mut self, subset: &SubsetRef, policy: Policy) {
        self.policies
            .push((PolicyTarget::Subset(subset.clone()), policy));
    }

    /// Declares a gateway.
    pub fn gateway(&mut self, gateway: Gateway) -> GatewayRef {
        let r = GatewayRef {
            namespace: gateway.namespace.clone(),
            name: gateway.name.clone(),
        };
        self.gateways.push(gateway);
        r
    }

    /// Declares an external service the mesh may call.
    pub fn egress(&mut self, egress: Egress) -> EgressRef {
        let r = EgressRef {
            namespace: egress.namespace.clone(),
            name: egress.name.clone(),
            host: egress.host.clone(),
        };
        self.egress.push(egress);
        r
    }

    /// Sets the traffic policy for calls to an external host declared with
    /// [`Mesh::egress`]: a DestinationRule named `name` in the egress's namespace (for
    /// example TLS origination on one port, with [`Policy::port`]). One policy per
    /// external host: `compile()` reports a second one, including the one
    /// [`Egress::tls_origination`] implies.
    ///
    /// ```
    /// use mesh_dsl::{Egress, LoadBalancer, Mesh, Namespace, Policy, Tls};
    /// let mut mesh = Mesh::new();
    /// let ns = mesh.namespace(Namespace::new("bookinfo"));
    /// let google = mesh.egress(Egress::new(&ns, "googleapis", "www.googleapis.com"));
    /// mesh.egress_policy(
    ///     "originate-tls-for-googleapis",
    ///     &google,
    ///     Policy::new()
    ///         .load_balancer(LoadBalancer::RoundRobin)
    ///         .port(443, Policy::new().tls(Tls::Simple { sni: None })),
    /// );
    /// let out = mesh.compile().unwrap().resources;
    /// let dr = out.find("DestinationRule", Some("bookinfo"), "originate-tls-for-googleapis").unwrap();
    /// assert_eq!(dr.to_json()["spec"]["host"], "www.googleapis.com");
    /// ```
    pub fn egress_policy(&mut self, name: impl Into<String>, egress: &EgressRef, policy: Policy) {
        self.egress_policies
            .push((name.into(), egress.clone(), policy));
    }

    /// Limits what a namespace's sidecars see.
    pub fn sidecar_scope(&mut self, scope: SidecarScope) {
        self.sidecars.push(scope);
    }

    /// Sets mutual TLS for a namespace or a service.
    pub fn mtls(&mut self, mtls: Mtls) {
        self.mtls.push(mtls);
    }

    /// Adds an authorization policy.
    pub fn authorize(&mut self, policy: Authorization) {
        self.authz.push(policy);
    }

    /// Adds JWT authentication.
    pub fn jwt(&mut self, jwt: Jwt) {
        self.jwts.push(jwt);
    }

    /// Adds tracing / access-log settings.
    pub fn telemetry(&mut self, telemetry: Telemetry) {
        self.telemetry.push(telemetry);
    }

    /// Declares telemetry providers for the installation fragment.
    pub fn telemetry_providers(&mut self, providers: TelemetryProviders) {
        self.providers.merge(providers);
    }

    /// Adds a resource as it is: an istio-types or k8s-openapi object the DSL does not
    /// (yet) express. It is rendered, validated and analyzed like the rest.
    pub fn add_resource(&mut self, resource: impl Into<Resource>) {
        self.raw.push(resource.into());
    }

    /// Adds a label to every object the DSL generates (not to [`Mesh::add_resource`]
    /// objects).
    pub fn common_label(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.labels.insert(key.into(), value.into());
    }

    /// Adds everything of `other` to this mesh (for meshes assembled from modules).
    pub fn merge(&mut self, other: Mesh) {
        self.namespaces.extend(other.namespaces);
        self.services.extend(other.services);
        self.routes.extend(other.routes);
        self.canaries.extend(other.canaries);
        self.policies.extend(other.policies);
        self.gateways.extend(other.gateways);
        self.egress.extend(other.egress);
        self.egress_policies.extend(other.egress_policies);
        self.sidecars.extend(other.sidecars);
        self.mtls.extend(other.mtls);
        self.authz.extend(other.authz);
        self.jwts.extend(other.jwts);
        self.telemetry.extend(other.telemetry);
        self.providers.merge(other.providers);
        self.raw.extend(other.raw);
        self.labels.extend(other.labels);
    }

    /// How many canary stages the mesh has: the longest plan's (1 without canaries).
    pub fn stage_count(&self) -> usize {
        self.canaries
            .iter()
            .map(|c| c.stages.len())
            .max()
            .unwrap_or(1)
            .max(1)
    }

    /// What each stage does, e.g. `["shop/user v2 at 10%", ...]` (one line per stage).
    pub fn stage_descriptions(&self) -> Vec<String> {
        let mut canaries: Vec<&Canary> = self.canaries.iter().collect();
        canaries.sort_by(|a, b| (&a.stable, &a.canary).cmp(&(&b.stable, &b.canary)));
        (0..self.stage_count())
            .map(|i| {
                if canaries.is_empty() {
                    return "no canary".to_string();
                }
                canaries
                    .iter()
                    .map(|c| {
                        format!(
                            "{}/{} {} at {}%",
                            c.canary.service.namespace,
                            c.canary.service.name,
                            c.canary.name,
                            c.share_at(i)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect()
    }
}

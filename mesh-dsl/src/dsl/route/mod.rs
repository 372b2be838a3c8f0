//! HTTP routing: matches, destinations, weighted splits, redirects, rewrites, mirrors,
//! header edits, CORS, retries, timeouts, fault injection, and canary plans.

use std::collections::BTreeMap;

use istio_types::Duration;
use istio_types::networking::v1::{
    CorsPolicy, HttpMatchRequest, HttpRedirect, HttpRetry, RedirectPort, StringMatch,
};

use super::gateway::{EgressRef, GatewayRef};
use super::service::{ServiceRef, SubsetRef};

/// A string match on an exact value.
pub fn exact(value: impl Into<String>) -> StringMatch {
    StringMatch::Exact(value.into())
}

/// A string match on a prefix.
pub fn prefix(value: impl Into<String>) -> StringMatch {
    StringMatch::Prefix(value.into())
}

/// A string match on an RE2 regular expression that must match the whole value.
pub fn regex(value: impl Into<String>) -> StringMatch {
    StringMatch::Regex(value.into())
}

/// Where a route sends traffic.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// A whole service (all its versions; a canary plan on the service splits it).
    Service(ServiceRef, Option<u32>),
    /// One version of a service.
    Subset(SubsetRef, Option<u32>),
    /// An external host declared as egress.
    External(EgressRef, Option<u32>),
}

impl Target {
    /// Sends to this port of the destination (needed when it has more than one).
    #[must_use]
    pub fn port(self, port: u32) -> Self {
        match self {
            Self::Service(s, _) => Self::Service(s, Some(port)),
            Self::Subset(s, _) => Self::Subset(s, Some(port)),
            Self::External(e, _) => Self::External(e, Some(port)),
        }
    }
}

impl From<&ServiceRef> for Target {
    fn from(s: &ServiceRef) -> Self {
        Self::Service(s.clone(), None)
    }
}

impl From<ServiceRef> for Target {
    fn from(s: ServiceRef) -> Self {
        Self::Service(s, None)
    }
}

impl From<SubsetRef> for Target {
    fn from(s: SubsetRef) -> Self {
        Self::Subset(s, None)
    }
}

impl From<&SubsetRef> for Target {
    fn from(s: &SubsetRef) -> Self {
        Self::Subset(s.clone(), None)
    }
}

impl From<&EgressRef> for Target {
    fn from(e: &EgressRef) -> Self {
        Self::External(e.clone(), None)
    }
}

/// One block of match conditions: all must hold. A [`Route`] with several blocks matches
/// when any block does.
///
/// ```
/// use mesh_dsl::{Match, exact};
/// let m = Match::prefix("/api").method("POST").header("x-tenant", exact("acme"));
/// # let _ = m;
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use]
pub struct Match {
    pub(crate) inner: HttpMatchRequest,
    pub(crate) gateways: Vec<GatewayScope>,
}

/// A gateway condition of a match.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum GatewayScope {
    Mesh,
    Gateway(GatewayRef),
}

impl Match {
    /// Matches every request.
    pub fn any() -> Self {
        Self::default()
    }

    /// Path starts with `p`.
    pub fn prefix(p: impl Into<String>) -> Self {
        Self::any().uri(prefix(p))
    }

    /// Path equals `p`.
    pub fn exact(p: impl Into<String>) -> Self {
        Self::any().uri(exact(p))
    }

    /// Path matches the RE2 expression `r` (whole path).
    pub fn regex(r: impl Into<String>) -> Self {
        Self::any().uri(regex(r))
    }

    /// Condition on the path.
    pub fn uri(mut self, m: StringMatch) -> Self {
        self.inner.uri = Some(m);
        self
    }

    /// Compares the path case-insensitively (default: case-sensitive).
    pub fn ignore_uri_case(mut self) -> Self {
        self.inner.ignore_uri_case = Some(true);
        self
    }

    /// Condition on a request header (names are lowercase); [`StringMatch::Any`] requires
    /// only that the header is present.
    pub fn header(mut self, name: impl Into<String>, m: StringMatch) -> Self {
        self.inner.headers.insert(name.into(), m);
        self
    }

    /// The request must not have a header matching `m`.
    pub fn without_header(mut self, name: impl Into<String>, m: StringMatch) -> Self {
        self.inner.without_headers.insert(name.into(), m);
        self
    }

    /// Condition on a query parameter.
    pub fn query(mut self, name: impl Into<String>, m: StringMatch) -> Self {
        self.inner.query_params.insert(name.into(), m);
        self
    }

    /// The HTTP method equals `method`.
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.inner.method = Some(exact(method));
        self
    }

    /// Condition on the authority (`Host` header).
    pub fn authority(mut self, m: StringMatch) -> Self {
        self.inner.authority = Some(m);
        self
    }

    /// The request was sent to this port.
    pub fn port(mut self, port: u32) -> Self {
        self.inner.port = Some(port);
        self
    }

    /// The calling workload has this label.
    pub fn source_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.inner.source_labels.insert(key.into(), value.into());
        self
    }

    /// The calling workload runs in this namespace.
    pub fn source_namespace(mut self, ns: impl Into<String>) -> Self {
        self.inner.source_namespace = Some(ns.into());
        self
    }

    /// The request arrives through this gateway (default: wherever the routes apply).
    pub fn via_gateway(mut self, gateway: &GatewayRef) -> Self {
        self.gateways.push(GatewayScope::Gateway(gateway.clone()));
        self
    }

    /// The request comes from a sidecar inside the mesh.
    pub fn via_mesh(mut self) -> Self {
        self.gateways.push(GatewayScope::Mesh);
        self
    }

    /// Names the match block (shows up in Envoy stats and access logs).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.inner.name = Some(name.into());
        self
    }
}

/// What a matching route does with the request.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Action {
    Forward(Vec<(Target, Option<i32>)>),
    Redirect(HttpRedirect),
    DirectResponse(u32, Option<String>),
}

/// A fault injected into matching requests.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Fault {
    pub(crate) delay: Option<(Duration, f64)>,
    pub(crate) abort: Option<(i32, f64)>,
}

/// One HTTP route: match conditions and what to do.
///
/// ```
/// use istio_types::Duration;
/// use mesh_dsl::{Match, Mesh, Namespace, Port, Route, Service, Version, exact};
/// let mut mesh = Mesh::new();
/// let ns = mesh.namespace(Namespace::new("shop"));
/// let product = mesh.service(Service::new(&ns, "product").port(Port::http(80)).version(Version::new("v1", "product:1")));
/// let testers = Route::new()
///     .when(Match::any().header("x-test-user", exact("true")))
///     .abort(500, 100.0)
///     .to(&product);
/// let slow = Route::new()
///     .delay(Duration::from_secs(5), 10.0)
///     .timeout(Duration::from_secs(10))
///     .retries(3, Duration::from_secs(2), "5xx,reset")
///     .to(&product);
/// # let _ = (testers, slow);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct Route {
    pub(crate) name: Option<String>,
    pub(crate) matches: Vec<Match>,
    pub(crate) action: Option<Action>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) retries: Option<HttpRetry>,
    pub(crate) fault: Fault,
    pub(crate) mirror: Option<(Target, f64)>,
    pub(crate) request_headers: HeaderEdits,
    pub(crate) response_headers: HeaderEdits,
    pub(crate) cors: Option<CorsPolicy>,
    pub(crate) rewrite_uri: Option<String>,
    pub(crate) rewrite_authority: Option<String>,
}

/// Header changes on requests or responses.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct HeaderEdits {
    pub(crate) set: BTreeMap<String, String>,
    pub(crate) add: BTreeMap<String, String>,
    pub(crate) remove: Vec<String>,
}

impl HeaderEdits {
    pub(crate) fn is_empty(&self) -> bool {
        self.set.is_empty() && self.add.is_empty() && self.remove.is_empty()
    }
}

impl Default for Route {
    fn default() -> Self {
        Self::new()
    }
}

impl Route {
    /// A route that matches every request and has no action yet.
    pub fn new() -> Self {
        Self {
            name: None,
            matches: Vec::new(),
            action: None,
            timeout: None,
            retries: None,
            fault: Fault {
                delay: None,
                abort: None,
            },
            mirror: None,
            request_headers: HeaderEdits::default(),
            response_headers: HeaderEdits::default(),
            cors: None,
            rewrite_uri: None,
            rewrite_authority: None,
        }
    }

    /// Names the route.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds a match block; the route applies when any block matches (no block: always).
    pub fn when(mut self, m: Match) -> Self {
        self.matches.push(m);
        self
    }

    /// Sends all matching traffic to `target`.
    pub fn to(mut self, target: impl Into<Target>) -> Self {
        self.action = Some(Action::Forward(vec![(target.into(), None)]));
        self
    }

    /// Splits matching traffic by weight (weights must add up to 100).
    pub fn split<T: Into<Target>>(mut self, parts: impl IntoIterator<Item = (T, i32)>) -> Self {
        self.action = Some(Action::Forward(
            parts
                .into_iter()
                .map(|(t, w)| (t.into(), Some(w)))
                .collect(),
        ));
        self
    }

    /// Answers with a redirect to `uri` (status 301 unless [`Route::redirect_code`]).
    pub fn redirect(mut self, uri: impl Into<String>) -> Self {
        self.action = Some(Action::Redirect(HttpRedirect {
            uri: Some(uri.into()),
            ..Default::default()
        }));
        self
    }

    /// Answers with a redirect to the same path on `https://`.
    pub fn redirect_to_https(mut self) -> Self {
        self.action = Some(Action::Redirect(HttpRedirect {
            scheme: Some("https".into()),
            redirect_port: Some(RedirectPort::DerivePort(
                istio_types::networking::v1::RedirectPortSelection::FromProtocolDefault,
            )),
            ..Default::default()
        }));
        self
    }

    /// The status code of a redirect (301, 302, 303, 307 or 308).
    pub fn redirect_code(mut self, code: u32) -> Self {
        if let Some(Action::Redirect(r)) = &mut self.action {
            r.redirect_code = Some(code);
        }
        self
    }

    /// Answers directly with `status` and an optional body, without forwarding.
    pub fn respond(mut self, status: u32, body: Option<&str>) -> Self {
        self.action = Some(Action::DirectResponse(status, body.map(String::from)));
        self
    }

    /// Replaces the matched path prefix (or the whole path) before forwarding.
    pub fn rewrite_uri(mut self, uri: impl Into<String>) -> Self {
        self.rewrite_uri = Some(uri.into());
        self
    }

    /// Replaces the authority (`Host` header) before forwarding.
    pub fn rewrite_authority(mut self, authority: impl Into<String>) -> Self {
        self.rewrite_authority = Some(authority.into());
        self
    }

    /// Copies `percent` of matching requests to `target`, ignoring its responses.
    pub fn mirror(mut self, target: impl Into<Target>, percent: f64) -> Self {
        self.mirror = Some((target.into(), percent));
        self
    }

    /// Sets a request header before forwarding.
    pub fn set_request_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.request_headers.set.insert(name.into(), value.into());
        self
    }

    /// Appends a request header before forwarding.
    pub fn add_request_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.request_headers.add.insert(name.into(), value.into());
        self
    }

    /// Removes a request header before forwarding.
    pub fn remove_request_header(mut self, name: impl Into<String>) -> Self {
        self.request_headers.remove.push(name.into());
        self
    }

    /// Sets a response header.
    pub fn set_response_header(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.response_headers.set.insert(name.into(), value.into());
        self
    }

    /// Removes a response header.
    pub fn remove_response_header(mut self, name: impl Into<String>) -> Self {
        self.response_headers.remove.push(name.into());
        self
    }

    /// The CORS policy (see [`Cors`]).
    pub fn cors(mut self, cors: Cors) -> Self {
        self.cors = Some(cors.inner);
        self
    }

    /// Retries up to `attempts` times, each try limited to `per_try_timeout`, on the
    /// conditions in `retry_on` (Envoy's `x-envoy-retry-on` values, e.g. `5xx,reset`).
    pub fn retries(
        mut self,
        attempts: i32,
        per_try_timeout: Duration,
        retry_on: impl Into<String>,
    ) -> Self {
        self.retries = Some(HttpRetry {
            attempts: Some(attempts),
            per_try_timeout: Some(per_try_timeout),
            retry_on: Some(retry_on.into()),
            ..Default::default()
        });
        self
    }

    /// Turns retries off (Istio retries twice by default).
    pub fn no_retries(mut self) -> Self {
        self.retries = Some(HttpRetry {
            attempts: Some(0),
            ..Default::default()
        });
        self
    }

    /// Fails requests that take longer than `timeout` (default: no timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Delays `percent` of matching requests by `delay`.
    pub fn delay(mut self, delay: Duration, percent: f64) -> Self {
        self.fault.delay = Some((delay, percent));
        self
    }

    /// Answers `percent` of matching requests with HTTP `status` instead of forwarding.
    pub fn abort(mut self, status: i32, percent: f64) -> Self {
        self.fault.abort = Some((status, percent));
        self
    }
}

/// A CORS policy.
///
/// ```
/// use istio_types::Duration;
/// use mesh_dsl::{Cors, exact};
/// let cors = Cors::new()
///     .allow_origin(exact("https://shop.example.com"))
///     .allow_methods(["GET", "POST"])
///     .allow_headers(["authorization"])
///     .max_age(Duration::from_hours(24));
/// # let _ = cors;
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use]
pub struct Cors {
    inner: CorsPolicy,
}

impl Cors {
    /// A policy that allows nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows origins matching `m`.
    pub fn allow_origin(mut self, m: StringMatch) -> Self {
        self.inner.allow_origins.push(m);
        self
    }

    /// Allows these methods.
    pub fn allow_methods(mut self, methods: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.inner
            .allow_methods
            .extend(methods.into_iter().map(Into::into));
        self
    }

    /// Allows these request headers.
    pub fn allow_headers(mut self, headers: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.inner
            .allow_headers
            .extend(headers.into_iter().map(Into::into));
        self
    }

    /// Exposes these response headers.
    pub fn expose_headers(mut self, headers: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.inner
            .expose_headers
            .extend(headers.into_iter().map(Into::into));
        self
    }

    /// How long browsers may cache the preflight answer.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.inner.max_age = Some(age);
        self
    }

    /// Allows credentials (cookies, authorization headers).
    pub fn allow_credentials(mut self) -> Self {
        self.inner.allow_credentials = Some(true);
        self
    }
}

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

/// A staged canary: traffic that a route sends to the whole service is split between two
/// versions, with the new version's share rising stage by stage (e.g. 10 -> 25 -> 50 ->
/// 100). Each stage compiles to its own resource set (`Mesh::compile_stage`).
///
/// ```
/// use mesh_dsl::{Canary, Mesh, Namespace, Port, Service, Version};
/// let mut mesh = Mesh::new();
/// let ns = mesh.namespace(Namespace::new("shop"));
/// let user = mesh.service(
///     Service::new(&ns, "user")
///         .port(Port::http(80))
///         .version(Version::new("v1", "user:1"))
///         .version(Version::new("v2", "user:2")),
/// );
/// mesh.canary(Canary::new(user.subset("v1"), user.subset("v2")).stages([10, 25, 50, 100]));
/// assert_eq!(mesh.stage_count(), 4);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Canary {
    pub(crate) stable: SubsetRef,
    pub(crate) canary: SubsetRef,
    pub(crate) stages: Vec<i32>,
}

impl Canary {
    /// A canary from `stable` to `canary` (two versions of the same service), with one
    /// stage at 100% until [`Canary::stages`] says otherwise.
    pub fn new(stable: SubsetRef, canary: SubsetRef) -> Self {
        Self {
            stable,
            canary,
            stages: vec![100],
        }
    }

    /// The canary's share in percent at each stage, in order.
    pub fn stages(mut self, percents: impl IntoIterator<Item = i32>) -> Self {
        self.stages = percents.into_iter().collect();
        self
    }

    /// The canary's share at `stage` (the last stage's share past the end).
    pub(crate) fn share_at(&self, stage: usize) -> i32 {
        self.stages
            .get(stage)
            .or(self.stages.last())
            .copied()
            .unwrap_or(100)
    }
}

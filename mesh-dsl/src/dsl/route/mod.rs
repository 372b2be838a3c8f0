//! HTTP routing: matches, destinations, weighted splits, redirects, rewrites, mirrors,
//! header edits, CORS, retries, timeouts, fault injection, and canary plans.
//!
//! [`Routes`] (one VirtualService) holds [`Route`]s, tried in order; a route has
//! [`Match`] blocks and sends to [`Target`]s. [`Canary`] plans split the traffic a route
//! sends to a whole service between two of its versions.

use std::collections::BTreeMap;

use istio_types::Duration;
use istio_types::networking::v1::{CorsPolicy, HttpRedirect, HttpRetry, RedirectPort};

mod canary;
mod cors;
mod gate;
mod matching;
mod routes;
mod target;

pub use canary::{Canary, DEFAULT_BAKE, DEFAULT_MIN_REQUESTS};
pub use cors::Cors;
pub use gate::{Comparison, Gate, Percentile, QueryGate};
pub(crate) use matching::GatewayScope;
pub use matching::{Match, exact, prefix, regex};
pub use routes::Routes;
pub(crate) use routes::RoutesScope;
pub use target::Target;

/// What a matching route does with the request.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Action {
    Forward(Vec<(Target, Option<i32>)>),
    Redirect(HttpRedirect),
    DirectResponse(u32, Option<String>),
}

impl Action {
    /// The builder call that sets this action, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Forward(parts) if parts.iter().any(|(_, w)| w.is_some()) => "split",
            Self::Forward(_) => "to",
            Self::Redirect(_) => "redirect",
            Self::DirectResponse(..) => "respond",
        }
    }
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
    /// The kinds of the actions a later call replaced (`split` then `to`), for a
    /// diagnostic: a route has one action.
    pub(crate) replaced_actions: Vec<&'static str>,
    /// The redirect's status, whichever order it was set in.
    pub(crate) redirect_code: Option<u32>,
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
            replaced_actions: Vec::new(),
            redirect_code: None,
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

    /// Sets the route's one action; a second call is reported by `compile()` (MESH0017)
    /// instead of silently replacing the first.
    fn set_action(&mut self, action: Action) {
        if let Some(old) = self.action.replace(action) {
            self.replaced_actions.push(old.kind());
        }
    }

    /// Sends all matching traffic to `target`.
    pub fn to(mut self, target: impl Into<Target>) -> Self {
        self.set_action(Action::Forward(vec![(target.into(), None)]));
        self
    }

    /// Splits matching traffic by weight (weights must add up to 100).
    pub fn split<T: Into<Target>>(mut self, parts: impl IntoIterator<Item = (T, i32)>) -> Self {
        self.set_action(Action::Forward(
            parts
                .into_iter()
                .map(|(t, w)| (t.into(), Some(w)))
                .collect(),
        ));
        self
    }

    /// Answers with a redirect to `uri` (status 301 unless [`Route::redirect_code`]).
    pub fn redirect(mut self, uri: impl Into<String>) -> Self {
        self.set_action(Action::Redirect(HttpRedirect {
            uri: Some(uri.into()),
            ..Default::default()
        }));
        self
    }

    /// Answers with a redirect to the same path on `https://`.
    pub fn redirect_to_https(mut self) -> Self {
        self.set_action(Action::Redirect(HttpRedirect {
            scheme: Some("https".into()),
            redirect_port: Some(RedirectPort::DerivePort(
                istio_types::networking::v1::RedirectPortSelection::FromProtocolDefault,
            )),
            ..Default::default()
        }));
        self
    }

    /// The status code of a redirect (301, 302, 303, 307 or 308), before or after
    /// [`Route::redirect`]; on a route that does not redirect, `compile()` reports it
    /// (MESH0017). Default: 301.
    pub fn redirect_code(mut self, code: u32) -> Self {
        self.redirect_code = Some(code);
        self
    }

    /// Answers directly with `status` and an optional body, without forwarding.
    pub fn respond(mut self, status: u32, body: Option<&str>) -> Self {
        self.set_action(Action::DirectResponse(status, body.map(String::from)));
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

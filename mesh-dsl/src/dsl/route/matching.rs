//! Match conditions: which requests a route applies to.

use istio_types::networking::v1::{HttpMatchRequest, StringMatch};

use crate::dsl::gateway::GatewayRef;

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

/// One block of match conditions: all must hold. A [`Route`](super::Route) with several
/// blocks matches when any block does.
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

    /// The HTTP method equals `method`. Methods are matched exactly as the client sends
    /// them, and clients send them in capitals, so `"get"` is written as `GET`.
    ///
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.inner.method = Some(exact(method.into().to_ascii_uppercase()));
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

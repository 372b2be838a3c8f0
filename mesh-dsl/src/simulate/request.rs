//! [`Request`]: the HTTP request to route, and where it comes from.

use std::collections::BTreeMap;

use serde::Serialize;

/// Where a request enters the mesh.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "name")]
#[non_exhaustive]
pub enum Entry {
    /// From a workload's sidecar to another service (Istio's `mesh` gateway name).
    #[default]
    Mesh,
    /// Through an Istio `Gateway`, written `namespace/name` (a name alone is looked up in
    /// the simulator's default namespace).
    Gateway(String),
}

/// An HTTP request to route, built step by step:
///
/// ```
/// use mesh_dsl::simulate::Request;
///
/// let req = Request::new("reviews")
///     .path("/reviews/1?details=true")
///     .header("end-user", "jason")
///     .from_namespace("default");
/// assert_eq!(req.query_params().get("details").map(String::as_str), Some("true"));
/// ```
///
/// Defaults: method `GET`, path `/`, scheme `http`, no headers, the port of the target
/// service (or 80), from the simulator's default namespace with no labels, through the
/// mesh (a sidecar) rather than a gateway.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[must_use]
pub struct Request {
    pub(crate) host: String,
    pub(crate) port: Option<u32>,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) query: BTreeMap<String, String>,
    pub(crate) scheme: String,
    pub(crate) authority: Option<String>,
    pub(crate) source_namespace: Option<String>,
    pub(crate) source_labels: BTreeMap<String, String>,
    pub(crate) service_account: Option<String>,
    pub(crate) entry: Entry,
}

impl Request {
    /// A `GET /` request to `host`: a short name (`reviews`, qualified with the source
    /// namespace as a pod's DNS search path would), `name.namespace`, a full name
    /// (`reviews.shop.svc.cluster.local`) or any external host. A `:port` suffix sets the
    /// port.
    pub fn new(host: impl Into<String>) -> Self {
        let raw: String = host.into();
        let (h, port) = super::hosts::split_authority(raw.trim());
        Self {
            host: h.to_string(),
            port,
            method: "GET".into(),
            path: "/".into(),
            headers: BTreeMap::new(),
            query: BTreeMap::new(),
            scheme: "http".into(),
            authority: None,
            source_namespace: None,
            source_labels: BTreeMap::new(),
            service_account: None,
            entry: Entry::Mesh,
        }
    }

    /// The destination port (default: the service's port when it has one, else 80; for a
    /// gateway, the port of its first HTTP server for the host).
    pub fn port(mut self, port: u32) -> Self {
        self.port = Some(port);
        self
    }

    /// The method (default `GET`).
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = method.into();
        self
    }

    /// The path, with an optional `?query` whose parameters are matched by `queryParams`
    /// (default `/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let p: String = path.into();
        match p.split_once('?') {
            Some((path, query)) => {
                self.path = if path.is_empty() {
                    "/".into()
                } else {
                    path.into()
                };
                for pair in query.split('&').filter(|s| !s.is_empty()) {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    // Like Envoy, the first value of a repeated parameter is the one matched.
                    self.query
                        .entry(percent_decode(k))
                        .or_insert_with(|| percent_decode(v));
                }
            }
            None => self.path = if p.is_empty() { "/".into() } else { p },
        }
        self
    }

    /// Adds a query parameter (the first value given for a name is the one matched).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query
            .entry(name.into())
            .or_insert_with(|| value.into());
        self
    }

    /// Sets a header; names are case-insensitive. `host` or `:authority` set the
    /// authority instead (default: the host as given).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into().to_ascii_lowercase();
        if name == "host" || name == ":authority" {
            self.authority = Some(value.into());
        } else {
            self.headers.insert(name, value.into());
        }
        self
    }

    /// The scheme, matched by `scheme` conditions (default `http`).
    pub fn scheme(mut self, scheme: impl Into<String>) -> Self {
        self.scheme = scheme.into();
        self
    }

    /// The namespace of the calling workload (default: the simulator's default
    /// namespace; through a gateway, the gateway's namespace).
    pub fn from_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.source_namespace = Some(namespace.into());
        self
    }

    /// Adds a label of the calling workload, matched by `sourceLabels` (through a
    /// gateway without labels given, the gateway's selector labels are used).
    pub fn source_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.source_labels.insert(key.into(), value.into());
        self
    }

    /// The calling workload's service account. Routing does not depend on it; it is
    /// shown in the decision.
    pub fn service_account(mut self, name: impl Into<String>) -> Self {
        self.service_account = Some(name.into());
        self
    }

    /// Enters through the Istio Gateway `namespace/name` instead of a sidecar.
    pub fn via_gateway(mut self, gateway: impl Into<String>) -> Self {
        self.entry = Entry::Gateway(gateway.into());
        self
    }

    /// Enters through a sidecar (the default).
    pub fn via_mesh(mut self) -> Self {
        self.entry = Entry::Mesh;
        self
    }

    /// The host as given (without a port).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The path without the query string.
    pub fn path_only(&self) -> &str {
        &self.path
    }

    /// The headers, names in lower case.
    pub fn headers(&self) -> &BTreeMap<String, String> {
        &self.headers
    }

    /// The query parameters.
    pub fn query_params(&self) -> &BTreeMap<String, String> {
        &self.query
    }

    /// Where the request enters.
    pub fn entry(&self) -> &Entry {
        &self.entry
    }

    /// The `:authority` header value: set explicitly, else the host (with `:port` when a
    /// port was given in the host).
    pub fn authority(&self) -> String {
        self.authority.clone().unwrap_or_else(|| self.host.clone())
    }

    /// The path with the query string, as sent.
    pub fn full_path(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let q: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{}?{}", self.path, q.join("&"))
    }
}

/// Decodes `%XX` escapes; malformed escapes are kept as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_path_query_and_host_port() {
        let r = Request::new("reviews:9080").path("/a%2Fb?x=1&y=%41&x=2&flag");
        assert_eq!(r.host(), "reviews");
        assert_eq!(r.port, Some(9080));
        assert_eq!(r.path_only(), "/a%2Fb");
        assert_eq!(r.query["x"], "1");
        assert_eq!(r.query["y"], "A");
        assert_eq!(r.query["flag"], "");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("a%4"), "a%4");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn host_header_sets_the_authority() {
        let r = Request::new("reviews").header("Host", "other.example");
        assert_eq!(r.authority(), "other.example");
        assert!(r.headers().is_empty());
        assert_eq!(Request::new("a").header("X-A", "1").headers()["x-a"], "1");
    }
}

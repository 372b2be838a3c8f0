//! Ingress gateways, egress to external services, and sidecar scoping.

use std::collections::BTreeMap;

use super::service::{NamespaceRef, Port, Protocol};

/// One server (port + hosts) of a gateway.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Listener {
    Http {
        port: u32,
        hosts: Vec<String>,
        redirect_to_https: bool,
    },
    Https {
        port: u32,
        hosts: Vec<String>,
        credential_name: String,
    },
}

/// An ingress (or egress) gateway: which ports, protocols and hosts a gateway deployment
/// accepts. Routes bind to it with [`crate::Routes::ingress`].
///
/// ```
/// use mesh_dsl::{Gateway, Mesh, Namespace};
/// let mut mesh = Mesh::new();
/// let shop = mesh.namespace(Namespace::new("shop"));
/// let gw = mesh.gateway(
///     Gateway::new(&shop, "shop-gateway")
///         .https(["shop.example.com"], "shop-example-com-cert")
///         .redirect_http_to_https(["shop.example.com"]),
/// );
/// assert_eq!(gw.qualified(), "shop/shop-gateway");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Gateway {
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) selector: BTreeMap<String, String>,
    pub(crate) listeners: Vec<Listener>,
    pub(crate) port_names: BTreeMap<u32, String>,
}

impl Gateway {
    /// A gateway named `name` in `namespace`, served by Istio's default ingress gateway
    /// (selector `istio: ingressgateway`) until [`Gateway::selector`] says otherwise.
    pub fn new(namespace: &NamespaceRef, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.name.clone(),
            name: name.into(),
            selector: BTreeMap::from([("istio".to_string(), "ingressgateway".to_string())]),
            listeners: Vec::new(),
            port_names: BTreeMap::new(),
        }
    }

    /// Which gateway pods serve it, by label (replaces the default selector).
    pub fn selector(
        mut self,
        labels: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) -> Self {
        self.selector = labels
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    /// Plain HTTP on port 80 for `hosts`.
    pub fn http(self, hosts: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.http_on(80, hosts)
    }

    /// Plain HTTP on `port` for `hosts`.
    pub fn http_on(
        mut self,
        port: u32,
        hosts: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.listeners.push(Listener::Http {
            port,
            hosts: hosts.into_iter().map(Into::into).collect(),
            redirect_to_https: false,
        });
        self
    }

    /// HTTPS on port 443 for `hosts`, terminating TLS with the certificate in the
    /// Kubernetes Secret `credential_name` (in the gateway pods' namespace).
    pub fn https(
        self,
        hosts: impl IntoIterator<Item = impl Into<String>>,
        credential_name: impl Into<String>,
    ) -> Self {
        self.https_on(443, hosts, credential_name)
    }

    /// HTTPS on `port`; see [`Gateway::https`].
    pub fn https_on(
        mut self,
        port: u32,
        hosts: impl IntoIterator<Item = impl Into<String>>,
        credential_name: impl Into<String>,
    ) -> Self {
        self.listeners.push(Listener::Https {
            port,
            hosts: hosts.into_iter().map(Into::into).collect(),
            credential_name: credential_name.into(),
        });
        self
    }

    /// HTTP on port 80 for `hosts` that answers every request with a redirect to HTTPS.
    pub fn redirect_http_to_https(
        mut self,
        hosts: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.listeners.push(Listener::Http {
            port: 80,
            hosts: hosts.into_iter().map(Into::into).collect(),
            redirect_to_https: true,
        });
        self
    }

    /// Names the servers on `port` `name` (the `port.name` of the Gateway's servers).
    /// Default: the protocol (`http`, `https`) on its usual port (80, 443), and
    /// `<protocol>-<port>` on any other, e.g. `http-8080`. Only needed where something
    /// relies on the name; `compile()` reports a name for a port the gateway does not
    /// serve.
    ///
    /// ```
    /// use mesh_dsl::{Gateway, Mesh, Namespace};
    /// let mut mesh = Mesh::new();
    /// let ns = mesh.namespace(Namespace::new("bookinfo"));
    /// mesh.gateway(Gateway::new(&ns, "bookinfo-gateway").http_on(8080, ["*"]).port_name(8080, "http"));
    /// let yaml = mesh_dsl::render::to_yaml(&mesh.compile().unwrap().resources).unwrap();
    /// assert!(yaml.contains("name: http\n"));
    /// ```
    pub fn port_name(mut self, port: u32, name: impl Into<String>) -> Self {
        self.port_names.insert(port, name.into());
        self
    }
}

/// Handle to a declared gateway.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GatewayRef {
    pub(crate) namespace: String,
    pub(crate) name: String,
}

impl GatewayRef {
    /// `namespace/name`, as VirtualServices refer to gateways.
    pub fn qualified(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// A handle to a gateway this mesh does not declare (e.g. one managed by the platform
    /// team), as `namespace/name`.
    pub fn external(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

/// An external service the mesh may call: a ServiceEntry, and with TLS origination a
/// DestinationRule so that workloads speak plain HTTP and the sidecar upgrades to TLS.
///
/// ```
/// use mesh_dsl::{Egress, Mesh, Namespace};
/// let mut mesh = Mesh::new();
/// let shop = mesh.namespace(Namespace::new("shop"));
/// let payments = mesh.egress(Egress::new(&shop, "payments-api", "api.payments.example.com").tls_origination());
/// assert_eq!(payments.host(), "api.payments.example.com");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Egress {
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) host: String,
    pub(crate) ports: Vec<Port>,
    pub(crate) tls_origination: bool,
    pub(crate) export_to: Vec<String>,
}

impl Egress {
    /// Calls to `host` (port 443, HTTPS) from the mesh, declared in `namespace` under
    /// `name`.
    pub fn new(namespace: &NamespaceRef, name: impl Into<String>, host: impl Into<String>) -> Self {
        Self {
            namespace: namespace.name.clone(),
            name: name.into(),
            host: host.into(),
            ports: vec![Port::new(Protocol::Https, 443)],
            tls_origination: false,
            export_to: Vec::new(),
        }
    }

    /// Lets workloads call `http://<host>` (port 80) while the sidecar opens TLS to port
    /// 443 and verifies the host's certificate (SNI set to the host).
    pub fn tls_origination(mut self) -> Self {
        self.tls_origination = true;
        self.ports = vec![Port::http(80).target(443), Port::new(Protocol::Https, 443)];
        self
    }

    /// The ports workloads call the host on, replacing the default (443, HTTPS) and the
    /// ports [`Egress::tls_origination`] sets, whichever was called last. A port's
    /// [`Port::target`] becomes the ServiceEntry's `targetPort` (the port the sidecar
    /// connects to). `compile()` checks the numbers and that the names are unique.
    ///
    /// ```
    /// use mesh_dsl::{Egress, Mesh, Namespace, Port, Protocol};
    /// let mut mesh = Mesh::new();
    /// let ns = mesh.namespace(Namespace::new("bookinfo"));
    /// mesh.egress(
    ///     Egress::new(&ns, "googleapis", "www.googleapis.com")
    ///         .ports([Port::http(80), Port::new(Protocol::Https, 443)]),
    /// );
    /// let out = mesh.compile().unwrap().resources;
    /// let se = out.find("ServiceEntry", Some("bookinfo"), "googleapis").unwrap().to_json();
    /// assert_eq!(se["spec"]["ports"][0]["name"], "http");
    /// assert_eq!(se["spec"]["ports"][1]["number"], 443);
    /// ```
    pub fn ports(mut self, ports: impl IntoIterator<Item = Port>) -> Self {
        self.ports = ports.into_iter().collect();
        self
    }

    /// Limits which namespaces may use it (`.` own namespace, `*` all; default all).
    pub fn export_to(mut self, namespaces: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.export_to = namespaces.into_iter().map(Into::into).collect();
        self
    }
}

/// Handle to a declared external service.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EgressRef {
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) host: String,
}

impl EgressRef {
    /// The external host.
    pub fn host(&self) -> &str {
        &self.host
    }
}

/// Which outbound hosts the sidecars of a namespace know about (a `Sidecar` named
/// `default`). Smaller scopes mean less configuration in each proxy; with
/// `registry_only`, calls to undeclared external hosts fail.
///
/// ```
/// use mesh_dsl::{Egress, Mesh, Namespace, SidecarScope};
/// let mut mesh = Mesh::new();
/// let shop = mesh.namespace(Namespace::new("shop"));
/// let api = mesh.egress(Egress::new(&shop, "payments-api", "api.payments.example.com"));
/// mesh.sidecar_scope(SidecarScope::new(&shop).allow("./*").allow("istio-system/*").allow_egress(&api).registry_only());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct SidecarScope {
    pub(crate) namespace: String,
    pub(crate) hosts: Vec<String>,
    pub(crate) registry_only: bool,
}

impl SidecarScope {
    /// A scope for the sidecars of `namespace` that knows no host yet.
    pub fn new(namespace: &NamespaceRef) -> Self {
        Self {
            namespace: namespace.name.clone(),
            hosts: Vec::new(),
            registry_only: false,
        }
    }

    /// Allows hosts in Istio's `namespace/host` form (`./*`: this namespace,
    /// `istio-system/*`, `*/api.example.com`...).
    pub fn allow(mut self, host: impl Into<String>) -> Self {
        self.hosts.push(host.into());
        self
    }

    /// Allows a declared external service.
    pub fn allow_egress(mut self, egress: &EgressRef) -> Self {
        self.hosts
            .push(format!("{}/{}", egress.namespace, egress.host));
        self
    }

    /// Blocks calls to hosts outside the service registry (`REGISTRY_ONLY`).
    pub fn registry_only(mut self) -> Self {
        self.registry_only = true;
        self
    }
}

//! Namespaces, services, their ports and versions: what becomes Namespaces,
//! ServiceAccounts, Services and Deployments.

use std::collections::BTreeMap;

/// A namespace declared in a [`crate::Mesh`]; services are placed in one through its handle.
///
/// ```
/// use mesh_dsl::{Mesh, Namespace};
/// let mut mesh = Mesh::new();
/// let shop = mesh.namespace(Namespace::new("shop").sidecar_injection());
/// assert_eq!(shop.name(), "shop");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Namespace {
    pub(crate) name: String,
    pub(crate) injection: bool,
    pub(crate) labels: BTreeMap<String, String>,
}

impl Namespace {
    /// A namespace named `name` (a DNS-1123 label). Sidecar injection is off by default.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            injection: false,
            labels: BTreeMap::new(),
        }
    }

    /// Turns on automatic sidecar injection (label `istio-injection: enabled`).
    pub fn sidecar_injection(mut self) -> Self {
        self.injection = true;
        self
    }

    /// Adds a label to the Namespace object.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }
}

/// Handle to a declared namespace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NamespaceRef {
    pub(crate) name: String,
}

impl NamespaceRef {
    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A handle to a namespace this mesh does not declare (e.g. `istio-system`), for
    /// resources that must live there. Prefer the handle [`crate::Mesh::namespace`]
    /// returns.
    pub fn external(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }
}

/// The application protocol of a port, which Istio reads from the port name's prefix
/// (`http`, `http-admin`, `grpc-api`...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// HTTP/1.1 (or HTTP/2 with prior knowledge: use [`Protocol::Http2`]).
    Http,
    /// HTTP/2.
    Http2,
    /// gRPC.
    Grpc,
    /// TLS passthrough or TLS-wrapped TCP.
    Tls,
    /// HTTPS.
    Https,
    /// Opaque TCP.
    Tcp,
    /// MongoDB.
    Mongo,
    /// MySQL.
    Mysql,
    /// Redis.
    Redis,
}

impl Protocol {
    /// The name prefix Istio recognises.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Http2 => "http2",
            Self::Grpc => "grpc",
            Self::Tls => "tls",
            Self::Https => "https",
            Self::Tcp => "tcp",
            Self::Mongo => "mongo",
            Self::Mysql => "mysql",
            Self::Redis => "redis",
        }
    }

    /// The protocol as Istio spells it in Gateway and ServiceEntry ports.
    pub fn istio_name(self) -> &'static str {
        match self {
            Self::Http => "HTTP",
            Self::Http2 => "HTTP2",
            Self::Grpc => "GRPC",
            Self::Tls => "TLS",
            Self::Https => "HTTPS",
            Self::Tcp => "TCP",
            Self::Mongo => "MONGO",
            Self::Mysql => "MYSQL",
            Self::Redis => "REDIS",
        }
    }

    /// The protocol in Istio's own terms ([`crate::istio::protocol`]).
    pub fn istio(self) -> crate::istio::protocol::Protocol {
        use crate::istio::protocol::Protocol as P;
        match self {
            Self::Http => P::Http,
            Self::Http2 => P::Http2,
            Self::Grpc => P::Grpc,
            Self::Tls => P::Tls,
            Self::Https => P::Https,
            Self::Tcp => P::Tcp,
            Self::Mongo => P::Mongo,
            Self::Mysql => P::Mysql,
            Self::Redis => P::Redis,
        }
    }

    /// Whether Istio routes it with HTTP routes (Istio's `IsHTTP`).
    pub fn is_http(self) -> bool {
        self.istio().is_http()
    }
}

/// A service port, named after its protocol as Istio expects.
///
/// ```
/// use mesh_dsl::{Port, Protocol};
/// let p = Port::http(80).target(8080);
/// assert_eq!((p.name(), p.number()), ("http", 80));
/// let admin = Port::new(Protocol::Http, 9000).suffix("admin");
/// assert_eq!(admin.name(), "http-admin");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[must_use]
pub struct Port {
    pub(crate) protocol: Protocol,
    pub(crate) number: u32,
    pub(crate) target: Option<u32>,
    pub(crate) name: String,
}

impl Port {
    /// A port for `protocol` on `number`, named after the protocol.
    pub fn new(protocol: Protocol, number: u32) -> Self {
        Self {
            protocol,
            number,
            target: None,
            name: protocol.prefix().to_string(),
        }
    }

    /// An HTTP port.
    pub fn http(number: u32) -> Self {
        Self::new(Protocol::Http, number)
    }

    /// A gRPC port.
    pub fn grpc(number: u32) -> Self {
        Self::new(Protocol::Grpc, number)
    }

    /// A TCP port.
    pub fn tcp(number: u32) -> Self {
        Self::new(Protocol::Tcp, number)
    }

    /// The container port traffic goes to; defaults to the port itself.
    pub fn target(mut self, container_port: u32) -> Self {
        self.target = Some(container_port);
        self
    }

    /// Names the port `<protocol>-<suffix>` (e.g. `http-admin`), for services with more
    /// than one port of a protocol.
    pub fn suffix(mut self, suffix: impl AsRef<str>) -> Self {
        self.name = format!("{}-{}", self.protocol.prefix(), suffix.as_ref());
        self
    }

    /// The port's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The port number.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// The protocol.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The container port.
    pub fn target_port(&self) -> u32 {
        self.target.unwrap_or(self.number)
    }
}

/// An HTTP probe of a version's container.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Probe {
    pub(crate) path: String,
    pub(crate) port: Option<u32>,
    pub(crate) initial_delay_seconds: Option<i32>,
    pub(crate) period_seconds: Option<i32>,
}

impl Probe {
    /// An HTTP GET of `path` on the service's first port's container port.
    pub fn http_get(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            port: None,
            initial_delay_seconds: None,
            period_seconds: None,
        }
    }

    /// Probes this container port instead of the first one.
    pub fn port(mut self, container_port: u32) -> Self {
        self.port = Some(container_port);
        self
    }

    /// Seconds to wait before the first probe (Kubernetes' default: 0).
    pub fn initial_delay(mut self, seconds: i32) -> Self {
        self.initial_delay_seconds = Some(seconds);
        self
    }

    /// Seconds between probes (Kubernetes' default: 10).
    pub fn period(mut self, seconds: i32) -> Self {
        self.period_seconds = Some(seconds);
        self
    }
}

/// One version of a service: one Deployment labelled `app: <service>`, `version: <name>`,
/// and one subset of the same name that routes can target.
///
/// ```
/// use mesh_dsl::{Probe, Version};
/// let v2 = Version::new("v2", "example/user:2.0.0")
///     .replicas(3)
///     .requests("100m", "128Mi")
///     .limits("500m", "256Mi")
///     .env("LOG_LEVEL", "info")
///     .readiness(Probe::http_get("/healthz"));
/// assert_eq!(v2.name(), "v2");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Version {
    pub(crate) name: String,
    pub(crate) image: String,
    pub(crate) replicas: i32,
    pub(crate) requests: Option<(String, String)>,
    pub(crate) limits: Option<(String, String)>,
    pub(crate) env: BTreeMap<String, String>,
    pub(crate) readiness: Option<Probe>,
    pub(crate) liveness: Option<Probe>,
    pub(crate) labels: BTreeMap<String, String>,
}

impl Version {
    /// A version named `name` (used as the `version` label and the subset name) running
    /// `image`, with one replica.
    pub fn new(name: impl Into<String>, image: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            image: image.into(),
            replicas: 1,
            requests: None,
            limits: None,
            env: BTreeMap::new(),
            readiness: None,
            liveness: None,
            labels: BTreeMap::new(),
        }
    }

    /// Number of pods (default 1).
    pub fn replicas(mut self, n: i32) -> Self {
        self.replicas = n;
        self
    }

    /// CPU and memory requests, e.g. `("100m", "128Mi")` (default: none).
    pub fn requests(mut self, cpu: impl Into<String>, memory: impl Into<String>) -> Self {
        self.requests = Some((cpu.into(), memory.into()));
        self
    }

    /// CPU and memory limits (default: none).
    pub fn limits(mut self, cpu: impl Into<String>, memory: impl Into<String>) -> Self {
        self.limits = Some((cpu.into(), memory.into()));
        self
    }

    /// Sets an environment variable of the container.
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(name.into(), value.into());
        self
    }

    /// The readiness probe (default: none).
    pub fn readiness(mut self, probe: Probe) -> Self {
        self.readiness = Some(probe);
        self
    }

    /// The liveness probe (default: none).
    pub fn liveness(mut self, probe: Probe) -> Self {
        self.liveness = Some(probe);
        self
    }

    /// Adds a pod label (besides `app` and `version`, which are always set).
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// The version's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Which identity a service's pods run as (and so which mTLS principal callers see).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Identity {
    /// A ServiceAccount named after the service (the default): each service has its own
    /// identity, which authorization rules can name.
    #[default]
    OwnServiceAccount,
    /// The namespace's `default` ServiceAccount; no ServiceAccount object is generated.
    NamespaceDefault,
}

/// A service: a Kubernetes Service with named ports, a ServiceAccount of the same name, and
/// one Deployment per [`Version`].
///
/// ```
/// use mesh_dsl::{Mesh, Namespace, Port, Service, Version};
/// let mut mesh = Mesh::new();
/// let shop = mesh.namespace(Namespace::new("shop").sidecar_injection());
/// let user = mesh.service(
///     Service::new(&shop, "user")
///         .port(Port::http(80).target(8080))
///         .version(Version::new("v1", "example/user:1.0"))
///         .version(Version::new("v2", "example/user:2.0")),
/// );
/// assert_eq!(user.host(), "user.shop.svc.cluster.local");
/// let v2 = user.subset("v2");
/// assert_eq!(v2.name(), "v2");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Service {
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) ports: Vec<Port>,
    pub(crate) versions: Vec<Version>,
    pub(crate) export_to: Vec<String>,
    pub(crate) identity: Identity,
    pub(crate) container: Option<String>,
    pub(crate) workloads: Workloads,
}

/// Who creates a service's Kubernetes objects (Service, ServiceAccount, Deployments).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Workloads {
    /// The mesh generates them.
    #[default]
    Generated,
    /// Something else does ([`Service::deployed_elsewhere`]).
    Elsewhere,
}

impl Service {
    /// A service named `name` in `namespace`, with no ports and no versions yet.
    pub fn new(namespace: &NamespaceRef, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.name.clone(),
            name: name.into(),
            ports: Vec::new(),
            versions: Vec::new(),
            export_to: Vec::new(),
            identity: Identity::OwnServiceAccount,
            container: None,
            workloads: Workloads::Generated,
        }
    }

    /// Which ServiceAccount the pods run as (default: [`Identity::OwnServiceAccount`]).
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = identity;
        self
    }

    /// The ServiceAccount its pods run as.
    pub(crate) fn account(&self) -> String {
        match self.identity {
            Identity::OwnServiceAccount => self.name.clone(),
            Identity::NamespaceDefault => "default".into(),
        }
    }

    /// Names the container in every version's pod (default: the service's name).
    pub fn container_name(mut self, name: impl Into<String>) -> Self {
        self.container = Some(name.into());
        self
    }

    /// Declares a service whose workloads are deployed by something else (another
    /// team's manifests, a Helm chart, cert-manager's HTTP-01 solver): routes, policies
    /// and authorization can name it, and references to its ports and versions are
    /// checked as usual, but `compile()` emits no Service, ServiceAccount or Deployment
    /// for it, only its Istio configuration (the DestinationRule with its versions as
    /// subsets, when it has versions or a traffic policy). The images and sizes of its
    /// versions are not used. Default: the mesh generates the workloads.
    ///
    /// ```
    /// use mesh_dsl::{Mesh, Namespace, Port, Service, Version};
    /// let mut mesh = Mesh::new();
    /// let ns = mesh.namespace(Namespace::new("bookinfo"));
    /// mesh.service(
    ///     Service::new(&ns, "reviews")
    ///         .port(Port::http(9080))
    ///         .version(Version::new("v1", "docker.io/istio/examples-bookinfo-reviews-v1:1.20.3"))
    ///         .deployed_elsewhere(),
    /// );
    /// let out = mesh.compile().unwrap().resources;
    /// assert!(out.find("DestinationRule", Some("bookinfo"), "reviews").is_some());
    /// assert!(out.find("Deployment", Some("bookinfo"), "reviews-v1").is_none());
    /// assert!(out.find("Service", Some("bookinfo"), "reviews").is_none());
    /// ```
    pub fn deployed_elsewhere(mut self) -> Self {
        self.workloads = Workloads::Elsewhere;
        self
    }

    /// Adds a port.
    pub fn port(mut self, port: Port) -> Self {
        self.ports.push(port);
        self
    }

    /// Adds a version (a Deployment and a subset).
    pub fn version(mut self, version: Version) -> Self {
        self.versions.push(version);
        self
    }

    /// Limits which namespaces see the routing and traffic policy of this service
    /// (`exportTo`: `.` for its own namespace, `*` for all; default: all).
    pub fn export_to(mut self, namespaces: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.export_to = namespaces.into_iter().map(Into::into).collect();
        self
    }
}

/// Handle to a declared service; routes, policies and authorization name services
/// through it, so they cannot name a service the mesh does not declare.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceRef {
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) account: String,
}

impl ServiceRef {
    /// The service's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The service's namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The fully qualified host, `<name>.<namespace>.svc.cluster.local`.
    pub fn host(&self) -> String {
        crate::istio::host::service_fqdn(&self.name, &self.namespace)
    }

    /// The service's version (subset) named `version`. Whether the service has it is
    /// checked by `compile()`, which lists the versions it does have.
    pub fn subset(&self, version: impl Into<String>) -> SubsetRef {
        SubsetRef {
            service: self.clone(),
            name: version.into(),
        }
    }

    /// The SPIFFE principal of the service's ServiceAccount, as AuthorizationPolicies
    /// name it: `cluster.local/ns/<namespace>/sa/<name>`.
    pub fn principal(&self) -> String {
        format!(
            "{}/ns/{}/sa/{}",
            crate::istio::host::CLUSTER_DOMAIN,
            self.namespace,
            self.account
        )
    }
}

/// Handle to one version (subset) of a service.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubsetRef {
    pub(crate) service: ServiceRef,
    pub(crate) name: String,
}

impl SubsetRef {
    /// The subset's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The service it belongs to.
    pub fn service(&self) -> &ServiceRef {
        &self.service
    }
}

//! Traffic policy: load balancing, connection pools, outlier detection (circuit
//! breaking) and TLS to a service, for the whole service, one version, or one port.

use istio_types::Duration;
use istio_types::networking::v1::{
    ClientTlsMode, ClientTlsSettings, ConnectionPoolSettings, ConsistentHashLb, HashKey,
    HttpCookie, HttpSettings, LbPolicy, LoadBalancerSettings, PortSelector, PortTrafficPolicy,
    SimpleLb, TcpSettings, TrafficPolicy,
};

/// How requests are spread over a service's endpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadBalancer {
    /// Each endpoint in turn.
    RoundRobin,
    /// The endpoint with the fewest outstanding requests (Istio's default).
    LeastRequest,
    /// A random endpoint.
    Random,
    /// Sticky: the same value of this header goes to the same endpoint.
    HashHeader(String),
    /// Sticky by cookie: the proxy sets the cookie `name` with this time to live.
    HashCookie(String, Duration),
    /// Sticky by the caller's IP address.
    HashSourceIp,
}

impl LoadBalancer {
    fn settings(&self) -> LoadBalancerSettings {
        let policy = match self {
            Self::RoundRobin => LbPolicy::Simple(SimpleLb::RoundRobin),
            Self::LeastRequest => LbPolicy::Simple(SimpleLb::LeastRequest),
            Self::Random => LbPolicy::Simple(SimpleLb::Random),
            Self::HashHeader(h) => LbPolicy::ConsistentHash(ConsistentHashLb {
                hash_key: Some(HashKey::HttpHeaderName(h.clone())),
                ..Default::default()
            }),
            Self::HashCookie(name, ttl) => LbPolicy::ConsistentHash(ConsistentHashLb {
                hash_key: Some(HashKey::HttpCookie(HttpCookie {
                    name: name.clone(),
                    ttl: Some(ttl.clone()),
                    ..Default::default()
                })),
                ..Default::default()
            }),
            Self::HashSourceIp => LbPolicy::ConsistentHash(ConsistentHashLb {
                hash_key: Some(HashKey::UseSourceIp(true)),
                ..Default::default()
            }),
        };
        LoadBalancerSettings {
            lb_policy: Some(policy),
            ..Default::default()
        }
    }
}

/// Limits on connections and requests to a service: when they are reached, requests
/// queue or fail fast instead of piling up (the first half of a circuit breaker).
///
/// ```
/// use mesh_dsl::ConnectionPool;
/// let pool = ConnectionPool::new()
///     .max_connections(100)
///     .max_pending_requests(10)
///     .max_requests_per_connection(1);
/// # let _ = pool;
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use]
pub struct ConnectionPool {
    inner: ConnectionPoolSettings,
}

impl ConnectionPool {
    /// No limits beyond Istio's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    fn tcp(&mut self) -> &mut TcpSettings {
        self.inner.tcp.get_or_insert_with(Default::default)
    }

    fn http(&mut self) -> &mut HttpSettings {
        self.inner.http.get_or_insert_with(Default::default)
    }

    /// At most `n` TCP connections to the service (per proxy).
    pub fn max_connections(mut self, n: i32) -> Self {
        self.tcp().max_connections = Some(n);
        self
    }

    /// Gives up connecting after `timeout`.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.tcp().connect_timeout = Some(timeout);
        self
    }

    /// At most `n` requests waiting for a connection.
    pub fn max_pending_requests(mut self, n: i32) -> Self {
        self.http().http1_max_pending_requests = Some(n);
        self
    }

    /// At most `n` active requests (HTTP/2) to the service.
    pub fn max_requests(mut self, n: i32) -> Self {
        self.http().http2_max_requests = Some(n);
        self
    }

    /// At most `n` requests per connection (1 disables keep-alive).
    pub fn max_requests_per_connection(mut self, n: i32) -> Self {
        self.http().max_requests_per_connection = Some(n);
        self
    }

    /// At most `n` retries outstanding at once.
    pub fn max_retries(mut self, n: i32) -> Self {
        self.http().max_retries = Some(n);
        self
    }
}

/// Ejects endpoints that keep failing from the load-balancing pool for a while (the
/// second half of a circuit breaker).
///
/// ```
/// use istio_types::Duration;
/// use mesh_dsl::OutlierDetection;
/// let od = OutlierDetection::new()
///     .consecutive_5xx_errors(5)
///     .interval(Duration::from_secs(10))
///     .base_ejection_time(Duration::from_secs(30))
///     .max_ejection_percent(50);
/// # let _ = od;
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use]
pub struct OutlierDetection {
    inner: istio_types::networking::v1::OutlierDetection,
}

impl OutlierDetection {
    /// Istio's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Eject after `n` consecutive 5xx responses (or connection failures).
    pub fn consecutive_5xx_errors(mut self, n: u32) -> Self {
        self.inner.consecutive5xx_errors = Some(n);
        self
    }

    /// Eject after `n` consecutive 502/503/504 responses.
    pub fn consecutive_gateway_errors(mut self, n: u32) -> Self {
        self.inner.consecutive_gateway_errors = Some(n);
        self
    }

    /// How often endpoints are checked.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.inner.interval = Some(interval);
        self
    }

    /// How long an endpoint stays ejected the first time (longer each time after).
    pub fn base_ejection_time(mut self, time: Duration) -> Self {
        self.inner.base_ejection_time = Some(time);
        self
    }

    /// At most this share of endpoints may be ejected at once.
    pub fn max_ejection_percent(mut self, percent: i32) -> Self {
        self.inner.max_ejection_percent = Some(percent);
        self
    }

    /// Stop ejecting when fewer than this share of endpoints are healthy.
    pub fn min_health_percent(mut self, percent: i32) -> Self {
        self.inner.min_health_percent = Some(percent);
        self
    }
}

/// How the sidecar speaks TLS to the destination.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tls {
    /// No TLS.
    Disable,
    /// Istio mutual TLS with the mesh's certificates.
    IstioMutual,
    /// TLS, verifying the server; `sni` sets the server name.
    Simple {
        /// The server name to send and verify, if not the host.
        sni: Option<String>,
    },
}

impl Tls {
    pub(crate) fn settings(&self) -> ClientTlsSettings {
        match self {
            Self::Disable => ClientTlsSettings {
                mode: Some(ClientTlsMode::Disable),
                ..Default::default()
            },
            Self::IstioMutual => ClientTlsSettings {
                mode: Some(ClientTlsMode::IstioMutual),
                ..Default::default()
            },
            Self::Simple { sni } => ClientTlsSettings {
                mode: Some(ClientTlsMode::Simple),
                sni: sni.clone(),
                ..Default::default()
            },
        }
    }
}

/// A traffic policy for a service, one of its versions, or one port.
///
/// ```
/// use istio_types::Duration;
/// use mesh_dsl::{ConnectionPool, LoadBalancer, OutlierDetection, Policy, Tls};
/// let breaker = Policy::new()
///     .load_balancer(LoadBalancer::LeastRequest)
///     .connection_pool(ConnectionPool::new().max_connections(100).max_pending_requests(10))
///     .outlier_detection(OutlierDetection::new().consecutive_5xx_errors(5).interval(Duration::from_secs(10)))
///     .tls(Tls::IstioMutual)
///     .port(8443, Policy::new().load_balancer(LoadBalancer::RoundRobin));
/// # let _ = breaker;
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use]
pub struct Policy {
    pub(crate) inner: TrafficPolicy,
}

impl Policy {
    /// Istio's defaults for everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// The load-balancing algorithm.
    pub fn load_balancer(mut self, lb: LoadBalancer) -> Self {
        self.inner.load_balancer = Some(lb.settings());
        self
    }

    /// Connection and request limits.
    pub fn connection_pool(mut self, pool: ConnectionPool) -> Self {
        self.inner.connection_pool = Some(pool.inner);
        self
    }

    /// Ejection of failing endpoints.
    pub fn outlier_detection(mut self, od: OutlierDetection) -> Self {
        self.inner.outlier_detection = Some(od.inner);
        self
    }

    /// TLS to the destination.
    pub fn tls(mut self, tls: Tls) -> Self {
        self.inner.tls = Some(tls.settings());
        self
    }

    /// Overrides for one port: its settings replace the service-wide ones for that port.
    pub fn port(mut self, port: u32, policy: Policy) -> Self {
        let p = policy.inner;
        self.inner.port_level_settings.push(PortTrafficPolicy {
            port: Some(PortSelector { number: Some(port) }),
            load_balancer: p.load_balancer,
            connection_pool: p.connection_pool,
            outlier_detection: p.outlier_detection,
            tls: p.tls,
        });
        self
    }

    /// Builds from a raw istio-types traffic policy, for settings the builder lacks.
    pub fn raw(policy: TrafficPolicy) -> Self {
        Self { inner: policy }
    }
}

impl From<OutlierDetection> for istio_types::networking::v1::OutlierDetection {
    fn from(o: OutlierDetection) -> Self {
        o.inner
    }
}

//! [`Decision`]: where a request goes, what happens to it on the way, and why.

use std::collections::BTreeMap;
use std::fmt;

use istio_types::Duration;
use istio_types::networking::v1::{
    ClientTlsSettings, ConnectionPoolSettings, CorsPolicy, Headers, LoadBalancerSettings,
    OutlierDetection, ProxyProtocol, RetryBudget, TrafficPolicyTunnelSettings,
};
use serde::{Serialize, Serializer};

use super::request::Entry;
use crate::diag::ResourceRef;

/// Why a condition did not hold: the field (`uri`, `headers[end-user]`, `sourceLabels`...),
/// what the route asks for, and what the request has (`None` when absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// The condition, named as in the VirtualService (`headers[end-user]`).
    pub field: String,
    /// What the route asks for, e.g. `exact "jason"`.
    pub expected: String,
    /// What the request has; `None` when it has nothing there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

impl Mismatch {
    pub(crate) fn new(
        field: impl Into<String>,
        expected: impl Into<String>,
        actual: Option<String>,
    ) -> Self {
        Self {
            field: field.into(),
            expected: expected.into(),
            actual,
        }
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.actual {
            Some(a) => write!(
                f,
                "{} wants {}, request has {a:?}",
                self.field, self.expected
            ),
            None => write!(
                f,
                "{} wants {}, request has none",
                self.field, self.expected
            ),
        }
    }
}

/// The request as the simulator understood it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestSummary {
    /// The method.
    pub method: String,
    /// The host as given.
    pub host: String,
    /// The host routing used: a short name qualified with the source namespace
    /// (`reviews.default.svc.cluster.local`); through a gateway, the host as given.
    pub routed_host: String,
    /// The port the request is sent to (the listener port).
    pub port: u32,
    /// The path with its query string.
    pub path: String,
    /// Where the request enters.
    pub entry: Entry,
    /// The namespace of the calling proxy.
    pub source_namespace: String,
    /// The labels of the calling proxy.
    pub source_labels: BTreeMap<String, String>,
    /// The calling workload's service account, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
}

/// A route of a VirtualService: which resource, which `http` entry, which match block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouteRef {
    /// The VirtualService (the root one when the route came from a delegate).
    pub virtual_service: ResourceRef,
    /// The index in its `spec.http`.
    pub index: usize,
    /// The route's name, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The index of the match block (`None` for a route without `match`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_index: Option<usize>,
    /// The match block's name, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_name: Option<String>,
    /// The delegate VirtualService the route was merged from, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delegate: Option<DelegateRef>,
}

impl fmt::Display for RouteRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} http[{}]", self.virtual_service, self.index)?;
        if let Some(n) = &self.name {
            write!(f, " {n:?}")?;
        }
        if let Some(d) = &self.delegate {
            write!(f, " (delegated to {} http[{}])", d.virtual_service, d.index)?;
        }
        match self.match_index {
            Some(i) => write!(f, " match[{i}]")?,
            None => write!(f, " (no match conditions)")?,
        }
        Ok(())
    }
}

/// A route that came from a delegate VirtualService.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DelegateRef {
    /// The delegate VirtualService.
    pub virtual_service: ResourceRef,
    /// The index in the delegate's `spec.http`.
    pub index: usize,
}

/// What happened when a route was tried.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result", content = "why")]
#[non_exhaustive]
pub enum CheckResult {
    /// Every condition held: this route decides.
    Matched,
    /// A request condition failed.
    NotMatched(Mismatch),
    /// Left out of this proxy's configuration altogether (`port`, `gateways`,
    /// `sourceLabels` or `sourceNamespace` do not fit the proxy).
    Excluded(Mismatch),
}

/// One route tried, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouteCheck {
    /// The route and match block.
    pub route: RouteRef,
    /// What happened.
    #[serde(flatten)]
    pub result: CheckResult,
}

/// A step of the explanation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What part of the decision this is about.
    pub stage: Stage,
    /// What happened, in words.
    pub message: String,
    /// The resource concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceRef>,
}

/// The parts of a decision, in the order they are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stage {
    /// Reading the request.
    Request,
    /// The gateway and its server (gateway traffic only).
    Gateway,
    /// Choosing the VirtualService for the host.
    VirtualService,
    /// Trying routes.
    Route,
    /// The destinations.
    Destination,
    /// DestinationRule policies.
    Policy,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Request => "request",
            Self::Gateway => "gateway",
            Self::VirtualService => "virtual service",
            Self::Route => "route",
            Self::Destination => "destination",
            Self::Policy => "policy",
        })
    }
}

/// Where a request goes and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Decision {
    /// The request as understood.
    pub request: RequestSummary,
    /// The VirtualService whose route decided (`None` for the default route or no route).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_service: Option<ResourceRef>,
    /// The route that matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<RouteRef>,
    /// What happens to the request.
    pub outcome: Outcome,
    /// Faults the matched route injects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
    /// Header changes the matched route makes (destinations may add their own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<Headers>,
    /// The CORS policy of the matched route.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors: Option<CorsPolicy>,
    /// Every route tried, in order, up to the one that matched.
    pub checks: Vec<RouteCheck>,
    /// The explanation, step by step.
    pub trace: Vec<Step>,
    /// Problems found on the way (a subset no DestinationRule defines, a host no Service
    /// defines...).
    pub warnings: Vec<String>,
}

impl Decision {
    /// The destinations when the request is forwarded (empty otherwise).
    pub fn destinations(&self) -> &[RoutedDestination] {
        match &self.outcome {
            Outcome::Forward(f) => &f.destinations,
            _ => &[],
        }
    }

    /// The forwarding details, when the request is forwarded.
    pub fn forward(&self) -> Option<&Forward> {
        match &self.outcome {
            Outcome::Forward(f) => Some(f),
            _ => None,
        }
    }

    /// The first destination (the only one unless traffic is split).
    pub fn destination(&self) -> Option<&RoutedDestination> {
        self.destinations().first()
    }

    /// The traffic shares of the destinations.
    pub fn distribution(&self) -> super::Distribution {
        super::Distribution::from_destinations(self.destinations())
    }
}

/// What happens to a request.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
#[non_exhaustive]
// One Outcome per decision: boxing Forward would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    /// Sent on to one or more destinations.
    Forward(Forward),
    /// Answered with a redirect.
    Redirect(Redirect),
    /// Answered by the proxy itself.
    DirectResponse(DirectResponse),
    /// No route matches: Envoy answers 404 (`NR`).
    NoRoute {
        /// Why.
        reason: String,
    },
}

/// A request sent on to destinations.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Forward {
    /// The destinations with their shares. One destination gets all traffic whatever its
    /// weight; with several, destinations of weight 0 are dropped.
    pub destinations: Vec<RoutedDestination>,
    /// True when no VirtualService applies and the request goes to the service itself.
    pub default_route: bool,
    /// Path and authority rewrites.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rewrite: Option<Rewrite>,
    /// Copies of the request sent elsewhere.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mirrors: Vec<Mirror>,
    /// The route timeout; `None` means none (Istio disables Envoy's default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// The retry policy in force.
    pub retries: Retries,
}

/// One destination of a forwarded request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RoutedDestination {
    /// The full host name.
    pub host: String,
    /// The subset, when one is named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subset: Option<String>,
    /// The port: the one named in the route, else the service's only port, else the
    /// request's port.
    pub port: u32,
    /// The weight as written (100 for a single destination).
    pub weight: u32,
    /// The share of traffic, between 0 and 1.
    pub share: f64,
    /// Header changes for this destination only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<Headers>,
    /// The Service or ServiceEntry that defines the host, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ResourceRef>,
    /// The DestinationRule policy that applies, merged for the subset and port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<DestinationPolicy>,
    /// True when the route names a subset that no visible DestinationRule defines for the
    /// host: Envoy has no cluster for it and answers 503.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub subset_missing: bool,
}

/// Rewrites applied before forwarding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rewrite {
    /// The path (with query) the destination receives, when rewritten.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The authority (Host) the destination receives, when rewritten.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
}

/// A mirror: a copy of the request sent to another destination, whose answer is ignored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mirror {
    /// The full host name.
    pub host: String,
    /// The subset, when one is named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subset: Option<String>,
    /// The port.
    pub port: u32,
    /// The percentage of requests mirrored (0 to 100).
    pub percent: f64,
}

/// Where a retry policy comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetrySource {
    /// Istio's default for routes without `retries`.
    MeshDefault,
    /// The route's `retries`.
    Route,
}

/// The retry policy of a route.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Retries {
    /// Where it comes from.
    pub from: RetrySource,
    /// Retries after the first try; 0 when retries are off.
    pub attempts: u32,
    /// Envoy's retry conditions.
    pub retry_on: String,
    /// Status codes retried (`retriable-status-codes`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retriable_status_codes: Vec<u32>,
    /// The timeout of each try.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_try_timeout: Option<Duration>,
    /// The base interval between tries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Duration>,
}

/// A redirect answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Redirect {
    /// The status code (301 unless the route says otherwise).
    pub status: u32,
    /// Where the client is sent.
    pub location: String,
}

/// An answer made by the proxy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DirectResponse {
    /// The status code.
    pub status: u32,
    /// The body, when there is one (`bytes` bodies as written, base64).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// Faults injected by the matched route.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fault {
    /// A delay before forwarding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay: Option<DelayFault>,
    /// An error answered instead of forwarding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abort: Option<AbortFault>,
}

/// An injected delay.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DelayFault {
    /// How long.
    pub fixed_delay: Duration,
    /// The percentage of requests delayed (0 to 100); 0 when none is given.
    pub percent: f64,
}

/// An injected error.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AbortFault {
    /// The error returned.
    pub error: AbortWith,
    /// The percentage of requests aborted (0 to 100); 0 when none is given.
    pub percent: f64,
}

/// The error of an injected abort.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AbortWith {
    /// An HTTP status code.
    HttpStatus(u32),
    /// A gRPC status name.
    GrpcStatus(String),
}

/// Which part of a DestinationRule a setting comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyLevel {
    /// The top-level `trafficPolicy`.
    Destination,
    /// The top-level `portLevelSettings` entry for this port.
    DestinationPort(u32),
    /// The subset's `trafficPolicy`.
    Subset(String),
    /// The subset's `portLevelSettings` entry for this port.
    SubsetPort(String, u32),
}

impl fmt::Display for PolicyLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Destination => write!(f, "trafficPolicy"),
            Self::DestinationPort(p) => write!(f, "trafficPolicy port {p}"),
            Self::Subset(s) => write!(f, "subset {s}"),
            Self::SubsetPort(s, p) => write!(f, "subset {s} port {p}"),
        }
    }
}

impl Serialize for PolicyLevel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A setting and where it comes from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Setting<T> {
    /// The setting.
    pub value: T,
    /// The part of the DestinationRule it comes from.
    pub from: PolicyLevel,
}

/// The DestinationRule policy for one destination: top-level settings, overridden by the
/// port's `portLevelSettings` (which replace load balancer, connection pool, outlier
/// detection and TLS as a whole), then by the subset's settings, as Istio merges them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DestinationPolicy {
    /// The DestinationRule (the first one when several for the host were merged).
    pub destination_rule: ResourceRef,
    /// Other DestinationRules for the same host merged into it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<ResourceRef>,
    /// The subset's labels, when the destination names a subset the rule defines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subset_labels: Option<BTreeMap<String, String>>,
    /// Load balancing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<Setting<LoadBalancerSettings>>,
    /// Connection pool limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_pool: Option<Setting<ConnectionPoolSettings>>,
    /// Outlier detection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outlier_detection: Option<Setting<OutlierDetection>>,
    /// Client TLS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<Setting<ClientTlsSettings>>,
    /// Tunnelling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<Setting<TrafficPolicyTunnelSettings>>,
    /// PROXY protocol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_protocol: Option<Setting<ProxyProtocol>>,
    /// Retry budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_budget: Option<Setting<RetryBudget>>,
}

fn percent(p: f64) -> String {
    let s = format!("{p:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

impl fmt::Display for Decision {
    /// A readable report: the request, the outcome, destinations and policies, then the
    /// trace.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.request;
        let entry = match &r.entry {
            Entry::Mesh => format!("sidecar in namespace {}", r.source_namespace),
            Entry::Gateway(g) => format!("gateway {g}"),
        };
        writeln!(
            f,
            "request:  {} {}:{}{} from {entry}",
            r.method, r.routed_host, r.port, r.path
        )?;
        if !r.source_labels.is_empty() {
            writeln!(
                f,
                "          source labels {}",
                super::matching::fmt_labels(&r.source_labels)
            )?;
        }
        match &self.route {
            Some(route) => writeln!(f, "route:    {route}")?,
            None => writeln!(f, "route:    none")?,
        }
        match &self.outcome {
            Outcome::Forward(fw) => {
                if fw.default_route {
                    writeln!(
                        f,
                        "outcome:  forward (default route: no VirtualService applies)"
                    )?;
                } else {
                    writeln!(f, "outcome:  forward")?;
                }
                for d in &fw.destinations {
                    write!(f, "  -> {}", d.host)?;
                    if let Some(s) = &d.subset {
                        write!(f, " subset {s}")?;
                    }
                    writeln!(
                        f,
                        " port {}  weight {} ({})",
                        d.port,
                        d.weight,
                        percent(d.share * 100.0)
                    )?;
                    if let Some(h) = &d.headers {
                        writeln!(f, "       headers {}", json(h))?;
                    }
                    if let Some(p) = &d.policy {
                        writeln!(f, "       destination rule {}", p.destination_rule)?;
                        if let Some(l) = &p.subset_labels {
                            writeln!(f, "       subset labels {}", super::matching::fmt_labels(l))?;
                        }
                        let mut line = |name: &str, v: Option<(String, &PolicyLevel)>| match v {
                            Some((v, from)) => writeln!(f, "       {name}: {v} (from {from})"),
                            None => Ok(()),
                        };
                        line(
                            "load balancer",
                            p.load_balancer.as_ref().map(|s| (json(&s.value), &s.from)),
                        )?;
                        line(
                            "connection pool",
                            p.connection_pool
                                .as_ref()
                                .map(|s| (json(&s.value), &s.from)),
                        )?;
                        line(
                            "outlier detection",
                            p.outlier_detection
                                .as_ref()
                                .map(|s| (json(&s.value), &s.from)),
                        )?;
                        line("tls", p.tls.as_ref().map(|s| (json(&s.value), &s.from)))?;
                        line(
                            "tunnel",
                            p.tunnel.as_ref().map(|s| (json(&s.value), &s.from)),
                        )?;
                        line(
                            "proxy protocol",
                            p.proxy_protocol.as_ref().map(|s| (json(&s.value), &s.from)),
                        )?;
                        line(
                            "retry budget",
                            p.retry_budget.as_ref().map(|s| (json(&s.value), &s.from)),
                        )?;
                    }
                }
                if let Some(rw) = &fw.rewrite {
                    if let Some(p) = &rw.path {
                        writeln!(f, "rewrite:  path {p}")?;
                    }
                    if let Some(a) = &rw.authority {
                        writeln!(f, "rewrite:  authority {a}")?;
                    }
                }
                for m in &fw.mirrors {
                    write!(f, "mirror:   {}", m.host)?;
                    if let Some(s) = &m.subset {
                        write!(f, " subset {s}")?;
                    }
                    writeln!(f, " port {} ({})", m.port, percent(m.percent))?;
                }
                match &fw.timeout {
                    Some(t) => writeln!(f, "timeout:  {t}")?,
                    None => writeln!(f, "timeout:  none")?,
                }
                let rt = &fw.retries;
                let from = match rt.from {
                    RetrySource::MeshDefault => "mesh default",
                    RetrySource::Route => "route",
                };
                if rt.attempts == 0 {
                    writeln!(f, "retries:  off ({from})")?;
                } else {
                    write!(
                        f,
                        "retries:  {} attempts on {} ({from})",
                        rt.attempts, rt.retry_on
                    )?;
                    if let Some(t) = &rt.per_try_timeout {
                        write!(f, ", {t} per try")?;
                    }
                    writeln!(f)?;
                }
            }
            Outcome::Redirect(rd) => {
                writeln!(f, "outcome:  redirect {} to {}", rd.status, rd.location)?
            }
            Outcome::DirectResponse(dr) => {
                write!(f, "outcome:  direct response {}", dr.status)?;
                if let Some(b) = &dr.body {
                    write!(f, " body {b:?}")?;
                }
                writeln!(f)?;
            }
            Outcome::NoRoute { reason } => writeln!(f, "outcome:  404 no route ({reason})")?,
        }
        if let Some(fault) = &self.fault {
            if let Some(d) = &fault.delay {
                writeln!(
                    f,
                    "fault:    delay {} for {} of requests",
                    d.fixed_delay,
                    percent(d.percent)
                )?;
            }
            if let Some(a) = &fault.abort {
                let what = match &a.error {
                    AbortWith::HttpStatus(s) => format!("HTTP {s}"),
                    AbortWith::GrpcStatus(s) => format!("gRPC {s}"),
                };
                writeln!(
                    f,
                    "fault:    abort with {what} for {} of requests",
                    percent(a.percent)
                )?;
            }
        }
        if let Some(h) = &self.headers {
            writeln!(f, "headers:  {}", json(h))?;
        }
        for w in &self.warnings {
            writeln!(f, "warning:  {w}")?;
        }
        writeln!(f, "trace:")?;
        for (i, s) in self.trace.iter().enumerate() {
            writeln!(f, "  {:>2}. [{}] {}", i + 1, s.stage, s.message)?;
        }
        Ok(())
    }
}

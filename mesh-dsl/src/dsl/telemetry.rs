//! Telemetry: tracing and access logging (Telemetry resources), and the Istio installation
//! fragment that declares the providers they send to (an OpenTelemetry collector feeding
//! Tempo and Loki, for example).

use serde_json::{Value, json};

use super::service::NamespaceRef;

/// Istio's root namespace, where mesh-wide Telemetry lives.
pub const ROOT_NAMESPACE: &str = "istio-system";

/// Where a telemetry setting applies.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum TelemetryScope {
    Mesh,
    Namespace(String),
}

impl TelemetryScope {
    pub(crate) fn namespace(&self) -> &str {
        match self {
            Self::Mesh => ROOT_NAMESPACE,
            Self::Namespace(ns) => ns,
        }
    }
}

/// Tracing and access logging for the whole mesh or one namespace (a `Telemetry`).
///
/// ```
/// use mesh_dsl::{Mesh, Telemetry};
/// let mut mesh = Mesh::new();
/// mesh.telemetry(Telemetry::mesh_wide().tracing("otel-tempo", 10.0).access_logs("otel-loki"));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct Telemetry {
    pub(crate) scope: TelemetryScope,
    pub(crate) tracing: Option<(String, f64)>,
    pub(crate) access_logs: Option<(String, Option<String>)>,
}

impl Telemetry {
    /// For every workload of the mesh (a Telemetry named `mesh-default` in
    /// `istio-system`).
    pub fn mesh_wide() -> Self {
        Self {
            scope: TelemetryScope::Mesh,
            tracing: None,
            access_logs: None,
        }
    }

    /// For the workloads of one namespace (named `default`).
    pub fn namespace(namespace: &NamespaceRef) -> Self {
        Self {
            scope: TelemetryScope::Namespace(namespace.name.clone()),
            tracing: None,
            access_logs: None,
        }
    }

    /// Sends traces of `sampling_percent` of requests to the extension provider named
    /// `provider` (declared with [`TelemetryProviders`]).
    pub fn tracing(mut self, provider: impl Into<String>, sampling_percent: f64) -> Self {
        self.tracing = Some((provider.into(), sampling_percent));
        self
    }

    /// Sends access logs to the extension provider named `provider`.
    pub fn access_logs(mut self, provider: impl Into<String>) -> Self {
        self.access_logs = Some((provider.into(), None));
        self
    }

    /// Sends only access logs matching a CEL `expression`, e.g. `response.code >= 400`.
    pub fn access_logs_filtered(
        mut self,
        provider: impl Into<String>,
        expression: impl Into<String>,
    ) -> Self {
        self.access_logs = Some((provider.into(), Some(expression.into())));
        self
    }
}

/// One extension provider of the mesh configuration.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Provider {
    OtelTracing {
        name: String,
        service: String,
        port: u32,
    },
    OtelAccessLog {
        name: String,
        service: String,
        port: u32,
        log_name: String,
    },
}

impl Provider {
    fn name(&self) -> &str {
        match self {
            Self::OtelTracing { name, .. } | Self::OtelAccessLog { name, .. } => name,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Self::OtelTracing {
                name,
                service,
                port,
            } => json!({
                "name": name,
                "opentelemetry": {"service": service, "port": port},
            }),
            Self::OtelAccessLog {
                name,
                service,
                port,
                log_name,
            } => json!({
                "name": name,
                "envoyOtelAls": {"service": service, "port": port, "logName": log_name},
            }),
        }
    }
}

/// The telemetry providers of the mesh configuration (`meshConfig.extensionProviders`).
/// They are part of Istio's installation, not of the resources you apply: mesh-dsl renders
/// them as an `IstioOperator` for `istioctl install -f` and as Helm values for the
/// `istiod` chart.
///
/// ```
/// use mesh_dsl::TelemetryProviders;
/// let collector = "opentelemetry-collector.observability.svc.cluster.local";
/// let p = TelemetryProviders::new()
///     .opentelemetry_tracing("otel-tempo", collector, 4317)
///     .opentelemetry_access_logs("otel-loki", collector, 4317);
/// let values = p.helm_values();
/// assert_eq!(values["meshConfig"]["extensionProviders"][0]["name"], "otel-loki");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct TelemetryProviders {
    providers: Vec<Provider>,
}

impl TelemetryProviders {
    /// No providers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Traces over OTLP/gRPC to an OpenTelemetry collector at `service:port` (which can
    /// forward them to Tempo).
    pub fn opentelemetry_tracing(
        mut self,
        name: impl Into<String>,
        service: impl Into<String>,
        port: u32,
    ) -> Self {
        self.providers.push(Provider::OtelTracing {
            name: name.into(),
            service: service.into(),
            port,
        });
        self
    }

    /// Access logs over OTLP/gRPC to an OpenTelemetry collector at `service:port` (which
    /// can forward them to Loki).
    pub fn opentelemetry_access_logs(
        mut self,
        name: impl Into<String>,
        service: impl Into<String>,
        port: u32,
    ) -> Self {
        self.providers.push(Provider::OtelAccessLog {
            name: name.into(),
            service: service.into(),
            port,
            log_name: "otel-envoy-accesslog".into(),
        });
        self
    }

    /// Whether a provider of this name is declared.
    pub fn has(&self, name: &str) -> bool {
        self.providers.iter().any(|p| p.name() == name)
    }

    /// Whether none is declared.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    pub(crate) fn merge(&mut self, other: Self) {
        self.providers.extend(other.providers);
    }

    pub(crate) fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.providers.iter().map(Provider::name).collect();
        v.sort_unstable();
        v
    }

    fn mesh_config(&self) -> Value {
        let mut providers = self.providers.clone();
        providers.sort_by(|a, b| a.name().cmp(b.name()));
        json!({"extensionProviders": providers.iter().map(Provider::to_json).collect::<Vec<_>>()})
    }

    /// An `IstioOperator` resource carrying the providers, for `istioctl install -f`.
    pub fn istio_operator(&self) -> Value {
        json!({
            "apiVersion": "install.istio.io/v1alpha1",
            "kind": "IstioOperator",
            "metadata": {"name": "mesh-dsl-telemetry", "namespace": ROOT_NAMESPACE},
            "spec": {"meshConfig": self.mesh_config()},
        })
    }

    /// Values for the `istiod` Helm chart carrying the providers.
    pub fn helm_values(&self) -> Value {
        json!({"meshConfig": self.mesh_config()})
    }
}

//! Telemetry: the Telemetry object of the mesh or of a namespace (tracing and access
//! logs), sending to the mesh's telemetry providers.

use istio_types::IstioResource;
use istio_types::telemetry::v1::{
    AccessLogging, AccessLoggingFilter, ProviderRef, Telemetry as IstioTelemetry, TelemetrySpec,
    Tracing,
};

use super::{Cx, meta};
use crate::resources::Resource;
use crate::telemetry::{Telemetry, TelemetryScope};

impl<'m> Cx<'m> {
    pub(super) fn telemetry(&mut self, t: &Telemetry) -> Resource {
        let name = match &t.scope {
            TelemetryScope::Mesh => "mesh-default",
            TelemetryScope::Namespace(_) => "default",
        };
        let ns = t.scope.namespace().to_string();
        self.check_namespace(&ns, || "telemetry".into());
        let mut providers_used = Vec::new();
        let tracing = t
            .tracing
            .iter()
            .map(|(p, pct)| {
                providers_used.push(p.clone());
                self.check_percent(*pct, || format!("tracing in {ns}"));
                Tracing {
                    providers: vec![ProviderRef { name: p.clone() }],
                    random_sampling_percentage: Some(*pct),
                    ..Default::default()
                }
            })
            .collect();
        let access_logging = t
            .access_logs
            .iter()
            .map(|(p, filter)| {
                providers_used.push(p.clone());
                AccessLogging {
                    providers: vec![ProviderRef { name: p.clone() }],
                    filter: filter.as_ref().map(|e| AccessLoggingFilter {
                        expression: Some(e.clone()),
                    }),
                    ..Default::default()
                }
            })
            .collect();
        self.check_telemetry_providers(&ns, &providers_used);
        IstioResource::from(IstioTelemetry {
            metadata: meta(Some(&ns), name, &self.labels(&[])),
            spec: TelemetrySpec {
                tracing,
                access_logging,
                ..Default::default()
            },
            status: None,
        })
        .into()
    }
}

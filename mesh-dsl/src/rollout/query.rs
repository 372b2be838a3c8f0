//! The PromQL of the gates: Istio's standard metrics of the canary's workload.
//!
//! The canary is selected by `destination_workload` (the Deployment's name, `<service>-
//! <version>` as mesh-dsl names it) and `destination_workload_namespace`, with
//! `reporter="destination"`: the canary's own sidecar reports every request it receives,
//! whoever sent it (meshed or not, through a gateway or not), once. The workload name is
//! unique in its namespace, whereas `destination_app`/`destination_version` come from pod
//! labels that other Deployments may share.

use std::time::Duration;

use crate::route::{Canary, Comparison, Gate};

/// One query of a stage's verdict: the gates' and the request count's.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// The name in reports (`success rate`, `p99 latency`, `requests`, or a custom gate's).
    pub name: String,
    /// The PromQL expression.
    pub promql: String,
    /// How the value passes.
    pub comparison: Comparison,
    /// The threshold.
    pub threshold: f64,
    /// The unit in reports: `%`, `ms`, or empty.
    pub unit: &'static str,
    /// Whether values are shown as whole numbers (a request count).
    pub whole: bool,
}

impl Check {
    /// Whether `value` passes.
    pub fn passes(&self, value: f64) -> bool {
        self.comparison.passes(value, self.threshold)
    }

    /// `99.5%`, `120ms`, `3`: a value in the check's unit.
    pub fn show(&self, value: f64) -> String {
        let v = if self.whole { value.round() } else { value };
        format!("{}{}", number(v), self.unit)
    }

    /// `>= 99%`: the passing condition.
    pub fn condition(&self) -> String {
        format!("{} {}", self.comparison.symbol(), self.show(self.threshold))
    }
}

/// A number for people: integers without a fraction, others with up to 2 decimals.
pub(crate) fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A duration as a PromQL range: `90s`, or `1500ms` when not whole seconds.
pub fn range(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs().max(1))
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// The label selector of the canary's requests, as its sidecar reports them.
pub fn selector(canary: &Canary) -> String {
    let c = canary.canary_subset();
    format!(
        "reporter=\"destination\",destination_workload=\"{}-{}\",destination_workload_namespace=\"{}\"",
        c.service.name, c.name, c.service.namespace
    )
}

/// The requests the canary served over `window`.
pub fn requests_query(canary: &Canary, window: Duration) -> String {
    format!(
        "sum(increase(istio_requests_total{{{}}}[{}]))",
        selector(canary),
        range(window)
    )
}

/// The query of one gate over `window`.
pub fn gate_query(canary: &Canary, gate: &Gate, window: Duration) -> String {
    let sel = selector(canary);
    let w = range(window);
    match gate {
        Gate::SuccessRate { .. } => format!(
            "sum(rate(istio_requests_total{{{sel},response_code!~\"5..\"}}[{w}])) / sum(rate(istio_requests_total{{{sel}}}[{w}])) * 100"
        ),
        Gate::Latency { percentile, .. } => format!(
            "histogram_quantile({}, sum by (le) (rate(istio_request_duration_milliseconds_bucket{{{sel}}}[{w}])))",
            percentile.quantile()
        ),
        Gate::Query { promql, .. } => promql.replace("{window}", &w),
    }
}

/// The checks of a canary at a stage baking for `window`: the request count first, then
/// each gate in order.
pub fn checks(canary: &Canary, window: Duration) -> Vec<Check> {
    let mut out = vec![Check {
        name: "requests".into(),
        promql: requests_query(canary, window),
        comparison: Comparison::AtLeast,
        threshold: canary.required_requests() as f64,
        unit: "",
        whole: true,
    }];
    for gate in canary.gates() {
        let (comparison, threshold, unit) = match gate {
            Gate::SuccessRate { min_percent } => (Comparison::AtLeast, *min_percent, "%"),
            Gate::Latency { max, .. } => (Comparison::AtMost, max.as_secs_f64() * 1000.0, "ms"),
            Gate::Query {
                comparison,
                threshold,
                ..
            } => (*comparison, *threshold, ""),
        };
        out.push(Check {
            name: gate.name(),
            promql: gate_query(canary, gate, window),
            comparison,
            threshold,
            unit,
            whole: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::Percentile;
    use crate::{Mesh, Namespace, Port, Service, Version};

    fn canary() -> Canary {
        let mut mesh = Mesh::new();
        let ns = mesh.namespace(Namespace::new("shop"));
        let user = mesh.service(
            Service::new(&ns, "user")
                .port(Port::http(80))
                .version(Version::new("v1", "user:1"))
                .version(Version::new("v2", "user:2")),
        );
        Canary::new(user.subset("v1"), user.subset("v2"))
            .success_rate(99.0)
            .latency(Percentile::P99, Duration::from_millis(500))
            .gate(Gate::query("errors", "sum(rate(my_errors[{window}]))").at_most(0.5))
            .min_requests(20)
    }

    #[test]
    fn ranges_are_promql_durations() {
        assert_eq!(range(Duration::from_secs(90)), "90s");
        assert_eq!(range(Duration::from_millis(1500)), "1500ms");
        assert_eq!(range(Duration::ZERO), "1s");
    }

    #[test]
    fn the_queries_select_the_canary_workload_as_its_sidecar_reports_it() {
        let c = canary();
        let w = Duration::from_secs(60);
        let sel = r#"reporter="destination",destination_workload="user-v2",destination_workload_namespace="shop""#;
        assert_eq!(selector(&c), sel);
        let checks = checks(&c, w);
        let got: Vec<(&str, &str, String)> = checks
            .iter()
            .map(|k| (k.name.as_str(), k.promql.as_str(), k.condition()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "requests",
                    format!("sum(increase(istio_requests_total{{{sel}}}[60s]))").as_str(),
                    ">= 20".to_string()
                ),
                (
                    "success rate",
                    format!(
                        "sum(rate(istio_requests_total{{{sel},response_code!~\"5..\"}}[60s])) / sum(rate(istio_requests_total{{{sel}}}[60s])) * 100"
                    )
                    .as_str(),
                    ">= 99%".to_string()
                ),
                (
                    "p99 latency",
                    format!(
                        "histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{{{sel}}}[60s])))"
                    )
                    .as_str(),
                    "<= 500ms".to_string()
                ),
                ("errors", "sum(rate(my_errors[60s]))", "<= 0.5".to_string()),
            ]
        );
        assert!(checks[1].passes(99.0) && !checks[1].passes(98.9));
        assert!(checks[2].passes(500.0) && !checks[2].passes(500.1));
        assert_eq!(checks[1].show(99.456), "99.46%");
    }

    #[test]
    fn percentiles_are_quantiles() {
        let c = canary();
        for (p, q) in [
            (Percentile::P50, "0.5"),
            (Percentile::P90, "0.9"),
            (Percentile::P99, "0.99"),
        ] {
            let query = gate_query(
                &c,
                &Gate::latency(p, Duration::from_secs(1)),
                Duration::from_secs(5),
            );
            assert!(
                query.starts_with(&format!("histogram_quantile({q}, ")),
                "{query}"
            );
            assert!(query.ends_with("[5s])))"), "{query}");
        }
    }
}

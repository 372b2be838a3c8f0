//! Checks of traffic: canary plans (MESH0008), versions and traffic policies
//! (MESH0001, MESH0011), hosts (MESH0005), splits (MESH0003), route actions (MESH0014)
//! and HTTP statuses (MESH0015).

use std::collections::{BTreeMap, BTreeSet};

use super::super::{Cx, describe};
use crate::codes;
use crate::diag::Severity;
use crate::route::{Action, Canary, Gate, Route, Routes, RoutesScope, Target};
use crate::service::Service;

impl<'m> Cx<'m> {
    /// A canary plan: two versions of one service, stages with shares from 0 to 100
    /// (a share that goes down is only a warning), versions that exist.
    pub(in crate::compile) fn check_canary(&mut self, c: &Canary) {
        let svc = &c.stable.service;
        if c.canary.service != *svc {
            self.report(codes::INVALID_CANARY_PLAN.diagnostic(format!(
                "canary from {}/{} {} to {}/{} {}: both versions must belong to the same service",
                svc.namespace,
                svc.name,
                c.stable.name,
                c.canary.service.namespace,
                c.canary.service.name,
                c.canary.name
            )));
        }
        if c.stable.name == c.canary.name {
            self.report(codes::INVALID_CANARY_PLAN.diagnostic(format!(
                "canary of {}/{} goes from {} to itself",
                svc.namespace, svc.name, c.stable.name
            )));
        }
        if c.stages.is_empty() {
            self.report(
                codes::INVALID_CANARY_PLAN
                    .diagnostic(format!(
                        "canary of {}/{} has no stages",
                        svc.namespace, svc.name
                    ))
                    .hint("give its shares in percent, e.g. .stages([10, 25, 50, 100])"),
            );
        }
        for (i, p) in c.stages.iter().enumerate() {
            if !(0..=100).contains(p) {
                self.report(codes::INVALID_CANARY_PLAN.diagnostic(format!(
                    "canary of {}/{}: stage {i} sends {p}% to {}; a share is 0 to 100",
                    svc.namespace, svc.name, c.canary.name
                )));
            }
        }
        if c.stages.windows(2).any(|w| w[1] < w[0]) {
            self.report(codes::INVALID_CANARY_PLAN.with_severity(
                Severity::Warning,
                format!(
                    "canary of {}/{}: the share of {} goes down between stages ({:?})",
                    svc.namespace, svc.name, c.canary.name, c.stages
                ),
            ));
        }
        self.check_gates(c);
        self.check_subset(&c.stable, || {
            format!("canary of {}/{}", svc.namespace, svc.name)
        });
        self.check_subset(&c.canary, || {
            format!("canary of {}/{}", svc.namespace, svc.name)
        });
    }

    /// MESH0008 for gates `rollout` could not evaluate: a success rate outside 0 to 100,
    /// a NaN threshold, an empty query, or no bake time.
    fn check_gates(&mut self, c: &Canary) {
        let svc = &c.stable.service;
        let mut problems = Vec::new();
        if c.bake.is_zero() {
            problems.push("its bake time is zero".to_string());
        }
        for g in &c.gates {
            match g {
                Gate::SuccessRate { min_percent } if !(0.0..=100.0).contains(min_percent) => {
                    problems.push(format!(
                        "its success-rate gate asks for {min_percent}%; a success rate is 0 to 100"
                    ));
                }
                Gate::Query {
                    name,
                    promql,
                    threshold,
                    ..
                } => {
                    if promql.trim().is_empty() {
                        problems.push(format!("its gate {name:?} has an empty query"));
                    }
                    if threshold.is_nan() {
                        problems.push(format!("its gate {name:?} has a NaN threshold"));
                    }
                }
                _ => {}
            }
        }
        for p in problems {
            self.report(
                codes::INVALID_CANARY_PLAN
                    .diagnostic(format!("canary of {}/{}: {p}", svc.namespace, svc.name)),
            );
        }
    }

    /// MESH0008 when a service has a second, different canary plan (`prev` is the one
    /// `c` replaces).
    pub(in crate::compile) fn check_one_canary_per_service(&mut self, prev: &Canary, c: &Canary) {
        if prev != c {
            self.report(codes::INVALID_CANARY_PLAN.diagnostic(format!(
                "service {}/{} has two canary plans; a service can have one at a time",
                c.stable.service.namespace, c.stable.service.name
            )));
        }
    }

    /// A service's versions: MESH0011 when it has none (and its workloads are the
    /// mesh's), MESH0001 for a version declared twice.
    pub(in crate::compile) fn check_service_versions(&mut self, what: &str, s: &Service) {
        if s.versions.is_empty() && s.workloads != crate::service::Workloads::Elsewhere {
            self.report(
                codes::SERVICE_WITHOUT_VERSIONS
                    .diagnostic(format!("{what} has no versions, so no Deployment runs it"))
                    .hint("add .version(Version::new(\"v1\", \"image:tag\"))"),
            );
        }
        let mut version_names = BTreeSet::new();
        for v in &s.versions {
            if !version_names.insert(v.name.clone()) {
                self.report(
                    codes::DUPLICATE_RESOURCE
                        .diagnostic(format!("{what} declares version {:?} twice", v.name)),
                );
            }
        }
    }

    /// MESH0001 for a second traffic policy of a service (`what`), or of its version
    /// `version`.
    pub(in crate::compile) fn report_second_policy(&mut self, what: &str, version: Option<&str>) {
        let message = match version {
            None => format!("{what} has two traffic policies; merge them into one"),
            Some(v) => {
                format!("version {v} of {what} has two traffic policies; merge them into one")
            }
        };
        self.report(codes::DUPLICATE_RESOURCE.diagnostic(message));
    }

    /// MESH0005 for each host of `r` that an earlier set of routes already claimed for the
    /// same traffic (`claimed`: by gateway, or `mesh`, and host; `r`'s are added).
    pub(in crate::compile) fn check_hosts_claimed_once(
        &mut self,
        r: &Routes,
        claimed: &mut BTreeMap<(String, String), String>,
    ) {
        let keys: Vec<(String, String)> = match &r.scope {
            RoutesScope::Service(s) => vec![("mesh".into(), s.host())],
            RoutesScope::Ingress(g, hosts) => {
                hosts.iter().map(|h| (g.qualified(), h.clone())).collect()
            }
            RoutesScope::External(e) => vec![("mesh".into(), e.host.clone())],
        };
        for k in keys {
            let this = describe(&r.scope);
            if let Some(prev) = claimed.insert(k.clone(), this.clone()) {
                let sources = if prev == this {
                    format!("the {this} are declared twice")
                } else {
                    format!("{prev} and {this}")
                };
                self.report(
                    codes::DUPLICATE_HOST
                        .diagnostic(format!(
                            "host {:?} on {} is routed by two sets of routes ({sources})",
                            k.1, k.0,
                        ))
                        .hint("put all routes for one host in one Routes"),
                );
            }
        }
    }

    /// MESH0005 when an external host has more than one traffic policy (`by_host`: who
    /// sets one, by host).
    pub(in crate::compile) fn check_one_policy_per_external_host(
        &mut self,
        by_host: &BTreeMap<&str, Vec<String>>,
    ) {
        for (host, who) in by_host {
            if who.len() > 1 {
                self.report(
                    codes::DUPLICATE_HOST
                        .diagnostic(format!(
                            "external host {host:?} has {} traffic policies ({}); Istio applies only one",
                            who.len(),
                            who.join(", ")
                        ))
                        .hint(
                            "merge them into one mesh.egress_policy(..); TLS origination on a port is \
                             Policy::port(port, Policy::new().tls(Tls::Simple { .. }))",
                        ),
                );
            }
        }
    }

    /// MESH0003 when the weights of a split do not add up to 100, or one is negative.
    pub(in crate::compile) fn check_weights(
        &mut self,
        parts: &[(Target, Option<i32>)],
        what: &str,
    ) {
        if !parts.iter().any(|(_, w)| w.is_some()) {
            return;
        }
        let sum: i64 = parts.iter().map(|(_, w)| i64::from(w.unwrap_or(0))).sum();
        if sum != 100 {
            self.report(
                codes::WEIGHTS_DO_NOT_SUM_TO_100
                    .diagnostic(format!(
                        "{what}: the weights add up to {sum} ({})",
                        parts
                            .iter()
                            .map(|(_, w)| w.unwrap_or(0).to_string())
                            .collect::<Vec<_>>()
                            .join(" + ")
                    ))
                    .hint("make the weights of a split add up to 100"),
            );
        }
        for (_, w) in parts {
            if w.is_some_and(|w| w < 0) {
                self.report(
                    codes::WEIGHTS_DO_NOT_SUM_TO_100
                        .diagnostic(format!("{what}: a weight is negative")),
                );
            }
        }
    }

    /// MESH0014: a route must forward, redirect or respond.
    pub(in crate::compile) fn report_route_without_action(&mut self, what: &str) {
        self.report(
            codes::ROUTE_WITHOUT_ACTION
                .diagnostic(format!("{what} has no action"))
                .hint("end the route with .to(..), .split(..), .redirect(..) or .respond(..)"),
        );
    }

    /// MESH0017: a route's action was set more than once (only the last would count), or
    /// it has a redirect code but does not redirect.
    pub(in crate::compile) fn check_single_action(&mut self, route: &Route, what: &str) {
        let Some(last) = route.action.as_ref().map(Action::kind) else {
            return;
        };
        if !route.replaced_actions.is_empty() {
            let calls: Vec<String> = route
                .replaced_actions
                .iter()
                .chain([&last])
                .map(|k| format!(".{k}(..)"))
                .collect();
            self.report(
                codes::CONFLICTING_ROUTE_ACTIONS
                    .diagnostic(format!(
                        "{what} is given {} actions ({}); a route has one, and only the last \
                         would count",
                        calls.len(),
                        calls.join(" then ")
                    ))
                    .hint("keep one of .to(..), .split(..), .redirect(..) or .respond(..), or make a second route"),
            );
        }
        if let (Some(code), false) = (route.redirect_code, last == "redirect") {
            self.report(
                codes::CONFLICTING_ROUTE_ACTIONS
                    .diagnostic(format!(
                        "{what} has redirect code {code} but its action is .{last}(..), not a redirect"
                    ))
                    .hint("remove .redirect_code(..), or make the route .redirect(..)"),
            );
        }
    }

    /// MESH0015 when a redirect's status is not one of HTTP's redirects.
    pub(in crate::compile) fn check_redirect_status(&mut self, code: u32, what: &str) {
        if ![301, 302, 303, 307, 308].contains(&code) {
            self.report(codes::INVALID_STATUS.diagnostic(format!(
                "{what}: {code} is not a redirect status (301, 302, 303, 307 or 308)"
            )));
        }
    }

    /// MESH0015 when a direct response's status is not an HTTP status.
    pub(in crate::compile) fn check_response_status(&mut self, status: u32, what: &str) {
        if !(200..=599).contains(&status) {
            self.report(
                codes::INVALID_STATUS.diagnostic(format!("{what}: {status} is not an HTTP status")),
            );
        }
    }

    /// MESH0015 when an injected abort's status is not an HTTP status.
    pub(in crate::compile) fn check_abort_status(&mut self, status: i32, what: &str) {
        if !(200..=599).contains(&status) {
            self.report(codes::INVALID_STATUS.diagnostic(format!(
                "{what}: abort with {status}, which is not an HTTP status"
            )));
        }
    }
}

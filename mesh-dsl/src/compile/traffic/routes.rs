//! The VirtualService of each set of routes (and of each canary without routes of its
//! own), with its HTTP routes.

use std::collections::BTreeMap;

use istio_types::IstioResource;
use istio_types::networking::v1::{
    Abort, AbortError, Delay, DelayKind, Destination, HeaderOperations, Headers, HttpBody,
    HttpDirectResponse, HttpFaultInjection, HttpMirrorPolicy, HttpRewrite, HttpRoute,
    HttpRouteDestination, Percent, PortSelector, VirtualService, VirtualServiceSpec,
};

use super::super::{Cx, describe, meta};
use crate::resources::Resource;
use crate::route::{Action, GatewayScope, HeaderEdits, Route, Routes, RoutesScope, Target};
use crate::service::ServiceRef;

impl<'m> Cx<'m> {
    /// A VirtualService per set of routes, in a stable order; a service with a canary but
    /// no routes of its own gets a route to itself, which the canary splits.
    pub(in crate::compile) fn routes(&mut self, out: &mut Vec<Resource>) {
        let mesh = self.mesh;
        let mut all: Vec<&Routes> = mesh.routes.iter().collect();
        all.sort_by(|a, b| {
            (&a.namespace, &a.name, &a.scope).cmp(&(&b.namespace, &b.name, &b.scope))
        });
        let mut implicit = Vec::new();
        for svc in self.canaries.keys() {
            let has_own = all
                .iter()
                .any(|r| matches!(&r.scope, RoutesScope::Service(s) if s == svc));
            if !has_own {
                implicit.push(Routes::new(svc).route(Route::new().to(svc)));
            }
        }
        // Hosts claimed by a set of routes, for the traffic they route.
        let mut claimed: BTreeMap<(String, String), String> = BTreeMap::new();
        for r in all.iter().copied().chain(implicit.iter()) {
            self.check_hosts_claimed_once(r, &mut claimed);
            let vs = self.virtual_service(r);
            out.push(IstioResource::from(vs).into());
        }
    }

    fn virtual_service(&mut self, r: &Routes) -> VirtualService {
        let what = describe(&r.scope);
        let (hosts, mut gateways) = match &r.scope {
            RoutesScope::Service(s) => {
                self.check_service(s, || what.clone());
                (vec![s.name.clone()], Vec::new())
            }
            RoutesScope::Ingress(g, hosts) => {
                self.check_gateway_declared(g, &what);
                let gw = if g.namespace == r.namespace {
                    g.name.clone()
                } else {
                    g.qualified()
                };
                (hosts.clone(), vec![gw])
            }
            RoutesScope::External(e) => {
                self.check_egress(e, || what.clone());
                (vec![e.host.clone()], Vec::new())
            }
        };
        if r.also_mesh {
            gateways.push("mesh".into());
        }
        self.check_namespace(&r.namespace, || what.clone());
        let http = r
            .routes
            .iter()
            .enumerate()
            .map(|(i, route)| self.http_route(route, &r.namespace, &format!("{what} > route[{i}]")))
            .collect();
        VirtualService {
            metadata: meta(Some(&r.namespace), &r.name, &self.labels(&[])),
            spec: VirtualServiceSpec {
                hosts,
                gateways,
                http,
                export_to: r.export_to.clone(),
                ..Default::default()
            },
            status: None,
        }
    }

    fn destination(&mut self, t: &Target, from_ns: &str, what: &str) -> Destination {
        let (host, subset, port) = match t {
            Target::Service(s, port) => {
                self.check_service(s, || what.to_string());
                (host_for(s, from_ns), None, *port)
            }
            Target::Subset(s, port) => {
                self.check_subset(s, || what.to_string());
                (host_for(&s.service, from_ns), Some(s.name.clone()), *port)
            }
            Target::External(e, port) => (e.host.clone(), None, *port),
        };
        if let Some(p) = port {
            self.check_destination_port(p, what);
        }
        Destination {
            host,
            subset,
            port: port.map(|n| PortSelector { number: Some(n) }),
        }
    }

    /// One HTTP route of a VirtualService in namespace `ns` (`what` names it in
    /// diagnostics).
    fn http_route(&mut self, route: &Route, ns: &str, what: &str) -> HttpRoute {
        let mut h = HttpRoute {
            name: route.name.clone(),
            r#match: matches(route, ns),
            ..Default::default()
        };
        self.action(route, ns, what, &mut h);
        h.timeout = route.timeout.clone();
        h.retries = route.retries.clone();
        h.fault = self.fault(route, what);
        if let Some((t, p)) = &route.mirror {
            self.check_percent(*p, || format!("{what}: mirror"));
            let dest = self.destination(t, ns, what);
            h.mirrors = vec![HttpMirrorPolicy {
                destination: dest,
                percentage: Some(Percent { value: Some(*p) }),
            }];
        }
        h.headers = headers(route);
        h.cors_policy = route.cors.clone();
        if route.rewrite_uri.is_some() || route.rewrite_authority.is_some() {
            h.rewrite = Some(HttpRewrite {
                uri: route.rewrite_uri.clone(),
                authority: route.rewrite_authority.clone(),
                ..Default::default()
            });
        }
        h
    }

    /// What the route does: forward (splitting a canary), redirect or respond.
    fn action(&mut self, route: &Route, ns: &str, what: &str, h: &mut HttpRoute) {
        self.check_single_action(route, what);
        match &route.action {
            None => self.report_route_without_action(what),
            Some(Action::Forward(parts)) => {
                let parts = self.expand_canary(parts);
                self.check_weights(&parts, what);
                h.route = parts
                    .iter()
                    .map(|(t, w)| HttpRouteDestination {
                        destination: self.destination(t, ns, what),
                        weight: *w,
                        ..Default::default()
                    })
                    .collect();
            }
            Some(Action::Redirect(r)) => {
                let mut r = r.clone();
                if let Some(code) = route.redirect_code {
                    r.redirect_code = Some(code);
                }
                if let Some(code) = r.redirect_code {
                    self.check_redirect_status(code, what);
                }
                h.redirect = Some(r);
            }
            Some(Action::DirectResponse(status, body)) => {
                self.check_response_status(*status, what);
                h.direct_response = Some(HttpDirectResponse {
                    status: *status,
                    body: body.as_ref().map(|b| HttpBody::String(b.clone())),
                });
            }
        }
    }

    /// The delay and abort the route injects, if any.
    fn fault(&mut self, route: &Route, what: &str) -> Option<HttpFaultInjection> {
        if route.fault.delay.is_none() && route.fault.abort.is_none() {
            return None;
        }
        let mut f = HttpFaultInjection::default();
        if let Some((d, p)) = &route.fault.delay {
            self.check_percent(*p, || format!("{what}: delay"));
            f.delay = Some(Delay {
                http_delay_type: Some(DelayKind::FixedDelay(d.clone())),
                percentage: Some(Percent { value: Some(*p) }),
                ..Default::default()
            });
        }
        if let Some((status, p)) = &route.fault.abort {
            self.check_percent(*p, || format!("{what}: abort"));
            self.check_abort_status(*status, what);
            f.abort = Some(Abort {
                error_type: Some(AbortError::HttpStatus(*status)),
                percentage: Some(Percent { value: Some(*p) }),
            });
        }
        Some(f)
    }
}

/// How a VirtualService in `from_ns` names service `s`.
fn host_for(s: &ServiceRef, from_ns: &str) -> String {
    if s.namespace == from_ns {
        s.name.clone()
    } else {
        s.host()
    }
}

/// The route's matches, with their gateways named as seen from namespace `ns`.
fn matches(route: &Route, ns: &str) -> Vec<istio_types::networking::v1::HttpMatchRequest> {
    route
        .matches
        .iter()
        .map(|m| {
            let mut inner = m.inner.clone();
            inner.gateways = m
                .gateways
                .iter()
                .map(|g| match g {
                    GatewayScope::Mesh => "mesh".to_string(),
                    GatewayScope::Gateway(g) if g.namespace == ns => g.name.clone(),
                    GatewayScope::Gateway(g) => g.qualified(),
                })
                .collect();
            inner
        })
        .collect()
}

/// The request and response header edits, if any.
fn headers(route: &Route) -> Option<Headers> {
    let ops = |e: &HeaderEdits| {
        (!e.is_empty()).then(|| HeaderOperations {
            set: e.set.clone(),
            add: e.add.clone(),
            remove: e.remove.clone(),
        })
    };
    let (request, response) = (ops(&route.request_headers), ops(&route.response_headers));
    (request.is_some() || response.is_some()).then_some(Headers { request, response })
}

//! Security: PeerAuthentication (mTLS), AuthorizationPolicy and RequestAuthentication
//! (JWT), each for a namespace or a service.

use istio_types::common::WorkloadSelector;
use istio_types::security::v1::{
    AuthorizationPolicy, AuthorizationPolicyAction, AuthorizationPolicySpec, JwtRule, MutualTls,
    MutualTlsMode, Operation, PeerAuthentication, PeerAuthenticationSpec, RequestAuthentication,
    RequestAuthenticationSpec, Rule, RuleFrom, RuleTo, Source,
};
use istio_types::{IstioResource, ObjectMeta};

use super::{Cx, app_selector, meta};
use crate::resources::Resource;
use crate::security::{Authorization, AuthzAction, AuthzRule, Jwt, Mtls, MtlsMode, PolicyScope};

impl<'m> Cx<'m> {
    /// The mTLS settings, authorization policies and JWT authentications, in that order.
    pub(super) fn security(&mut self, out: &mut Vec<Resource>) {
        let mesh = self.mesh;
        for m in &mesh.mtls {
            out.push(self.mtls(m));
        }
        for a in &mesh.authz {
            out.push(self.authz(a));
        }
        for j in &mesh.jwts {
            out.push(self.jwt(j));
        }
    }

    /// The metadata and workload selector of a policy for `scope`.
    fn scope_meta(
        &mut self,
        scope: &PolicyScope,
        name: &str,
        what: &str,
    ) -> (ObjectMeta, Option<WorkloadSelector>) {
        if let PolicyScope::Service(s) = scope {
            self.check_service(s, || what.to_string());
        }
        self.check_namespace(scope.namespace(), || what.to_string());
        let selector = match scope {
            PolicyScope::Namespace(_) => None,
            PolicyScope::Service(s) => Some(app_selector(s)),
        };
        (
            meta(Some(scope.namespace()), name, &self.labels(&[])),
            selector,
        )
    }

    fn mtls(&mut self, m: &Mtls) -> Resource {
        let name = match &m.scope {
            PolicyScope::Namespace(_) => "default".to_string(),
            PolicyScope::Service(s) => s.name.clone(),
        };
        let (metadata, selector) = self.scope_meta(&m.scope, &name, "mTLS setting");
        let mode = match m.mode {
            MtlsMode::Strict => MutualTlsMode::Strict,
            MtlsMode::Permissive => MutualTlsMode::Permissive,
            MtlsMode::Disable => MutualTlsMode::Disable,
        };
        IstioResource::from(PeerAuthentication {
            metadata,
            spec: PeerAuthenticationSpec {
                mtls: Some(MutualTls { mode: Some(mode) }),
                selector,
                ..Default::default()
            },
            status: None,
        })
        .into()
    }

    fn authz(&mut self, a: &Authorization) -> Resource {
        let (metadata, selector) = self.scope_meta(
            &a.scope,
            &a.name,
            &format!("authorization policy {}", a.name),
        );
        IstioResource::from(AuthorizationPolicy {
            metadata,
            spec: AuthorizationPolicySpec {
                action: Some(match a.action {
                    AuthzAction::Allow => AuthorizationPolicyAction::Allow,
                    AuthzAction::Deny => AuthorizationPolicyAction::Deny,
                }),
                rules: a.rules.iter().map(rule).collect(),
                selector,
                ..Default::default()
            },
            status: None,
        })
        .into()
    }

    fn jwt(&mut self, j: &Jwt) -> Resource {
        let (metadata, selector) =
            self.scope_meta(&j.scope, &j.name, &format!("JWT authentication {}", j.name));
        IstioResource::from(RequestAuthentication {
            metadata,
            spec: RequestAuthenticationSpec {
                jwt_rules: vec![JwtRule {
                    issuer: Some(j.issuer.clone()),
                    jwks_uri: Some(j.jwks_uri.clone()),
                    audiences: j.audiences.clone(),
                    forward_original_token: j.forward.then_some(true),
                    ..Default::default()
                }],
                selector,
                ..Default::default()
            },
            status: None,
        })
        .into()
    }
}

/// One rule of an AuthorizationPolicy: its sources and operations, each left out when
/// it says nothing.
fn rule(r: &AuthzRule) -> Rule {
    let source = Source {
        principals: r.principals.clone(),
        namespaces: r.namespaces.clone(),
        request_principals: r.request_principals.clone(),
        ..Default::default()
    };
    let operation = Operation {
        methods: r.methods.clone(),
        paths: r.paths.clone(),
        not_paths: r.not_paths.clone(),
        ports: r.ports.clone(),
        ..Default::default()
    };
    Rule {
        from: if source == Source::default() {
            vec![]
        } else {
            vec![RuleFrom {
                source: Some(source),
            }]
        },
        to: if operation == Operation::default() {
            vec![]
        } else {
            vec![RuleTo {
                operation: Some(operation),
            }]
        },
        ..Default::default()
    }
}

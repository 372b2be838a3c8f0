//! Security: mutual TLS, authorization and end-user (JWT) authentication.

use super::service::{NamespaceRef, ServiceRef};

/// How a workload accepts connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MtlsMode {
    /// Only mutual TLS.
    Strict,
    /// Mutual TLS and plain text (for migrations).
    Permissive,
    /// Plain text only.
    Disable,
}

/// Where a policy applies.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum PolicyScope {
    Namespace(String),
    Service(ServiceRef),
}

impl PolicyScope {
    pub(crate) fn namespace(&self) -> &str {
        match self {
            Self::Namespace(ns) => ns,
            Self::Service(s) => &s.namespace,
        }
    }
}

/// Mutual TLS for a namespace or one service (a PeerAuthentication).
///
/// ```
/// use mesh_dsl::{Mesh, MtlsMode, Mtls, Namespace};
/// let mut mesh = Mesh::new();
/// let shop = mesh.namespace(Namespace::new("shop"));
/// mesh.mtls(Mtls::namespace(&shop, MtlsMode::Strict));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Mtls {
    pub(crate) scope: PolicyScope,
    pub(crate) mode: MtlsMode,
}

impl Mtls {
    /// For every workload of `namespace` (a PeerAuthentication named `default`).
    pub fn namespace(namespace: &NamespaceRef, mode: MtlsMode) -> Self {
        Self {
            scope: PolicyScope::Namespace(namespace.name.clone()),
            mode,
        }
    }

    /// For the workloads of one service (named after the service).
    pub fn service(service: &ServiceRef, mode: MtlsMode) -> Self {
        Self {
            scope: PolicyScope::Service(service.clone()),
            mode,
        }
    }
}

/// Allow or deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum AuthzAction {
    Allow,
    Deny,
}

/// One rule of an [`Authorization`]: who may do what. Conditions inside a rule must all
/// hold; a request matching any rule matches the policy.
///
/// ```
/// use mesh_dsl::{AuthzRule, Mesh, Namespace, Service};
/// let mut mesh = Mesh::new();
/// let shop = mesh.namespace(Namespace::new("shop"));
/// let order = mesh.service(Service::new(&shop, "order"));
/// let rule = AuthzRule::new().from_service(&order).methods(["POST"]).paths(["/payments/*"]);
/// # let _ = rule;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct AuthzRule {
    pub(crate) principals: Vec<String>,
    pub(crate) namespaces: Vec<String>,
    pub(crate) request_principals: Vec<String>,
    pub(crate) methods: Vec<String>,
    pub(crate) paths: Vec<String>,
    pub(crate) not_paths: Vec<String>,
    pub(crate) ports: Vec<String>,
}

impl AuthzRule {
    /// A rule that matches every request until narrowed.
    pub fn new() -> Self {
        Self::default()
    }

    /// The caller is this service (by its ServiceAccount's mTLS identity).
    pub fn from_service(mut self, service: &ServiceRef) -> Self {
        self.principals.push(service.principal());
        self
    }

    /// The caller runs in this namespace.
    pub fn from_namespace(mut self, namespace: &NamespaceRef) -> Self {
        self.namespaces.push(namespace.name.clone());
        self
    }

    /// The caller presented a JWT whose `iss/sub` matches (`*` for any valid token).
    pub fn from_request_principal(mut self, principal: impl Into<String>) -> Self {
        self.request_principals.push(principal.into());
        self
    }

    /// The request's method is one of these.
    pub fn methods(mut self, methods: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.methods.extend(methods.into_iter().map(Into::into));
        self
    }

    /// The request's path is one of these (`/api/*` prefix and `*/suffix` forms allowed).
    pub fn paths(mut self, paths: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.paths.extend(paths.into_iter().map(Into::into));
        self
    }

    /// The request's path is none of these.
    pub fn not_paths(mut self, paths: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.not_paths.extend(paths.into_iter().map(Into::into));
        self
    }

    /// The request goes to one of these ports.
    pub fn ports(mut self, ports: impl IntoIterator<Item = u32>) -> Self {
        self.ports.extend(ports.into_iter().map(|p| p.to_string()));
        self
    }
}

/// An AuthorizationPolicy: once any ALLOW policy selects a workload, only requests that
/// some ALLOW rule matches get through; DENY policies are checked first.
///
/// ```
/// use mesh_dsl::{Authorization, AuthzRule, Mesh, Namespace, Service};
/// let mut mesh = Mesh::new();
/// let shop = mesh.namespace(Namespace::new("shop"));
/// let order = mesh.service(Service::new(&shop, "order"));
/// let payment = mesh.service(Service::new(&shop, "payment"));
/// mesh.authorize(Authorization::allow("payment-callers", &payment).rule(AuthzRule::new().from_service(&order)));
/// mesh.authorize(Authorization::deny("no-admin", &payment).rule(AuthzRule::new().paths(["/admin/*"])));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Authorization {
    pub(crate) name: String,
    pub(crate) scope: PolicyScope,
    pub(crate) action: AuthzAction,
    pub(crate) rules: Vec<AuthzRule>,
}

impl Authorization {
    /// Allows requests to `service` that match one of its rules.
    pub fn allow(name: impl Into<String>, service: &ServiceRef) -> Self {
        Self {
            name: name.into(),
            scope: PolicyScope::Service(service.clone()),
            action: AuthzAction::Allow,
            rules: Vec::new(),
        }
    }

    /// Denies requests to `service` that match one of its rules.
    pub fn deny(name: impl Into<String>, service: &ServiceRef) -> Self {
        Self {
            name: name.into(),
            scope: PolicyScope::Service(service.clone()),
            action: AuthzAction::Deny,
            rules: Vec::new(),
        }
    }

    /// Allows requests to every workload of `namespace` that match one of its rules; with
    /// no rule, denies everything (the usual "deny by default" base policy).
    pub fn allow_in_namespace(name: impl Into<String>, namespace: &NamespaceRef) -> Self {
        Self {
            name: name.into(),
            scope: PolicyScope::Namespace(namespace.name.clone()),
            action: AuthzAction::Allow,
            rules: Vec::new(),
        }
    }

    /// Adds a rule.
    pub fn rule(mut self, rule: AuthzRule) -> Self {
        self.rules.push(rule);
        self
    }
}

/// End-user authentication with JWTs (a RequestAuthentication): tokens from `issuer`,
/// verified with the keys at `jwks_uri`. Requests with an invalid token are rejected;
/// requests without one are let through unless an [`Authorization`] requires a
/// request principal.
///
/// ```
/// use mesh_dsl::{Jwt, Mesh, Namespace, Service};
/// let mut mesh = Mesh::new();
/// let shop = mesh.namespace(Namespace::new("shop"));
/// let user = mesh.service(Service::new(&shop, "user"));
/// mesh.jwt(Jwt::new("user-jwt", &user, "https://auth.example.com", "https://auth.example.com/.well-known/jwks.json").audience("shop"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Jwt {
    pub(crate) name: String,
    pub(crate) scope: PolicyScope,
    pub(crate) issuer: String,
    pub(crate) jwks_uri: String,
    pub(crate) audiences: Vec<String>,
    pub(crate) forward: bool,
}

impl Jwt {
    /// Tokens for `service` from `issuer`.
    pub fn new(
        name: impl Into<String>,
        service: &ServiceRef,
        issuer: impl Into<String>,
        jwks_uri: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            scope: PolicyScope::Service(service.clone()),
            issuer: issuer.into(),
            jwks_uri: jwks_uri.into(),
            audiences: Vec::new(),
            forward: false,
        }
    }

    /// Accepts only tokens for this audience (repeat for more; default: any).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Passes the token on to the service (default: removed).
    pub fn forward_token(mut self) -> Self {
        self.forward = true;
        self
    }
}

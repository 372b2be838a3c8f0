//! The naming table of the Kubernetes Gateway API: which Go type each schema location
//! is, in the Gateway API's own names (`HTTPRouteRule`, `ParentReference`, ...), Rust
//! casing applied by the generator (`HttpRouteRule`). Every other location whose schema
//! is identical gets the same type; locations neither listed nor identical to a listed
//! one are named `<Parent><Field>`.

/// Schema path (`Kind:field.field` from the kind's `spec`) -> Go type name.
pub const TYPE_NAMES: &[(&str, &str)] = &[
    // Shared references and enums.
    ("HTTPRoute:parentRefs", "ParentReference"),
    ("HTTPRoute:useDefaultGateways", "GatewayDefaultScope"),
    (
        "HTTPRoute:rules.filters.extensionRef",
        "LocalObjectReference",
    ),
    (
        "HTTPRoute:rules.filters.requestMirror.backendRef",
        "BackendObjectReference",
    ),
    ("HTTPRoute:rules.sessionPersistence", "SessionPersistence"),
    (
        "HTTPRoute:rules.sessionPersistence.type",
        "SessionPersistenceType",
    ),
    (
        "HTTPRoute:rules.sessionPersistence.cookieConfig",
        "CookieConfig",
    ),
    (
        "HTTPRoute:rules.sessionPersistence.cookieConfig.lifetimeType",
        "CookieLifetimeType",
    ),
    ("TCPRoute:rules.backendRefs", "BackendRef"),
    // HTTPRoute
    ("HTTPRoute:rules", "HTTPRouteRule"),
    ("HTTPRoute:rules.matches", "HTTPRouteMatch"),
    ("HTTPRoute:rules.matches.path", "HTTPPathMatch"),
    ("HTTPRoute:rules.matches.path.type", "PathMatchType"),
    ("HTTPRoute:rules.matches.headers", "HTTPHeaderMatch"),
    ("HTTPRoute:rules.matches.headers.type", "HeaderMatchType"),
    ("HTTPRoute:rules.matches.queryParams", "HTTPQueryParamMatch"),
    (
        "HTTPRoute:rules.matches.queryParams.type",
        "QueryParamMatchType",
    ),
    ("HTTPRoute:rules.matches.method", "HTTPMethod"),
    ("HTTPRoute:rules.filters", "HTTPRouteFilter"),
    ("HTTPRoute:rules.filters.type", "HTTPRouteFilterType"),
    (
        "HTTPRoute:rules.filters.requestHeaderModifier",
        "HTTPHeaderFilter",
    ),
    (
        "HTTPRoute:rules.filters.requestHeaderModifier.add",
        "HTTPHeader",
    ),
    (
        "HTTPRoute:rules.filters.requestMirror",
        "HTTPRequestMirrorFilter",
    ),
    ("HTTPRoute:rules.filters.requestMirror.fraction", "Fraction"),
    (
        "HTTPRoute:rules.filters.requestRedirect",
        "HTTPRequestRedirectFilter",
    ),
    (
        "HTTPRoute:rules.filters.requestRedirect.path",
        "HTTPPathModifier",
    ),
    (
        "HTTPRoute:rules.filters.requestRedirect.path.type",
        "HTTPPathModifierType",
    ),
    ("HTTPRoute:rules.filters.urlRewrite", "HTTPUrlRewriteFilter"),
    ("HTTPRoute:rules.filters.cors", "HTTPCorsFilter"),
    (
        "HTTPRoute:rules.filters.cors.allowMethods",
        "HTTPMethodWithWildcard",
    ),
    (
        "HTTPRoute:rules.filters.externalAuth",
        "HTTPExternalAuthFilter",
    ),
    (
        "HTTPRoute:rules.filters.externalAuth.protocol",
        "HTTPRouteExternalAuthProtocol",
    ),
    (
        "HTTPRoute:rules.filters.externalAuth.grpc",
        "GRPCAuthConfig",
    ),
    (
        "HTTPRoute:rules.filters.externalAuth.http",
        "HTTPAuthConfig",
    ),
    (
        "HTTPRoute:rules.filters.externalAuth.forwardBody",
        "ForwardBodyConfig",
    ),
    ("HTTPRoute:rules.backendRefs", "HTTPBackendRef"),
    ("HTTPRoute:rules.timeouts", "HTTPRouteTimeouts"),
    ("HTTPRoute:rules.retry", "HTTPRouteRetry"),
    // GRPCRoute
    ("GRPCRoute:rules", "GRPCRouteRule"),
    ("GRPCRoute:rules.matches", "GRPCRouteMatch"),
    ("GRPCRoute:rules.matches.method", "GRPCMethodMatch"),
    ("GRPCRoute:rules.matches.method.type", "GRPCMethodMatchType"),
    ("GRPCRoute:rules.matches.headers", "GRPCHeaderMatch"),
    (
        "GRPCRoute:rules.matches.headers.type",
        "GRPCHeaderMatchType",
    ),
    ("GRPCRoute:rules.filters", "GRPCRouteFilter"),
    ("GRPCRoute:rules.filters.type", "GRPCRouteFilterType"),
    ("GRPCRoute:rules.backendRefs", "GRPCBackendRef"),
    // TCPRoute, TLSRoute, UDPRoute
    ("TCPRoute:rules", "TCPRouteRule"),
    ("TLSRoute:rules", "TLSRouteRule"),
    ("UDPRoute:rules", "UDPRouteRule"),
    // Gateway
    ("Gateway:listeners", "Listener"),
    ("Gateway:listeners.tls", "ListenerTLSConfig"),
    ("Gateway:listeners.tls.mode", "TLSModeType"),
    (
        "Gateway:listeners.tls.certificateRefs",
        "SecretObjectReference",
    ),
    ("Gateway:listeners.allowedRoutes", "AllowedRoutes"),
    ("Gateway:listeners.allowedRoutes.kinds", "RouteGroupKind"),
    (
        "Gateway:listeners.allowedRoutes.namespaces",
        "RouteNamespaces",
    ),
    (
        "Gateway:listeners.allowedRoutes.namespaces.from",
        "FromNamespaces",
    ),
    (
        "Gateway:listeners.allowedRoutes.namespaces.selector",
        "LabelSelector",
    ),
    (
        "Gateway:listeners.allowedRoutes.namespaces.selector.matchExpressions",
        "LabelSelectorRequirement",
    ),
    ("Gateway:addresses", "GatewaySpecAddress"),
    ("Gateway:infrastructure", "GatewayInfrastructure"),
    // `infrastructure.parametersRef` (Go: LocalParametersReference) has the same schema
    // as LocalObjectReference, so it shares that type.
    ("Gateway:tls", "GatewayTLSConfig"),
    ("Gateway:tls.backend", "GatewayBackendTLS"),
    ("Gateway:tls.frontend", "FrontendTLSConfig"),
    ("Gateway:tls.frontend.default", "TLSConfig"),
    (
        "Gateway:tls.frontend.default.validation",
        "FrontendTLSValidation",
    ),
    (
        "Gateway:tls.frontend.default.validation.mode",
        "FrontendValidationModeType",
    ),
    ("Gateway:tls.frontend.perPort", "TLSPortConfig"),
    ("Gateway:allowedListeners", "AllowedListeners"),
    ("Gateway:allowedListeners.namespaces", "ListenerNamespaces"),
    // GatewayClass
    ("GatewayClass:parametersRef", "ParametersReference"),
    // ReferenceGrant
    ("ReferenceGrant:from", "ReferenceGrantFrom"),
    ("ReferenceGrant:to", "ReferenceGrantTo"),
    // BackendTLSPolicy
    (
        "BackendTLSPolicy:targetRefs",
        "LocalPolicyTargetReferenceWithSectionName",
    ),
    ("BackendTLSPolicy:validation", "BackendTLSPolicyValidation"),
    (
        "BackendTLSPolicy:validation.subjectAltNames",
        "SubjectAltName",
    ),
    (
        "BackendTLSPolicy:validation.subjectAltNames.type",
        "SubjectAltNameType",
    ),
    // ListenerSet
    ("ListenerSet:listeners", "ListenerEntry"),
    ("ListenerSet:parentRef", "ParentGatewayReference"),
    // XBackendTrafficPolicy (experimental)
    // `targetRefs` (Go: LocalPolicyTargetReference) has the same schema as
    // LocalObjectReference; naming both would leave the identical places elsewhere
    // (filters' `extensionRef`) without a name, so it shares LocalObjectReference.
    ("XBackendTrafficPolicy:retryConstraint", "RetryConstraint"),
    (
        "XBackendTrafficPolicy:retryConstraint.budget",
        "BudgetDetails",
    ),
    (
        "XBackendTrafficPolicy:retryConstraint.minRetryRate",
        "RequestRate",
    ),
];

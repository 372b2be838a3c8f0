//! The naming table: which Istio proto message or enum each schema location is.
//!
//! The CRD schemas carry no type names, only a tree of properties. Naming each node by
//! its JSON path (as generic CRD generators do) turns Istio's one `StringMatch` message
//! into half a dozen structs. Instead, each entry below names the schema at a path with
//! the proto name Istio itself uses; every other location whose schema is identical gets
//! the same type. Locations not listed are named `<Parent><Field>`.
//!
//! Paths are `Kind:field.field` from the kind's `spec`, without list or map markers.
//! Names are proto names as written in istio/api (`HTTPRoute`); the Rust name follows
//! the API guidelines' casing (`HttpRoute`).

/// Schema path -> proto message or enum name.
pub const TYPE_NAMES: &[(&str, &str)] = &[
    // Shared across groups (istio.type.v1beta1).
    ("WasmPlugin:selector", "WorkloadSelector"),
    ("WasmPlugin:targetRefs", "PolicyTargetReference"),
    ("Telemetry:accessLogging.providers", "ProviderRef"),
    // extensions.istio.io
    ("WasmPlugin:match", "TrafficSelector"),
    ("WasmPlugin:match.mode", "WorkloadMode"),
    ("WasmPlugin:match.ports", "TrafficSelectorPort"),
    ("WasmPlugin:phase", "PluginPhase"),
    ("WasmPlugin:failStrategy", "FailStrategy"),
    ("WasmPlugin:imagePullPolicy", "PullPolicy"),
    ("WasmPlugin:type", "PluginType"),
    ("WasmPlugin:vmConfig", "VmConfig"),
    ("WasmPlugin:vmConfig.env", "EnvVar"),
    ("WasmPlugin:vmConfig.env.valueFrom", "EnvValueSource"),
    ("TrafficExtension:wasm", "WasmConfig"),
    ("TrafficExtension:lua", "LuaConfig"),
    ("TrafficExtension:phase", "TrafficExtensionPhase"),
    // networking.istio.io: VirtualService
    ("VirtualService:http", "HTTPRoute"),
    ("VirtualService:http.match", "HTTPMatchRequest"),
    ("VirtualService:http.match.uri", "StringMatch"),
    ("VirtualService:http.route", "HTTPRouteDestination"),
    ("VirtualService:http.route.destination", "Destination"),
    ("VirtualService:http.mirror", "Destination"),
    ("VirtualService:http.mirrors", "HTTPMirrorPolicy"),
    ("VirtualService:http.mirrorPercentage", "Percent"),
    ("VirtualService:http.redirect", "HTTPRedirect"),
    (
        "VirtualService:http.redirect.derivePort",
        "RedirectPortSelection",
    ),
    ("VirtualService:http.directResponse", "HTTPDirectResponse"),
    ("VirtualService:http.directResponse.body", "HTTPBody"),
    ("VirtualService:http.delegate", "Delegate"),
    ("VirtualService:http.rewrite", "HTTPRewrite"),
    (
        "VirtualService:http.rewrite.uriRegexRewrite",
        "RegexRewrite",
    ),
    ("VirtualService:http.retries", "HTTPRetry"),
    ("VirtualService:http.fault", "HTTPFaultInjection"),
    ("VirtualService:http.fault.delay", "Delay"),
    ("VirtualService:http.fault.abort", "Abort"),
    ("VirtualService:http.corsPolicy", "CorsPolicy"),
    (
        "VirtualService:http.corsPolicy.unmatchedPreflights",
        "UnmatchedPreflights",
    ),
    ("VirtualService:http.headers", "Headers"),
    ("VirtualService:http.headers.request", "HeaderOperations"),
    ("VirtualService:tls", "TLSRoute"),
    ("VirtualService:tls.match", "TLSMatchAttributes"),
    ("VirtualService:tls.route", "RouteDestination"),
    ("VirtualService:tcp", "TCPRoute"),
    ("VirtualService:tcp.match", "L4MatchAttributes"),
    // networking.istio.io: DestinationRule
    ("DestinationRule:subsets", "Subset"),
    ("DestinationRule:trafficPolicy", "TrafficPolicy"),
    (
        "DestinationRule:trafficPolicy.connectionPool",
        "ConnectionPoolSettings",
    ),
    (
        "DestinationRule:trafficPolicy.connectionPool.tcp",
        "TCPSettings",
    ),
    (
        "DestinationRule:trafficPolicy.connectionPool.tcp.tcpKeepalive",
        "TcpKeepalive",
    ),
    (
        "DestinationRule:trafficPolicy.connectionPool.http",
        "HTTPSettings",
    ),
    (
        "DestinationRule:trafficPolicy.connectionPool.http.h2UpgradePolicy",
        "H2UpgradePolicy",
    ),
    (
        "DestinationRule:trafficPolicy.connectionPool.http.http2KeepAlive",
        "HTTP2KeepAlive",
    ),
    (
        "DestinationRule:trafficPolicy.loadBalancer",
        "LoadBalancerSettings",
    ),
    (
        "DestinationRule:trafficPolicy.loadBalancer.simple",
        "SimpleLB",
    ),
    (
        "DestinationRule:trafficPolicy.loadBalancer.consistentHash",
        "ConsistentHashLB",
    ),
    (
        "DestinationRule:trafficPolicy.loadBalancer.consistentHash.httpCookie",
        "HTTPCookie",
    ),
    (
        "DestinationRule:trafficPolicy.loadBalancer.consistentHash.httpCookie.attributes",
        "CookieAttribute",
    ),
    (
        "DestinationRule:trafficPolicy.loadBalancer.consistentHash.ringHash",
        "RingHash",
    ),
    (
        "DestinationRule:trafficPolicy.loadBalancer.consistentHash.maglev",
        "MagLev",
    ),
    (
        "DestinationRule:trafficPolicy.loadBalancer.localityLbSetting",
        "LocalityLoadBalancerSetting",
    ),
    (
        "DestinationRule:trafficPolicy.loadBalancer.localityLbSetting.distribute",
        "LocalityDistribute",
    ),
    (
        "DestinationRule:trafficPolicy.loadBalancer.localityLbSetting.failover",
        "LocalityFailover",
    ),
    (
        "DestinationRule:trafficPolicy.loadBalancer.zoneAwareLbSetting",
        "ZoneAwareLoadBalancerSetting",
    ),
    (
        "DestinationRule:trafficPolicy.loadBalancer.warmup",
        "WarmupConfiguration",
    ),
    (
        "DestinationRule:trafficPolicy.loadBalancer.backendUtilization",
        "BackendUtilizationLoadBalancing",
    ),
    (
        "DestinationRule:trafficPolicy.outlierDetection",
        "OutlierDetection",
    ),
    ("DestinationRule:trafficPolicy.tls", "ClientTLSSettings"),
    ("DestinationRule:trafficPolicy.tls.mode", "ClientTLSMode"),
    (
        "DestinationRule:trafficPolicy.portLevelSettings",
        "PortTrafficPolicy",
    ),
    (
        "DestinationRule:trafficPolicy.portLevelSettings.port",
        "PortSelector",
    ),
    (
        "DestinationRule:trafficPolicy.proxyProtocol",
        "ProxyProtocol",
    ),
    (
        "DestinationRule:trafficPolicy.proxyProtocol.version",
        "ProxyProtocolVersion",
    ),
    (
        "DestinationRule:trafficPolicy.tunnel",
        "TrafficPolicyTunnelSettings",
    ),
    ("DestinationRule:trafficPolicy.retryBudget", "RetryBudget"),
    ("DestinationRule:workloadSelector", "WorkloadSelector"),
    // networking.istio.io: Gateway
    ("Gateway:servers", "Server"),
    ("Gateway:servers.port", "ServerPort"),
    ("Gateway:servers.tls", "ServerTLSSettings"),
    ("Gateway:servers.tls.mode", "ServerTLSMode"),
    ("Gateway:servers.tls.minProtocolVersion", "TLSProtocol"),
    ("Gateway:servers.tls.tlsCertificates", "TLSCertificate"),
    // networking.istio.io: ServiceEntry
    ("ServiceEntry:ports", "ServicePort"),
    ("ServiceEntry:location", "Location"),
    ("ServiceEntry:resolution", "Resolution"),
    (
        "ServiceEntry:workloadSelector",
        "NetworkingWorkloadSelector",
    ),
    // networking.istio.io: Sidecar
    ("Sidecar:egress", "IstioEgressListener"),
    ("Sidecar:egress.port", "SidecarPort"),
    ("Sidecar:egress.captureMode", "CaptureMode"),
    ("Sidecar:ingress", "IstioIngressListener"),
    ("Sidecar:outboundTrafficPolicy", "OutboundTrafficPolicy"),
    (
        "Sidecar:outboundTrafficPolicy.mode",
        "OutboundTrafficPolicyMode",
    ),
    ("Sidecar:outboundTrafficPolicy.egressProxy", "Destination"),
    // networking.istio.io: WorkloadGroup
    ("WorkloadGroup:metadata", "ObjectMeta"),
    ("WorkloadGroup:template", "WorkloadEntryTemplate"),
    ("WorkloadGroup:probe", "ReadinessProbe"),
    ("WorkloadGroup:probe.httpGet", "HTTPHealthCheckConfig"),
    ("WorkloadGroup:probe.httpGet.httpHeaders", "HTTPHeader"),
    ("WorkloadGroup:probe.tcpSocket", "TCPHealthCheckConfig"),
    ("WorkloadGroup:probe.exec", "ExecHealthCheckConfig"),
    ("WorkloadGroup:probe.grpc", "GrpcHealthCheckConfig"),
    // networking.istio.io: ProxyConfig
    ("ProxyConfig:image", "ProxyImage"),
    // networking.istio.io: EnvoyFilter
    ("EnvoyFilter:configPatches", "EnvoyConfigObjectPatch"),
    ("EnvoyFilter:configPatches.applyTo", "ApplyTo"),
    ("EnvoyFilter:configPatches.match", "EnvoyConfigObjectMatch"),
    ("EnvoyFilter:configPatches.match.context", "PatchContext"),
    ("EnvoyFilter:configPatches.match.proxy", "ProxyMatch"),
    ("EnvoyFilter:configPatches.match.listener", "ListenerMatch"),
    (
        "EnvoyFilter:configPatches.match.listener.filterChain",
        "FilterChainMatch",
    ),
    (
        "EnvoyFilter:configPatches.match.listener.filterChain.filter",
        "FilterMatch",
    ),
    (
        "EnvoyFilter:configPatches.match.listener.filterChain.filter.subFilter",
        "SubFilterMatch",
    ),
    (
        "EnvoyFilter:configPatches.match.routeConfiguration",
        "RouteConfigurationMatch",
    ),
    (
        "EnvoyFilter:configPatches.match.routeConfiguration.vhost",
        "VirtualHostMatch",
    ),
    (
        "EnvoyFilter:configPatches.match.routeConfiguration.vhost.route",
        "RouteMatch",
    ),
    (
        "EnvoyFilter:configPatches.match.routeConfiguration.vhost.route.action",
        "RouteMatchAction",
    ),
    ("EnvoyFilter:configPatches.match.cluster", "ClusterMatch"),
    ("EnvoyFilter:configPatches.match.waypoint", "WaypointMatch"),
    (
        "EnvoyFilter:configPatches.match.waypoint.route",
        "WaypointRouteMatch",
    ),
    ("EnvoyFilter:configPatches.patch", "Patch"),
    (
        "EnvoyFilter:configPatches.patch.operation",
        "PatchOperation",
    ),
    ("EnvoyFilter:configPatches.patch.filterClass", "FilterClass"),
    // security.istio.io
    ("AuthorizationPolicy:action", "AuthorizationPolicyAction"),
    ("AuthorizationPolicy:provider", "ExtensionProvider"),
    ("AuthorizationPolicy:rules", "Rule"),
    ("AuthorizationPolicy:rules.from", "RuleFrom"),
    ("AuthorizationPolicy:rules.from.source", "Source"),
    ("AuthorizationPolicy:rules.to", "RuleTo"),
    ("AuthorizationPolicy:rules.to.operation", "Operation"),
    ("AuthorizationPolicy:rules.when", "Condition"),
    ("PeerAuthentication:mtls", "MutualTLS"),
    ("PeerAuthentication:mtls.mode", "MutualTLSMode"),
    ("RequestAuthentication:jwtRules", "JWTRule"),
    ("RequestAuthentication:jwtRules.fromHeaders", "JWTHeader"),
    (
        "RequestAuthentication:jwtRules.outputClaimToHeaders",
        "ClaimToHeader",
    ),
    ("RequestAuthentication:jwtRules.presence", "JWTPresence"),
    // telemetry.istio.io
    ("Telemetry:tracing", "Tracing"),
    ("Telemetry:tracing.customTags", "CustomTag"),
    ("Telemetry:tracing.customTags.literal", "Literal"),
    ("Telemetry:tracing.customTags.environment", "Environment"),
    ("Telemetry:tracing.customTags.header", "RequestHeader"),
    ("Telemetry:tracing.customTags.formatter", "Formatter"),
    ("Telemetry:tracing.match", "TracingSelector"),
    ("Telemetry:accessLogging", "AccessLogging"),
    ("Telemetry:accessLogging.match", "AccessLoggingLogSelector"),
    (
        "Telemetry:accessLogging.match.mode",
        "TelemetryWorkloadMode",
    ),
    ("Telemetry:accessLogging.filter", "AccessLoggingFilter"),
    ("Telemetry:metrics", "Metrics"),
    ("Telemetry:metrics.overrides", "MetricsOverrides"),
    ("Telemetry:metrics.overrides.match", "MetricSelector"),
    ("Telemetry:metrics.overrides.match.metric", "IstioMetric"),
    ("Telemetry:metrics.overrides.tagOverrides", "TagOverride"),
    (
        "Telemetry:metrics.overrides.tagOverrides.operation",
        "TagOperation",
    ),
];

/// One-of groups: (message name, member wire names, Rust field name, Rust enum name,
/// name of the variant for "none set" when the message is nothing but the group).
pub const ONE_OFS: &[(&str, &[&str], &str, &str, &str)] = &[
    (
        "StringMatch",
        &["exact", "prefix", "regex"],
        "match_type",
        "StringMatch",
        "Any",
    ),
    (
        "HTTPBody",
        &["string", "bytes"],
        "specifier",
        "HTTPBody",
        "Empty",
    ),
    (
        "CustomTag",
        &["literal", "environment", "header", "formatter"],
        "type",
        "CustomTag",
        "Empty",
    ),
    (
        "LoadBalancerSettings",
        &["simple", "consistentHash", "backendUtilization"],
        "lb_policy",
        "LbPolicy",
        "",
    ),
    (
        "ConsistentHashLB",
        &[
            "httpHeaderName",
            "httpCookie",
            "useSourceIp",
            "httpQueryParameterName",
        ],
        "hash_key",
        "HashKey",
        "",
    ),
    (
        "ConsistentHashLB",
        &["ringHash", "maglev"],
        "hash_algorithm",
        "HashAlgorithm",
        "",
    ),
    (
        "Abort",
        &["httpStatus", "grpcStatus", "http2Error"],
        "error_type",
        "AbortError",
        "",
    ),
    (
        "Delay",
        &["fixedDelay", "exponentialDelay"],
        "http_delay_type",
        "DelayKind",
        "",
    ),
    (
        "HTTPRedirect",
        &["port", "derivePort"],
        "redirect_port",
        "RedirectPort",
        "",
    ),
    (
        "EnvoyConfigObjectMatch",
        &["listener", "routeConfiguration", "cluster", "waypoint"],
        "object_types",
        "ObjectTypeMatch",
        "",
    ),
    (
        "ReadinessProbe",
        &["httpGet", "tcpSocket", "exec", "grpc"],
        "health_check_method",
        "HealthCheckMethod",
        "",
    ),
    (
        "MetricSelector",
        &["metric", "customMetric"],
        "metric_match",
        "MetricMatch",
        "",
    ),
    (
        "TrafficExtension",
        &["wasm", "lua"],
        "implementation",
        "TrafficExtensionImpl",
        "",
    ),
];

/// Proto `Duration` fields that carry no CEL `duration()` rule in the CRDs, by wire name.
/// (Fields with such a rule are recognised from the rule.)
pub const EXTRA_DURATIONS: &[&str] = &[
    "idleTimeout",
    "ttl",
    "budgetInterval",
    "weightStabilizationPeriod",
    "weightExpirationPeriod",
    "weightUpdatePeriod",
    "blackoutPeriod",
];

/// Rust field names for wire names that collide once converted to snake case: Istio kept
/// deprecated snake_case spellings next to their camelCase replacements.
pub const FIELD_RENAMES: &[(&str, &str, &str)] = &[
    ("HTTPRoute", "mirror_percent", "deprecated_mirror_percent"),
    ("JWTRule", "jwks_uri", "deprecated_jwks_uri"),
];

/// Istio reference pages, by kind.
pub const DOC_PAGES: &[(&str, &str)] = &[
    ("VirtualService", "networking/virtual-service/"),
    ("DestinationRule", "networking/destination-rule/"),
    ("Gateway", "networking/gateway/"),
    ("ServiceEntry", "networking/service-entry/"),
    ("Sidecar", "networking/sidecar/"),
    ("EnvoyFilter", "networking/envoy-filter/"),
    ("WorkloadEntry", "networking/workload-entry/"),
    ("WorkloadGroup", "networking/workload-group/"),
    ("ProxyConfig", "networking/proxy-config/"),
    ("AuthorizationPolicy", "security/authorization-policy/"),
    ("PeerAuthentication", "security/peer_authentication/"),
    ("RequestAuthentication", "security/request_authentication/"),
    ("Telemetry", "telemetry/"),
    ("WasmPlugin", "proxy_extensions/wasm-plugin/"),
    ("TrafficExtension", "proxy_extensions/traffic-extension/"),
];

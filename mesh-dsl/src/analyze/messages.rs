//! Istio's analysis message types: code, name and level, as listed in
//! <https://istio.io/latest/docs/reference/config/analysis/>. Descriptions are our own words.

use crate::diag::{Diagnostic, ResourceRef, Severity};
use crate::resources::Resource;

/// One kind of finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageType {
    /// Istio's code, e.g. `IST0101`.
    pub code: &'static str,
    /// Istio's name, e.g. `ReferencedResourceNotFound`.
    pub name: &'static str,
    /// Istio's level.
    pub severity: Severity,
    /// What it means.
    pub description: &'static str,
}

impl MessageType {
    /// A finding of this type on `r`.
    pub(crate) fn on(&self, r: &Resource, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.severity, self.code, self.name, message).on(r.reference())
    }

    /// A finding of this type on an object that is not in the input (e.g. mesh networks).
    pub(crate) fn on_ref(&self, r: ResourceRef, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.severity, self.code, self.name, message).on(r)
    }

    /// This type's page in Istio's reference.
    pub fn url(&self) -> String {
        format!(
            "https://istio.io/latest/docs/reference/config/analysis/{}/",
            self.code.to_ascii_lowercase()
        )
    }
}

macro_rules! messages {
    ($($ident:ident = $code:literal $name:literal $sev:ident $desc:literal;)*) => {
        $(
            #[doc = concat!("`", $code, "` ", $name, ": ", $desc)]
            pub(crate) const $ident: MessageType = MessageType {
                code: $code,
                name: $name,
                severity: Severity::$sev,
                description: $desc,
            };
        )*

        /// Every message type the analyzers (and schema checks) can report.
        pub static MESSAGES: &[MessageType] = &[$($ident),*];
    };
}

messages! {
    DEPRECATED = "IST0002" "Deprecated" Warning
        "the configuration uses a deprecated feature";
    REFERENCED_RESOURCE_NOT_FOUND = "IST0101" "ReferencedResourceNotFound" Error
        "a referenced resource does not exist";
    NAMESPACE_NOT_INJECTED = "IST0102" "NamespaceNotInjected" Info
        "the namespace is not enabled for sidecar injection";
    POD_MISSING_PROXY = "IST0103" "PodMissingProxy" Warning
        "a pod in an injected namespace has no proxy";
    SCHEMA_VALIDATION_ERROR = "IST0106" "SchemaValidationError" Error
        "the resource does not fit its kind's schema";
    MISPLACED_ANNOTATION = "IST0107" "MisplacedAnnotation" Warning
        "an Istio annotation is on a kind of resource it does not apply to";
    UNKNOWN_ANNOTATION = "IST0108" "UnknownAnnotation" Warning
        "an annotation in an Istio domain is not one Istio knows";
    CONFLICTING_MESH_GATEWAY_VS_HOSTS = "IST0109" "ConflictingMeshGatewayVirtualServiceHosts" Error
        "several mesh VirtualServices define the same host";
    CONFLICTING_SIDECAR_SELECTORS = "IST0110" "ConflictingSidecarWorkloadSelectors" Error
        "several Sidecars select the same workload";
    MULTIPLE_SIDECARS_WITHOUT_SELECTOR = "IST0111" "MultipleSidecarsWithoutWorkloadSelectors" Error
        "several Sidecars of a namespace have no workload selector";
    VS_DESTINATION_PORT_REQUIRED = "IST0112" "VirtualServiceDestinationPortSelectorRequired" Error
        "a route goes to a service with several ports without naming one";
    DEPLOYMENT_MULTIPLE_SERVICES = "IST0116" "DeploymentAssociatedToMultipleServices" Warning
        "services selecting a deployment use one port with different protocols";
    PORT_NAME_CONVENTION = "IST0118" "PortNameIsNotUnderNamingConvention" Info
        "a service port name does not tell Istio its protocol";
    NAMESPACE_MULTIPLE_INJECTION_LABELS = "IST0123" "NamespaceMultipleInjectionLabels" Warning
        "a namespace has more than one kind of injection label";
    INVALID_ANNOTATION = "IST0125" "InvalidAnnotation" Warning
        "an Istio annotation has a value Istio cannot use";
    UNKNOWN_MESH_NETWORKS_REGISTRY = "IST0126" "UnknownMeshNetworksServiceRegistry" Error
        "a mesh network takes endpoints from an unknown service registry";
    NO_MATCHING_WORKLOADS = "IST0127" "NoMatchingWorkloadsFound" Warning
        "no workload matches the resource's selector";
    NO_SERVER_CERT_VERIFICATION_DEST = "IST0128" "NoServerCertificateVerificationDestinationLevel" Warning
        "TLS origination does not verify the server certificate";
    NO_SERVER_CERT_VERIFICATION_PORT = "IST0129" "NoServerCertificateVerificationPortLevel" Warning
        "TLS origination on a port does not verify the server certificate";
    VS_UNREACHABLE_RULE = "IST0130" "VirtualServiceUnreachableRule" Warning
        "a VirtualService rule is never used";
    VS_INEFFECTIVE_MATCH = "IST0131" "VirtualServiceIneffectiveMatch" Info
        "a VirtualService match repeats or is covered by an earlier one";
    VS_HOST_NOT_IN_GATEWAY = "IST0132" "VirtualServiceHostNotFoundInGateway" Warning
        "a VirtualService host is not served by its gateway";
    SERVICE_ENTRY_ADDRESSES_REQUIRED = "IST0134" "ServiceEntryAddressesRequired" Warning
        "a TCP ServiceEntry needs addresses";
    DEPRECATED_ANNOTATION = "IST0135" "DeprecatedAnnotation" Info
        "an Istio annotation is deprecated";
    ALPHA_ANNOTATION = "IST0136" "AlphaAnnotation" Info
        "an Istio annotation belongs to an alpha feature";
    DEPLOYMENT_CONFLICTING_PORTS = "IST0137" "DeploymentConflictingPorts" Warning
        "services selecting a deployment use one targetPort with different ports";
    GATEWAY_DUPLICATE_CERTIFICATE = "IST0138" "GatewayDuplicateCertificate" Warning
        "gateways of overlapping workloads share a certificate";
    INVALID_WEBHOOK = "IST0139" "InvalidWebhook" Error
        "an injection webhook overlaps others or references a missing service";
    INGRESS_ROUTE_RULES_NOT_AFFECTED = "IST0140" "IngressRouteRulesNotAffected" Warning
        "subset routing has no effect on requests entering through a gateway";
    INVALID_APPLICATION_UID = "IST0144" "InvalidApplicationUID" Warning
        "an application runs as the proxy's user ID 1337";
    CONFLICTING_GATEWAYS = "IST0145" "ConflictingGateways" Error
        "gateways select the same workloads with the same port and hosts";
    IMAGE_AUTO_WITHOUT_INJECTION_WARNING = "IST0146" "ImageAutoWithoutInjectionWarning" Warning
        "a deployment uses `image: auto` but is not injected";
    IMAGE_AUTO_WITHOUT_INJECTION_ERROR = "IST0147" "ImageAutoWithoutInjectionError" Error
        "a pod uses `image: auto` but was not injected";
    NAMESPACE_INJECTION_ENABLED_BY_DEFAULT = "IST0148" "NamespaceInjectionEnabledByDefault" Info
        "the namespace is injected because injection is on by default";
    JWT_CLAIM_ROUTING_WITHOUT_AUTHN = "IST0149" "JwtClaimBasedRoutingWithoutRequestAuthN" Error
        "JWT claim routing without request authentication on the gateway";
    EXTERNAL_NAME_INVALID_PORT_NAME = "IST0150" "ExternalNameServiceTypeInvalidPortName" Warning
        "an ExternalName service port name will break TCP forwarding";
    ENVOY_FILTER_RELATIVE_OPERATION = "IST0151" "EnvoyFilterUsesRelativeOperation" Warning
        "a relative EnvoyFilter patch without a priority may not apply";
    ENVOY_FILTER_REPLACE_INCORRECT = "IST0152" "EnvoyFilterUsesReplaceOperationIncorrectly" Error
        "REPLACE is only valid for HTTP and network filters";
    ENVOY_FILTER_ADD_INCORRECT = "IST0153" "EnvoyFilterUsesAddOperationIncorrectly" Error
        "ADD is ignored for route configurations and HTTP routes";
    ENVOY_FILTER_REMOVE_INCORRECT = "IST0154" "EnvoyFilterUsesRemoveOperationIncorrectly" Error
        "REMOVE is ignored for route configurations and HTTP routes";
    ENVOY_FILTER_RELATIVE_WITH_PROXY_VERSION = "IST0155" "EnvoyFilterUsesRelativeOperationWithProxyVersion" Warning
        "a relative EnvoyFilter patch with a proxy version may not apply after an upgrade";
    INVALID_TELEMETRY_PROVIDER = "IST0157" "InvalidTelemetryProvider" Warning
        "access logging without providers is ignored";
    PROXY_IMAGE_MISMATCH = "IST0158" "PodsIstioProxyImageMismatchInNamespace" Warning
        "pods run a proxy image other than the injector's";
    CONFLICTING_TELEMETRY_SELECTORS = "IST0159" "ConflictingTelemetryWorkloadSelectors" Error
        "several Telemetry resources select the same workload";
    MULTIPLE_TELEMETRIES_WITHOUT_SELECTOR = "IST0160" "MultipleTelemetriesWithoutWorkloadSelectors" Error
        "several Telemetry resources of a namespace have no selector";
    INVALID_GATEWAY_CREDENTIAL = "IST0161" "InvalidGatewayCredential" Error
        "a gateway's TLS credential is missing keys, unreadable or expired";
    GATEWAY_PORT_NOT_ON_SERVICE = "IST0162" "GatewayPortNotDefinedOnService" Warning
        "a gateway port is not exposed by the gateway workload's service";
    INVALID_EXTERNAL_CONTROL_PLANE = "IST0163" "InvalidExternalControlPlaneConfig" Warning
        "an external control plane webhook address is invalid";
    EXTERNAL_CONTROL_PLANE_IP = "IST0164" "ExternalControlPlaneAddressIsNotAHostname" Info
        "an external control plane webhook address is an IP address";
    REFERENCED_INTERNAL_GATEWAY = "IST0165" "ReferencedInternalGateway" Warning
        "a VirtualService references a gateway generated for a Kubernetes Gateway";
    INEFFECTIVE_SELECTOR = "IST0166" "IneffectiveSelector" Warning
        "a policy selector targets a Kubernetes Gateway's pods; use targetRef";
    INEFFECTIVE_POLICY = "IST0167" "IneffectivePolicy" Warning
        "the policy has no effect";
    NEGATIVE_CONDITION_STATUS = "IST0171" "NegativeConditionStatus" Warning
        "a status condition reports a problem";
    DR_SUBSET_NOT_SELECT_PODS = "IST0173" "DestinationRuleSubsetNotSelectPods" Error
        "a DestinationRule subset selects no workload";
    UNKNOWN_DR_HOST = "IST0174" "UnknownDestinationRuleHost" Warning
        "a DestinationRule host matches no service";
    JWKS_URI_FETCH_UNRESTRICTED = "IST0175" "JwksUriFetchUnrestricted" Warning
        "istiod fetches JWKS URIs without blocked address ranges";
    GATEWAY_API_CRD_VERSION_BELOW_MINIMUM = "IST0176" "GatewayAPICRDVersionBelowMinimum" Error
        "an installed Gateway API CRD is older than Istio needs";
    CONFLICTING_SERVICE_ENTRY_PROTOCOL = "IST0177" "ConflictingServiceEntryProtocol" Warning
        "ServiceEntries give one host and port different protocols";
}

//! Cross-resource analysis: the offline equivalent of `istioctl analyze` over a set of
//! [`Resources`], whether they were built with the DSL or read from YAML files.
//!
//! Findings are [`Diagnostic`]s carrying Istio's analysis message codes and names
//! (`IST0101 ReferencedResourceNotFound`, ...), so they can be looked up in
//! [Istio's reference](https://istio.io/latest/docs/reference/config/analysis/). Every
//! analyzer runs over one index built once (objects by namespace, host, gateway name and
//! label), so the cost grows linearly with the number of objects.
//!
//! ```
//! use mesh_dsl::analyze::{analyze, load_stream, AnalyzeOptions};
//! use mesh_dsl::Resources;
//!
//! let loaded = load_stream(
//!     "apiVersion: networking.istio.io/v1\nkind: VirtualService\n\
//!      metadata: {name: reviews, namespace: shop}\n\
//!      spec: {hosts: [reviews], http: [{route: [{destination: {host: reviews}}]}]}\n",
//!     "inline",
//! )
//! .unwrap();
//! let resources = Resources::from_vec(loaded.resources);
//! assert!(loaded.repaired.is_empty());
//! let found = analyze(&resources, &AnalyzeOptions::default());
//! assert!(found.iter().any(|d| d.code == "IST0101"), "{found}");
//! ```

mod annotations;
mod authz;
mod bounded;
mod cert;
mod conditions;
mod deployment;
mod deprecation;
mod destinationrule;
mod envoyfilter;
mod gateway;
mod host;
mod index;
mod injection;
mod labels;
mod lenient;
mod load;
mod meshconfig;
pub(crate) mod messages;
mod multicluster;
mod schema;
mod service;
mod serviceentry;
mod sidecar;
mod telemetry;
mod virtualservice;
mod webhook;

use crate::diag::{Diagnostic, Diagnostics, ResourceRef};
use crate::resources::{Resource, Resources};

pub use load::{LoadError, Loaded, load_stream};
pub use meshconfig::{IngressControllerMode, MeshConfig, MeshConfigError, MeshNetworks};
pub use messages::{MESSAGES, MessageType};

use index::Index;

/// The analyzers' hash maps: foldhash instead of SipHash, as the keys are names from the
/// input rather than from an attacker (SipHash was about 6% of `compile()` on the
/// scale workload).
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// See [`HashMap`].
pub(crate) type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// How [`analyze`] runs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AnalyzeOptions {
    /// The mesh configuration Istio would run with (the `mesh` key of the `istio`
    /// ConfigMap). Default: Istio's defaults.
    pub mesh_config: MeshConfig,
    /// Istio's mesh networks (multi-network meshes). Default: none.
    pub mesh_networks: Option<MeshNetworks>,
    /// Run only the analyzers with these names (Istio's names, e.g.
    /// `virtualservice.GatewayAnalyzer`; see [`analyzers`]). Default: `None`, all of them.
    pub only: Option<Vec<String>>,
    /// Assume Istio's default ingress gateway is installed (a Pod labelled
    /// `istio: ingressgateway` and its Service in the Istio namespace), as `istioctl analyze`
    /// does for files, unless the mesh config turns ingress off. Default: `true`.
    pub assume_default_ingress: bool,
    /// Count the pod templates of Deployments as workloads when a selector must match
    /// something (subsets, sidecars, policies). Meshes rendered by mesh-dsl have
    /// Deployments but no Pods; Istio's own analyzers look at running Pods only.
    /// Default: `true`.
    pub workloads_from_deployments: bool,
    /// The namespace of objects that do not name one. Default: empty, as `istioctl analyze`
    /// treats files when no namespace is given.
    pub default_namespace: String,
    /// The namespace Istio is installed in. Default: `istio-system`.
    pub istio_namespace: String,
    /// Objects that exist in the cluster but are not part of the input (installed by
    /// another team, a Helm chart, Istio itself): the analyzers see them, as references
    /// and workloads, and nothing is reported about them. Default: none.
    pub assumed: Vec<Resource>,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        Self {
            mesh_config: MeshConfig::default(),
            mesh_networks: None,
            only: None,
            assume_default_ingress: true,
            workloads_from_deployments: true,
            default_namespace: String::new(),
            istio_namespace: "istio-system".into(),
            assumed: Vec::new(),
        }
    }
}

impl AnalyzeOptions {
    /// Uses this mesh configuration (default: Istio's defaults).
    #[must_use]
    pub fn mesh_config(mut self, mesh_config: MeshConfig) -> Self {
        self.mesh_config = mesh_config;
        self
    }

    /// Uses these mesh networks (default: none).
    #[must_use]
    pub fn mesh_networks(mut self, mesh_networks: MeshNetworks) -> Self {
        self.mesh_networks = Some(mesh_networks);
        self
    }

    /// Runs only the named analyzers (default: all). Names are Istio's, see [`analyzers`].
    #[must_use]
    pub fn only(mut self, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.only = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Whether to assume Istio's default ingress gateway exists (default: `true`).
    #[must_use]
    pub fn assume_default_ingress(mut self, yes: bool) -> Self {
        self.assume_default_ingress = yes;
        self
    }

    /// Whether Deployment pod templates count as workloads (default: `true`).
    #[must_use]
    pub fn workloads_from_deployments(mut self, yes: bool) -> Self {
        self.workloads_from_deployments = yes;
        self
    }

    /// The namespace of objects that name none (default: empty).
    #[must_use]
    pub fn default_namespace(mut self, ns: impl Into<String>) -> Self {
        self.default_namespace = ns.into();
        self
    }

    /// The namespace Istio is installed in (default: `istio-system`).
    #[must_use]
    pub fn istio_namespace(mut self, ns: impl Into<String>) -> Self {
        self.istio_namespace = ns.into();
        self
    }

    /// Assumes these objects exist in the cluster (see [`AnalyzeOptions::assumed`]).
    #[must_use]
    pub fn assume(mut self, objects: impl IntoIterator<Item = Resource>) -> Self {
        self.assumed.extend(objects);
        self
    }
}

/// One analyzer: its name as Istio names it, what it checks and which codes it reports.
#[derive(Clone, Copy, Debug)]
pub struct AnalyzerInfo {
    /// Istio's name, e.g. `virtualservice.GatewayAnalyzer`.
    pub name: &'static str,
    /// Other names Istio uses for the same analyzer (its Go type or metadata name).
    pub aliases: &'static [&'static str],
    /// What it checks.
    pub description: &'static str,
    /// The message codes it can report.
    pub codes: &'static [&'static str],
    /// Whether [`analyze`] runs it when no analyzers are named. Off for checks that
    /// [`crate::validate::validate`] already makes (the lead-in to `compile()` runs both).
    pub by_default: bool,
    run: fn(&Index<'_>, &mut Vec<Diagnostic>),
}

impl AnalyzerInfo {
    /// Whether `name` is this analyzer's name or one of its aliases.
    pub fn is_named(&self, name: &str) -> bool {
        self.name == name || self.aliases.contains(&name)
    }
}

macro_rules! analyzer {
    ($name:expr, [$($alias:expr),*], $desc:expr, [$($code:ident),*], $run:path) => {
        analyzer!($name, [$($alias),*], $desc, [$($code),*], $run, true)
    };
    ($name:expr, [$($alias:expr),*], $desc:expr, [$($code:ident),*], $run:path, $default:expr) => {
        AnalyzerInfo {
            name: $name,
            aliases: &[$($alias),*],
            description: $desc,
            codes: &[$(messages::$code.code),*],
            by_default: $default,
            run: $run,
        }
    };
}

static ANALYZERS: &[AnalyzerInfo] = &[
    analyzer!(
        "multicluster.MeshNetworksAnalyzer",
        ["meshnetworks.MeshNetworksAnalyzer"],
        "Checks the service registries that mesh networks take endpoints from",
        [UNKNOWN_MESH_NETWORKS_REGISTRY],
        multicluster::mesh_networks
    ),
    analyzer!(
        "schema.ValidationAnalyzer",
        [],
        "Reports documents that do not fit their kind's schema (found while reading)",
        [SCHEMA_VALIDATION_ERROR],
        schema::validation
    ),
    analyzer!(
        "schemaValidation.CollectionValidationAnalyzer",
        ["schema.ValidationAnalyzer.VirtualService"],
        "Finds VirtualService rules and matches that can never be used (also part of mesh_dsl::validate, so only run by name)",
        [VS_UNREACHABLE_RULE, VS_INEFFECTIVE_MATCH],
        schema::virtual_service_matches,
        false
    ),
    analyzer!(
        "annotations.K8sAnalyzer",
        [],
        "Checks Istio annotations on Namespaces, Services, Pods and Deployments: unknown, misplaced, deprecated or with a value Istio refuses",
        [
            MISPLACED_ANNOTATION,
            UNKNOWN_ANNOTATION,
            INVALID_ANNOTATION,
            DEPRECATED_ANNOTATION
        ],
        annotations::k8s
    ),
    analyzer!(
        "maturity.AlphaAnalyzer",
        ["annotations.AlphaAnalyzer"],
        "Reports annotations of alpha-phase Istio features (not run by default, as in Istio)",
        [ALPHA_ANNOTATION],
        annotations::alpha,
        false
    ),
    analyzer!(
        "authz.AuthorizationPoliciesAnalyzer",
        ["auth.AuthorizationPoliciesAnalyzer"],
        "Checks that authorization policies select workloads and name existing namespaces",
        [REFERENCED_RESOURCE_NOT_FOUND, NO_MATCHING_WORKLOADS],
        authz::authorization_policies
    ),
    analyzer!(
        "authn.BlockedCIDRsAnalyzer",
        [],
        "Checks that istiod restricts JWKS fetches when RequestAuthentications exist",
        [JWKS_URI_FETCH_UNRESTRICTED],
        authz::blocked_cidrs
    ),
    analyzer!(
        "conditions.ConditionAnalyzer",
        [],
        "Reports negative status conditions written by Istio",
        [NEGATIVE_CONDITION_STATUS],
        conditions::conditions
    ),
    analyzer!(
        "deployment.ServiceAssociationAnalyzer",
        ["deployment.MultiServiceAnalyzer"],
        "Checks the Services that select each in-mesh Deployment agree on ports and protocols",
        [DEPLOYMENT_MULTIPLE_SERVICES, DEPLOYMENT_CONFLICTING_PORTS],
        deployment::service_association
    ),
    analyzer!(
        "deployment.ApplicationUIDAnalyzer",
        ["applicationUID.Analyzer"],
        "Checks that applications do not run as the proxy's user ID 1337",
        [INVALID_APPLICATION_UID],
        deployment::application_uid
    ),
    analyzer!(
        "deprecation.FieldAnalyzer",
        ["deprecation.DeprecationAnalyzer"],
        "Reports deprecated Istio fields and resource types",
        [DEPRECATED],
        deprecation::fields
    ),
    analyzer!(
        "destinationrule.CaCertificateAnalyzer",
        [],
        "Checks that TLS origination verifies the server certificate",
        [
            NO_SERVER_CERT_VERIFICATION_DEST,
            NO_SERVER_CERT_VERIFICATION_PORT
        ],
        destinationrule::ca_certificates
    ),
    analyzer!(
        "destinationrule.PodNotSelectedAnalyzer",
        ["destinationrule.SubsetSelectPodAnalyzer"],
        "Checks that DestinationRule hosts exist and that subsets select workloads",
        [DR_SUBSET_NOT_SELECT_PODS, UNKNOWN_DR_HOST],
        destinationrule::pod_not_selected
    ),
    analyzer!(
        "envoyfilter.EnvoyPatchAnalyzer",
        [],
        "Checks EnvoyFilter patch operations",
        [
            ENVOY_FILTER_RELATIVE_OPERATION,
            ENVOY_FILTER_REPLACE_INCORRECT,
            ENVOY_FILTER_ADD_INCORRECT,
            ENVOY_FILTER_REMOVE_INCORRECT,
            ENVOY_FILTER_RELATIVE_WITH_PROXY_VERSION
        ],
        envoyfilter::patches
    ),
    analyzer!(
        "externalcontrolplane.ExternalControlPlaneAnalyzer",
        [],
        "Checks the webhook URLs of an external control plane (without DNS lookups)",
        [INVALID_EXTERNAL_CONTROL_PLANE, EXTERNAL_CONTROL_PLANE_IP],
        webhook::external_control_plane
    ),
    analyzer!(
        "gateway.IngressGatewayPortAnalyzer",
        [],
        "Checks Gateway ports against the Services of the gateway workloads",
        [REFERENCED_RESOURCE_NOT_FOUND, GATEWAY_PORT_NOT_ON_SERVICE],
        gateway::ingress_ports
    ),
    analyzer!(
        "gateway.SecretAnalyzer",
        [],
        "Checks that Gateway credentials exist next to the gateway workload and are valid",
        [REFERENCED_RESOURCE_NOT_FOUND, INVALID_GATEWAY_CREDENTIAL],
        gateway::secrets
    ),
    analyzer!(
        "gateway.ConflictingGatewayAnalyzer",
        [],
        "Finds Gateways that select the same workloads with the same port and hosts",
        [REFERENCED_RESOURCE_NOT_FOUND, CONFLICTING_GATEWAYS],
        gateway::conflicting
    ),
    analyzer!(
        "gateway.CertificateAnalyzer",
        [],
        "Finds certificates shared by Gateways of overlapping workloads",
        [GATEWAY_DUPLICATE_CERTIFICATE],
        gateway::duplicate_certificates
    ),
    analyzer!(
        "injection.Analyzer",
        [],
        "Checks sidecar injection of namespaces and pods",
        [
            NAMESPACE_NOT_INJECTED,
            POD_MISSING_PROXY,
            NAMESPACE_MULTIPLE_INJECTION_LABELS,
            NAMESPACE_INJECTION_ENABLED_BY_DEFAULT
        ],
        injection::injection
    ),
    analyzer!(
        "injection.ImageAnalyzer",
        [],
        "Checks that running proxies use the injector's image",
        [PROXY_IMAGE_MISMATCH],
        injection::image
    ),
    analyzer!(
        "injection.ImageAutoAnalyzer",
        [],
        "Checks that workloads with `image: auto` are injected",
        [
            IMAGE_AUTO_WITHOUT_INJECTION_WARNING,
            IMAGE_AUTO_WITHOUT_INJECTION_ERROR
        ],
        injection::image_auto
    ),
    analyzer!(
        "k8sgateway.SelectorAnalyzer",
        [],
        "Finds policies whose selector targets a Kubernetes Gateway's pods",
        [INEFFECTIVE_SELECTOR],
        gateway::k8s_gateway_selector
    ),
    analyzer!(
        "k8sgateway.CRDVersionAnalyzer",
        [],
        "Checks Gateway API CRD versions against Istio's minimum",
        [GATEWAY_API_CRD_VERSION_BELOW_MINIMUM],
        gateway::crd_version
    ),
    analyzer!(
        "service.PortNameAnalyzer",
        [],
        "Checks Service port names follow Istio's protocol naming",
        [PORT_NAME_CONVENTION, EXTERNAL_NAME_INVALID_PORT_NAME],
        service::port_names
    ),
    analyzer!(
        "serviceentry.ProtocolAddressesAnalyzer",
        ["serviceentry.Analyzer"],
        "Checks that TCP ServiceEntries have addresses",
        [SERVICE_ENTRY_ADDRESSES_REQUIRED],
        serviceentry::protocol_addresses
    ),
    analyzer!(
        "serviceentry.ConflictingServiceEntryProtocolAnalyzer",
        [],
        "Finds ServiceEntries giving one host and port different protocols",
        [CONFLICTING_SERVICE_ENTRY_PROTOCOL],
        serviceentry::conflicting_protocols
    ),
    analyzer!(
        "sidecar.SelectorAnalyzer",
        ["sidecar.DefaultSelectorAnalyzer"],
        "Checks Sidecar workload selectors match workloads and do not overlap",
        [
            REFERENCED_RESOURCE_NOT_FOUND,
            CONFLICTING_SIDECAR_SELECTORS,
            MULTIPLE_SIDECARS_WITHOUT_SELECTOR,
            INEFFECTIVE_POLICY
        ],
        sidecar::selectors
    ),
    analyzer!(
        "telemetry.ProviderAnalyzer",
        [],
        "Finds Telemetry access logging without providers",
        [INVALID_TELEMETRY_PROVIDER],
        telemetry::providers
    ),
    analyzer!(
        "telemetry.SelectorAnalyzer",
        [],
        "Checks Telemetry selectors match workloads and do not overlap",
        [
            REFERENCED_RESOURCE_NOT_FOUND,
            CONFLICTING_TELEMETRY_SELECTORS
        ],
        telemetry::selectors
    ),
    analyzer!(
        "telemetry.DefaultSelectorAnalyzer",
        [],
        "Finds namespaces with several Telemetry resources without a selector",
        [MULTIPLE_TELEMETRIES_WITHOUT_SELECTOR],
        telemetry::default_selectors
    ),
    analyzer!(
        "telemetry.LightstepAnalyzer",
        [],
        "Reports Telemetry that still uses the deprecated Lightstep provider",
        [DEPRECATED],
        telemetry::lightstep
    ),
    analyzer!(
        "virtualservice.ConflictingMeshGatewayHostsAnalyzer",
        [],
        "Finds mesh VirtualServices that define the same host",
        [CONFLICTING_MESH_GATEWAY_VS_HOSTS],
        virtualservice::conflicting_mesh_gateway_hosts
    ),
    analyzer!(
        "virtualservice.DestinationHostAnalyzer",
        [],
        "Checks VirtualService destination hosts and ports exist",
        [
            REFERENCED_RESOURCE_NOT_FOUND,
            VS_DESTINATION_PORT_REQUIRED,
            INGRESS_ROUTE_RULES_NOT_AFFECTED
        ],
        virtualservice::destination_hosts
    ),
    analyzer!(
        "virtualservice.DestinationRuleAnalyzer",
        [],
        "Checks VirtualService destination subsets are defined by a DestinationRule",
        [REFERENCED_RESOURCE_NOT_FOUND],
        virtualservice::destination_rules
    ),
    analyzer!(
        "virtualservice.GatewayAnalyzer",
        [],
        "Checks VirtualService gateways exist and serve the VirtualService's hosts",
        [
            REFERENCED_RESOURCE_NOT_FOUND,
            VS_HOST_NOT_IN_GATEWAY,
            REFERENCED_INTERNAL_GATEWAY
        ],
        virtualservice::gateways
    ),
    analyzer!(
        "virtualservice.JWTClaimRouteAnalyzer",
        [],
        "Checks JWT-claim routing has request authentication on the gateway",
        [JWT_CLAIM_ROUTING_WITHOUT_AUTHN],
        virtualservice::jwt_claim_route
    ),
    analyzer!(
        "webhook.Analyzer",
        [],
        "Checks Istio injection webhooks do not overlap and reference existing Services",
        [INVALID_WEBHOOK],
        webhook::webhooks
    ),
];

/// Every analyzer, in the order they run.
pub fn analyzers() -> &'static [AnalyzerInfo] {
    ANALYZERS
}

/// Looks an analyzer up by its Istio name or an alias.
pub fn analyzer(name: &str) -> Option<&'static AnalyzerInfo> {
    ANALYZERS.iter().find(|a| a.is_named(name))
}

/// Runs the analyzers over `resources` and returns every finding, sorted, in one pass.
///
/// Without [`AnalyzeOptions::only`], every analyzer marked [`AnalyzerInfo::by_default`]
/// runs; the VirtualService rule checks (IST0130/IST0131) are left to
/// [`crate::validate::validate`], which makes them too. Run them here by naming them.
///
/// Never panics. Findings on a resource annotated `galley.istio.io/analyze-suppress` with
/// their code (or `*`) are dropped, as Istio does. Objects in Kubernetes system namespaces
/// (`kube-system`, `kube-public`, `kube-node-lease`, `local-path-storage`) are ignored.
pub fn analyze(resources: &Resources, options: &AnalyzeOptions) -> Diagnostics {
    let mut extra = index::default_resources(resources, options);
    extra.extend(options.assumed.iter().cloned());
    // The analyzers read Gateway API objects as JSON.
    extra.extend(resources.iter().filter_map(|r| match r {
        Resource::GatewayApi(g) => Some(Resource::Other(serde_json::to_value(g).ok()?)),
        _ => None,
    }));
    let assumed: HashSet<ResourceRef> = options.assumed.iter().map(Resource::reference).collect();
    let idx = Index::build(resources, &extra, options);
    let mut out = Vec::new();
    for a in ANALYZERS {
        let selected = match &options.only {
            Some(names) => names.iter().any(|n| a.is_named(n)),
            None => a.by_default,
        };
        if selected {
            (a.run)(&idx, &mut out);
        }
    }
    let mut ds: Diagnostics = out
        .into_iter()
        .filter(|d| !idx.suppressed(d))
        .filter(|d| d.resource.as_ref().is_none_or(|r| !assumed.contains(r)))
        .collect();
    ds.sort();
    ds
}

#[cfg(test)]
mod tests;

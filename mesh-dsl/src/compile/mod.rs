//! `Mesh::compile`: turns the description into typed resources, checking it on the way.
//!
//! Codes of the checks done here (the description itself; validation and analysis of the
//! resulting objects use Istio's codes):
//!
//! | code | name | severity |
//! | --- | --- | --- |
//! | MESH0001 | DuplicateResource | error |
//! | MESH0002 | UnknownSubset | error |
//! | MESH0003 | WeightsDoNotSumTo100 | error |
//! | MESH0004 | PortOutOfRange | error |
//! | MESH0005 | DuplicateHost | error |
//! | MESH0006 | UndeclaredNamespace | warning |
//! | MESH0007 | PortNameConvention | error |
//! | MESH0008 | InvalidCanaryPlan | error |
//! | MESH0009 | StageOutOfRange | error |
//! | MESH0010 | PercentOutOfRange | error |
//! | MESH0011 | ServiceWithoutVersions | warning |
//! | MESH0012 | UndeclaredService | error |
//! | MESH0013 | UnknownTelemetryProvider | warning |
//! | MESH0014 | RouteWithoutAction | error |
//! | MESH0015 | InvalidStatus | error |
//! | MESH0016 | CannotRender | error |

use std::collections::{BTreeMap, BTreeSet};

use istio_types::common::WorkloadSelector;
use istio_types::networking::v1::{
    ClientTlsMode, ClientTlsSettings, Destination, DestinationRule, DestinationRuleSpec,
    Gateway as IstioGateway, GatewaySpec, HeaderOperations, Headers, HttpBody, HttpDirectResponse,
    HttpFaultInjection, HttpMirrorPolicy, HttpRewrite, HttpRoute, HttpRouteDestination,
    IstioEgressListener, Location, OutboundTrafficPolicy, OutboundTrafficPolicyMode, Percent,
    PortSelector, PortTrafficPolicy, Resolution, Server, ServerPort, ServerTlsMode,
    ServerTlsSettings, ServiceEntry, ServiceEntrySpec, ServicePort, Sidecar, SidecarSpec, Subset,
    TrafficPolicy, VirtualService, VirtualServiceSpec,
};
use istio_types::security::v1::{
    AuthorizationPolicy, AuthorizationPolicyAction, AuthorizationPolicySpec, JwtRule, MutualTls,
    MutualTlsMode, Operation, PeerAuthentication, PeerAuthenticationSpec, RequestAuthentication,
    RequestAuthenticationSpec, Rule, RuleFrom, RuleTo, Source,
};
use istio_types::telemetry::v1::{
    AccessLogging, AccessLoggingFilter, ProviderRef, Telemetry as IstioTelemetry, TelemetrySpec,
    Tracing,
};
use istio_types::{IstioResource, ObjectMeta};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, HTTPGetAction, Namespace as K8sNamespace, PodSpec,
    PodTemplateSpec, Probe as K8sProbe, ResourceRequirements, Service as K8sService,
    ServiceAccount, ServicePort as K8sServicePort, ServiceSpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::gateway::{Listener, SidecarScope};
use crate::mesh::{Mesh, PolicyTarget};
use crate::resources::{Resource, Resources};
use crate::route::{Action, Canary, GatewayScope, HeaderEdits, Route, Routes, RoutesScope, Target};
use crate::security::{AuthzAction, MtlsMode, PolicyScope};
use crate::service::{Identity, Probe, Protocol, Service, ServiceRef, Version};
use crate::telemetry::{TelemetryProviders, TelemetryScope};

mod extras;

/// From how many objects validation, analysis (and rendering, for
/// [`Mesh::compile_to_yaml`]) run on threads of their own (below, starting a thread costs
/// more than it saves).
const PARALLEL_CHECKS_FROM: usize = 256;

/// What [`Mesh::compile`] produces.
#[derive(Clone, Debug, PartialEq)]
pub struct Compiled {
    /// The objects, in a stable order; adjust them before rendering if you must.
    pub resources: Resources,
    /// The telemetry providers, for Istio's installation (IstioOperator / Helm values).
    pub install: TelemetryProviders,
    /// Problems that did not stop compilation (warnings, infos).
    pub warnings: Diagnostics,
    /// The canary stage compiled (0-based).
    pub stage: usize,
}

/// Why a mesh did not compile: every problem found, each with where it is.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("the mesh has {} problem(s):\n{diagnostics}", diagnostics.len())]
pub struct CompileError {
    /// Every problem (errors, and the warnings found with them).
    pub diagnostics: Diagnostics,
}

/// Settings of [`Mesh::compile_with`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CompileOptions {
    /// The canary stage to compile (0-based; default 0).
    pub stage: usize,
    /// The least severe problem that fails compilation (default: errors only; set
    /// `Severity::Warning` to make warnings fatal).
    pub fail_on: Severity,
    /// Analyzer codes not to report (like `istioctl analyze --suppress`); default none.
    pub suppress: Vec<String>,
    /// Runs the cross-resource analyzers (`istioctl analyze`) with these options
    /// (default: on, with Istio's default mesh settings; `None` skips them).
    /// Per-resource validation always runs.
    pub analyze: Option<crate::analyze::AnalyzeOptions>,
}

impl Default for CompileOptions {
    fn default() -> Self {
        Self {
            stage: 0,
            fail_on: Severity::Error,
            suppress: Vec::new(),
            analyze: Some(crate::analyze::AnalyzeOptions::default()),
        }
    }
}

impl CompileOptions {
    /// Options for `stage`.
    #[must_use]
    pub fn stage(mut self, stage: usize) -> Self {
        self.stage = stage;
        self
    }

    /// Leaves out analyzer findings with this code (e.g. `IST0101` for a TLS Secret that
    /// is provisioned outside the mesh).
    #[must_use]
    pub fn suppress(mut self, code: impl Into<String>) -> Self {
        self.suppress.push(code.into());
        self
    }

    /// Runs the cross-resource analyzers with these options (the default runs them with
    /// Istio's default mesh settings).
    #[must_use]
    pub fn with_analysis(mut self, options: crate::analyze::AnalyzeOptions) -> Self {
        self.analyze = Some(options);
        self
    }

    /// Skips the cross-resource analyzers (per-resource validation still runs): for a
    /// mesh that is only part of what the cluster runs, where references to the rest
    /// would not resolve.
    #[must_use]
    pub fn without_analysis(mut self) -> Self {
        self.analyze = None;
        self
    }

    /// Fails on warnings too.
    #[must_use]
    pub fn warnings_are_errors(mut self) -> Self {
        self.fail_on = Severity::Warning;
        self
    }
}

impl Mesh {
    /// Compiles the first canary stage (or the mesh, without canaries).
    ///
    /// # Errors
    /// [`CompileError`] with every problem found when any is an error.
    pub fn compile(&self) -> Result<Compiled, CompileError> {
        self.compile_with(&CompileOptions::default())
    }

    /// Compiles canary stage `stage` (0-based; see [`Mesh::stage_count`]).
    ///
    /// # Errors
    /// [`CompileError`] with every problem found when any is an error, or when `stage`
    /// is past the last stage.
    pub fn compile_stage(&self, stage: usize) -> Result<Compiled, CompileError> {
        self.compile_with(&CompileOptions::default().stage(stage))
    }

    /// Compiles with explicit options.
    ///
    /// # Errors
    /// [`CompileError`] with every problem found when any is at least as severe as
    /// `options.fail_on`.
    pub fn compile_with(&self, options: &CompileOptions) -> Result<Compiled, CompileError> {
        self.compile_inner(options, false)
            .map(|(compiled, _)| compiled)
    }

    /// Compiles and renders the YAML stream of [`crate::render::to_yaml`] in one go. On a
    /// large mesh the stream is written on another core while validation and analysis
    /// run, which saves most of the checks' time; it is returned only when compilation
    /// succeeds, so nothing unchecked gets out.
    ///
    /// # Errors
    /// As [`Mesh::compile_with`]; a value that cannot be written as YAML is reported as
    /// MESH0016.
    ///
    /// ```
    /// use mesh_dsl::{CompileOptions, Mesh, Namespace};
    /// let mut mesh = Mesh::new();
    /// mesh.namespace(Namespace::new("shop"));
    /// let (compiled, yaml) = mesh.compile_to_yaml(&CompileOptions::default()).unwrap();
    /// assert_eq!(yaml, mesh_dsl::render::to_yaml(&compiled.resources).unwrap());
    /// ```
    pub fn compile_to_yaml(
        &self,
        options: &CompileOptions,
    ) -> Result<(Compiled, String), CompileError> {
        let (compiled, yaml) = self.compile_inner(options, true)?;
        let yaml = yaml.unwrap_or_default();
        Ok((compiled, yaml))
    }

    /// Compiles, and with `render` also writes the YAML stream (returned only on success).
    fn compile_inner(
        &self,
        options: &CompileOptions,
        render: bool,
    ) -> Result<(Compiled, Option<String>), CompileError> {
        let mut cx = Cx::new(self);
        if options.stage >= self.stage_count() {
            cx.diags.push(
                Diagnostic::error(
                    "MESH0009",
                    "StageOutOfRange",
                    format!(
                        "stage {} does not exist: the mesh has {} stage(s), numbered from 0",
                        options.stage,
                        self.stage_count()
                    ),
                )
                .hint(format!("pick a stage from 0 to {}", self.stage_count() - 1)),
            );
        }
        cx.stage = options.stage;
        if let Some(a) = &options.analyze {
            cx.istio_namespace.clone_from(&a.istio_namespace);
        }
        let resources = cx.build();
        let mut diags = cx.diags;
        // The objects themselves: what Istio's admission would refuse, and what
        // `istioctl analyze` would find across them. Both only read the objects (as does
        // rendering), so on a large mesh they run side by side.
        let analysis = options.analyze.as_ref().map(|a| {
            let mut a = a.clone();
            a.assumed.extend(cx.assumed);
            a
        });
        let analyze = |a: &crate::analyze::AnalyzeOptions| crate::analyze::analyze(&resources, a);
        let (validated, analyzed, rendered) = if resources.len() >= PARALLEL_CHECKS_FROM {
            std::thread::scope(|s| {
                // Where no thread can be started, the work runs here afterwards.
                let thread = || std::thread::Builder::new();
                let analyzing = analysis
                    .as_ref()
                    .and_then(|a| thread().spawn_scoped(s, move || analyze(a)).ok());
                let rendering = if render {
                    thread()
                        .spawn_scoped(s, || crate::render::to_yaml(&resources))
                        .ok()
                } else {
                    None
                };
                let validated = crate::validate::validate(&resources);
                let analyzed = match analyzing {
                    Some(handle) => Some(join(handle)),
                    None => analysis.as_ref().map(analyze),
                };
                let rendered = rendering.map(join);
                (validated, analyzed, rendered)
            })
        } else {
            let validated = crate::validate::validate(&resources);
            (validated, analysis.as_ref().map(analyze), None)
        };
        diags.extend(validated);
        diags.extend(
            analyzed
                .into_iter()
                .flatten()
                .filter(|d| !options.suppress.iter().any(|c| *c == d.code))
                // A gateway's TLS Secret is provisioned outside the mesh description
                // (cert-manager, a platform team) and lives with the gateway workload, so
                // its absence here says nothing; `mesh validate` on files still reports it.
                .filter(|d| {
                    !(d.code == "IST0101"
                        && d.path
                            .as_deref()
                            .is_some_and(|p| p.ends_with("credentialName")))
                }),
        );
        diags.sort();
        if diags.has_at_least(options.fail_on) {
            return Err(CompileError { diagnostics: diags });
        }
        // Small meshes render only now, once they are known to be good.
        let rendered = match rendered {
            Some(r) => Some(r),
            None if render => Some(crate::render::to_yaml(&resources)),
            None => None,
        };
        let yaml = match rendered.transpose() {
            Ok(yaml) => yaml,
            Err(e) => {
                diags.push(Diagnostic::error(
                    "MESH0016",
                    "CannotRender",
                    format!("the compiled objects cannot be written as YAML: {e}"),
                ));
                return Err(CompileError { diagnostics: diags });
            }
        };
        Ok((
            Compiled {
                resources,
                install: self.providers.clone(),
                warnings: diags,
                stage: options.stage,
            },
            yaml,
        ))
    }
}

/// The result of a scoped thread, passing its panic on (the checks do not panic; if one
/// did, hiding it would be worse).
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

struct Cx<'m> {
    mesh: &'m Mesh,
    diags: Diagnostics,
    stage: usize,
    services: BTreeMap<(String, String), &'m Service>,
    canaries: BTreeMap<ServiceRef, &'m Canary>,
    /// Traffic policies by (namespace, service), so each service finds its own without
    /// scanning all of them.
    policies: BTreeMap<(String, String), Vec<&'m (PolicyTarget, crate::policy::Policy)>>,
    namespaces: BTreeSet<String>,
    /// Objects the mesh relies on but does not emit (the workloads of services deployed
    /// elsewhere, gateway workloads): analysis assumes them.
    assumed: Vec<Resource>,
    /// Where Istio's default ingress gateway runs (for the assumed gateway workloads).
    istio_namespace: String,
}

fn meta(namespace: Option<&str>, name: &str, labels: &BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(String::from),
        labels: (!labels.is_empty()).then(|| labels.clone()),
        ..Default::default()
    }
}

fn app_selector(service: &ServiceRef) -> WorkloadSelector {
    WorkloadSelector {
        match_labels: BTreeMap::from([("app".to_string(), service.name.clone())]),
    }
}

fn describe(scope: &RoutesScope) -> String {
    match scope {
        RoutesScope::Service(s) => format!("routes of service {}/{}", s.namespace, s.name),
        RoutesScope::Ingress(g, _) => {
            format!("ingress routes of gateway {}/{}", g.namespace, g.name)
        }
        RoutesScope::External(e) => {
            format!(
                "routes of external host {} (egress {}/{})",
                e.host, e.namespace, e.name
            )
        }
    }
}

impl<'m> Cx<'m> {
    fn new(mesh: &'m Mesh) -> Self {
        Self {
            mesh,
            diags: Diagnostics::new(),
            stage: 0,
            services: BTreeMap::new(),
            canaries: BTreeMap::new(),
            policies: {
                let mut by: BTreeMap<(String, String), Vec<_>> = BTreeMap::new();
                for p in &mesh.policies {
                    let s = p.0.service();
                    by.entry((s.namespace.clone(), s.name.clone()))
                        .or_default()
                        .push(p);
                }
                by
            },
            namespaces: BTreeSet::new(),
            assumed: Vec::new(),
            istio_namespace: "istio-system".into(),
        }
    }

    fn labels(&self, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut l = self.mesh.labels.clone();
        for (k, v) in extra {
            l.insert((*k).to_string(), (*v).to_string());
        }
        l
    }

    fn err(&mut self, code: &'static str, name: &'static str, msg: String) -> &mut Diagnostic {
        self.diags.push_mut(Diagnostic::error(code, name, msg))
    }

    fn warn(&mut self, code: &'static str, name: &'static str, msg: String) -> &mut Diagnostic {
        self.diags.push_mut(Diagnostic::warning(code, name, msg))
    }

    fn build(&mut self) -> Resources {
        let mesh = self.mesh;
        let mut out: Vec<Resource> = Vec::new();
        for ns in &mesh.namespaces {
            self.namespaces.insert(ns.name.clone());
            let mut labels = self.labels(&[]);
            labels.extend(ns.labels.clone());
            if ns.injection {
                labels.insert("istio-injection".into(), "enabled".into());
            }
            out.push(
                K8sNamespace {
                    metadata: meta(None, &ns.name, &labels),
                    ..Default::default()
                }
                .into(),
            );
        }
        for s in &mesh.services {
            self.services
                .insert((s.namespace.clone(), s.name.clone()), s);
        }
        let mut canaries: Vec<&Canary> = mesh.canaries.iter().collect();
        canaries.sort_by(|a, b| {
            (&a.stable, &a.canary, &a.stages).cmp(&(&b.stable, &b.canary, &b.stages))
        });
        for c in canaries {
            self.check_canary(c);
            if let Some(prev) = self.canaries.insert(c.stable.service.clone(), c)
                && prev != c
            {
                self.err(
                    "MESH0008",
                    "InvalidCanaryPlan",
                    format!(
                        "service {}/{} has two canary plans; a service can have one at a time",
                        c.stable.service.namespace, c.stable.service.name
                    ),
                );
            }
        }
        let mut services: Vec<&Service> = mesh.services.iter().collect();
        services.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        for s in services {
            if s.workloads == crate::service::Workloads::Elsewhere {
                self.service_deployed_elsewhere(s, &mut out);
            } else {
                self.service(s, &mut out);
            }
        }
        self.routes(&mut out);
        for g in &mesh.gateways {
            self.check_gateway_port_names(g);
            self.assume_gateway_workload(g);
            out.push(self.gateway(g));
        }
        for e in &mesh.egress {
            self.check_egress_ports(e);
            self.egress(e, &mut out);
        }
        self.egress_policies(&mut out);
        for s in &mesh.sidecars {
            out.push(self.sidecar(s));
        }
        for m in &mesh.mtls {
            out.push(self.mtls(m));
        }
        for a in &mesh.authz {
            out.push(self.authz(a));
        }
        for j in &mesh.jwts {
            out.push(self.jwt(j));
        }
        for t in &mesh.telemetry {
            out.push(self.telemetry(t));
        }
        out.extend(mesh.raw.iter().cloned());
        let resources = Resources::from_vec(out);
        self.check_duplicates(&resources);
        resources
    }

    fn check_namespace(&mut self, ns: &str, what: impl FnOnce() -> String) {
        if !self.namespaces.contains(ns) && ns != crate::telemetry::ROOT_NAMESPACE {
            let w = what();
            self.warn(
                "MESH0006",
                "UndeclaredNamespace",
                format!("{w} is in namespace {ns:?}, which the mesh does not declare"),
            )
            .hint = Some(format!(
                "declare it with mesh.namespace(Namespace::new({ns:?})), or make sure it exists in the cluster"
            ));
        }
    }

    /// Objects with the same kind, namespace and name; `out` is in [`Resources`]' order,
    /// where they are neighbours.
    fn check_duplicates(&mut self, out: &Resources) {
        fn key(r: &Resource) -> (&str, Option<&str>, &str) {
            (r.kind(), r.namespace(), r.name())
        }
        let all: Vec<&Resource> = out.iter().collect();
        for group in all.chunk_by(|a, b| key(a) == key(b)) {
            if group.len() > 1 {
                let rref = group[0].reference();
                self.diags.push(
                    Diagnostic::error(
                        "MESH0001",
                        "DuplicateResource",
                        format!(
                            "the mesh declares {} objects that compile to {rref}",
                            group.len()
                        ),
                    )
                    .on(rref)
                    .hint("give each declaration its own name, or declare it once"),
                );
            }
        }
    }

    fn check_canary(&mut self, c: &Canary) {
        let svc = &c.stable.service;
        if c.canary.service != *svc {
            self.err(
                "MESH0008",
                "InvalidCanaryPlan",
                format!(
                    "canary from {}/{} {} to {}/{} {}: both versions must belong to the same service",
                    svc.namespace, svc.name, c.stable.name, c.canary.service.namespace, c.canary.service.name, c.canary.name
                ),
            );
        }
        if c.stable.name == c.canary.name {
            self.err(
                "MESH0008",
                "InvalidCanaryPlan",
                format!(
                    "canary of {}/{} goes from {} to itself",
                    svc.namespace, svc.name, c.stable.name
                ),
            );
        }
        if c.stages.is_empty() {
            self.err(
                "MESH0008",
                "InvalidCanaryPlan",
                format!("canary of {}/{} has no stages", svc.namespace, svc.name),
            )
            .hint = Some("give its shares in percent, e.g. .stages([10, 25, 50, 100])".into());
        }
        for (i, p) in c.stages.iter().enumerate() {
            if !(0..=100).contains(p) {
                self.err(
                    "MESH0008",
                    "InvalidCanaryPlan",
                    format!(
                        "canary of {}/{}: stage {i} sends {p}% to {}; a share is 0 to 100",
                        svc.namespace, svc.name, c.canary.name
                    ),
                );
            }
        }
        if c.stages.windows(2).any(|w| w[1] < w[0]) {
            self.warn(
                "MESH0008",
                "InvalidCanaryPlan",
                format!(
                    "canary of {}/{}: the share of {} goes down between stages ({:?})",
                    svc.namespace, svc.name, c.canary.name, c.stages
                ),
            );
        }
        self.check_subset(&c.stable, || {
            format!("canary of {}/{}", svc.namespace, svc.name)
        });
        self.check_subset(&c.canary, || {
            format!("canary of {}/{}", svc.namespace, svc.name)
        });
    }

    /// Whether `s` is declared in this mesh; reports it otherwise.
    fn check_service(
        &mut self,
        s: &ServiceRef,
        what: impl FnOnce() -> String,
    ) -> Option<&'m Service> {
        let found = self
            .services
            .get(&(s.namespace.clone(), s.name.clone()))
            .copied();
        if found.is_none() {
            let w = what();
            self.err(
                "MESH0012",
                "UndeclaredService",
                format!("{w} refers to service {}/{}, which this mesh does not declare", s.namespace, s.name),
            )
            .hint = Some("use the handle mesh.service(..) returned by this mesh (or merge the mesh that declares it)".into());
        }
        found
    }

    fn check_subset(&mut self, s: &crate::service::SubsetRef, what: impl FnOnce() -> String) {
        let w = what();
        let Some(svc) = self.check_service(&s.service, || w.clone()) else {
            return;
        };
        if !svc.versions.iter().any(|v| v.name == s.name) {
            let have: Vec<&str> = svc.versions.iter().map(|v| v.name.as_str()).collect();
            self.err(
                "MESH0002",
                "UnknownSubset",
                format!(
                    "{w} refers to version {:?} of {}/{}, which has {}",
                    s.name,
                    s.service.namespace,
                    s.service.name,
                    if have.is_empty() {
                        "no versions".to_string()
                    } else {
                        format!("versions {}", have.join(", "))
                    }
                ),
            )
            .hint = Some(format!(
                "add .version(Version::new({:?}, ..)) to the service, or route to an existing version",
                s.name
            ));
        }
    }

    fn check_percent(&mut self, p: f64, what: impl FnOnce() -> String) {
        if !(0.0..=100.0).contains(&p) || p.is_nan() {
            let w = what();
            self.err(
                "MESH0010",
                "PercentOutOfRange",
                format!("{w}: {p}% is not a percentage from 0 to 100"),
            );
        }
    }

    fn service(&mut self, s: &Service, out: &mut Vec<Resource>) {
        let sref = ServiceRef {
            namespace: s.namespace.clone(),
            name: s.name.clone(),
            account: s.account(),
        };
        let what = format!("service {}/{}", s.namespace, s.name);
        self.check_namespace(&s.namespace, || what.clone());
        let app = self.labels(&[("app", &s.name)]);
        if s.identity == Identity::OwnServiceAccount {
            out.push(
                ServiceAccount {
                    metadata: meta(Some(&s.namespace), &s.name, &app),
                    ..Default::default()
                }
                .into(),
            );
        }
        let mut port_names = BTreeSet::new();
        self.check_port_numbers(&what, &s.ports);
        for p in &s.ports {
            let proto = p.protocol.prefix();
            if p.name != proto && !p.name.starts_with(&format!("{proto}-")) {
                self.err(
                    "MESH0007",
                    "PortNameConvention",
                    format!(
                        "{what}: port name {:?} does not start with its protocol {proto:?}",
                        p.name
                    ),
                );
            }
            if !port_names.insert(p.name.clone()) {
                self.err(
                    "MESH0007",
                    "PortNameConvention",
                    format!("{what}: two ports are named {:?}", p.name),
                )
                .hint = Some("name the others with Port::suffix, e.g. http-admin".into());
            }
        }
        if !s.ports.is_empty() {
            out.push(
                K8sService {
                    metadata: meta(Some(&s.namespace), &s.name, &app),
                    spec: Some(ServiceSpec {
                        selector: Some(BTreeMap::from([("app".into(), s.name.clone())])),
                        ports: Some(
                            s.ports
                                .iter()
                                .map(|p| K8sServicePort {
                                    name: Some(p.name.clone()),
                                    port: i32::try_from(p.number).unwrap_or(0),
                                    target_port: Some(IntOrString::Int(
                                        i32::try_from(p.target_port()).unwrap_or(0),
                                    )),
                                    ..Default::default()
                                })
                                .collect(),
                        ),
                        ..Default::default()
                    }),
                    ..Default::default()
                }
                .into(),
            );
        }
        if s.versions.is_empty() && s.workloads != crate::service::Workloads::Elsewhere {
            self.warn(
                "MESH0011",
                "ServiceWithoutVersions",
                format!("{what} has no versions, so no Deployment runs it"),
            )
            .hint = Some("add .version(Version::new(\"v1\", \"image:tag\"))".into());
        }
        let mut version_names = BTreeSet::new();
        for v in &s.versions {
            if !version_names.insert(v.name.clone()) {
                self.err(
                    "MESH0001",
                    "DuplicateResource",
                    format!("{what} declares version {:?} twice", v.name),
                );
            }
            out.push(self.deployment(s, v).into());
        }
        // The DestinationRule: subsets for the versions, and the policies.
        let mut policy: Option<TrafficPolicy> = None;
        let mut subset_policies: BTreeMap<String, TrafficPolicy> = BTreeMap::new();
        let mut policies: Vec<&(PolicyTarget, crate::policy::Policy)> = self
            .policies
            .get(&(sref.namespace.clone(), sref.name.clone()))
            .cloned()
            .unwrap_or_default();
        policies.sort_by(|a, b| a.0.cmp(&b.0));
        for (target, p) in policies {
            match target {
                PolicyTarget::Service(_) => {
                    if policy.replace(p.inner.clone()).is_some() {
                        self.err(
                            "MESH0001",
                            "DuplicateResource",
                            format!("{what} has two traffic policies; merge them into one"),
                        );
                    }
                }
                PolicyTarget::Subset(sub) => {
                    self.check_subset(sub, || format!("traffic policy of {what}"));
                    if subset_policies
                        .insert(sub.name.clone(), p.inner.clone())
                        .is_some()
                    {
                        self.err(
                            "MESH0001",
                            "DuplicateResource",
                            format!("version {} of {what} has two traffic policies; merge them into one", sub.name),
                        );
                    }
                }
            }
        }
        if !s.versions.is_empty() || policy.is_some() {
            let subsets = s
                .versions
                .iter()
                .map(|v| Subset {
                    name: v.name.clone(),
                    labels: BTreeMap::from([("version".into(), v.name.clone())]),
                    traffic_policy: subset_policies.get(&v.name).cloned(),
                })
                .collect();
            out.push(
                IstioResource::from(DestinationRule {
                    metadata: meta(Some(&s.namespace), &s.name, &self.labels(&[])),
                    spec: DestinationRuleSpec {
                        host: s.name.clone(),
                        traffic_policy: policy,
                        subsets,
                        export_to: s.export_to.clone(),
                        ..Default::default()
                    },
                    status: None,
                })
                .into(),
            );
        }
    }

    fn deployment(&self, s: &Service, v: &Version) -> Deployment {
        let labels = self.labels(&[("app", &s.name), ("version", &v.name)]);
        let mut pod_labels = labels.clone();
        pod_labels.extend(v.labels.clone());
        let first_port = s.ports.first().map(|p| p.target_port()).unwrap_or(8080);
        let probe = |p: &Probe| K8sProbe {
            http_get: Some(HTTPGetAction {
                path: Some(p.path.clone()),
                port: IntOrString::Int(i32::try_from(p.port.unwrap_or(first_port)).unwrap_or(0)),
                ..Default::default()
            }),
            initial_delay_seconds: p.initial_delay_seconds,
            period_seconds: p.period_seconds,
            ..Default::default()
        };
        let quantities = |pair: &Option<(String, String)>| {
            pair.as_ref().map(|(cpu, mem)| {
                BTreeMap::from([
                    ("cpu".to_string(), Quantity(cpu.clone())),
                    ("memory".to_string(), Quantity(mem.clone())),
                ])
            })
        };
        let resources =
            (v.requests.is_some() || v.limits.is_some()).then(|| ResourceRequirements {
                requests: quantities(&v.requests),
                limits: quantities(&v.limits),
                ..Default::default()
            });
        let mut ports: Vec<i32> = s
            .ports
            .iter()
            .map(|p| i32::try_from(p.target_port()).unwrap_or(0))
            .collect();
        ports.sort_unstable();
        ports.dedup();
        Deployment {
            metadata: meta(
                Some(&s.namespace),
                &format!("{}-{}", s.name, v.name),
                &labels,
            ),
            spec: Some(DeploymentSpec {
                replicas: Some(v.replicas),
                selector: LabelSelector {
                    match_labels: Some(BTreeMap::from([
                        ("app".into(), s.name.clone()),
                        ("version".into(), v.name.clone()),
                    ])),
                    ..Default::default()
                },
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(pod_labels),
                        ..Default::default()
                    }),
                    spec: Some(PodSpec {
                        service_account_name: (s.identity == Identity::OwnServiceAccount)
                            .then(|| s.name.clone()),
                        containers: vec![Container {
                            name: s.container.clone().unwrap_or_else(|| s.name.clone()),
                            image: Some(v.image.clone()),
                            ports: (!ports.is_empty()).then(|| {
                                ports
                                    .iter()
                                    .map(|p| ContainerPort {
                                        container_port: *p,
                                        ..Default::default()
                                    })
                                    .collect()
                            }),
                            env: (!v.env.is_empty()).then(|| {
                                v.env
                                    .iter()
                                    .map(|(k, val)| EnvVar {
                                        name: k.clone(),
                                        value: Some(val.clone()),
                                        ..Default::default()
                                    })
                                    .collect()
                            }),
                            resources,
                            readiness_probe: v.readiness.as_ref().map(probe),
                            liveness_probe: v.liveness.as_ref().map(probe),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                },
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn routes(&mut self, out: &mut Vec<Resource>) {
        let mesh = self.mesh;
        let mut all: Vec<&Routes> = mesh.routes.iter().collect();
        all.sort_by(|a, b| {
            (&a.namespace, &a.name, &a.scope).cmp(&(&b.namespace, &b.name, &b.scope))
        });
        // Services with a canary but no routes of their own get a route to themselves,
        // which the canary splits.
        let mut implicit = Vec::new();
        for svc in self.canaries.keys() {
            let has_own = all
                .iter()
                .any(|r| matches!(&r.scope, RoutesScope::Service(s) if s == svc));
            if !has_own {
                implicit.push(Routes::new(svc).route(Route::new().to(svc)));
            }
        }
        // Hosts claimed by more than one set of routes for the same traffic.
        let mut claimed: BTreeMap<(String, String), String> = BTreeMap::new();
        for r in all.iter().copied().chain(implicit.iter()) {
            let keys: Vec<(String, String)> = match &r.scope {
                RoutesScope::Service(s) => vec![("mesh".into(), s.host())],
                RoutesScope::Ingress(g, hosts) => {
                    hosts.iter().map(|h| (g.qualified(), h.clone())).collect()
                }
                RoutesScope::External(e) => vec![("mesh".into(), e.host.clone())],
            };
            for k in keys {
                if let Some(prev) = claimed.insert(k.clone(), describe(&r.scope)) {
                    self.err(
                        "MESH0005",
                        "DuplicateHost",
                        format!(
                            "host {:?} on {} is routed by two sets of routes ({prev} and {})",
                            k.1,
                            k.0,
                            describe(&r.scope)
                        ),
                    )
                    .hint = Some("put all routes for one host in one Routes".into());
                }
            }
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
                if !self
                    .mesh
                    .gateways
                    .iter()
                    .any(|x| x.namespace == g.namespace && x.name == g.name)
                {
                    // A gateway managed elsewhere is fine, but say so.
                    self.warn(
                        "MESH0012",
                        "UndeclaredService",
                        format!("{what}: gateway {}/{} is not declared in this mesh; it must exist in the cluster", g.namespace, g.name),
                    );
                }
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
                (self.host_for(s, from_ns), None, *port)
            }
            Target::Subset(s, port) => {
                self.check_subset(s, || what.to_string());
                (
                    self.host_for(&s.service, from_ns),
                    Some(s.name.clone()),
                    *port,
                )
            }
            Target::External(e, port) => (e.host.clone(), None, *port),
        };
        if let Some(p) = port
            && !(1..=65535).contains(&p)
        {
            self.err(
                "MESH0004",
                "PortOutOfRange",
                format!("{what}: destination port {p} is not between 1 and 65535"),
            );
        }
        Destination {
            host,
            subset,
            port: port.map(|n| PortSelector { number: Some(n) }),
        }
    }

    fn host_for(&self, s: &ServiceRef, from_ns: &str) -> String {
        if s.namespace == from_ns {
            s.name.clone()
        } else {
            s.host()
        }
    }

    fn http_route(&mut self, route: &Route, ns: &str, what: &str) -> HttpRoute {
        let mut h = HttpRoute {
            name: route.name.clone(),
            ..Default::default()
        };
        for m in &route.matches {
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
            h.r#match.push(inner);
        }
        match &route.action {
            None => {
                self.err(
                    "MESH0014",
                    "RouteWithoutAction",
                    format!("{what} has no action"),
                )
                .hint = Some(
                    "end the route with .to(..), .split(..), .redirect(..) or .respond(..)".into(),
                );
            }
            Some(Action::Forward(parts)) => {
                let parts = self.expand_canary(parts);
                let weighted = parts.iter().any(|(_, w)| w.is_some());
                if weighted {
                    let sum: i64 = parts.iter().map(|(_, w)| i64::from(w.unwrap_or(0))).sum();
                    if sum != 100 {
                        self.err(
                            "MESH0003",
                            "WeightsDoNotSumTo100",
                            format!(
                                "{what}: the weights add up to {sum} ({})",
                                parts
                                    .iter()
                                    .map(|(_, w)| w.unwrap_or(0).to_string())
                                    .collect::<Vec<_>>()
                                    .join(" + ")
                            ),
                        )
                        .hint = Some("make the weights of a split add up to 100".into());
                    }
                    for (_, w) in &parts {
                        if w.is_some_and(|w| w < 0) {
                            self.err(
                                "MESH0003",
                                "WeightsDoNotSumTo100",
                                format!("{what}: a weight is negative"),
                            );
                        }
                    }
                }
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
                if let Some(code) = r.redirect_code
                    && ![301, 302, 303, 307, 308].contains(&code)
                {
                    self.err(
                        "MESH0015",
                        "InvalidStatus",
                        format!(
                            "{what}: {code} is not a redirect status (301, 302, 303, 307 or 308)"
                        ),
                    );
                }
                h.redirect = Some(r.clone());
            }
            Some(Action::DirectResponse(status, body)) => {
                if !(200..=599).contains(status) {
                    self.err(
                        "MESH0015",
                        "InvalidStatus",
                        format!("{what}: {status} is not an HTTP status"),
                    );
                }
                h.direct_response = Some(HttpDirectResponse {
                    status: *status,
                    body: body.as_ref().map(|b| HttpBody::String(b.clone())),
                });
            }
        }
        h.timeout = route.timeout.clone();
        h.retries = route.retries.clone();
        if route.fault.delay.is_some() || route.fault.abort.is_some() {
            let mut f = HttpFaultInjection::default();
            if let Some((d, p)) = &route.fault.delay {
                self.check_percent(*p, || format!("{what}: delay"));
                f.delay = Some(istio_types::networking::v1::Delay {
                    http_delay_type: Some(istio_types::networking::v1::DelayKind::FixedDelay(
                        d.clone(),
                    )),
                    percentage: Some(Percent { value: Some(*p) }),
                    ..Default::default()
                });
            }
            if let Some((status, p)) = &route.fault.abort {
                self.check_percent(*p, || format!("{what}: abort"));
                if !(200..=599).contains(status) {
                    self.err(
                        "MESH0015",
                        "InvalidStatus",
                        format!("{what}: abort with {status}, which is not an HTTP status"),
                    );
                }
                f.abort = Some(istio_types::networking::v1::Abort {
                    error_type: Some(istio_types::networking::v1::AbortError::HttpStatus(*status)),
                    percentage: Some(Percent { value: Some(*p) }),
                });
            }
            h.fault = Some(f);
        }
        if let Some((t, p)) = &route.mirror {
            self.check_percent(*p, || format!("{what}: mirror"));
            let dest = self.destination(t, ns, what);
            h.mirrors = vec![HttpMirrorPolicy {
                destination: dest,
                percentage: Some(Percent { value: Some(*p) }),
            }];
        }
        let ops = |e: &HeaderEdits| {
            (!e.is_empty()).then(|| HeaderOperations {
                set: e.set.clone(),
                add: e.add.clone(),
                remove: e.remove.clone(),
            })
        };
        let (req, resp) = (ops(&route.request_headers), ops(&route.response_headers));
        if req.is_some() || resp.is_some() {
            h.headers = Some(Headers {
                request: req,
                response: resp,
            });
        }
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

    /// A route to a whole service that has a canary becomes the canary's split.
    fn expand_canary(&self, parts: &[(Target, Option<i32>)]) -> Vec<(Target, Option<i32>)> {
        if let [(Target::Service(s, port), None)] = parts
            && let Some(c) = self.canaries.get(s)
        {
            let share = c.share_at(self.stage);
            return vec![
                (Target::Subset(c.stable.clone(), *port), Some(100 - share)),
                (Target::Subset(c.canary.clone(), *port), Some(share)),
            ];
        }
        parts.to_vec()
    }

    fn gateway(&mut self, g: &crate::gateway::Gateway) -> Resource {
        self.check_namespace(&g.namespace, || format!("gateway {}", g.name));
        if g.listeners.is_empty() {
            self.err(
                "MESH0014",
                "RouteWithoutAction",
                format!("gateway {}/{} has no servers", g.namespace, g.name),
            )
            .hint = Some("add .http(hosts) or .https(hosts, credential)".into());
        }
        let servers = g
            .listeners
            .iter()
            .map(|l| {
                let (proto, port, hosts, tls) = match l {
                    Listener::Http {
                        port,
                        hosts,
                        redirect_to_https,
                    } => (
                        Protocol::Http,
                        *port,
                        hosts,
                        redirect_to_https.then(|| ServerTlsSettings {
                            https_redirect: Some(true),
                            ..Default::default()
                        }),
                    ),
                    Listener::Https {
                        port,
                        hosts,
                        credential_name,
                    } => (
                        Protocol::Https,
                        *port,
                        hosts,
                        Some(ServerTlsSettings {
                            mode: Some(ServerTlsMode::Simple),
                            credential_name: Some(credential_name.clone()),
                            ..Default::default()
                        }),
                    ),
                };
                if !(1..=65535).contains(&port) {
                    self.err(
                        "MESH0004",
                        "PortOutOfRange",
                        format!(
                            "gateway {}/{}: port {port} is not between 1 and 65535",
                            g.namespace, g.name
                        ),
                    );
                }
                let name = extras::server_port_name(g, proto, port);
                Server {
                    hosts: hosts.clone(),
                    port: ServerPort {
                        name,
                        number: port,
                        protocol: proto.istio_name().to_string(),
                        ..Default::default()
                    },
                    tls,
                    ..Default::default()
                }
            })
            .collect();
        IstioResource::from(IstioGateway {
            metadata: meta(Some(&g.namespace), &g.name, &self.labels(&[])),
            spec: GatewaySpec {
                selector: g.selector.clone(),
                servers,
            },
            status: None,
        })
        .into()
    }

    fn egress(&mut self, e: &crate::gateway::Egress, out: &mut Vec<Resource>) {
        self.check_namespace(&e.namespace, || format!("egress {}", e.name));
        let ports = e
            .ports
            .iter()
            .map(|p| ServicePort {
                name: p.name.clone(),
                number: p.number,
                protocol: Some(p.protocol.istio_name().to_string()),
                target_port: p.target,
            })
            .collect();
        out.push(
            IstioResource::from(ServiceEntry {
                metadata: meta(Some(&e.namespace), &e.name, &self.labels(&[])),
                spec: ServiceEntrySpec {
                    hosts: vec![e.host.clone()],
                    location: Some(Location::MeshExternal),
                    resolution: Some(Resolution::Dns),
                    ports,
                    export_to: e.export_to.clone(),
                    ..Default::default()
                },
                status: None,
            })
            .into(),
        );
        if e.tls_origination {
            out.push(
                IstioResource::from(DestinationRule {
                    metadata: meta(Some(&e.namespace), &e.name, &self.labels(&[])),
                    spec: DestinationRuleSpec {
                        host: e.host.clone(),
                        traffic_policy: Some(TrafficPolicy {
                            port_level_settings: vec![PortTrafficPolicy {
                                port: Some(PortSelector { number: Some(80) }),
                                tls: Some(ClientTlsSettings {
                                    mode: Some(ClientTlsMode::Simple),
                                    sni: Some(e.host.clone()),
                                    ..Default::default()
                                }),
                                ..Default::default()
                            }],
                            ..Default::default()
                        }),
                        export_to: e.export_to.clone(),
                        ..Default::default()
                    },
                    status: None,
                })
                .into(),
            );
        }
    }

    fn sidecar(&mut self, s: &SidecarScope) -> Resource {
        self.check_namespace(&s.namespace, || "sidecar scope".into());
        let mut hosts = s.hosts.clone();
        hosts.sort();
        hosts.dedup();
        // `ns/host` is already covered by `ns/*` (or `./*` for the scope's own namespace).
        let covered = |h: &String| {
            h.split_once('/').is_some_and(|(ns, host)| {
                host != "*"
                    && (hosts.contains(&format!("{ns}/*"))
                        || (ns == s.namespace && hosts.iter().any(|x| x == "./*")))
            })
        };
        let hosts: Vec<String> = hosts.iter().filter(|h| !covered(h)).cloned().collect();
        IstioResource::from(Sidecar {
            metadata: meta(Some(&s.namespace), "default", &self.labels(&[])),
            spec: SidecarSpec {
                egress: vec![IstioEgressListener {
                    hosts,
                    ..Default::default()
                }],
                outbound_traffic_policy: s.registry_only.then(|| OutboundTrafficPolicy {
                    mode: Some(OutboundTrafficPolicyMode::RegistryOnly),
                    ..Default::default()
                }),
                ..Default::default()
            },
            status: None,
        })
        .into()
    }

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

    fn mtls(&mut self, m: &crate::security::Mtls) -> Resource {
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

    fn authz(&mut self, a: &crate::security::Authorization) -> Resource {
        let (metadata, selector) = self.scope_meta(
            &a.scope,
            &a.name,
            &format!("authorization policy {}", a.name),
        );
        let rules = a
            .rules
            .iter()
            .map(|r| {
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
            })
            .collect();
        IstioResource::from(AuthorizationPolicy {
            metadata,
            spec: AuthorizationPolicySpec {
                action: Some(match a.action {
                    AuthzAction::Allow => AuthorizationPolicyAction::Allow,
                    AuthzAction::Deny => AuthorizationPolicyAction::Deny,
                }),
                rules,
                selector,
                ..Default::default()
            },
            status: None,
        })
        .into()
    }

    fn jwt(&mut self, j: &crate::security::Jwt) -> Resource {
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

    fn telemetry(&mut self, t: &crate::telemetry::Telemetry) -> Resource {
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
        for p in providers_used {
            if !self.mesh.providers.has(&p) {
                let known = self.mesh.providers.names().join(", ");
                self.warn(
                    "MESH0013",
                    "UnknownTelemetryProvider",
                    format!("telemetry in {ns} sends to provider {p:?}, which the mesh's telemetry providers do not declare"),
                )
                .hint = Some(if known.is_empty() {
                    "declare it with mesh.telemetry_providers(..), or make sure Istio's installation has it".into()
                } else {
                    format!("declared providers: {known}")
                });
            }
        }
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

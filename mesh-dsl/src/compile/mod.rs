//! `Mesh::compile`: turns the description into typed resources, checking it on the way.
//!
//! The work is cut by concern: `checks` holds the checks of the description itself
//! (each reports one of the `MESH00xx` codes of [`crate::codes`]), and the lowering
//! modules produce the objects: `workloads` (Namespaces, ServiceAccounts, Services,
//! Deployments), `traffic` (VirtualServices, DestinationRules, canary splits), `edge`
//! (Istio Gateways, egress ServiceEntries, Sidecar scopes), `security`
//! (PeerAuthentication, AuthorizationPolicy, RequestAuthentication) and `telemetry`.
//! This module ties them together and runs validation and analysis of the result (which
//! use the validation codes of [`crate::codes`] and Istio's own codes).

use std::collections::{BTreeMap, BTreeSet};

use istio_types::ObjectMeta;
use istio_types::common::WorkloadSelector;

use crate::codes;
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::mesh::{Mesh, PolicyTarget};
use crate::resources::{Resource, Resources};
use crate::route::{Canary, RoutesScope};
use crate::service::{Service, ServiceRef};
use crate::telemetry::TelemetryProviders;

mod checks;
mod edge;
mod security;
mod telemetry;
mod traffic;
mod workloads;

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
        let (resources, mut diags, assumed) = self.lower(options);
        // The objects themselves: what Istio's admission would refuse, and what
        // `istioctl analyze` would find across them.
        let analysis = options.analyze.as_ref().map(|a| {
            let mut a = a.clone();
            a.assumed.extend(assumed);
            a
        });
        let checked = check_objects(&resources, analysis.as_ref(), render);
        diags.extend(checked.validated);
        diags.extend(
            checked
                .analyzed
                .into_iter()
                .flatten()
                .filter(|d| keep_finding(options, d)),
        );
        diags.sort();
        if diags.has_at_least(options.fail_on) {
            return Err(CompileError { diagnostics: diags });
        }
        // Small meshes render only now, once they are known to be good.
        let rendered = match checked.rendered {
            Some(r) => Some(r),
            None if render => Some(crate::render::to_yaml(&resources)),
            None => None,
        };
        let yaml = match rendered.transpose() {
            Ok(yaml) => yaml,
            Err(e) => {
                diags.push(codes::CANNOT_RENDER.diagnostic(format!(
                    "the compiled objects cannot be written as YAML: {e}"
                )));
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

    /// The description's own checks and its lowering to objects: the objects, the
    /// problems found, and the objects the mesh relies on without emitting them.
    fn lower(&self, options: &CompileOptions) -> (Resources, Diagnostics, Vec<Resource>) {
        let mut cx = Cx::new(self);
        cx.check_stage(options.stage);
        cx.stage = options.stage;
        if let Some(a) = &options.analyze {
            cx.istio_namespace.clone_from(&a.istio_namespace);
        }
        let resources = cx.build();
        (resources, cx.diags, cx.assumed)
    }
}

/// What [`check_objects`] found (and wrote).
struct Checked {
    validated: Diagnostics,
    analyzed: Option<Diagnostics>,
    /// The YAML stream, when it was written alongside the checks.
    rendered: Option<Result<String, crate::render::RenderError>>,
}

/// Validates the objects, analyzes them with `analysis` (when given) and, with `render`
/// on a large mesh, writes them as YAML. All three only read the objects, so on a large
/// mesh they run side by side.
fn check_objects(
    resources: &Resources,
    analysis: Option<&crate::analyze::AnalyzeOptions>,
    render: bool,
) -> Checked {
    let analyze = |a: &crate::analyze::AnalyzeOptions| crate::analyze::analyze(resources, a);
    if resources.len() < PARALLEL_CHECKS_FROM {
        return Checked {
            validated: crate::validate::validate(resources),
            analyzed: analysis.map(analyze),
            rendered: None,
        };
    }
    std::thread::scope(|s| {
        // Where no thread can be started, the work runs here afterwards.
        let thread = || std::thread::Builder::new();
        let analyzing = analysis.and_then(|a| thread().spawn_scoped(s, move || analyze(a)).ok());
        let rendering = if render {
            thread()
                .spawn_scoped(s, || crate::render::to_yaml(resources))
                .ok()
        } else {
            None
        };
        let validated = crate::validate::validate(resources);
        let analyzed = match analyzing {
            Some(handle) => Some(join(handle)),
            None => analysis.map(analyze),
        };
        let rendered = rendering.map(join);
        Checked {
            validated,
            analyzed,
            rendered,
        }
    })
}

/// Whether an analyzer finding is reported: not suppressed, and not about a gateway's
/// TLS Secret.
fn keep_finding(options: &CompileOptions, d: &Diagnostic) -> bool {
    if options.suppress.iter().any(|c| *c == d.code) {
        return false;
    }
    // A gateway's TLS Secret is provisioned outside the mesh description (cert-manager, a
    // platform team) and lives with the gateway workload, so its absence here says
    // nothing; `mesh validate` on files still reports it.
    !(d.code == crate::analyze::messages::REFERENCED_RESOURCE_NOT_FOUND.code
        && d.path
            .as_deref()
            .is_some_and(|p| p.ends_with("credentialName")))
}

/// The result of a scoped thread, passing its panic on (the checks do not panic; if one
/// did, hiding it would be worse).
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The state of one compilation: the description, what was found so far, and the
/// indexes the lowering steps share.
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

/// How diagnostics name a set of routes.
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

    /// Records a problem found in the description (and returns it, to refine).
    fn report(&mut self, d: Diagnostic) -> &mut Diagnostic {
        self.diags.push_mut(d)
    }

    /// Every object of the mesh, in [`Resources`]' order, concern by concern.
    fn build(&mut self) -> Resources {
        let mesh = self.mesh;
        let mut out: Vec<Resource> = Vec::new();
        self.namespaces(&mut out);
        for s in &mesh.services {
            self.services
                .insert((s.namespace.clone(), s.name.clone()), s);
        }
        self.index_canaries();
        self.services(&mut out);
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
        self.security(&mut out);
        for t in &mesh.telemetry {
            out.push(self.telemetry(t));
        }
        out.extend(mesh.raw.iter().cloned());
        let resources = Resources::from_vec(out);
        self.check_duplicates(&resources);
        resources
    }
}

//! The checks of the description itself, each reporting one of the `MESH00xx` codes of
//! [`crate::codes`]. The lowering steps call them where they meet what is checked (a
//! reference, a port, a split), so a problem is reported once, in the words of the
//! place it was found; the checks themselves build no objects.
//!
//! This file has the references between declarations, and the checks of the whole
//! description; [`ports`] the ports and gateway servers, [`traffic`] routes, canaries and
//! traffic policies.

mod ports;
mod traffic;

use super::Cx;
use crate::codes;
use crate::diag::Severity;
use crate::gateway::{Egress, EgressRef, GatewayRef};
use crate::resources::{Resource, Resources};
use crate::service::{Service, ServiceRef, SubsetRef};

impl<'m> Cx<'m> {
    /// MESH0009 when `stage` is past the mesh's last canary stage.
    pub(super) fn check_stage(&mut self, stage: usize) {
        let count = self.mesh.stage_count();
        if stage >= count {
            self.report(
                codes::STAGE_OUT_OF_RANGE
                    .diagnostic(format!(
                        "stage {stage} does not exist: the mesh has {count} stage(s), numbered from 0"
                    ))
                    .hint(format!("pick a stage from 0 to {}", count - 1)),
            );
        }
    }

    /// MESH0006 when `ns` is not declared (what is in it is named by `what`).
    pub(super) fn check_namespace(&mut self, ns: &str, what: impl FnOnce() -> String) {
        if !self.namespaces.contains(ns) && ns != crate::telemetry::ROOT_NAMESPACE {
            let w = what();
            self.report(
                codes::UNDECLARED_NAMESPACE
                    .diagnostic(format!(
                        "{w} is in namespace {ns:?}, which the mesh does not declare"
                    ))
                    .hint(format!(
                        "declare it with mesh.namespace(Namespace::new({ns:?})), or make sure it exists in the cluster"
                    )),
            );
        }
    }

    /// MESH0001 for objects with the same kind, namespace and name; `out` is in
    /// [`Resources`]' order, where they are neighbours.
    pub(super) fn check_duplicates(&mut self, out: &Resources) {
        fn key(r: &Resource) -> (&str, Option<&str>, &str) {
            (r.kind(), r.namespace(), r.name())
        }
        let all: Vec<&Resource> = out.iter().collect();
        for group in all.chunk_by(|a, b| key(a) == key(b)) {
            if group.len() > 1 {
                let rref = group[0].reference();
                self.report(
                    codes::DUPLICATE_RESOURCE
                        .on(
                            rref.clone(),
                            format!(
                                "the mesh declares {} objects that compile to {rref}",
                                group.len()
                            ),
                        )
                        .hint("give each declaration its own name, or declare it once"),
                );
            }
        }
    }

    /// Whether `s` is declared in this mesh; reports it otherwise (MESH0012).
    pub(super) fn check_service(
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
            self.report(
                codes::UNDECLARED_SERVICE
                    .diagnostic(format!(
                        "{w} refers to service {}/{}, which this mesh does not declare",
                        s.namespace, s.name
                    ))
                    .hint("use the handle mesh.service(..) returned by this mesh (or merge the mesh that declares it)"),
            );
        }
        found
    }

    /// Whether the version `s` names exists (MESH0002), after its service (MESH0012).
    pub(super) fn check_subset(&mut self, s: &SubsetRef, what: impl FnOnce() -> String) {
        let w = what();
        let Some(svc) = self.check_service(&s.service, || w.clone()) else {
            return;
        };
        if !svc.versions.iter().any(|v| v.name == s.name) {
            let have: Vec<&str> = svc.versions.iter().map(|v| v.name.as_str()).collect();
            self.report(
                codes::UNKNOWN_SUBSET
                    .diagnostic(format!(
                        "{w} refers to version {:?} of {}/{}, which has {}",
                        s.name,
                        s.service.namespace,
                        s.service.name,
                        if have.is_empty() {
                            "no versions".to_string()
                        } else {
                            format!("versions {}", have.join(", "))
                        }
                    ))
                    .hint(format!(
                        "add .version(Version::new({:?}, ..)) to the service, or route to an existing version",
                        s.name
                    )),
            );
        }
    }

    /// The declaration `e` refers to; reports a handle this mesh does not declare
    /// (MESH0012).
    pub(super) fn check_egress(
        &mut self,
        e: &EgressRef,
        what: impl FnOnce() -> String,
    ) -> Option<&'m Egress> {
        let found = self
            .mesh
            .egress
            .iter()
            .find(|x| x.namespace == e.namespace && x.name == e.name);
        if found.is_none() {
            let w = what();
            self.report(
                codes::UNDECLARED_SERVICE
                    .diagnostic(format!(
                        "{w} refers to external host {:?} (egress {}/{}), which this mesh does not declare",
                        e.host, e.namespace, e.name
                    ))
                    .hint(
                        "use the handle mesh.egress(..) returned by this mesh (or merge the mesh that declares it)",
                    ),
            );
        }
        found
    }

    /// A warning (MESH0012, whose default is an error) when ingress routes bind to a
    /// gateway this mesh does not declare: a gateway managed elsewhere is fine, but say so.
    pub(super) fn check_gateway_declared(&mut self, g: &GatewayRef, what: &str) {
        if !self
            .mesh
            .gateways
            .iter()
            .any(|x| x.namespace == g.namespace && x.name == g.name)
        {
            self.report(codes::UNDECLARED_SERVICE.with_severity(
                Severity::Warning,
                format!(
                    "{what}: gateway {}/{} is not declared in this mesh; it must exist in the cluster",
                    g.namespace, g.name
                ),
            ));
        }
    }

    /// MESH0010 when `p` is not a percentage.
    pub(super) fn check_percent(&mut self, p: f64, what: impl FnOnce() -> String) {
        if !(0.0..=100.0).contains(&p) || p.is_nan() {
            let w = what();
            self.report(
                codes::PERCENT_OUT_OF_RANGE
                    .diagnostic(format!("{w}: {p}% is not a percentage from 0 to 100")),
            );
        }
    }

    /// MESH0013 for each provider telemetry in `ns` sends to that the mesh's telemetry
    /// providers do not declare.
    pub(super) fn check_telemetry_providers(&mut self, ns: &str, used: &[String]) {
        for p in used {
            if !self.mesh.providers.has(p) {
                let known = self.mesh.providers.names().join(", ");
                self.report(
                    codes::UNKNOWN_TELEMETRY_PROVIDER
                        .diagnostic(format!("telemetry in {ns} sends to provider {p:?}, which the mesh's telemetry providers do not declare"))
                        .hint(if known.is_empty() {
                            "declare it with mesh.telemetry_providers(..), or make sure Istio's installation has it".into()
                        } else {
                            format!("declared providers: {known}")
                        }),
                );
            }
        }
    }
}

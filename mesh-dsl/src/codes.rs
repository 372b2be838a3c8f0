//! Every diagnostic code mesh-dsl defines, in one typed registry.
//!
//! `MESH0001`–`MESH0099` are the checks of the description itself, done by
//! [`Mesh::compile`](crate::Mesh::compile); `MESH0100` and up are the per-resource
//! validation codes of [`crate::validate`]. The analyzers and schema checks report Istio's
//! own `IST` codes, listed in [`crate::analyze::MESSAGES`]; [`all`] lists both together.
//!
//! A call site names its code through a constant here, never as a bare string:
//!
//! ```
//! use mesh_dsl::codes;
//! let d = codes::UNKNOWN_SUBSET.diagnostic("routes of service shop/user refer to version \"v3\"");
//! assert_eq!((&*d.code, &*d.name), ("MESH0002", "UnknownSubset"));
//! assert!(codes::all().any(|c| c.code == "IST0101"));
//! ```

use std::sync::LazyLock;

use crate::analyze::MessageType;
use crate::diag::{Diagnostic, ResourceRef, Severity};

/// One kind of problem: its stable code, name, default severity and meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code {
    /// The stable code, e.g. `MESH0002`.
    pub code: &'static str,
    /// Its name, e.g. `UnknownSubset`.
    pub name: &'static str,
    /// How bad it is unless the call site says otherwise.
    pub severity: Severity,
    /// What it means, in one line.
    pub description: &'static str,
}

impl Code {
    /// A problem of this kind, at its default severity.
    pub fn diagnostic(&self, message: impl Into<String>) -> Diagnostic {
        self.with_severity(self.severity, message)
    }

    /// A problem of this kind at another severity than its default (e.g. a finding that is
    /// only a warning in one context).
    pub fn with_severity(&self, severity: Severity, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(severity, self.code, self.name, message)
    }

    /// A problem of this kind on `resource`.
    pub fn on(&self, resource: ResourceRef, message: impl Into<String>) -> Diagnostic {
        self.diagnostic(message).on(resource)
    }

    /// A problem of this kind on `resource`, at `path` inside it.
    pub fn at(
        &self,
        resource: ResourceRef,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.on(resource, message).at(path)
    }
}

impl From<&MessageType> for Code {
    fn from(m: &MessageType) -> Self {
        Self {
            code: m.code,
            name: m.name,
            severity: m.severity,
            description: m.description,
        }
    }
}

macro_rules! codes {
    ($($ident:ident = $code:literal $name:literal $sev:ident $desc:literal;)*) => {
        $(
            #[doc = concat!("`", $code, "` ", $name, " (", stringify!($sev), "): ", $desc, ".")]
            pub const $ident: Code = Code {
                code: $code,
                name: $name,
                severity: Severity::$sev,
                description: $desc,
            };
        )*

        /// Every code mesh-dsl defines itself (compile and validation), in code order.
        pub static MESH: &[Code] = &[$($ident),*];
    };
}

codes! {
    DUPLICATE_RESOURCE = "MESH0001" "DuplicateResource" Error
        "two declarations compile to the same object, or one is declared twice";
    UNKNOWN_SUBSET = "MESH0002" "UnknownSubset" Error
        "a route, canary or traffic policy names a version the service does not have";
    WEIGHTS_DO_NOT_SUM_TO_100 = "MESH0003" "WeightsDoNotSumTo100" Error
        "the weights of a split do not add up to 100, or one is negative";
    PORT_OUT_OF_RANGE = "MESH0004" "PortOutOfRange" Error
        "a port number is not between 1 and 65535";
    DUPLICATE_HOST = "MESH0005" "DuplicateHost" Error
        "a host is routed by two sets of routes, or an external host has two traffic policies";
    UNDECLARED_NAMESPACE = "MESH0006" "UndeclaredNamespace" Warning
        "an object is placed in a namespace the mesh does not declare";
    PORT_NAME_CONVENTION = "MESH0007" "PortNameConvention" Error
        "a port name does not start with its protocol, is empty, or is used twice";
    INVALID_CANARY_PLAN = "MESH0008" "InvalidCanaryPlan" Error
        "a canary plan mixes services, has no stages, has a share outside 0 to 100, or a gate `rollout` cannot evaluate";
    STAGE_OUT_OF_RANGE = "MESH0009" "StageOutOfRange" Error
        "the canary stage asked for does not exist";
    PERCENT_OUT_OF_RANGE = "MESH0010" "PercentOutOfRange" Error
        "a percentage is not between 0 and 100";
    SERVICE_WITHOUT_VERSIONS = "MESH0011" "ServiceWithoutVersions" Warning
        "a service has no versions, so no Deployment runs it";
    UNDECLARED_SERVICE = "MESH0012" "UndeclaredService" Error
        "a handle refers to a service, external host or gateway this mesh does not declare";
    UNKNOWN_TELEMETRY_PROVIDER = "MESH0013" "UnknownTelemetryProvider" Warning
        "telemetry sends to a provider the mesh's telemetry providers do not declare";
    ROUTE_WITHOUT_ACTION = "MESH0014" "RouteWithoutAction" Error
        "a route has no action, or a gateway has no servers";
    INVALID_STATUS = "MESH0015" "InvalidStatus" Error
        "a redirect, direct response or injected fault uses a status that does not fit";
    CANNOT_RENDER = "MESH0016" "CannotRender" Error
        "the compiled objects cannot be written as YAML";
    CONFLICTING_ROUTE_ACTIONS = "MESH0017" "ConflictingRouteActions" Error
        "a route is given two actions, or a redirect code without a redirect";
    ISTIO_VALIDATION_ERROR = "MESH0100" "IstioValidationError" Error
        "Istio's validating webhook rejects the object (or warns about it, as a warning)";
    KUBERNETES_VALIDATION_ERROR = "MESH0101" "KubernetesValidationError" Error
        "Kubernetes itself rejects the object (names, labels, the core kinds)";
}

/// mesh-dsl's own codes followed by Istio's analyzer codes.
static ALL: LazyLock<Vec<Code>> = LazyLock::new(|| {
    MESH.iter()
        .copied()
        .chain(crate::analyze::MESSAGES.iter().map(Code::from))
        .collect()
});

/// Every code a diagnostic of mesh-dsl can carry: its own ([`MESH`]) and Istio's
/// ([`crate::analyze::MESSAGES`]).
pub fn all() -> impl Iterator<Item = &'static Code> {
    ALL.iter()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_code_is_unique() {
        let mut seen = BTreeSet::new();
        let twice: Vec<&str> = all().map(|c| c.code).filter(|c| !seen.insert(*c)).collect();
        assert!(twice.is_empty(), "codes listed twice: {twice:?}");
        let mut names = BTreeSet::new();
        let twice: Vec<&str> = MESH
            .iter()
            .map(|c| c.name)
            .filter(|n| !names.insert(*n))
            .collect();
        assert!(twice.is_empty(), "names listed twice: {twice:?}");
    }

    #[test]
    fn constructors_carry_the_code() {
        let r = ResourceRef::new("VirtualService", Some("shop"), "user");
        let d = UNKNOWN_SUBSET.at(r.clone(), "spec.http[0]", "no such version");
        assert_eq!(
            (&*d.code, &*d.name, d.severity),
            ("MESH0002", "UnknownSubset", Severity::Error)
        );
        assert_eq!(
            (d.resource, d.path.as_deref()),
            (Some(r), Some("spec.http[0]"))
        );
        let w = UNDECLARED_SERVICE.with_severity(Severity::Warning, "gateway elsewhere");
        assert_eq!(w.severity, Severity::Warning);
    }

    /// The rows of the README's "Diagnostic codes" table: `| code | name | severity | meaning |`.
    fn readme_rows(readme: &str) -> Vec<String> {
        let section = readme
            .split("\n## ")
            .find(|s| s.starts_with("Diagnostic codes"))
            .expect("README.md has a section \"## Diagnostic codes\"");
        section
            .lines()
            .filter(|l| l.starts_with("| `"))
            .map(|l| {
                l.trim_matches('|')
                    .split('|')
                    .map(|cell| cell.trim().trim_matches('`'))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect()
    }

    #[test]
    fn the_readme_lists_every_code() {
        let readme = include_str!("../../README.md");
        let documented = readme_rows(readme);
        let registry: Vec<String> = MESH
            .iter()
            .map(|c| {
                format!(
                    "{} | {} | {} | {}",
                    c.code, c.name, c.severity, c.description
                )
            })
            .collect();
        if documented != registry {
            let only_readme: Vec<&String> = documented
                .iter()
                .filter(|r| !registry.contains(r))
                .collect();
            let only_registry: Vec<&String> = registry
                .iter()
                .filter(|r| !documented.contains(r))
                .collect();
            panic!(
                "README.md's \"Diagnostic codes\" table and mesh_dsl::codes differ\n\
                 only in README.md:\n  {}\nonly in the registry:\n  {}\n\
                 (same rows in another order: compare the order too)",
                only_readme
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n  "),
                only_registry
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n  "),
            );
        }
    }
}

//! Why an apply, diff or delete could not run at all.

use std::fmt;

use super::options::ApplyOptions;
use super::redact;
use super::request::RequestError;

/// Kinds the cluster does not serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingKinds {
    /// `group/version Kind`, e.g. `networking.istio.io/v1 VirtualService`, sorted.
    pub missing: Vec<String>,
}

impl MissingKinds {
    /// Whether every missing kind is one of Istio's.
    pub fn all_istio(&self) -> bool {
        self.missing.iter().all(|m| {
            m.split('/')
                .next()
                .is_some_and(|g| g.ends_with(".istio.io"))
        })
    }
}

impl fmt::Display for MissingKinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.all_istio() {
            write!(
                f,
                "Istio's CRDs are not installed in this cluster: it does not serve {} (install Istio, or at least its CRDs, first)",
                self.missing.join(", ")
            )
        } else {
            write!(f, "the cluster does not serve {}", self.missing.join(", "))
        }
    }
}

/// Why an apply, diff or delete could not run at all (per-object failures are in the
/// report instead).
///
/// Neither its `Display` nor its `Debug` quotes a credential (see
/// [`ApplyError::Kubeconfig`]).
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// The kubeconfig could not be read or does not have the context. The message names
    /// the place and kind of a syntax error, never the text around it (which may hold a
    /// credential); the kube error is not exposed as `source()` for the same reason.
    #[error("cannot load the kubeconfig: {}", redact::kubeconfig(.0))]
    Kubeconfig(kube::config::KubeconfigError),
    /// No kubeconfig and not inside a cluster (message redacted as for
    /// [`ApplyError::Kubeconfig`]).
    #[error("cannot find a cluster configuration: {}", redact::infer(.0))]
    InferConfig(kube::config::InferConfigError),
    /// The client could not be built from the configuration (message redacted as for
    /// [`ApplyError::Kubeconfig`]).
    #[error("cannot create a Kubernetes client: {}", redact::describe(.0))]
    Client(kube::Error),
    /// Discovery failed: the cluster is unreachable or refused us. The message ends with
    /// the innermost cause (e.g. the certificate problem of a TLS failure); credentials
    /// (an exec plugin's output) are never quoted.
    #[error("cannot reach the cluster: {}", redact::describe(.0))]
    Unreachable(kube::Error),
    /// Kinds are not served (e.g. Istio is not installed).
    #[error("{0}")]
    MissingKinds(MissingKinds),
    /// The ApplySet parent belongs to another tool.
    #[error("the ApplySet {parent} is managed by {tooling}, not mesh-dsl: refusing to change it")]
    ForeignApplySet {
        /// The parent.
        parent: String,
        /// Its tooling annotation.
        tooling: String,
    },
    /// The ApplySet parent cannot be read or written (its namespace does not exist, RBAC
    /// refuses it, ...).
    #[error("cannot use the ApplySet parent {parent}: {source}")]
    Parent {
        /// The parent.
        parent: String,
        /// Why.
        #[source]
        source: RequestError,
    },
    /// A request the operation cannot go on without failed (listing members for prune).
    #[error("cannot {what}: {source}")]
    Request {
        /// What was being done.
        what: String,
        /// Why it failed.
        #[source]
        source: RequestError,
    },
}

impl ApplyError {
    pub(crate) fn request(what: impl Into<String>, source: RequestError) -> Self {
        Self::Request {
            what: what.into(),
            source,
        }
    }

    pub(crate) fn parent(options: &ApplyOptions, source: RequestError) -> Self {
        Self::Parent {
            parent: options.applyset.to_string(),
            source,
        }
    }

    /// Whether this is about reaching the cluster (configuration, network, discovery,
    /// missing kinds) rather than about the objects.
    pub fn is_preflight(&self) -> bool {
        !matches!(self, Self::Request { .. })
    }
}

/// Like a derived `Debug`, but the kube errors (whose own `Debug` may quote a kubeconfig's
/// or an exec plugin's text, credentials included) as their redacted messages.
impl fmt::Debug for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Kubeconfig(_) => f
                .debug_tuple("Kubeconfig")
                .field(&self.to_string())
                .finish(),
            Self::InferConfig(_) => f
                .debug_tuple("InferConfig")
                .field(&self.to_string())
                .finish(),
            Self::Client(_) => f.debug_tuple("Client").field(&self.to_string()).finish(),
            Self::Unreachable(_) => f
                .debug_tuple("Unreachable")
                .field(&self.to_string())
                .finish(),
            Self::MissingKinds(m) => f.debug_tuple("MissingKinds").field(m).finish(),
            Self::ForeignApplySet { parent, tooling } => f
                .debug_struct("ForeignApplySet")
                .field("parent", parent)
                .field("tooling", tooling)
                .finish(),
            Self::Parent { parent, source } => f
                .debug_struct("Parent")
                .field("parent", parent)
                .field("source", source)
                .finish(),
            Self::Request { what, source } => f
                .debug_struct("Request")
                .field("what", what)
                .field("source", source)
                .finish(),
        }
    }
}

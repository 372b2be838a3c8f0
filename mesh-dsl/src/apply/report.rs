//! What an apply, a delete or a wait did, object by object.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::diag::ResourceRef;

/// What happened to one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Action {
    /// It did not exist and was created (or would be, in a dry run).
    Created,
    /// It existed and was changed.
    Configured,
    /// It existed and nothing changed.
    Unchanged,
    /// It was no longer declared and was deleted by prune.
    Pruned,
    /// It was deleted by [`delete`](super::delete).
    Deleted,
    /// It was not written because something else failed first (validation of another
    /// object, or a failure in an earlier phase).
    Skipped,
    /// The server refused it or could not be reached; see the message.
    Failed,
}

impl Action {
    /// The word used in reports, e.g. `created`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Configured => "configured",
            Self::Unchanged => "unchanged",
            Self::Pruned => "pruned",
            Self::Deleted => "deleted",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Fields another field manager owns with other values (a server-side apply conflict).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Conflict {
    /// The other field manager, e.g. `kubectl-edit`.
    pub manager: String,
    /// The fields, as the server names them, e.g. `.spec.http`.
    pub fields: Vec<String>,
}

/// What happened to one object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResourceResult {
    /// The object.
    pub resource: ResourceRef,
    /// Its `apiVersion`.
    pub api_version: String,
    /// What happened.
    pub action: Action,
    /// The server's message, or why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The HTTP status of the failure, when the server answered one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Conflicts per field manager (a 409 on apply).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
}

impl ResourceResult {
    pub(crate) fn new(resource: ResourceRef, api_version: &str, action: Action) -> Self {
        Self {
            resource,
            api_version: api_version.to_string(),
            action,
            message: None,
            status: None,
            conflicts: Vec::new(),
        }
    }

    pub(crate) fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

impl fmt::Display for ResourceResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.resource, self.action)?;
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        for c in &self.conflicts {
            write!(
                f,
                "\n  conflict with field manager {:?}: {}",
                c.manager,
                c.fields.join(", ")
            )?;
        }
        Ok(())
    }
}

/// One Deployment that has not rolled out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotReady {
    /// The Deployment.
    pub resource: ResourceRef,
    /// What it is waiting for, e.g. `1 of 2 updated replicas are available`.
    pub reason: String,
}

/// What waiting for the Deployments found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WaitReport {
    /// Rolled out.
    pub ready: Vec<ResourceRef>,
    /// Not rolled out when the time was up.
    pub not_ready: Vec<NotReady>,
}

impl WaitReport {
    /// Whether every Deployment rolled out.
    pub fn is_ready(&self) -> bool {
        self.not_ready.is_empty()
    }
}

impl fmt::Display for WaitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in &self.not_ready {
            writeln!(f, "{} not ready: {}", n.resource, n.reason)?;
        }
        write!(
            f,
            "{} of {} Deployment(s) rolled out",
            self.ready.len(),
            self.ready.len() + self.not_ready.len()
        )
    }
}

/// Why an operation stopped before the end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stopped {
    /// The server's dry run refused an object (or found a conflict): nothing was written.
    /// Namespaces created only so that the objects in them could be dry-run (and the
    /// ApplySet parent written before them) were removed again; their results say so.
    Validation,
    /// Writes failed in a phase; later phases, prune and the final ApplySet update were
    /// skipped (run again to converge).
    WriteFailed,
    /// The overall timeout passed.
    Timeout,
}

/// What [`apply`](super::apply) or [`delete`](super::delete) did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[must_use = "a report can say that objects failed; check `is_success`"]
pub struct ApplyReport {
    /// Whether this was a server-side dry run (actions are what would happen).
    pub dry_run: bool,
    /// Every object, in apply order, then the pruned ones.
    pub results: Vec<ResourceResult>,
    /// Why the operation stopped early, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<Stopped>,
    /// Waiting for Deployments, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait: Option<WaitReport>,
    /// How long it took.
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

impl ApplyReport {
    /// Whether everything was applied (and rolled out, when waiting was asked for).
    pub fn is_success(&self) -> bool {
        self.stopped.is_none()
            && self.results.iter().all(|r| r.action != Action::Failed)
            && self.wait.as_ref().is_none_or(WaitReport::is_ready)
    }

    /// How many objects had this action.
    pub fn count(&self, action: Action) -> usize {
        self.results.iter().filter(|r| r.action == action).count()
    }

    /// The objects that failed.
    pub fn failed(&self) -> impl Iterator<Item = &ResourceResult> {
        self.results.iter().filter(|r| r.action == Action::Failed)
    }

    /// The result for an object, by kind, namespace and name.
    pub fn get(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&ResourceResult> {
        self.results.iter().find(|r| {
            r.resource.kind == kind
                && r.resource.namespace.as_deref() == namespace
                && r.resource.name == name
        })
    }

    /// One line: `12 object(s): 3 created, 1 configured, 8 unchanged, 0 pruned, 0 failed in 1.2s`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for a in [
            Action::Created,
            Action::Configured,
            Action::Unchanged,
            Action::Pruned,
        ] {
            parts.push(format!("{} {a}", self.count(a)));
        }
        for a in [Action::Deleted, Action::Skipped] {
            if self.count(a) > 0 {
                parts.push(format!("{} {a}", self.count(a)));
            }
        }
        parts.push(format!("{} failed", self.count(Action::Failed)));
        let mut s = format!(
            "{}{} object(s): {} in {:.1}s",
            if self.dry_run { "dry run: " } else { "" },
            self.results.len(),
            parts.join(", "),
            self.elapsed.as_secs_f64()
        );
        if let Some(w) = &self.wait {
            s.push_str(&format!(
                "; {} of {} Deployment(s) rolled out",
                w.ready.len(),
                w.ready.len() + w.not_ready.len()
            ));
        }
        match self.stopped {
            Some(Stopped::Validation) => {
                s.push_str("; stopped: the server refused objects in the dry run")
            }
            Some(Stopped::WriteFailed) => {
                s.push_str("; stopped after failed writes (run again to converge)")
            }
            Some(Stopped::Timeout) => s.push_str("; stopped: timed out"),
            None => {}
        }
        s
    }
}

impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.results {
            writeln!(f, "{r}")?;
        }
        if let Some(w) = &self.wait {
            for n in &w.not_ready {
                writeln!(f, "{} not ready: {}", n.resource, n.reason)?;
            }
        }
        write!(f, "{}", self.summary())
    }
}

/// A step of an operation, for progress reporting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// Server-side dry run of every object.
    Validate,
    /// Writing objects.
    Apply,
    /// Deleting objects no longer declared.
    Prune,
    /// Deleting everything of the ApplySet.
    Delete,
    /// Waiting for Deployments.
    Wait,
}

/// Progress, as told to an [`Observer`](super::Observer).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A step starts with this many objects.
    Started {
        /// The step.
        step: Step,
        /// How many objects it covers.
        total: usize,
    },
    /// One object of a step is done.
    Done {
        /// The step.
        step: Step,
        /// What happened.
        result: &'a ResourceResult,
    },
    /// Waiting: this many of the Deployments have rolled out.
    Waiting {
        /// Rolled out so far.
        ready: usize,
        /// All of them.
        total: usize,
    },
}

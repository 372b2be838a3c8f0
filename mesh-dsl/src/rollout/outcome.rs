//! What a rollout reports: its progress, how it ended, and why it stopped.

use std::fmt;
use std::time::Duration;

use super::metrics::MetricsError;
use super::query::Check;
use super::record::StageRecord;
use crate::apply::{ApplyError, ApplyReport};

/// One measurement of one check.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// The canary (`shop/user v2`).
    pub canary: String,
    /// The check.
    pub check: Check,
    /// Its value, `None` without data.
    pub value: Option<f64>,
}

impl Reading {
    /// Whether the value passes (no data does not).
    pub fn passes(&self) -> bool {
        self.value.is_some_and(|v| self.check.passes(v))
    }
}

impl fmt::Display for Reading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self
            .value
            .map_or_else(|| "no data".to_string(), |v| self.check.show(v));
        write!(
            f,
            "{} {} {value} ({})",
            self.canary,
            self.check.name,
            self.check.condition()
        )
    }
}

/// What a rollout is doing.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Progress {
    /// Starting where the record says (or at 0).
    Resuming {
        /// The record found, if any (of this plan or another).
        record: Option<StageRecord>,
        /// The first stage to apply.
        stage: usize,
        /// Whether the record is of another plan (the mesh changed): ignored.
        other_plan: bool,
    },
    /// The stage is about to be applied.
    Applying {
        /// The stage.
        stage: usize,
        /// What it does.
        description: String,
    },
    /// The stage is applied and recorded; its bake starts.
    Applied {
        /// The stage.
        stage: usize,
    },
    /// The gates' values now.
    Measured {
        /// The stage.
        stage: usize,
        /// Every check's value.
        readings: Vec<Reading>,
        /// The bake time left.
        remaining: Duration,
    },
    /// The stage passed.
    Passed {
        /// The stage.
        stage: usize,
    },
    /// A gate failed: rolling back.
    RollingBack {
        /// The stage.
        stage: usize,
        /// The failing reading.
        failure: Reading,
    },
}

/// How a rollout ended.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// Every stage passed: the last stage is applied.
    Promoted {
        /// The last stage.
        stage: usize,
    },
    /// The record says the last rollout was already promoted: nothing was done.
    AlreadyPromoted,
    /// The record says the last rollout was rolled back: nothing was done (restart it
    /// with [`RolloutOptions::restart`](super::RolloutOptions::restart)).
    PreviouslyRolledBack {
        /// The record.
        record: StageRecord,
    },
    /// A gate failed at `stage`: every canary is back on its stable version.
    RolledBack {
        /// The stage that failed.
        stage: usize,
        /// The failing reading (value and threshold).
        failure: Reading,
    },
    /// Interrupted: the mesh stays at `stage`, recorded; run again to resume.
    Interrupted {
        /// The stage applied last.
        stage: usize,
    },
}

/// Why a rollout stopped without a verdict.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RolloutError {
    /// The apply of a stage (or of the stable plan) could not run.
    #[error("{what}: {source}")]
    Apply {
        /// `stage 2`, or `rollback to the stable versions`.
        what: String,
        /// The error.
        #[source]
        source: ApplyError,
    },
    /// Objects of a stage failed, or its Deployments did not roll out.
    #[error("{what} failed: {}", report.summary())]
    Applied {
        /// `stage 2`, or `rollback to the stable versions`.
        what: String,
        /// What the apply did.
        report: Box<ApplyReport>,
    },
    /// The stage record could not be read or written.
    #[error("the rollout record on the ApplySet parent: {0}")]
    Record(#[source] kube::Error),
    /// Metrics unavailable: stopped at `stage`, without promoting.
    #[error("stopped at stage {stage} without promoting: {source}")]
    Metrics {
        /// The stage applied last.
        stage: usize,
        /// The error.
        #[source]
        source: MetricsError,
    },
}

impl RolloutError {
    /// Whether the cluster could not be used at all (the preflight of an apply failed).
    pub fn is_preflight(&self) -> bool {
        matches!(self, Self::Apply { source, .. } if source.is_preflight())
    }

    /// Whether an apply's Deployments did not roll out in time.
    pub fn is_not_ready(&self) -> bool {
        matches!(self, Self::Applied { report, .. }
            if report.stopped.is_none()
                && report.failed().next().is_none()
                && report.wait.as_ref().is_some_and(|w| !w.is_ready()))
    }
}

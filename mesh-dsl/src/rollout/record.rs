//! The stage a rollout reached, recorded on the ApplySet parent as annotations written
//! by their own field manager (`<field manager>-rollout`), so the apply of the parent
//! by the usual field manager keeps them.

use std::fmt;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::json;

use crate::apply::ApplySetParent;

/// The annotation with the stage applied last: `0`, `1`, ... or `stable`.
pub const STAGE_ANNOTATION: &str = "mesh-dsl.dev/rollout-stage";
/// The annotation with the rollout's state ([`State`]).
pub const STATE_ANNOTATION: &str = "mesh-dsl.dev/rollout-state";
/// The annotation with the fingerprint of the plan rolled out ([`Plan::fingerprint`](super::Plan::fingerprint)).
pub const PLAN_ANNOTATION: &str = "mesh-dsl.dev/rollout-plan";
/// The annotation explaining the state (the failed gate, the error).
pub const MESSAGE_ANNOTATION: &str = "mesh-dsl.dev/rollout-message";

/// Where the mesh is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Position {
    /// This canary stage (0-based) is applied.
    Stage(usize),
    /// Every canary is back on its stable version.
    Stable,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stage(s) => write!(f, "{s}"),
            Self::Stable => f.write_str("stable"),
        }
    }
}

/// What the rollout is doing, or how it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// The stage is applied and its gates are being measured.
    Progressing,
    /// Stopped without a verdict (Ctrl-C, metrics unavailable): run again to resume.
    Stopped,
    /// The last stage passed its gates.
    Promoted,
    /// A gate failed: traffic went back to the stable versions.
    RolledBack,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            Self::Progressing => "progressing",
            Self::Stopped => "stopped",
            Self::Promoted => "promoted",
            Self::RolledBack => "rolled-back",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the ApplySet parent records about the rollout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageRecord {
    /// The stage applied last.
    pub position: Position,
    /// The state.
    pub state: State,
    /// Why (empty when there is nothing to say).
    pub message: String,
    /// The fingerprint of the plan rolled out.
    pub plan: String,
}

impl fmt::Display for StageRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Position::Stage(s) => write!(f, "stage {s}: {}", self.state)?,
            Position::Stable => write!(f, "stable versions: {}", self.state)?,
        }
        if !self.message.is_empty() {
            write!(f, " ({})", self.message)?;
        }
        Ok(())
    }
}

fn api(client: &kube::Client, parent: &ApplySetParent) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), &parent.namespace, &parent.api_resource())
}

/// The field manager of the record.
pub(crate) fn manager(field_manager: &str) -> String {
    format!("{field_manager}-rollout")
}

/// What the parent records, `None` when there is no parent or no record.
///
/// # Errors
/// The client's error when the parent cannot be read.
pub async fn read(
    client: &kube::Client,
    parent: &ApplySetParent,
) -> Result<Option<StageRecord>, kube::Error> {
    let Some(obj) = api(client, parent).get_opt(&parent.name).await? else {
        return Ok(None);
    };
    let a = obj.metadata.annotations.unwrap_or_default();
    let position = match a.get(STAGE_ANNOTATION).map(String::as_str) {
        Some("stable") => Position::Stable,
        Some(n) => match n.parse() {
            Ok(s) => Position::Stage(s),
            Err(_) => return Ok(None),
        },
        None => return Ok(None),
    };
    let state = match a.get(STATE_ANNOTATION).map(String::as_str) {
        Some("promoted") => State::Promoted,
        Some("rolled-back") => State::RolledBack,
        Some("stopped") => State::Stopped,
        _ => State::Progressing,
    };
    Ok(Some(StageRecord {
        position,
        state,
        message: a.get(MESSAGE_ANNOTATION).cloned().unwrap_or_default(),
        plan: a.get(PLAN_ANNOTATION).cloned().unwrap_or_default(),
    }))
}

/// Records `record` on the parent (which an apply has written before).
///
/// # Errors
/// The client's error when the parent cannot be written.
pub async fn write(
    client: &kube::Client,
    parent: &ApplySetParent,
    field_manager: &str,
    record: &StageRecord,
) -> Result<(), kube::Error> {
    let patch = json!({
        "apiVersion": "v1",
        "kind": parent.kind.kind(),
        "metadata": {
            "name": parent.name,
            "namespace": parent.namespace,
            "annotations": {
                STAGE_ANNOTATION: record.position.to_string(),
                STATE_ANNOTATION: record.state.as_str(),
                MESSAGE_ANNOTATION: record.message,
                PLAN_ANNOTATION: record.plan,
            },
        },
    });
    let params = PatchParams::apply(&manager(field_manager)).force();
    api(client, parent)
        .patch(&parent.name, &params, &Patch::Apply(patch))
        .await
        .map(drop)
}

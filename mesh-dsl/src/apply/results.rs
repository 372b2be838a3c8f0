//! Turning the server's answers into per-object results.

use std::collections::BTreeMap;

use serde_json::Value;

use super::report::{Action, Conflict, ResourceResult};
use super::request::{ApiStatus, RequestError};
use crate::diag::ResourceRef;

/// Conflicts per field manager, from a 409's causes.
fn conflicts_of(status: &ApiStatus) -> Vec<Conflict> {
    if status.code != 409 {
        return Vec::new();
    }
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (reason, message, field) in &status.causes {
        if reason != "FieldManagerConflict" {
            continue;
        }
        let manager = message
            .split('"')
            .nth(1)
            .unwrap_or("another field manager")
            .to_string();
        by.entry(manager).or_default().push(field.clone());
    }
    by.into_iter()
        .map(|(manager, fields)| Conflict { manager, fields })
        .collect()
}

/// The result of a request that failed: the server's status and message, and the
/// conflicts of a 409.
pub(crate) fn failure(
    reference: &ResourceRef,
    api_version: &str,
    error: &RequestError,
) -> ResourceResult {
    let mut r = ResourceResult::new(reference.clone(), api_version, Action::Failed)
        .message(error.to_string());
    if let Some(s) = error.status() {
        r.status = Some(s.code);
        r.message = Some(s.message.clone());
        r.conflicts = conflicts_of(s);
    }
    r
}

/// An object's `metadata.resourceVersion`, unless empty.
pub(crate) fn resource_version(v: &Value) -> Option<&str> {
    v["metadata"]["resourceVersion"]
        .as_str()
        .filter(|s| !s.is_empty())
}

/// Whether a request failed because the operation's deadline passed.
pub(crate) fn is_deadline(results: &[ResourceResult]) -> bool {
    results.iter().any(|r| {
        r.action == Action::Failed
            && r.message.as_deref() == Some(&RequestError::Deadline.to_string())
    })
}

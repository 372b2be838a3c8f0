//! Desired against live: a unified YAML diff per object, with the fields the server
//! manages itself left out; [`diff`] asks the cluster.

use std::fmt::Write as _;

use kube::Client;
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

use super::concurrently;
use super::error::ApplyError;
use super::options::ApplyOptions;
use super::plan::{Member, Plan};
use super::prune::{is_namespace, kept_namespace, prune_candidates};
use super::request::Requester;
use crate::diag::ResourceRef;
use crate::resources::Resources;

/// Fields of `metadata` the server writes and a diff leaves out.
const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Removes what the server manages: `status`, `metadata.managedFields`,
/// `resourceVersion`, `uid`, `creationTimestamp`, `generation`, ... and kubectl's
/// last-applied annotation.
pub fn strip_server_fields(object: &Value) -> Value {
    let mut v = object.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("status");
    }
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in SERVER_METADATA {
            meta.remove(*k);
        }
        let empty = meta
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
            .map(|a| {
                a.remove("kubectl.kubernetes.io/last-applied-configuration");
                a.is_empty()
            })
            .unwrap_or(false);
        if empty {
            meta.remove("annotations");
        }
    }
    v
}

/// What applying would do to one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Change {
    /// It does not exist yet.
    Create,
    /// It exists and would change.
    Update,
    /// It exists and would stay as it is.
    Unchanged,
    /// It exists, is no longer declared, and prune would delete it.
    Prune,
    /// The server refused the dry run; see the message.
    Failed,
}

/// One object of a [`DiffReport`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DiffEntry {
    /// The object.
    pub resource: ResourceRef,
    /// Its `apiVersion`.
    pub api_version: String,
    /// What applying would do.
    pub change: Change,
    /// The live object as YAML (server-managed fields left out), if it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<String>,
    /// The object as it would be after applying (the server's dry-run answer, or the
    /// desired object when a dry run was not possible), as YAML.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<String>,
    /// Why the dry run failed, or a note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl DiffEntry {
    /// The unified diff of this object (empty when unchanged), coloured with ANSI escapes
    /// when `colour` is set.
    pub fn unified(&self, colour: bool) -> String {
        if matches!(self.change, Change::Unchanged | Change::Failed) {
            return String::new();
        }
        let name = match &self.resource.namespace {
            Some(ns) => format!("{}/{}/{}", self.resource.kind, ns, self.resource.name),
            None => format!("{}/{}", self.resource.kind, self.resource.name),
        };
        let old = self.live.as_deref().unwrap_or("");
        let new = if self.change == Change::Prune {
            ""
        } else {
            self.desired.as_deref().unwrap_or("")
        };
        let diff = similar::TextDiff::from_lines(old, new);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("live/{name}"), &format!("desired/{name}"))
            .to_string();
        if !colour {
            return text;
        }
        let mut out = String::new();
        for line in text.lines() {
            let code = match line.as_bytes().first() {
                _ if line.starts_with("---") || line.starts_with("+++") => "1",
                Some(b'+') => "32",
                Some(b'-') => "31",
                Some(b'@') => "36",
                _ => "",
            };
            if code.is_empty() {
                let _ = writeln!(out, "{line}");
            } else {
                let _ = writeln!(out, "\x1b[{code}m{line}\x1b[0m");
            }
        }
        out
    }
}

/// What [`diff`](super::diff) found.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[must_use]
pub struct DiffReport {
    /// Every declared object, then what prune would delete (when prune was asked for).
    pub entries: Vec<DiffEntry>,
}

impl DiffReport {
    /// Whether applying would change anything (or a dry run failed).
    pub fn has_changes(&self) -> bool {
        self.entries.iter().any(|e| e.change != Change::Unchanged)
    }

    /// Whether the server refused any object's dry run.
    pub fn has_failures(&self) -> bool {
        self.entries.iter().any(|e| e.change == Change::Failed)
    }

    /// How many objects would see this change.
    pub fn count(&self, change: Change) -> usize {
        self.entries.iter().filter(|e| e.change == change).count()
    }

    /// Every object's diff, then failures, then one summary line.
    pub fn render(&self, colour: bool) -> String {
        let mut out = String::new();
        for e in &self.entries {
            out.push_str(&e.unified(colour));
        }
        for e in &self.entries {
            if let (Change::Unchanged, Some(m)) = (e.change, &e.message) {
                let _ = writeln!(out, "{} {m}", e.resource);
            }
        }
        for e in self.entries.iter().filter(|e| e.change == Change::Failed) {
            let _ = writeln!(
                out,
                "{} cannot be applied: {}",
                e.resource,
                e.message.as_deref().unwrap_or("refused")
            );
        }
        let _ = writeln!(out, "{}", self.summary());
        out
    }

    /// `3 to create, 1 to update, 20 unchanged, 0 to prune, 0 failed`.
    pub fn summary(&self) -> String {
        format!(
            "{} to create, {} to update, {} unchanged, {} to prune, {} failed",
            self.count(Change::Create),
            self.count(Change::Update),
            self.count(Change::Unchanged),
            self.count(Change::Prune),
            self.count(Change::Failed)
        )
    }
}

/// The YAML a diff compares: the object without the fields the server manages.
fn diff_yaml(v: &Value) -> String {
    istio_types::yaml::to_yaml(&strip_server_fields(v)).unwrap_or_default()
}

/// Compares every declared object with the cluster: the live object against the
/// server's dry-run answer (so defaults the server fills in do not show as changes),
/// server-managed fields left out. With [`ApplyOptions::prune`], objects prune would
/// delete are listed too.
///
/// # Errors
/// As [`apply`](super::apply)'s preflight.
pub async fn diff(
    client: &Client,
    resources: &Resources,
    options: &ApplyOptions,
) -> Result<DiffReport, ApplyError> {
    let api = Requester {
        client,
        options,
        deadline: Instant::now() + options.timeout,
    };
    let plan = Plan::prepare(&api, resources, options.prune).await?;
    let entries = concurrently(options.concurrency, plan.members.iter().collect(), |m| {
        diff_entry(&api, m)
    })
    .await;
    let mut report = DiffReport { entries };
    if options.prune {
        let keep = plan.members.iter().map(Member::key).collect();
        for c in prune_candidates(&api, &plan, &keep).await? {
            // A namespace that holds objects of others is kept by prune: unchanged, with
            // the reason.
            let kept = if is_namespace(&c) {
                kept_namespace(&api, &plan, &c).await
            } else {
                None
            };
            report.entries.push(DiffEntry {
                resource: c.reference,
                api_version: c.api_version,
                change: if kept.is_some() {
                    Change::Unchanged
                } else {
                    Change::Prune
                },
                live: Some(diff_yaml(&c.live)),
                desired: None,
                message: kept.and_then(|k| k.message),
            });
        }
    }
    Ok(report)
}

/// One member against the cluster: its live object and the server's dry-run answer.
async fn diff_entry(api: &Requester<'_>, m: &Member) -> DiffEntry {
    let ns = m.namespace.as_deref();
    let live = api.get(&m.ar, ns, &m.reference.name).await;
    let merged = api
        .apply(&m.ar, ns, &m.reference.name, &m.object, true)
        .await;
    let mut entry = DiffEntry {
        resource: m.reference.clone(),
        api_version: m.api_version.clone(),
        change: Change::Unchanged,
        live: None,
        desired: None,
        message: None,
    };
    let live = match live {
        Ok(l) => l,
        Err(e) => {
            entry.change = Change::Failed;
            entry.message = Some(e.to_string());
            return entry;
        }
    };
    entry.live = live.as_ref().map(diff_yaml);
    match merged {
        Ok((_, v)) => entry.desired = Some(diff_yaml(&v)),
        Err(e) if e.is_not_found() && live.is_none() => {
            entry.desired = Some(diff_yaml(&m.object));
            entry.message =
                Some("its namespace does not exist yet: not checked by the server".into());
        }
        Err(e) => {
            entry.change = Change::Failed;
            entry.message = Some(
                e.status()
                    .map_or_else(|| e.to_string(), |s| s.message.clone()),
            );
            return entry;
        }
    }
    entry.change = match &entry.live {
        None => Change::Create,
        Some(l) if Some(l) == entry.desired.as_ref() => Change::Unchanged,
        Some(_) => Change::Update,
    };
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_fields_are_left_out() {
        let live = json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "a", "namespace": "b", "uid": "x", "resourceVersion": "3",
                "managedFields": [], "creationTimestamp": "t", "generation": 2,
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
            "spec": {"ports": []},
            "status": {"loadBalancer": {}}
        });
        assert_eq!(
            strip_server_fields(&live),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "b"}, "spec": {"ports": []}})
        );
    }

    #[test]
    fn a_change_is_a_unified_diff() {
        let e = DiffEntry {
            resource: ResourceRef::new("VirtualService", Some("shop"), "user"),
            api_version: "networking.istio.io/v1".into(),
            change: Change::Update,
            live: Some("spec:\n  weight: 90\n".into()),
            desired: Some("spec:\n  weight: 50\n".into()),
            message: None,
        };
        let plain = e.unified(false);
        assert!(
            plain.contains("--- live/VirtualService/shop/user"),
            "{plain}"
        );
        assert!(plain.contains("-  weight: 90\n+  weight: 50"), "{plain}");
        assert!(e.unified(true).contains("\x1b[32m+  weight: 50\x1b[0m"));
    }
}

//! The object store and server-side apply.
//!
//! Ownership is tracked per field manager as a set of field paths. Maps are followed key by
//! key and everything else (lists, scalars) is one atomic field: `spec.http` is one field,
//! as it is for every Istio kind (their lists are atomic for server-side apply), and
//! `metadata.labels.app` is one field. Lists that the real server merges by key (a
//! Deployment's `containers`) are atomic here too: a simplification the tests do not need
//! to see through.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::kinds::Kind;

/// A field path: map keys from the root.
pub(crate) type Path = Vec<String>;

/// Which object: group, kind, namespace (empty for cluster-scoped), name.
pub(crate) type Key = (String, String, String, String);

pub(crate) struct Stored {
    /// The object as stored (with its server metadata, without `managedFields`).
    pub(crate) object: Value,
    /// The fields each manager owns.
    pub(crate) managers: BTreeMap<String, BTreeSet<Path>>,
    /// When a Deployment's current generation is rolled out.
    pub(crate) ready_at: Option<Instant>,
}

/// An error answer: an HTTP status and a Kubernetes `Status`.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u16,
    pub(crate) body: Value,
}

impl Failure {
    pub(crate) fn new(code: u16, reason: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            body: status(code, reason, &message.into(), None),
        }
    }

    pub(crate) fn with_details(code: u16, reason: &str, message: &str, details: Value) -> Self {
        Self {
            code,
            body: status(code, reason, message, Some(details)),
        }
    }

    pub(crate) fn not_found(kind: &Kind, name: &str) -> Self {
        Self::with_details(
            404,
            "NotFound",
            &format!("{} {name:?} not found", kind.resource_name()),
            json!({"name": name, "group": kind.group, "kind": kind.plural}),
        )
    }
}

/// A Kubernetes `Status` object.
pub(crate) fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Value {
    let mut s = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": if code < 400 { "Success" } else { "Failure" },
        "message": message,
        "reason": reason,
        "code": code,
    });
    if let Some(d) = details {
        s["details"] = d;
    }
    s
}

/// What an apply did.
pub(crate) struct Applied {
    pub(crate) object: Value,
    pub(crate) created: bool,
}

/// The parameters of an apply request.
pub(crate) struct ApplyRequest<'a> {
    pub(crate) kind: &'a Kind,
    pub(crate) version: &'a str,
    pub(crate) namespace: &'a str,
    pub(crate) name: &'a str,
    pub(crate) manager: &'a str,
    pub(crate) force: bool,
    pub(crate) dry_run: bool,
}

#[derive(Default)]
pub(crate) struct Store {
    pub(crate) objects: BTreeMap<Key, Stored>,
    pub(crate) resource_version: u64,
    pub(crate) uid: u64,
    /// How long a Deployment takes to roll out; `None`: never.
    pub(crate) rollout: Option<Duration>,
}

/// The leaf field paths of an applied configuration (maps followed, the rest atomic).
fn leaf_paths(v: &Value, prefix: &mut Path, out: &mut BTreeSet<Path>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                prefix.push(k.clone());
                leaf_paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {
            out.insert(prefix.clone());
        }
    }
}

/// The fields a manager sets by applying `config`: everything but the envelope and the
/// server's own metadata.
fn applied_fields(config: &Value) -> BTreeSet<Path> {
    let mut all = BTreeSet::new();
    leaf_paths(config, &mut Vec::new(), &mut all);
    all.retain(|p| {
        let head = p.first().map(String::as_str);
        let second = p.get(1).map(String::as_str);
        match (head, second) {
            (Some("apiVersion" | "kind" | "status"), _) => false,
            (Some("metadata"), Some("labels" | "annotations")) => p.len() > 2,
            (Some("metadata"), _) => false,
            _ => true,
        }
    });
    all
}

fn get_path<'v>(v: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn set_path(v: &mut Value, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        *v = value;
        return;
    };
    let mut cur = v;
    for k in parents {
        if !cur.get(k).is_some_and(Value::is_object) {
            cur[k.as_str()] = Value::Object(Map::new());
        }
        cur = &mut cur[k.as_str()];
    }
    cur[last.as_str()] = value;
}

/// Removes a field and then the maps it leaves empty.
fn remove_path(v: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    if parents.is_empty() {
        if let Some(m) = v.as_object_mut() {
            m.remove(last);
        }
        return;
    }
    if let Some(parent) = parents
        .iter()
        .try_fold(&mut *v, |v, k| v.get_mut(k.as_str()))
        && let Some(m) = parent.as_object_mut()
    {
        m.remove(last);
        if m.is_empty() {
            remove_path(v, parents);
        }
    }
}

/// `.spec.http`, as the API server writes field paths in conflicts.
pub(crate) fn dotted(path: &[String]) -> String {
    path.iter().map(|k| format!(".{k}")).collect()
}

/// The fieldsV1 tree of a set of paths.
fn fields_v1(paths: &BTreeSet<Path>) -> Value {
    let mut root = Value::Object(Map::new());
    for p in paths {
        let mut cur = &mut root;
        for k in p {
            let key = format!("f:{k}");
            if !cur.get(&key).is_some_and(Value::is_object) {
                cur[key.as_str()] = Value::Object(Map::new());
            }
            cur = &mut cur[key.as_str()];
        }
    }
    root
}

/// Whether one path is a prefix of the other (they name overlapping fields).
fn overlaps(a: &[String], b: &[String]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// Everything but the server's bookkeeping: what decides whether an apply changed anything.
fn content(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in ["resourceVersion", "generation", "managedFields"] {
            meta.remove(k);
        }
    }
    v
}

/// Everything outside `metadata` and `status`: a change here bumps the generation.
fn spec_part(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
        m.remove("apiVersion");
    }
    v
}

impl Store {
    fn next_resource_version(&mut self) -> String {
        self.resource_version += 1;
        self.resource_version.to_string()
    }

    /// The current resource version of the whole store (for lists).
    pub(crate) fn resource_version(&self) -> String {
        self.resource_version.to_string()
    }

    /// Whether the namespace exists.
    pub(crate) fn has_namespace(&self, ns: &str) -> bool {
        self.objects.contains_key(&(
            String::new(),
            "Namespace".into(),
            String::new(),
            ns.to_string(),
        ))
    }

    /// The object as a client sees it: at the requested version, with `managedFields` and,
    /// for Deployments, a status that follows the simulated rollout.
    pub(crate) fn render(&self, kind: &Kind, version: &str, stored: &Stored) -> Value {
        let mut obj = stored.object.clone();
        obj["apiVersion"] = Value::String(kind.api_version(version));
        let managed: Vec<Value> = stored
            .managers
            .iter()
            .map(|(m, paths)| {
                json!({
                    "manager": m,
                    "operation": "Apply",
                    "apiVersion": kind.api_version(version),
                    "time": "2026-01-01T00:00:00Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": fields_v1(paths),
                })
            })
            .collect();
        if !managed.is_empty() {
            obj["metadata"]["managedFields"] = Value::Array(managed);
        }
        if kind.kind == "Deployment" {
            let generation = obj["metadata"]["generation"].as_i64().unwrap_or(1);
            let replicas = obj["spec"]["replicas"].as_i64().unwrap_or(1);
            let ready = stored.ready_at.is_some_and(|t| Instant::now() >= t);
            obj["status"] = if ready {
                json!({
                    "observedGeneration": generation,
                    "replicas": replicas,
                    "updatedReplicas": replicas,
                    "readyReplicas": replicas,
                    "availableReplicas": replicas,
                })
            } else {
                json!({"observedGeneration": generation - 1, "replicas": replicas, "updatedReplicas": 0})
            };
        }
        obj
    }

    /// Server-side apply of `config` by `req.manager`.
    pub(crate) fn apply(
        &mut self,
        req: &ApplyRequest<'_>,
        config: &Value,
    ) -> Result<Applied, Failure> {
        let key: Key = (
            req.kind.group.clone(),
            req.kind.kind.clone(),
            req.namespace.to_string(),
            req.name.to_string(),
        );
        let fields = applied_fields(config);
        let live = self.objects.get(&key);
        let created = live.is_none();
        let (mut object, mut managers) = match live {
            Some(s) => (s.object.clone(), s.managers.clone()),
            None => {
                let mut meta = json!({"name": req.name});
                if req.kind.namespaced {
                    meta["namespace"] = Value::String(req.namespace.into());
                }
                let obj = json!({
                    "apiVersion": req.kind.api_version(req.version),
                    "kind": req.kind.kind,
                    "metadata": meta,
                });
                (obj, BTreeMap::new())
            }
        };

        // Conflicts: another manager owns a field this apply sets to another value.
        let mut conflicts: BTreeMap<String, BTreeSet<Path>> = BTreeMap::new();
        for (other, owned) in &managers {
            if other == req.manager {
                continue;
            }
            for q in owned {
                for p in fields.iter().filter(|p| overlaps(p, q)) {
                    let longer = if p.len() >= q.len() { p } else { q };
                    if get_path(&object, longer) != get_path(config, longer) {
                        conflicts
                            .entry(other.clone())
                            .or_default()
                            .insert(q.clone());
                    }
                }
            }
        }
        if !conflicts.is_empty() && !req.force {
            return Err(conflict_failure(req, &conflicts));
        }
        for (other, paths) in &conflicts {
            if let Some(owned) = managers.get_mut(other) {
                owned.retain(|q| !paths.contains(q));
            }
        }
        managers.retain(|_, owned| !owned.is_empty());

        // Fields this manager stopped applying and nobody else owns are removed.
        let previous = managers.remove(req.manager).unwrap_or_default();
        for p in previous.difference(&fields) {
            let shared = managers
                .values()
                .any(|owned| owned.iter().any(|q| overlaps(p, q)));
            if !shared {
                remove_path(&mut object, p);
            }
        }
        for p in &fields {
            if let Some(v) = get_path(config, p) {
                set_path(&mut object, p, v.clone());
            }
        }
        if !fields.is_empty() {
            managers.insert(req.manager.to_string(), fields);
        }

        let before = self.objects.get(&key);
        let changed = match before {
            None => true,
            Some(s) => content(&s.object) != content(&object) || s.managers != managers,
        };
        let spec_changed = before.is_none_or(|s| spec_part(&s.object) != spec_part(&object));
        let mut ready_at = before.and_then(|s| s.ready_at);
        if changed && !req.dry_run {
            let rv = self.next_resource_version();
            let meta = &mut object["metadata"];
            meta["resourceVersion"] = Value::String(rv);
            if created {
                self.uid += 1;
                meta["uid"] = Value::String(format!("00000000-0000-4000-8000-{:012}", self.uid));
                meta["creationTimestamp"] = Value::String("2026-01-01T00:00:00Z".into());
                if req.kind.kind == "Namespace" {
                    object["status"] = json!({"phase": "Active"});
                }
            }
            if spec_changed {
                let generation = object["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
                object["metadata"]["generation"] = json!(generation);
                ready_at = self.rollout.map(|d| Instant::now() + d);
            }
        } else if created {
            // A dry-run create: no resourceVersion, as the real server answers.
            object["metadata"]["generation"] = json!(1);
        }
        let stored = Stored {
            object,
            managers,
            ready_at,
        };
        let rendered = self.render(req.kind, req.version, &stored);
        if changed && !req.dry_run {
            self.objects.insert(key, stored);
        }
        Ok(Applied {
            object: rendered,
            created,
        })
    }

    /// Deletes an object (and, for a Namespace, everything in it).
    pub(crate) fn delete(
        &mut self,
        kind: &Kind,
        namespace: &str,
        name: &str,
        dry_run: bool,
    ) -> Option<Value> {
        let key: Key = (
            kind.group.clone(),
            kind.kind.clone(),
            namespace.to_string(),
            name.to_string(),
        );
        let stored = self.objects.get(&key)?;
        let version = kind.versions[0].clone();
        let rendered = self.render(kind, &version, stored);
        if !dry_run {
            self.objects.remove(&key);
            if kind.kind == "Namespace" {
                self.objects.retain(|(_, _, ns, _), _| ns != name);
            }
            self.next_resource_version();
        }
        Some(rendered)
    }
}

fn conflict_failure(
    req: &ApplyRequest<'_>,
    conflicts: &BTreeMap<String, BTreeSet<Path>>,
) -> Failure {
    let api_version = req.kind.api_version(req.version);
    let count: usize = conflicts.values().map(BTreeSet::len).sum();
    let mut causes = Vec::new();
    let mut lines = Vec::new();
    for (manager, paths) in conflicts {
        let head = format!("conflict with {manager:?} using {api_version}");
        for p in paths {
            causes.push(json!({
                "reason": "FieldManagerConflict",
                "message": head,
                "field": dotted(p),
            }));
            lines.push(format!("{head}: {}", dotted(p)));
        }
    }
    let message = format!(
        "Apply failed with {count} conflict{}: {}",
        if count == 1 { "" } else { "s" },
        lines.join("\n")
    );
    Failure::with_details(
        409,
        "Conflict",
        &message,
        json!({"name": req.name, "group": req.kind.group, "kind": req.kind.plural, "causes": causes}),
    )
}

/// Whether an object's labels match a selector such as `a=b,c!=d,e,!f`.
pub(crate) fn matches_selector(object: &Value, selector: &str) -> bool {
    let labels = object["metadata"]["labels"].as_object();
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    selector
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .all(|term| {
            if let Some((k, v)) = term.split_once("!=") {
                label(k.trim()) != Some(v.trim())
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                label(k.trim()) == Some(v.trim())
            } else if let Some(k) = term.strip_prefix('!') {
                label(k.trim()).is_none()
            } else {
                label(term).is_some()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vs_kind() -> Kind {
        Kind::new(
            "networking.istio.io",
            "v1",
            "VirtualService",
            "virtualservices",
            true,
        )
    }

    fn req<'a>(kind: &'a Kind, manager: &'a str, force: bool) -> ApplyRequest<'a> {
        ApplyRequest {
            kind,
            version: "v1",
            namespace: "shop",
            name: "user",
            manager,
            force,
            dry_run: false,
        }
    }

    fn vs(http_host: &str, label: &str) -> Value {
        json!({
            "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": "user", "namespace": "shop", "labels": {"app": label}},
            "spec": {"hosts": ["user"], "http": [{"route": [{"destination": {"host": http_host}}]}]}
        })
    }

    #[test]
    fn apply_creates_then_leaves_an_unchanged_object_alone() {
        let kind = vs_kind();
        let mut s = Store::default();
        let a = s.apply(&req(&kind, "me", false), &vs("user", "x")).unwrap();
        assert!(a.created);
        let rv = a.object["metadata"]["resourceVersion"].clone();
        let b = s.apply(&req(&kind, "me", false), &vs("user", "x")).unwrap();
        assert!(!b.created);
        assert_eq!(b.object["metadata"]["resourceVersion"], rv);
        assert_eq!(b.object["metadata"]["generation"], 1);
        let c = s
            .apply(&req(&kind, "me", false), &vs("other", "x"))
            .unwrap();
        assert_ne!(c.object["metadata"]["resourceVersion"], rv);
        assert_eq!(c.object["metadata"]["generation"], 2);
    }

    #[test]
    fn another_manager_conflicts_unless_forced() {
        let kind = vs_kind();
        let mut s = Store::default();
        s.apply(&req(&kind, "kubectl", false), &vs("user", "x"))
            .unwrap();
        // The same values are shared ownership, not a conflict.
        s.apply(&req(&kind, "me", false), &vs("user", "x")).unwrap();
        let e = s
            .apply(&req(&kind, "me", false), &vs("other", "x"))
            .err()
            .unwrap();
        assert_eq!(e.code, 409);
        assert_eq!(e.body["details"]["causes"][0]["field"], ".spec.http");
        assert!(e.body["message"].as_str().unwrap().contains("\"kubectl\""));
        let ok = s.apply(&req(&kind, "me", true), &vs("other", "x")).unwrap();
        assert_eq!(
            ok.object["spec"]["http"][0]["route"][0]["destination"]["host"],
            "other"
        );
    }

    #[test]
    fn fields_a_manager_stops_applying_are_removed() {
        let kind = vs_kind();
        let mut s = Store::default();
        s.apply(&req(&kind, "me", false), &vs("user", "x")).unwrap();
        let mut less = vs("user", "x");
        less["metadata"].as_object_mut().unwrap().remove("labels");
        let a = s.apply(&req(&kind, "me", false), &less).unwrap();
        assert!(a.object["metadata"].get("labels").is_none(), "{}", a.object);
    }

    #[test]
    fn selectors() {
        let o = json!({"metadata": {"labels": {"a": "1", "b": "2"}}});
        assert!(matches_selector(&o, "a=1"));
        assert!(matches_selector(&o, "a==1,b"));
        assert!(!matches_selector(&o, "a!=1"));
        assert!(matches_selector(&o, "!c"));
        assert!(!matches_selector(&o, "c"));
    }
}

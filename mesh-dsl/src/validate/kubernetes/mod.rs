//! Kubernetes' own rules (`MESH0101`): object names, namespaces, label and annotation
//! syntax ([`metadata`], [`names`]), and the core kinds the DSL emits: Namespace,
//! ServiceAccount, [`service`] and [`deployment`].

mod deployment;
mod metadata;
mod names;
mod service;

use std::collections::BTreeMap;

use serde_json::Value;

use self::deployment::deployment;
use self::metadata::{Meta, NameRule, metadata, typed_meta};
use self::service::service;
use super::{Out, Path};
use crate::resources::Resource;

/// Checks what Kubernetes checks for `r`.
pub(crate) fn check(r: &Resource, out: &mut Out) {
    match r {
        Resource::Namespace(n) => {
            metadata(&typed_meta(&n.metadata), NameRule::Label, Some(false), out)
        }
        Resource::ServiceAccount(s) => metadata(
            &typed_meta(&s.metadata),
            NameRule::Subdomain,
            Some(true),
            out,
        ),
        Resource::Service(s) => {
            metadata(
                &typed_meta(&s.metadata),
                NameRule::Label1035,
                Some(true),
                out,
            );
            service(s, out);
        }
        Resource::Deployment(d) => {
            metadata(
                &typed_meta(&d.metadata),
                NameRule::Subdomain,
                Some(true),
                out,
            );
            deployment(d, out);
        }
        Resource::Istio(i) => metadata(
            &typed_meta(i.metadata()),
            NameRule::Subdomain,
            Some(true),
            out,
        ),
        Resource::Other(v) => other(v, out),
        // Kinds added to `Resource` later get the generic checks once listed here.
        #[allow(unreachable_patterns)]
        _ => {}
    }
}

fn other(v: &Value, out: &mut Out) {
    // `List` (and `*List`) documents are unpacked by kubectl; they are not objects.
    if v.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
    {
        return;
    }
    let Some(m) = v.get("metadata") else {
        out.k8s(&Path::new("metadata").f("name"), "a name is required");
        return;
    };
    let s = |k: &str| m.get(k).and_then(Value::as_str);
    let map = |k: &str| -> Option<BTreeMap<String, String>> {
        m.get(k).and_then(Value::as_object).map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
    };
    let (l, a) = (map("labels"), map("annotations"));
    let finalizers: Option<Vec<String>> = m.get("finalizers").and_then(Value::as_array).map(|f| {
        f.iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect()
    });
    let meta = Meta {
        name: s("name"),
        generate_name: s("generateName"),
        namespace: s("namespace"),
        labels: l.as_ref(),
        annotations: a.as_ref(),
        finalizers: finalizers.as_deref(),
    };
    metadata(&meta, NameRule::PathSegment, None, out);
}

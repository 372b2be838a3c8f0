//! Shape checks for the core Kubernetes objects mesh-dsl emits (Namespace, ServiceAccount,
//! Service, Deployment): the fields the API server requires and the consistency rules that
//! would otherwise fail only at apply time.

use serde_json::Value;

fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

/// Problems with a core object's shape; empty when it looks right. Objects of other kinds
/// give one problem saying the kind is not covered.
pub fn core_shape_problems(doc: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let api = doc["apiVersion"].as_str().unwrap_or("");
    let kind = doc["kind"].as_str().unwrap_or("");
    let name = doc["metadata"]["name"].as_str().unwrap_or("");
    let namespaced = kind != "Namespace";
    match (api, kind) {
        ("v1", "Namespace" | "ServiceAccount" | "Service") | ("apps/v1", "Deployment") => {}
        _ => return vec![format!("{api} {kind} is not a core kind this check covers")],
    }
    let name_ok = if matches!(kind, "Namespace" | "Service") {
        is_dns1123_label(name)
    } else {
        is_dns1123_subdomain(name)
    };
    if !name_ok {
        p.push(format!("metadata.name {name:?} is not a valid {kind} name"));
    }
    if namespaced != doc["metadata"]["namespace"].is_string() {
        p.push(format!(
            "metadata.namespace must be {}",
            if namespaced { "set" } else { "absent" }
        ));
    }
    match kind {
        "Service" => {
            let ports = doc["spec"]["ports"].as_array().cloned().unwrap_or_default();
            if ports.is_empty() {
                p.push("spec.ports is empty".into());
            }
            for (i, port) in ports.iter().enumerate() {
                let n = port["port"].as_i64().unwrap_or(0);
                if !(1..=65535).contains(&n) {
                    p.push(format!("spec.ports[{i}].port {n} is out of range"));
                }
                if ports.len() > 1 && !port["name"].is_string() {
                    p.push(format!(
                        "spec.ports[{i}].name is required when there are several ports"
                    ));
                }
            }
            if !doc["spec"]["selector"].is_object() {
                p.push("spec.selector is missing".into());
            }
        }
        "Deployment" => {
            let selector = &doc["spec"]["selector"]["matchLabels"];
            let labels = &doc["spec"]["template"]["metadata"]["labels"];
            match selector.as_object() {
                Some(sel) if !sel.is_empty() => {
                    for (k, v) in sel {
                        if labels.get(k) != Some(v) {
                            p.push(format!(
                                "spec.selector.matchLabels.{k} is not a label of the pod template"
                            ));
                        }
                    }
                }
                _ => p.push("spec.selector.matchLabels is missing".into()),
            }
            let containers = doc["spec"]["template"]["spec"]["containers"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if containers.is_empty() {
                p.push("spec.template.spec.containers is empty".into());
            }
            for (i, c) in containers.iter().enumerate() {
                if !c["name"].as_str().is_some_and(is_dns1123_label) {
                    p.push(format!("containers[{i}].name is missing or invalid"));
                }
                if c["image"].as_str().is_none_or(str::is_empty) {
                    p.push(format!("containers[{i}].image is missing"));
                }
            }
        }
        _ => {}
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_deployment_whose_selector_misses_the_pod_labels_is_caught() {
        let good = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "a-v1", "namespace": "shop"},
            "spec": {"selector": {"matchLabels": {"app": "a"}},
                "template": {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "a", "image": "a:1"}]}}}});
        assert!(core_shape_problems(&good).is_empty());
        let mut bad = good.clone();
        bad["spec"]["template"]["metadata"]["labels"]["app"] = json!("b");
        bad["spec"]["template"]["spec"]["containers"][0]["image"] = json!("");
        assert_eq!(core_shape_problems(&bad).len(), 2);
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "Bad_Name", "namespace": "x"}, "spec": {"ports": [{"port": 0}]}});
        assert_eq!(core_shape_problems(&svc).len(), 3);
    }
}

//! Webhook analyzers: overlapping Istio injection webhooks and external control plane
//! webhook addresses.

use super::HashSet;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde_json::Value;

use super::index::{Index, OtherView};
use super::labels::{label_map, label_selector_matches};
use super::messages::{EXTERNAL_CONTROL_PLANE_IP, INVALID_EXTERNAL_CONTROL_PLANE, INVALID_WEBHOOK};
use crate::diag::Diagnostic;

fn hooks<'a>(cfg: &OtherView<'a>) -> impl Iterator<Item = &'a Value> {
    cfg.value
        .get("webhooks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The revisions a webhook configuration serves (`istio.io/rev` in its labels or selectors).
fn revisions<'a>(cfg: &OtherView<'a>) -> Vec<&'a str> {
    let mut out = Vec::new();
    if let Some(r) = cfg.meta_map("labels").get("istio.io/rev") {
        out.push(*r);
    }
    for w in hooks(cfg) {
        for sel in ["namespaceSelector", "objectSelector"] {
            let Some(s) = w.get(sel) else { continue };
            if let Some(r) = s
                .get("matchLabels")
                .and_then(|m| m.get("istio.io/rev"))
                .and_then(Value::as_str)
            {
                out.push(r);
            }
            for e in s
                .get("matchExpressions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if str_of(e, "key") == "istio.io/rev" {
                    out.extend(
                        e.get("values")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str),
                    );
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// `webhook.Analyzer`: IST0139 when a namespace/pod label combination is matched by more
/// than one Istio injection webhook (injection would run twice), or when a webhook points at
/// a Service that does not exist.
pub(crate) fn webhooks(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let configs: Vec<&OtherView<'_>> = idx
        .others("MutatingWebhookConfiguration")
        .iter()
        .filter(|c| {
            !revisions(c).is_empty() || hooks(c).any(|w| str_of(w, "name").ends_with("istio.io"))
        })
        .collect();
    let mut revs: BTreeSet<&str> = BTreeSet::new();
    for c in &configs {
        revs.extend(revisions(c));
    }
    let base_ns: [&[(&str, &str)]; 3] = [
        &[],
        &[("istio-injection", "enabled")],
        &[("istio-injection", "disabled")],
    ];
    let base_obj: [&[(&str, &str)]; 3] = [
        &[],
        &[("sidecar.istio.io/inject", "true")],
        &[("sidecar.istio.io/inject", "false")],
    ];
    let expand = |bases: &[&[(&'static str, &'static str)]; 3]| -> Vec<BTreeMap<String, String>> {
        let mut all: Vec<BTreeMap<String, String>> = bases
            .iter()
            .map(|b| {
                b.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .collect();
        for rev in &revs {
            for b in bases {
                let mut m: BTreeMap<String, String> = b
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                m.insert("istio.io/rev".into(), (*rev).to_string());
                all.push(m);
            }
        }
        all
    };
    let ns_sets = expand(&base_ns);
    let obj_sets = expand(&base_obj);
    let mut reported: HashSet<(usize, String)> = HashSet::default();
    for nl in &ns_sets {
        let nl = label_map(nl);
        for ol in &obj_sets {
            let ol = label_map(ol);
            let mut hits: Vec<(usize, String)> = Vec::new();
            for (ci, c) in configs.iter().enumerate() {
                for w in hooks(c) {
                    if label_selector_matches(w.get("namespaceSelector"), &nl)
                        && label_selector_matches(w.get("objectSelector"), &ol)
                    {
                        hits.push((ci, format!("{}/{}", c.name, str_of(w, "name"))));
                    }
                }
            }
            if hits.len() < 2 {
                continue;
            }
            for (ci, name) in &hits {
                let others: Vec<&str> = hits
                    .iter()
                    .filter(|(_, n)| n != name)
                    .map(|(_, n)| n.as_str())
                    .collect();
                let message =
                    format!("webhook {name} overlaps with {others:?}, so injection may run twice");
                if reported.insert((*ci, message.clone()))
                    && let Some(c) = configs.get(*ci)
                {
                    out.push(INVALID_WEBHOOK.on(c.res, message).at("webhooks"));
                }
            }
        }
    }
    for c in &configs {
        for (i, w) in hooks(c).enumerate() {
            let Some(svc) = w.get("clientConfig").and_then(|cc| cc.get("service")) else {
                continue;
            };
            let (ns, name) = (str_of(svc, "namespace"), str_of(svc, "name"));
            if idx.service(ns, name).is_none() {
                out.push(
                    INVALID_WEBHOOK
                        .on(
                            c.res,
                            format!("the injector refers to a control plane Service that does not exist: {ns}/{name}"),
                        )
                        .at(format!("webhooks[{i}].clientConfig.service")),
                );
            }
        }
    }
}

/// `externalcontrolplane.ExternalControlPlaneAnalyzer`: IST0163 for Istio webhooks with
/// neither a URL nor a Service, or an unparsable URL; IST0164 for URLs with an IP address.
/// Unlike istioctl, host names are not resolved (analysis stays offline).
pub(crate) fn external_control_plane(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let check = |c: &OtherView<'_>, out: &mut Vec<Diagnostic>| {
        for (i, w) in hooks(c).enumerate() {
            let hook = str_of(w, "name");
            let cc = w.get("clientConfig");
            let url = cc.and_then(|x| x.get("url")).and_then(Value::as_str);
            let path = format!("webhooks[{i}].clientConfig");
            match url {
                Some(u) if !u.is_empty() => match url_host(u) {
                    None => out.push(
                        INVALID_EXTERNAL_CONTROL_PLANE
                            .on(c.res, format!("the URL {u:?} of webhook {hook} is not a valid URL"))
                            .at(format!("{path}.url")),
                    ),
                    Some(host) if host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok() => out.push(
                        EXTERNAL_CONTROL_PLANE_IP
                            .on(
                                c.res,
                                format!(
                                    "the address {u:?} of webhook {hook} is an IP address; use a host name in production"
                                ),
                            )
                            .at(format!("{path}.url")),
                    ),
                    Some(_) => {}
                },
                _ => {
                    if cc.and_then(|x| x.get("service")).is_none() {
                        out.push(
                            INVALID_EXTERNAL_CONTROL_PLANE
                                .on(
                                    c.res,
                                    format!("webhook {hook} has neither a URL nor a Service to reach the external control plane"),
                                )
                                .at(path),
                        );
                    }
                }
            }
        }
    };
    for c in idx.others("ValidatingWebhookConfiguration") {
        if c.name == "istiod-default-validator" || c.name.starts_with("istio-validator") {
            check(c, out);
        }
    }
    for c in idx.others("MutatingWebhookConfiguration") {
        if c.name.starts_with("istio-sidecar-injector") {
            check(c, out);
        }
    }
}

/// The host of an absolute URL (`scheme://[user@]host[:port]/...`), `None` when malformed.
fn url_host(u: &str) -> Option<&str> {
    let (scheme, rest) = u.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if hostport.starts_with('[') {
        let end = hostport.find(']')?;
        &hostport[..=end]
    } else {
        hostport.split(':').next()?
    };
    (!host.is_empty() && !host.contains(' ')).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hosts() {
        assert_eq!(
            url_host("https://test.com:15017/validate"),
            Some("test.com")
        );
        assert_eq!(url_host("https://1.1.1.1:5100/inject"), Some("1.1.1.1"));
        assert_eq!(url_host("https://[::1]:80/x"), Some("[::1]"));
        assert_eq!(url_host("not a url"), None);
    }
}

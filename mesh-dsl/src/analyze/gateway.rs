//! Gateway analyzers: ports against the gateway workload's Services, credentials,
//! conflicting and certificate-sharing Gateways, and Kubernetes Gateway API checks.

use super::{HashMap, HashSet};
use std::collections::BTreeSet;

use istio_types::networking::common::ServerTlsSettings;
use istio_types::networking::v1::Gateway;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::cert::{base64_decode, credential_problem};
use super::index::{Index, Obj};
use super::labels::{LabelMap, label_map, matches, selector_string};
use super::messages::{
    CONFLICTING_GATEWAYS, GATEWAY_API_CRD_VERSION_BELOW_MINIMUM, GATEWAY_DUPLICATE_CERTIFICATE,
    GATEWAY_PORT_NOT_ON_SERVICE, INEFFECTIVE_SELECTOR, INVALID_GATEWAY_CREDENTIAL,
    REFERENCED_RESOURCE_NOT_FOUND,
};
use crate::diag::Diagnostic;
use crate::resources::Resource;

fn gw_selector<'a>(gw: &Obj<'a, Gateway>) -> LabelMap<'a> {
    label_map(&gw.obj.spec.selector)
}

fn selector_not_found(gw: &Obj<'_, Gateway>, sel: &LabelMap<'_>) -> Diagnostic {
    REFERENCED_RESOURCE_NOT_FOUND
        .on(
            gw.res,
            format!(
                "referenced selector not found: {:?} (no workload has these labels)",
                selector_string(sel)
            ),
        )
        .at("spec.selector")
        .hint("deploy the gateway workload, or fix the selector labels")
}

/// `gateway.IngressGatewayPortAnalyzer`: IST0101 when no workload matches a Gateway's
/// selector, IST0162 for server ports that no Service of those workloads exposes (as its
/// port or its target port).
pub(crate) fn ingress_ports(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for gw in &idx.gateways {
        let sel = gw_selector(gw);
        let pods = idx.select(None, &sel);
        if pods.is_empty() {
            out.push(selector_not_found(gw, &sel));
            continue;
        }
        let mut ports: HashSet<u32> = HashSet::default();
        for pod in pods {
            for svc in idx.services_selecting(pod.ns, &pod.labels) {
                for p in svc.ports {
                    // Kubernetes defaults the protocol to TCP.
                    if p.protocol.as_deref().unwrap_or("TCP") != "TCP" {
                        continue;
                    }
                    // The proxy listens on the target port; traffic addressed to the
                    // Service port reaches it too.
                    let target = match &p.target_port {
                        Some(IntOrString::Int(n)) => *n,
                        Some(IntOrString::String(s)) => s.parse().unwrap_or(0),
                        None => 0,
                    };
                    for port in [target, p.port] {
                        if let Ok(port) = u32::try_from(port)
                            && port != 0
                        {
                            ports.insert(port);
                        }
                    }
                }
            }
        }
        for (i, server) in gw.obj.spec.servers.iter().enumerate() {
            let n = server.port.number;
            if !ports.contains(&n) {
                out.push(
                    GATEWAY_PORT_NOT_ON_SERVICE
                        .on(
                            gw.res,
                            format!(
                                "the gateway listens on port {n}, which no Service of its workloads (selector {}) targets",
                                selector_string(&sel)
                            ),
                        )
                        .at(format!("spec.servers[{i}].port.number"))
                        .hint("add the port (as targetPort) to the gateway's Service, or use a port it exposes"),
                );
            }
        }
    }
}

/// `gateway.SecretAnalyzer`: IST0101 when a TLS `credentialName` has no Secret in the
/// namespace of the gateway workload (or no workload matches the selector), IST0161 when
/// the Secret holds no usable certificate and key (missing keys, not PEM, expired).
pub(crate) fn secrets(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let secrets: HashMap<(&str, &str), &Value> = idx
        .others("Secret")
        .iter()
        .map(|s| ((s.ns, s.name), s.value))
        .collect();
    for gw in &idx.gateways {
        let sel = gw_selector(gw);
        let ns = idx
            .select(None, &sel)
            .first()
            .map(|w| w.ns)
            .filter(|ns| !ns.is_empty());
        let Some(ns) = ns else {
            out.push(selector_not_found(gw, &sel));
            continue;
        };
        for (i, server) in gw.obj.spec.servers.iter().enumerate() {
            let Some(cn) = server
                .tls
                .as_ref()
                .and_then(|t| t.credential_name.as_deref())
                .filter(|c| !c.is_empty())
            else {
                continue;
            };
            let key = cn.split_once('/').unwrap_or((ns, cn));
            let path = format!("spec.servers[{i}].tls.credentialName");
            match secrets.get(&key) {
                None => out.push(
                    REFERENCED_RESOURCE_NOT_FOUND
                        .on(gw.res, format!("referenced credentialName not found: {cn:?}"))
                        .at(path)
                        .hint(format!(
                            "create the Secret {cn:?} in namespace {ns:?}, where the gateway workload runs"
                        )),
                ),
                Some(secret) => {
                    if let Some(problem) = secret_problem(secret) {
                        out.push(
                            INVALID_GATEWAY_CREDENTIAL
                                .on(
                                    gw.res,
                                    format!(
                                        "the credential {cn:?} of Gateway {} is invalid ({problem}), so TLS on this server will not work",
                                        gw.full_name()
                                    ),
                                )
                                .at(path)
                                .hint("store a valid PEM certificate and key under tls.crt/tls.key (or cert/key)"),
                        );
                    }
                }
            }
        }
    }
}

/// What is wrong with a TLS Secret for a gateway: keys missing, or a certificate and key
/// that are not PEM, cannot be parsed, or have expired.
fn secret_problem(secret: &Value) -> Option<String> {
    let data = secret.get("data").and_then(Value::as_object);
    let get = |k: &str| data.and_then(|d| d.get(k)).and_then(Value::as_str);
    let (cert, key) = match (get("tls.crt"), get("tls.key"), get("cert"), get("key")) {
        (Some(c), Some(k), _, _) | (_, _, Some(c), Some(k)) => (c, k),
        _ => return Some("it has neither tls.crt and tls.key nor cert and key".into()),
    };
    let decode = |v: &str| base64_decode(v).and_then(|b| String::from_utf8(b).ok());
    let (Some(cert), Some(key)) = (decode(cert), decode(key)) else {
        return Some("its data is not base64 text".into());
    };
    credential_problem(&cert, &key)
}

/// `gateway.ConflictingGatewayAnalyzer`: IST0145 for Gateways whose workloads overlap and
/// that declare the same port and host (with the same bind address).
pub(crate) fn conflicting(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    // selector string -> port -> gateway index -> host -> bind
    type HostsBind<'a> = HashMap<&'a str, &'a str>;
    let mut by_selector: HashMap<String, HashMap<u32, Vec<(usize, HostsBind<'_>)>>> =
        HashMap::default();
    let mut selectors: Vec<String> = Vec::new();
    for (gi, gw) in idx.gateways.iter().enumerate() {
        let s = selector_string(&gw_selector(gw));
        for server in &gw.obj.spec.servers {
            let bind = server.bind.as_deref().unwrap_or("");
            let hb: HostsBind = server.hosts.iter().map(|h| (h.as_str(), bind)).collect();
            let ports = by_selector.entry(s.clone()).or_insert_with(|| {
                selectors.push(s.clone());
                HashMap::default()
            });
            let list = ports.entry(server.port.number).or_default();
            // A later server of the same gateway and port replaces the earlier one.
            list.retain(|(g, _)| *g != gi);
            list.push((gi, hb));
        }
    }
    for (gi, gw) in idx.gateways.iter().enumerate() {
        let sel = gw_selector(gw);
        let s = selector_string(&sel);
        let mut hit: Vec<&str> = Vec::new();
        for x in &selectors {
            let same = *x == s;
            let related = same
                || ((x.contains(&s) || s.contains(x.as_str())) && {
                    let xsel: LabelMap = x.split(',').filter_map(|kv| kv.split_once('=')).collect();
                    idx.select(None, &sel)
                        .iter()
                        .any(|w| matches(&xsel, &w.labels))
                });
            if related {
                hit.push(x);
            }
        }
        if !s.is_empty() && hit.is_empty() {
            out.push(selector_not_found(gw, &sel));
            continue;
        }
        for (i, server) in gw.obj.spec.servers.iter().enumerate() {
            let bind = server.bind.as_deref().unwrap_or("");
            let mut others: BTreeSet<String> = BTreeSet::new();
            for x in &hit {
                let Some(list) = by_selector.get(*x).and_then(|p| p.get(&server.port.number))
                else {
                    continue;
                };
                for (oi, hb) in list {
                    if *oi == gi {
                        continue;
                    }
                    let dup = server
                        .hosts
                        .iter()
                        .any(|h| hb.get(h.as_str()).is_some_and(|b| *b == bind));
                    if dup && let Some(o) = idx.gateways.get(*oi) {
                        others.insert(o.full_name());
                    }
                }
            }
            if !others.is_empty() {
                out.push(
                    CONFLICTING_GATEWAYS
                        .on(
                            gw.res,
                            format!(
                                "conflicts with gateways {} (workload selector {s}, port {}, hosts {})",
                                super::bounded::name_list(
                                    &others.into_iter().collect::<Vec<_>>(),
                                    ","
                                ),
                                server.port.number,
                                server.hosts.join(",")
                            ),
                        )
                        .at(format!("spec.servers[{i}]"))
                        .hint("merge the servers into one Gateway, or use distinct hosts or ports"),
                );
            }
        }
    }
}

/// The certificate a server presents: a credential name, or certificate and key files.
#[derive(Clone, PartialEq, Eq, Hash)]
enum CertKey<'a> {
    Credential(&'a str),
    Files(&'a str, &'a str),
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|x| !x.is_empty())
}

fn cert_key(tls: &ServerTlsSettings) -> Option<CertKey<'_>> {
    if let Some(cn) = non_empty(&tls.credential_name) {
        return Some(CertKey::Credential(cn));
    }
    match (
        non_empty(&tls.server_certificate),
        non_empty(&tls.private_key),
    ) {
        (Some(c), Some(k)) => Some(CertKey::Files(c, k)),
        _ => None,
    }
}

/// Whether selector `x` is a subset of `y` (every entry of `x` is in `y`).
fn selector_subset(x: &LabelMap<'_>, y: &LabelMap<'_>) -> bool {
    matches(x, y)
}

/// `gateway.CertificateAnalyzer`: IST0138 when Gateways of overlapping workloads present
/// the same certificate (clients reusing HTTP/2 connections then get 404s).
pub(crate) fn duplicate_certificates(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let mut by_cert: HashMap<CertKey<'_>, Vec<usize>> = HashMap::default();
    for (gi, gw) in idx.gateways.iter().enumerate() {
        for server in &gw.obj.spec.servers {
            if let Some(k) = server.tls.as_ref().and_then(cert_key) {
                let list = by_cert.entry(k).or_default();
                if !list.contains(&gi) {
                    list.push(gi);
                }
            }
        }
    }
    for (gi, gw) in idx.gateways.iter().enumerate() {
        let sel = gw_selector(gw);
        let mut others: BTreeSet<usize> = BTreeSet::new();
        for server in &gw.obj.spec.servers {
            let Some(k) = server.tls.as_ref().and_then(cert_key) else {
                continue;
            };
            for &oi in by_cert.get(&k).into_iter().flatten() {
                if oi == gi {
                    continue;
                }
                if let Some(o) = idx.gateways.get(oi)
                    && (sel.is_empty() || selector_subset(&sel, &gw_selector(o)))
                {
                    others.insert(oi);
                }
            }
        }
        for oi in others {
            if let Some(o) = idx.gateways.get(oi) {
                out.push(
                    GATEWAY_DUPLICATE_CERTIFICATE
                        .on(
                            gw.res,
                            format!(
                                "gateways [{} {}] present the same certificate; clients reusing HTTP/2 connections may get 404s",
                                gw.full_name(),
                                o.full_name()
                            ),
                        )
                        .hint("give each gateway its own certificate, or merge the servers into one Gateway"),
                );
            }
        }
    }
}

/// `k8sgateway.SelectorAnalyzer`: IST0166 for policies that use `selector` to target the
/// pods of a Kubernetes Gateway (they need `targetRef`).
pub(crate) fn k8s_gateway_selector(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    const GATEWAY_NAME: &str = "gateway.networking.k8s.io/gateway-name";
    let mut check = |res: &Resource, ns: &str, sel: Option<LabelMap<'_>>, has_target: bool| {
        let Some(sel) = sel.filter(|_| !has_target) else {
            return;
        };
        for pod in idx.select(Some(ns), &sel) {
            if let Some(gw) = pod.labels.get(GATEWAY_NAME) {
                out.push(
                    INEFFECTIVE_SELECTOR
                        .on(
                            res,
                            format!(
                                "the selector picks the pods of Kubernetes Gateway {gw}, where it has no effect; use targetRef"
                            ),
                        )
                        .at("spec.selector")
                        .hint("replace spec.selector with spec.targetRefs naming the Gateway"),
                );
            }
        }
    };
    // The four kinds that take a workload selector or a target reference.
    macro_rules! check_each {
        ($($kind:ident),*) => {$(
            for p in &idx.$kind {
                let s = &p.obj.spec;
                let sel = s.selector.as_ref().map(|x| label_map(&x.match_labels));
                check(
                    p.res,
                    p.ns,
                    sel,
                    s.target_ref.is_some() || !s.target_refs.is_empty(),
                );
            }
        )*};
    }
    check_each!(
        authorization_policies,
        request_authentications,
        wasm_plugins,
        telemetries
    );
}

/// Minimum Gateway API bundle versions Istio needs, by CRD name.
const MINIMUM_CRD_VERSIONS: &[(&str, (u64, u64, u64))] = &[
    ("grpcroutes.gateway.networking.k8s.io", (1, 1, 0)),
    ("backendtlspolicies.gateway.networking.k8s.io", (1, 4, 0)),
    ("tlsroutes.gateway.networking.k8s.io", (1, 5, 0)),
];

/// `v1.4.1`, `1.4.1-rc.1` as `(1, 4, 1)` (pre-release dropped).
fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let v = v.strip_prefix('v').unwrap_or(v);
    let core = v.split(['-', '+']).next()?;
    let mut parts = core.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    Some((major, minor, patch))
}

/// `k8sgateway.CRDVersionAnalyzer`: IST0176 for Gateway API CRDs older than Istio needs.
pub(crate) fn crd_version(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for crd in idx.others("CustomResourceDefinition") {
        let Some((_, min)) = MINIMUM_CRD_VERSIONS.iter().find(|(n, _)| *n == crd.name) else {
            continue;
        };
        let annotations = crd.meta_map("annotations");
        let Some(bv) = annotations.get("gateway.networking.k8s.io/bundle-version") else {
            continue;
        };
        let Some(have) = parse_version(bv) else {
            continue;
        };
        if have < *min {
            out.push(
                GATEWAY_API_CRD_VERSION_BELOW_MINIMUM
                    .on(
                        crd.res,
                        format!(
                            "CRD {} is at Gateway API {bv}, below the v{}.{}.{} Istio needs; Istio ignores its resources",
                            crd.name, min.0, min.1, min.2
                        ),
                    )
                    .hint("upgrade the Gateway API CRDs"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version("v1.4.1"), Some((1, 4, 1)));
        assert_eq!(parse_version("1.5.0-rc.1"), Some((1, 5, 0)));
        assert_eq!(parse_version("v2"), Some((2, 0, 0)));
        assert_eq!(parse_version("x"), None);
    }
}

//! Istio annotations on Kubernetes objects: `annotations.K8sAnalyzer` (unknown, misplaced,
//! deprecated and invalid ones) and `maturity.AlphaAnalyzer` (alpha-phase ones), over
//! Istio's annotation registry.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::Value;

use super::index::Index;
use super::labels::{LabelMap, labels_json, labels_typed};
use super::messages::{
    ALPHA_ANNOTATION, DEPRECATED_ANNOTATION, INVALID_ANNOTATION, MISPLACED_ANNOTATION,
    UNKNOWN_ANNOTATION,
};
use crate::diag::Diagnostic;
use crate::resources::Resource;

/// The feature status of an annotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Alpha,
    Beta,
    Stable,
}

use Status::{Alpha, Beta, Stable};

/// One annotation of Istio's registry: its name, feature status, whether it is
/// deprecated, and the kinds of resources it applies to (`Any`: every kind).
struct Annotation {
    name: &'static str,
    status: Status,
    deprecated: bool,
    kinds: &'static [&'static str],
}

/// Declares the registry: name, feature status, `deprecated` or `current`, and the kinds.
macro_rules! registry {
    ($($name:literal $status:ident $dep:ident [$($kind:ident),+];)*) => {
        static REGISTRY: &[Annotation] = &[$(Annotation {
            name: $name,
            status: $status,
            deprecated: registry!(@$dep),
            kinds: &[$(stringify!($kind)),+],
        }),*];
    };
    (@deprecated) => { true };
    (@current) => { false };
}

const ANY: &str = "Any";

// Istio's annotation registry (istio/api `annotation/annotations.yaml`, as generated into
// `annotation.AllResourceAnnotations()`; an entry without a feature status is Alpha).
registry! {
    "alpha.istio.io/canonical-serviceaccounts"              Alpha  deprecated [Service];
    "alpha.istio.io/kubernetes-serviceaccounts"             Alpha  deprecated [Service];
    "ambient.istio.io/bypass-inbound-capture"               Alpha  current    [Pod];
    "ambient.istio.io/dns-capture"                          Alpha  current    [Pod];
    "ambient.istio.io/redirection"                          Beta   current    [Pod];
    "ambient.istio.io/waypoint-inbound-binding"             Alpha  current    [GatewayClass, Gateway];
    "galley.istio.io/analyze-suppress"                      Alpha  current    [Any];
    "gateway.istio.io/controller-version"                   Alpha  current    [Any];
    "gateway.istio.io/name-override"                        Alpha  current    [Gateway];
    "gateway.istio.io/service-account"                      Alpha  current    [Gateway];
    "inject.istio.io/templates"                             Alpha  current    [Pod];
    "istio.io/autoRegistrationGroup"                        Alpha  current    [WorkloadEntry];
    "istio.io/connectedAt"                                  Alpha  current    [WorkloadEntry];
    "istio.io/disconnectedAt"                               Alpha  current    [WorkloadEntry];
    "istio.io/dry-run"                                      Alpha  current    [AuthorizationPolicy];
    "istio.io/reroute-virtual-interfaces"                   Alpha  current    [Pod];
    "istio.io/rev"                                          Alpha  current    [Pod];
    "istio.io/use-waypoint-canary-weight"                   Alpha  current    [Service, ServiceEntry, Namespace];
    "istio.io/workloadController"                           Alpha  current    [WorkloadEntry];
    "kubernetes.io/ingress.class"                           Stable current    [Ingress];
    "networking.istio.io/exportTo"                          Alpha  current    [Service];
    "networking.istio.io/service-type"                      Alpha  current    [Gateway];
    "networking.istio.io/traffic-distribution"              Alpha  current    [Namespace, Service, ServiceEntry];
    "prometheus.istio.io/merge-metrics"                     Alpha  current    [Pod];
    "proxy.istio.io/config"                                 Beta   current    [Pod];
    "proxy.istio.io/overrides"                              Alpha  current    [Pod];
    "readiness.status.sidecar.istio.io/applicationPorts"    Alpha  current    [Pod];
    "readiness.status.sidecar.istio.io/failureThreshold"    Alpha  current    [Pod];
    "readiness.status.sidecar.istio.io/initialDelaySeconds" Alpha  current    [Pod];
    "readiness.status.sidecar.istio.io/periodSeconds"       Alpha  current    [Pod];
    "sidecar.istio.io/agentLogLevel"                        Alpha  current    [Pod];
    "sidecar.istio.io/bootstrapOverride"                    Alpha  current    [Pod];
    "sidecar.istio.io/componentLogLevel"                    Alpha  current    [Pod];
    "sidecar.istio.io/discoveryAddress"                     Alpha  deprecated [Pod];
    "sidecar.istio.io/extraStatTags"                        Alpha  deprecated [Pod];
    "sidecar.istio.io/inject"                               Beta   deprecated [Pod];
    "sidecar.istio.io/interceptionMode"                     Alpha  current    [Pod];
    "sidecar.istio.io/logLevel"                             Alpha  current    [Pod];
    "sidecar.istio.io/nativeSidecar"                        Alpha  current    [Pod];
    "sidecar.istio.io/proxyCPU"                             Alpha  current    [Pod];
    "sidecar.istio.io/proxyCPULimit"                        Alpha  current    [Pod];
    "sidecar.istio.io/proxyImage"                           Alpha  current    [Pod];
    "sidecar.istio.io/proxyImageType"                       Alpha  current    [Pod];
    "sidecar.istio.io/proxyMemory"                          Alpha  current    [Pod];
    "sidecar.istio.io/proxyMemoryLimit"                     Alpha  current    [Pod];
    "sidecar.istio.io/rewriteAppHTTPProbers"                Alpha  current    [Pod];
    "sidecar.istio.io/statsCompression"                     Alpha  deprecated [Pod];
    "sidecar.istio.io/statsEvictionInterval"                Alpha  current    [Pod];
    "sidecar.istio.io/statsFlushInterval"                   Alpha  current    [Pod];
    "sidecar.istio.io/statsHistogramBins"                   Alpha  current    [Pod];
    "sidecar.istio.io/statsHistogramBuckets"                Alpha  current    [Pod];
    "sidecar.istio.io/statsInclusionPrefixes"               Alpha  deprecated [Pod];
    "sidecar.istio.io/statsInclusionRegexps"                Alpha  deprecated [Pod];
    "sidecar.istio.io/statsInclusionSuffixes"               Alpha  deprecated [Pod];
    "sidecar.istio.io/status"                               Alpha  current    [Pod];
    "sidecar.istio.io/userVolume"                           Alpha  current    [Pod];
    "sidecar.istio.io/userVolumeMount"                      Alpha  current    [Pod];
    "status.sidecar.istio.io/port"                          Alpha  current    [Pod];
    "topology.istio.io/controlPlaneClusters"                Alpha  current    [Namespace];
    "traffic.istio.io/nodeSelector"                         Stable current    [Service];
    "traffic.sidecar.istio.io/excludeInboundPorts"          Alpha  current    [Pod];
    "traffic.sidecar.istio.io/excludeInterfaces"            Alpha  current    [Pod];
    "traffic.sidecar.istio.io/excludeOutboundIPRanges"      Alpha  current    [Pod];
    "traffic.sidecar.istio.io/excludeOutboundPorts"         Alpha  current    [Pod];
    "traffic.sidecar.istio.io/includeInboundPorts"          Alpha  current    [Pod];
    "traffic.sidecar.istio.io/includeOutboundIPRanges"      Alpha  current    [Pod];
    "traffic.sidecar.istio.io/includeOutboundPorts"         Alpha  current    [Pod];
    "traffic.sidecar.istio.io/kubevirtInterfaces"           Alpha  deprecated [Pod];
}

/// Set by Istio itself, never reported (Istio's `maturity.AlwaysIgnoredAnnotations`).
const ALWAYS_IGNORED: &[&str] = &[
    "sidecar.istio.io/status",
    "gateway.istio.io/controller-version",
    "istio.io/rev",
];

/// Set by istio-cni on every pod it captures: not reported as alpha on such pods.
const SET_BY_CNI: &[&str] = &[
    "sidecar.istio.io/interceptionMode",
    "traffic.sidecar.istio.io/includeInboundPorts",
    "traffic.sidecar.istio.io/excludeInboundPorts",
    "traffic.sidecar.istio.io/includeOutboundIPRanges",
];

fn lookup(name: &str) -> Option<&'static Annotation> {
    REGISTRY.iter().find(|a| a.name == name)
}

/// Istio's `istioAnnotation`: in a domain ending in `istio.io`, or the one Kubernetes
/// annotation Istio documents.
fn in_istio_domain(name: &str) -> bool {
    name == "kubernetes.io/ingress.class"
        || name
            .split('/')
            .next()
            .is_some_and(|d| d.ends_with("istio.io"))
}

/// A Namespace, Service, Pod or Deployment with its own annotations and labels, and for a
/// Pod, whether it has the `istio-init` init container.
struct Annotated<'a> {
    res: &'a Resource,
    kind: &'static str,
    annotations: LabelMap<'a>,
    labels: LabelMap<'a>,
    istio_init: bool,
}

/// The objects both analyzers look at, in the index's order.
fn annotated<'a>(idx: &Index<'a>) -> impl Iterator<Item = Annotated<'a>> + 'a {
    idx.all.clone().into_iter().filter_map(|r| {
        let (kind, meta) = match r {
            Resource::Namespace(n) => ("Namespace", &n.metadata),
            Resource::Service(s) => ("Service", &s.metadata),
            Resource::Deployment(d) => ("Deployment", &d.metadata),
            Resource::Other(v) if r.kind() == "Pod" && r.api_version() == "v1" => {
                let meta = v.get("metadata");
                let istio_init = v
                    .pointer("/spec/initContainers")
                    .and_then(Value::as_array)
                    .is_some_and(|cs| {
                        cs.iter()
                            .any(|c| c.get("name").and_then(Value::as_str) == Some("istio-init"))
                    });
                return Some(Annotated {
                    res: r,
                    kind: "Pod",
                    annotations: labels_json(meta.and_then(|m| m.get("annotations"))),
                    labels: labels_json(meta.and_then(|m| m.get("labels"))),
                    istio_init,
                });
            }
            _ => return None,
        };
        Some(Annotated {
            res: r,
            kind,
            annotations: labels_typed(&meta.annotations),
            labels: labels_typed(&meta.labels),
            istio_init: false,
        })
    })
}

/// `annotations.K8sAnalyzer`: on Namespaces, Services, Pods and Deployments, IST0108 for an
/// annotation in an Istio domain that Istio does not know, IST0135 for a deprecated one,
/// IST0107 for one on a kind it does not apply to, IST0125 for a value Istio's injector
/// refuses.
pub(crate) fn k8s(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for o in annotated(idx) {
        for (&name, &value) in &o.annotations {
            if !in_istio_domain(name) || ALWAYS_IGNORED.contains(&name) {
                continue;
            }
            let at = format!("metadata.annotations[{name}]");
            let Some(def) = lookup(name) else {
                out.push(
                    UNKNOWN_ANNOTATION
                        .on(o.res, format!("unknown annotation {name}"))
                        .at(at),
                );
                continue;
            };
            // Both the deprecated annotation and its replacement label: kept on purpose.
            let kept_for_compatibility =
                name == "sidecar.istio.io/inject" && o.labels.contains_key(name);
            if def.deprecated && !kept_for_compatibility {
                let instead = if name == "sidecar.istio.io/inject" {
                    " in favor of the \"sidecar.istio.io/inject\" label"
                } else {
                    ""
                };
                out.push(
                    DEPRECATED_ANNOTATION
                        .on(
                            o.res,
                            format!("annotation {name:?} is deprecated{instead} and may not work in future Istio versions"),
                        )
                        .at(at.clone()),
                );
            }
            if def.kinds.contains(&ANY) {
                continue;
            }
            if !def.kinds.contains(&o.kind) {
                out.push(
                    MISPLACED_ANNOTATION
                        .on(
                            o.res,
                            format!(
                                "annotation {name} only applies to {}, not to a {}",
                                def.kinds.join(", "),
                                o.kind
                            ),
                        )
                        .at(at),
                );
                continue;
            }
            if let Err(e) = validate_value(name, value) {
                out.push(
                    INVALID_ANNOTATION
                        .on(o.res, format!("invalid annotation {name}: {e}"))
                        .at(at),
                );
            }
        }
    }
}

/// `maturity.AlphaAnalyzer`: IST0136 for every annotation of an alpha-phase feature on
/// Namespaces, Services, Pods and Deployments, except those Istio sets itself (and those
/// istio-cni sets, on pods without the `istio-init` container).
pub(crate) fn alpha(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for o in annotated(idx) {
        let cni = o.kind == "Pod" && !o.istio_init;
        for &name in o.annotations.keys() {
            if !in_istio_domain(name) {
                continue;
            }
            let Some(def) = lookup(name) else { continue };
            if def.status != Alpha
                || ALWAYS_IGNORED.contains(&name)
                || (cni && SET_BY_CNI.contains(&name))
            {
                continue;
            }
            out.push(
                ALPHA_ANNOTATION
                    .on(
                        o.res,
                        format!("annotation {name:?} belongs to an alpha-phase feature and may be incompletely supported"),
                    )
                    .at(format!("metadata.annotations[{name}]")),
            );
        }
    }
}

/// The value checks of Istio's injector (`inject.AnnotationValidation`).
fn validate_value(name: &str, value: &str) -> Result<(), String> {
    match name {
        "sidecar.istio.io/interceptionMode" => match value {
            "REDIRECT" | "TPROXY" | "NONE" => Ok(()),
            _ => Err(format!(
                "interceptionMode {value:?} is not one of REDIRECT, TPROXY, NONE"
            )),
        },
        "status.sidecar.istio.io/port" => port(value).map(|_| ()),
        "readiness.status.sidecar.istio.io/initialDelaySeconds"
        | "readiness.status.sidecar.istio.io/periodSeconds"
        | "readiness.status.sidecar.istio.io/failureThreshold" => {
            if !value.is_empty()
                && value.bytes().all(|b| b.is_ascii_digit())
                && value.parse::<u32>().is_ok()
            {
                Ok(())
            } else {
                Err(format!("{value:?} is not an unsigned 32-bit integer"))
            }
        }
        "traffic.sidecar.istio.io/includeOutboundIPRanges" if value == "*" => Ok(()),
        "traffic.sidecar.istio.io/includeOutboundIPRanges"
        | "traffic.sidecar.istio.io/excludeOutboundIPRanges" => cidr_list(value),
        "traffic.sidecar.istio.io/includeInboundPorts" if value == "*" => Ok(()),
        "traffic.sidecar.istio.io/includeInboundPorts"
        | "traffic.sidecar.istio.io/excludeInboundPorts"
        | "traffic.sidecar.istio.io/excludeOutboundPorts" => {
            let v = value.trim();
            if v.is_empty() {
                return Ok(());
            }
            v.split(',').try_for_each(|p| port(p).map(|_| ()))
        }
        "traffic.sidecar.istio.io/excludeInterfaces"
        | "traffic.sidecar.istio.io/kubevirtInterfaces"
        | "istio.io/reroute-virtual-interfaces" => interface_names(value),
        "prometheus.istio.io/merge-metrics" => match value {
            "1" | "t" | "T" | "TRUE" | "true" | "True" | "0" | "f" | "F" | "FALSE" | "false"
            | "False" => Ok(()),
            _ => Err(format!("{value:?} is not a boolean")),
        },
        "proxy.istio.io/config" => match istio_types::yaml::parse_stream(value) {
            Ok(docs)
                if docs
                    .iter()
                    .all(|d| d.value.is_object() || d.value.is_null()) =>
            {
                Ok(())
            }
            Ok(_) => Err("not a ProxyConfig (a YAML map)".into()),
            Err(e) => Err(format!("not a ProxyConfig: {e}")),
        },
        "sidecar.istio.io/proxyCPU"
        | "sidecar.istio.io/proxyMemory"
        | "sidecar.istio.io/proxyCPULimit"
        | "sidecar.istio.io/proxyMemoryLimit" => quantity(value),
        _ => Ok(()),
    }
}

/// Go's `strconv.ParseUint(strings.TrimSpace(s), 10, 16)`.
fn port(s: &str) -> Result<u16, String> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{s:?} is not a port"));
    }
    t.parse::<u16>().map_err(|_| format!("{s:?} is not a port"))
}

/// A comma-separated list of CIDR blocks (Go's `netip.ParsePrefix` for each); empty is
/// fine.
fn cidr_list(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    for c in s.split(',') {
        let ok = c.split_once('/').is_some_and(|(addr, bits)| {
            let max = if addr.contains(':') { 128 } else { 32 };
            let addr_ok = if addr.contains(':') {
                addr.parse::<Ipv6Addr>().is_ok()
            } else {
                addr.parse::<Ipv4Addr>().is_ok()
            };
            addr_ok
                && !bits.is_empty()
                && bits.bytes().all(|b| b.is_ascii_digit())
                && !(bits.len() > 1 && bits.starts_with('0'))
                && bits.parse::<u32>().is_ok_and(|n| n <= max)
        });
        if !ok {
            return Err(format!("{c:?} is not a CIDR block"));
        }
    }
    Ok(())
}

/// Istio's `ValidateInterfaceNames`: comma-separated names of at most 15 characters,
/// a letter then letters, digits, `_`, `.` or `-`.
fn interface_names(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    for name in s.split(',').map(str::trim) {
        if name.is_empty() {
            return Err("empty interface name".into());
        }
        if name.len() > 15 {
            return Err(format!(
                "interface name {name:?} is too long (max 15 chars)"
            ));
        }
        let mut chars = name.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
            return Err(format!(
                "interface name {name:?} contains invalid characters"
            ));
        }
    }
    Ok(())
}

/// A Kubernetes resource quantity (`100m`, `1.5Gi`, `2e3`).
fn quantity(s: &str) -> Result<(), String> {
    let bad = || Err(format!("{s:?} is not a resource quantity"));
    let rest = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(digits_end);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return bad();
    }
    let exponent = |e: &str| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    };
    let ok = match suffix {
        "" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E" => true,
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => true,
        s if s.starts_with(['e', 'E']) => exponent(&s[1..]),
        _ => false,
    };
    if ok { Ok(()) } else { bad() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_checks_follow_istios_injector() {
        assert!(
            validate_value(
                "readiness.status.sidecar.istio.io/initialDelaySeconds",
                "bar"
            )
            .is_err()
        );
        assert!(validate_value("readiness.status.sidecar.istio.io/periodSeconds", "10").is_ok());
        assert!(validate_value("sidecar.istio.io/interceptionMode", "REDIRECT").is_ok());
        assert!(validate_value("sidecar.istio.io/interceptionMode", "redirect").is_err());
        assert!(validate_value("traffic.sidecar.istio.io/includeInboundPorts", "*").is_ok());
        assert!(
            validate_value("traffic.sidecar.istio.io/excludeInboundPorts", "15020, 80").is_ok()
        );
        assert!(validate_value("traffic.sidecar.istio.io/excludeInboundPorts", "*").is_err());
        assert!(validate_value("traffic.sidecar.istio.io/includeOutboundIPRanges", "*").is_ok());
        assert!(
            validate_value(
                "traffic.sidecar.istio.io/includeOutboundIPRanges",
                "10.0.0.0/8,::1/128"
            )
            .is_ok()
        );
        assert!(
            validate_value(
                "traffic.sidecar.istio.io/excludeOutboundIPRanges",
                "10.0.0.1"
            )
            .is_err()
        );
        assert!(validate_value("traffic.sidecar.istio.io/excludeInterfaces", "eth0,net1").is_ok());
        assert!(validate_value("traffic.sidecar.istio.io/excludeInterfaces", "0eth").is_err());
        assert!(validate_value("prometheus.istio.io/merge-metrics", "yes").is_err());
        assert!(validate_value("sidecar.istio.io/proxyCPU", "100m").is_ok());
        assert!(validate_value("sidecar.istio.io/proxyMemory", "1.5Gi").is_ok());
        assert!(validate_value("sidecar.istio.io/proxyMemory", "lots").is_err());
        assert!(validate_value("proxy.istio.io/config", "{}").is_ok());
        assert!(validate_value("proxy.istio.io/config", "[1]").is_err());
    }

    #[test]
    fn registry_names_are_unique_and_in_istio_domains() {
        for (i, a) in REGISTRY.iter().enumerate() {
            assert!(in_istio_domain(a.name), "{}", a.name);
            assert!(
                !REGISTRY[..i].iter().any(|b| b.name == a.name),
                "{}",
                a.name
            );
        }
    }
}

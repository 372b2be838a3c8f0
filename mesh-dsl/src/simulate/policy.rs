//! DestinationRule selection and traffic policy merging, as Istio does for the cluster of
//! one destination (host, subset, port) seen from one proxy.

use std::collections::BTreeMap;

use istio_types::networking::v1::TrafficPolicy;

use super::decision::{DestinationPolicy, PolicyLevel, Setting};
use super::index::{Index, MergedRule};

/// The DestinationRule that applies to `host` for a proxy in `proxy_ns` with
/// `proxy_labels`, with the host entry it was found under. Istio looks in the proxy's
/// namespace first, then in the service's namespace (rules exported to the proxy), then
/// in the root namespace; within the chosen list, a rule whose `workloadSelector` selects
/// the proxy (same namespace only) wins over a rule without selector.
pub(crate) fn lookup<'a>(
    ix: &'a Index,
    host: &str,
    service_ns: Option<&str>,
    proxy_ns: &str,
    proxy_labels: &BTreeMap<String, String>,
) -> Option<&'a MergedRule> {
    let local = ix.rules_local.get(proxy_ns).and_then(|s| s.lookup(host));
    if let Some((_, list)) = local {
        return select(list, proxy_ns, proxy_labels);
    }
    let exported = |ns: &str| {
        ix.rules_exported
            .get(ns)
            .and_then(|s| s.lookup(host))
            .filter(|(_, list)| {
                list.first()
                    .is_some_and(|r| r.visibility.visible_to(proxy_ns))
            })
    };
    if let Some(ns) = service_ns
        && let Some((_, list)) = exported(ns)
    {
        return select(list, proxy_ns, proxy_labels);
    }
    exported(&ix.root_namespace).and_then(|(_, list)| select(list, proxy_ns, proxy_labels))
}

fn select<'a>(
    list: &'a [MergedRule],
    proxy_ns: &str,
    proxy_labels: &BTreeMap<String, String>,
) -> Option<&'a MergedRule> {
    let mut catch_all = None;
    for r in list {
        match &r.selector {
            None => catch_all = Some(r),
            Some(sel) => {
                if r.namespace == proxy_ns
                    && sel.iter().all(|(k, v)| proxy_labels.get(k) == Some(v))
                {
                    return Some(r);
                }
            }
        }
    }
    catch_all
}

/// One layer of settings (a `trafficPolicy` or a port's entry of it).
#[derive(Default)]
struct Layer {
    policy: DestinationPolicyParts,
}

#[derive(Default, Clone)]
struct DestinationPolicyParts {
    load_balancer: Option<Setting<istio_types::networking::v1::LoadBalancerSettings>>,
    connection_pool: Option<Setting<istio_types::networking::v1::ConnectionPoolSettings>>,
    outlier_detection: Option<Setting<istio_types::networking::v1::OutlierDetection>>,
    tls: Option<Setting<istio_types::networking::v1::ClientTlsSettings>>,
    tunnel: Option<Setting<istio_types::networking::v1::TrafficPolicyTunnelSettings>>,
    proxy_protocol: Option<Setting<istio_types::networking::v1::ProxyProtocol>>,
    retry_budget: Option<Setting<istio_types::networking::v1::RetryBudget>>,
}

fn set<T: Clone>(v: &Option<T>, from: &PolicyLevel) -> Option<Setting<T>> {
    v.as_ref().map(|value| Setting {
        value: value.clone(),
        from: from.clone(),
    })
}

/// The settings of `tp` for `port`: its `portLevelSettings` entry for the port when there
/// is one (which stands alone: only load balancer, connection pool, outlier detection and
/// TLS, nothing inherited), else the whole policy. Returns whether a port entry was used.
fn for_port(
    tp: &TrafficPolicy,
    port: u32,
    whole: PolicyLevel,
    at_port: PolicyLevel,
) -> (Layer, bool) {
    if let Some(p) = tp
        .port_level_settings
        .iter()
        .find(|p| p.port.as_ref().and_then(|s| s.number) == Some(port))
    {
        let parts = DestinationPolicyParts {
            load_balancer: set(&p.load_balancer, &at_port),
            connection_pool: set(&p.connection_pool, &at_port),
            outlier_detection: set(&p.outlier_detection, &at_port),
            tls: set(&p.tls, &at_port),
            ..Default::default()
        };
        return (Layer { policy: parts }, true);
    }
    let parts = DestinationPolicyParts {
        load_balancer: set(&tp.load_balancer, &whole),
        connection_pool: set(&tp.connection_pool, &whole),
        outlier_detection: set(&tp.outlier_detection, &whole),
        tls: set(&tp.tls, &whole),
        tunnel: set(&tp.tunnel, &whole),
        proxy_protocol: set(&tp.proxy_protocol, &whole),
        retry_budget: set(&tp.retry_budget, &whole),
    };
    (Layer { policy: parts }, false)
}

/// The merged policy of `rule` for `subset` (when the rule defines it) and `port`, as
/// Istio's `MergeSubsetTrafficPolicy`: the top-level policy resolved for the port, then
/// the subset's policy (resolved for the port the same way) over it. A subset's port entry
/// replaces the four per-port settings as a whole, unset ones included; otherwise each
/// setting the subset sets replaces the inherited one.
pub(crate) fn merge(rule: &MergedRule, subset: Option<&str>, port: u32) -> DestinationPolicy {
    let top = rule.traffic_policy.as_ref().map(|tp| {
        for_port(
            tp,
            port,
            PolicyLevel::Destination,
            PolicyLevel::DestinationPort(port),
        )
        .0
    });
    let found = subset.and_then(|s| rule.subsets.iter().find(|x| x.name == s));
    let sub = found.and_then(|s| {
        s.traffic_policy.as_ref().map(|tp| {
            for_port(
                tp,
                port,
                PolicyLevel::Subset(s.name.clone()),
                PolicyLevel::SubsetPort(s.name.clone(), port),
            )
        })
    });
    let parts = match (top, sub) {
        (None, None) => DestinationPolicyParts::default(),
        (Some(t), None) => t.policy,
        (None, Some((s, _))) => s.policy,
        (Some(t), Some((s, whole_port))) => {
            let mut m = t.policy;
            let s = s.policy;
            if s.load_balancer.is_some() || whole_port {
                m.load_balancer = s.load_balancer;
            }
            if s.connection_pool.is_some() || whole_port {
                m.connection_pool = s.connection_pool;
            }
            if s.outlier_detection.is_some() || whole_port {
                m.outlier_detection = s.outlier_detection;
            }
            if s.tls.is_some() || whole_port {
                m.tls = s.tls;
            }
            if s.tunnel.is_some() {
                m.tunnel = s.tunnel;
            }
            if s.proxy_protocol.is_some() {
                m.proxy_protocol = s.proxy_protocol;
            }
            if s.retry_budget.is_some() {
                m.retry_budget = s.retry_budget;
            }
            m
        }
    };
    DestinationPolicy {
        destination_rule: rule.reference.clone(),
        merged: rule.merged.clone(),
        subset_labels: found.map(|s| s.labels.clone()),
        load_balancer: parts.load_balancer,
        connection_pool: parts.connection_pool,
        outlier_detection: parts.outlier_detection,
        tls: parts.tls,
        tunnel: parts.tunnel,
        proxy_protocol: parts.proxy_protocol,
        retry_budget: parts.retry_budget,
    }
}

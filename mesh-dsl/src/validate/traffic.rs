//! DestinationRule: subsets, traffic policies (connection pools, outlier detection, load
//! balancing, locality, client TLS, tunnels) as Istio's webhook checks them.

use istio_types::networking::v1::{
    ClientTlsMode, ClientTlsSettings, ConnectionPoolSettings, DestinationRule, H2UpgradePolicy,
    HashAlgorithm, HashKey, LbPolicy, LoadBalancerSettings, LocalityLoadBalancerSetting,
    OutlierDetection, PortTrafficPolicy, TrafficPolicy, TrafficPolicyTunnelSettings,
};

use super::common::*;
use super::{Out, Path};

pub(crate) fn destination_rule(dr: &DestinationRule, namespace: &str, out: &mut Out) {
    let spec = &dr.spec;
    let at = Path::new("spec");
    out.check(&at.f("host"), validate_wildcard_domain(&spec.host));
    if let Some(tp) = &spec.traffic_policy {
        traffic_policy(tp, namespace, &at.f("trafficPolicy"), out);
    }
    let mut names: Vec<&str> = Vec::new();
    for (i, s) in spec.subsets.iter().enumerate() {
        let sat_subsets = at.f("subsets");
        let sat = sat_subsets.i(i);
        if names.contains(&s.name.as_str()) {
            out.err(
                &sat.f("name"),
                format!("duplicate subset name {:?}", s.name),
            );
        }
        names.push(&s.name);
        if s.name.is_empty() {
            out.err(&sat.f("name"), "a subset needs a name");
        } else if !is_dns_label(&s.name) {
            out.err(
                &sat.f("name"),
                format!("subset name {:?} is not a DNS label", s.name),
            );
        }
        validate_labels(&s.labels, &sat.f("labels"), out);
        if let Some(tp) = &s.traffic_policy {
            traffic_policy(tp, namespace, &sat.f("trafficPolicy"), out);
        }
    }
    validate_export_to(
        namespace,
        &spec.export_to,
        false,
        spec.workload_selector.is_some(),
        &at.f("exportTo"),
        out,
    );
    workload_selector(
        spec.workload_selector.as_ref(),
        &at.f("workloadSelector"),
        out,
    );
}

fn traffic_policy(p: &TrafficPolicy, namespace: &str, at: &Path, out: &mut Out) {
    if p.outlier_detection.is_none()
        && p.connection_pool.is_none()
        && p.load_balancer.is_none()
        && p.tls.is_none()
        && p.port_level_settings.is_empty()
        && p.tunnel.is_none()
        && p.proxy_protocol.is_none()
        && p.retry_budget.is_none()
    {
        out.err(at, "a traffic policy needs at least one setting");
        return;
    }
    if p.tunnel.is_some() && p.proxy_protocol.is_some() {
        out.err(at, "tunnel and proxyProtocol cannot be set together");
        return;
    }
    outlier(p.outlier_detection.as_ref(), &at.f("outlierDetection"), out);
    connection_pool(p.connection_pool.as_ref(), &at.f("connectionPool"), out);
    load_balancer(
        p.load_balancer.as_ref(),
        p.outlier_detection.is_some(),
        &at.f("loadBalancer"),
        out,
    );
    client_tls(p.tls.as_ref(), namespace, &at.f("tls"), out);
    for (i, pl) in p.port_level_settings.iter().enumerate() {
        port_policy(pl, namespace, &at.f("portLevelSettings").i(i), out);
    }
    if let Some(t) = &p.tunnel {
        tunnel(t, &at.f("tunnel"), out);
    }
}

fn port_policy(p: &PortTrafficPolicy, namespace: &str, at: &Path, out: &mut Out) {
    if p.port.is_none() {
        out.err(&at.f("port"), "a port traffic policy needs a port");
    }
    if p.outlier_detection.is_none()
        && p.connection_pool.is_none()
        && p.load_balancer.is_none()
        && p.tls.is_none()
    {
        out.err(at, "a port traffic policy needs at least one setting");
        return;
    }
    outlier(p.outlier_detection.as_ref(), &at.f("outlierDetection"), out);
    connection_pool(p.connection_pool.as_ref(), &at.f("connectionPool"), out);
    load_balancer(
        p.load_balancer.as_ref(),
        p.outlier_detection.is_some(),
        &at.f("loadBalancer"),
        out,
    );
    client_tls(p.tls.as_ref(), namespace, &at.f("tls"), out);
}

fn outlier(o: Option<&OutlierDetection>, at: &Path, out: &mut Out) {
    let Some(o) = o else { return };
    if let Some(d) = &o.base_ejection_time {
        out.check(&at.f("baseEjectionTime"), validate_duration(d));
    }
    if o.consecutive_errors.unwrap_or(0) != 0 {
        out.warn(
            &at.f("consecutiveErrors"),
            "consecutiveErrors is deprecated; use consecutiveGatewayErrors or consecutive5xxErrors",
        );
    }
    if !o.split_external_local_origin_errors.unwrap_or(false)
        && o.consecutive_local_origin_failures.unwrap_or(0) > 0
    {
        out.err(
            &at.f("consecutiveLocalOriginFailures"),
            "consecutiveLocalOriginFailures needs splitExternalLocalOriginErrors: true",
        );
    }
    if let Some(d) = &o.interval {
        out.check(&at.f("interval"), validate_duration(d));
    }
    out.check(
        &at.f("maxEjectionPercent"),
        validate_percent(i64::from(o.max_ejection_percent.unwrap_or(0))),
    );
    out.check(
        &at.f("minHealthPercent"),
        validate_percent(i64::from(o.min_health_percent.unwrap_or(0))),
    );
}

pub(crate) fn connection_pool(p: Option<&ConnectionPoolSettings>, at: &Path, out: &mut Out) {
    let Some(p) = p else { return };
    if p.http.is_none() && p.tcp.is_none() {
        out.err(at, "a connection pool needs http or tcp settings");
        return;
    }
    if let Some(h) = &p.http {
        let at = at.f("http");
        for (field, v) in [
            ("http1MaxPendingRequests", h.http1_max_pending_requests),
            ("http2MaxRequests", h.http2_max_requests),
            ("maxRequestsPerConnection", h.max_requests_per_connection),
            ("maxRetries", h.max_retries),
            ("maxConcurrentStreams", h.max_concurrent_streams),
        ] {
            if v.unwrap_or(0) < 0 {
                out.err(&at.f(field), format!("{field} must not be negative"));
            }
        }
        if let Some(d) = &h.idle_timeout {
            out.check(&at.f("idleTimeout"), validate_duration(d));
        }
        if h.h2_upgrade_policy == Some(H2UpgradePolicy::Upgrade)
            && h.use_client_protocol == Some(true)
        {
            out.err(
                &at,
                "useClientProtocol must not be true when h2UpgradePolicy is UPGRADE",
            );
        }
    }
    if let Some(t) = &p.tcp {
        let at = at.f("tcp");
        if t.max_connections.unwrap_or(0) < 0 {
            out.err(
                &at.f("maxConnections"),
                "maxConnections must not be negative",
            );
        }
        for (field, d) in [
            ("connectTimeout", &t.connect_timeout),
            ("maxConnectionDuration", &t.max_connection_duration),
            ("idleTimeout", &t.idle_timeout),
        ] {
            if let Some(d) = d {
                out.check(&at.f(field), validate_duration(d));
            }
        }
        if let Some(k) = &t.tcp_keepalive {
            for (field, d) in [("time", &k.time), ("interval", &k.interval)] {
                if let Some(d) = d {
                    out.check(&at.f("tcpKeepalive").f(field), validate_duration(d));
                }
            }
        }
    }
}

/// Envoy's primality test for Maglev table sizes.
fn is_prime(x: u64) -> bool {
    if x != 0 && x < 4 {
        return true;
    }
    if x & 1 == 0 {
        return false;
    }
    let limit = (x as f64).sqrt() as u64;
    let mut f = 3;
    while f <= limit {
        if x.is_multiple_of(f) {
            return false;
        }
        f += 2;
    }
    true
}

fn load_balancer(lb: Option<&LoadBalancerSettings>, has_outlier: bool, at: &Path, out: &mut Out) {
    let Some(lb) = lb else { return };
    if let Some(LbPolicy::ConsistentHash(ch)) = &lb.lb_policy {
        let at = at.f("consistentHash");
        if let Some(HashKey::HttpCookie(c)) = &ch.hash_key
            && c.name.is_empty()
        {
            out.err(
                &at.f("httpCookie").f("name"),
                "an httpCookie hash key needs a name",
            );
        }
        if ch.minimum_ring_size.unwrap_or(0) != 0 {
            out.warn(
                &at.f("minimumRingSize"),
                "minimumRingSize is deprecated; use ringHash.minimumRingSize",
            );
            if ch.hash_algorithm.is_some() {
                out.err(
                    &at,
                    "only one of minimumRingSize, maglev or ringHash can be set",
                );
            }
        }
        if let Some(HashAlgorithm::Maglev(m)) = &ch.hash_algorithm {
            let size = m.table_size.unwrap_or(0);
            let at_maglev = at.f("maglev");
            let at = at_maglev.f("tableSize");
            if size == 0 {
                out.err(&at, "tableSize must be set for maglev");
            }
            if size >= 5_000_011 {
                out.err(&at, "tableSize must be less than 5000011 for maglev");
            }
            if !is_prime(size) {
                out.err(
                    &at,
                    format!("tableSize must be a prime number for maglev; {size} is not"),
                );
            }
        }
    }
    if let Some(l) = &lb.locality_lb_setting {
        locality(l, has_outlier, &at.f("localityLbSetting"), out);
    }
    if let Some(d) = &lb.warmup_duration_secs {
        out.check(&at.f("warmupDurationSecs"), validate_duration(d));
    }
}

fn locality(l: &LocalityLoadBalancerSetting, has_outlier: bool, at: &Path, out: &mut Out) {
    if !l.distribute.is_empty() && !l.failover.is_empty() {
        out.err(at, "distribute and failover cannot both be set");
        return;
    }
    if !l.failover.is_empty() {
        for p in &l.failover_priority {
            if matches!(
                p.as_str(),
                "topology.kubernetes.io/region"
                    | "topology.kubernetes.io/zone"
                    | "topology.istio.io/subzone"
            ) {
                out.err(
                    &at.f("failoverPriority"),
                    format!("failover cannot be combined with the topology label {p:?} in failoverPriority"),
                );
                return;
            }
        }
    }
    let mut sources = Vec::new();
    for (i, d) in l.distribute.iter().enumerate() {
        let dat_distribute = at.f("distribute");
        let dat = dat_distribute.i(i);
        sources.push(d.from.clone().unwrap_or_default());
        let mut total: u64 = 0;
        for w in d.to.values() {
            if *w == 0 || *w > 100 {
                out.err(
                    &dat.f("to"),
                    "locality weights must be in the range [1, 100]",
                );
                return;
            }
            total += u64::from(*w);
        }
        if total != 100 {
            out.err(
                &dat.f("to"),
                format!("locality weights add up to {total}, not 100"),
            );
            return;
        }
        if let Err(e) = localities(d.to.keys().map(String::as_str)) {
            out.err(&dat.f("to"), e);
        }
    }
    if let Err(e) = localities(sources.iter().map(String::as_str)) {
        out.err(&at.f("distribute"), e);
    }
    if (!l.failover.is_empty() || !l.failover_priority.is_empty()) && !has_outlier {
        out.warn(at, "failover needs outlier detection to take effect");
    }
    for (i, f) in l.failover.iter().enumerate() {
        let fat_failover = at.f("failover");
        let fat = fat_failover.i(i);
        let (from, to) = (
            f.from.as_deref().unwrap_or(""),
            f.to.as_deref().unwrap_or(""),
        );
        if from == to {
            out.err(&fat, "locality failover must name different regions");
        }
        if from.contains('/') || to.contains('/') {
            out.err(&fat, "locality failover only takes regions");
        }
        if from.contains('*') || to.contains('*') {
            out.err(
                &fat,
                "locality failover regions cannot contain the * wildcard",
            );
        }
    }
}

/// Localities (`region/zone/subzone`, with at most one trailing `*`) must not overlap.
fn localities<'a>(items: impl Iterator<Item = &'a str>) -> Result<(), String> {
    use std::collections::BTreeMap;
    type Zones = BTreeMap<String, BTreeMap<String, bool>>;
    let mut regions: BTreeMap<String, Zones> = BTreeMap::new();
    for loc in items {
        let stars = loc.matches('*').count();
        if stars > 1 || (stars == 1 && !loc.ends_with('*')) {
            return Err(format!(
                "locality {loc}: at most one * wildcard, and only at the end"
            ));
        }
        if regions.contains_key("*") {
            return Err(format!("locality {loc} overlaps with an earlier one"));
        }
        let parts: Vec<&str> = loc.splitn(3, '/').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(format!(
                "locality {loc} has an empty region, zone or subzone"
            ));
        }
        let overlap = || Err(format!("locality {loc} overlaps with an earlier one"));
        match parts.as_slice() {
            [region] => {
                if regions.contains_key(*region) {
                    return overlap();
                }
                regions.insert(
                    region.to_string(),
                    BTreeMap::from([("*".to_string(), BTreeMap::from([("*".to_string(), true)]))]),
                );
            }
            [region, zone] => {
                let zones = regions.entry(region.to_string()).or_default();
                if zones.contains_key("*") || zones.contains_key(*zone) {
                    return overlap();
                }
                zones.insert(zone.to_string(), BTreeMap::from([("*".to_string(), true)]));
            }
            [region, zone, sub] => {
                let zones = regions.entry(region.to_string()).or_default();
                if zones.contains_key("*") {
                    return overlap();
                }
                let subs = zones.entry(zone.to_string()).or_default();
                if subs.contains_key("*") || subs.contains_key(*sub) {
                    return overlap();
                }
                subs.insert(sub.to_string(), true);
            }
            _ => {}
        }
    }
    Ok(())
}

/// Client TLS settings (DestinationRule), as `agent.ValidateTLS` checks them.
fn client_tls(t: Option<&ClientTlsSettings>, namespace: &str, at: &Path, out: &mut Out) {
    let Some(t) = t else { return };
    let set = |s: &Option<String>| s.as_deref().is_some_and(|x| !x.is_empty());
    let mode = t.mode.unwrap_or_default();
    if let Some(c) = t.credential_name.as_deref()
        && let Some(rest) = c.strip_prefix("configmap://")
    {
        let ns = match rest.split_once('/') {
            Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains('/') => {
                Some(ns)
            }
            None if !rest.is_empty() => Some(namespace),
            _ => None,
        };
        match ns {
            None => out.err(&at.f("credentialName"), format!("invalid configmap:// credentialName {c:?}")),
            Some(ns) if ns != namespace || namespace.is_empty() => out.err(
                &at.f("credentialName"),
                format!("a configmap:// credentialName must be in the configuration's namespace {namespace:?}"),
            ),
            _ => {}
        }
    }
    if t.insecure_skip_verify == Some(true) {
        if mode == ClientTlsMode::Simple
            && (set(&t.ca_certificates)
                || set(&t.credential_name)
                || !t.subject_alt_names.is_empty())
        {
            out.err(at, "caCertificates, credentialName and subjectAltNames cannot be set with insecureSkipVerify: true");
        }
        if mode == ClientTlsMode::Mutual
            && (set(&t.ca_certificates) || !t.subject_alt_names.is_empty())
        {
            out.err(
                at,
                "caCertificates and subjectAltNames cannot be set with insecureSkipVerify: true",
            );
        }
    }
    if matches!(mode, ClientTlsMode::Simple | ClientTlsMode::Mutual) && set(&t.credential_name) {
        if set(&t.client_certificate)
            || set(&t.ca_certificates)
            || set(&t.private_key)
            || set(&t.ca_crl)
        {
            out.err(at, "client certificates, CA certificates and CA CRL cannot be set together with credentialName");
        }
        return;
    }
    if mode == ClientTlsMode::Mutual {
        if !set(&t.client_certificate) {
            out.err(
                &at.f("clientCertificate"),
                "mutual TLS needs a client certificate",
            );
        }
        if !set(&t.private_key) {
            out.err(&at.f("privateKey"), "mutual TLS needs a private key");
        }
    }
}

fn tunnel(t: &TrafficPolicyTunnelSettings, at: &Path, out: &mut Out) {
    if let Some(p) = t.protocol.as_deref()
        && !p.is_empty()
        && p != "CONNECT"
        && p != "POST"
    {
        out.err(
            &at.f("protocol"),
            "the tunnel protocol must be CONNECT or POST",
        );
    }
    if let (Err(f), Err(ip)) = (validate_fqdn(&t.target_host), validate_ip(&t.target_host)) {
        out.err(
            &at.f("targetHost"),
            format!("the tunnel target host must be a fully qualified domain name or an IP address: {f}; {ip}"),
        );
    }
    out.check(&at.f("targetPort"), validate_port(i64::from(t.target_port)));
}

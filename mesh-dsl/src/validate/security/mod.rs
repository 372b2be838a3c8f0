//! AuthorizationPolicy, PeerAuthentication and RequestAuthentication, as Istio's webhook
//! checks them.

use istio_types::security::v1::{
    AuthorizationPolicy, AuthorizationPolicyAction, AuthorizationPolicySpec, Condition, JwtRule,
    PeerAuthentication, RequestAuthentication, Rule, RuleFrom, RuleTo,
};

use super::common::*;
use super::{Out, Path};

mod values;
use values::{attribute, empty_values, ips, path_templates, ports, service_accounts};

/// Checks an AuthorizationPolicy: its targets, what its action requires, then each rule.
pub(crate) fn authorization_policy(ap: &AuthorizationPolicy, out: &mut Out) {
    let spec = &ap.spec;
    let at = Path::new("spec");
    policy_targets(
        spec.selector.as_ref(),
        spec.target_ref.as_ref(),
        &spec.target_refs,
        out,
    );
    let action = spec.action.unwrap_or_default();
    if action == AuthorizationPolicyAction::Custom {
        custom_action(spec, &at, out);
    }
    if spec.provider.is_some() && action != AuthorizationPolicyAction::Custom {
        out.err(
            &at.f("provider"),
            format!("provider can only be set with the CUSTOM action, not {action}"),
        );
    }
    if action == AuthorizationPolicyAction::Deny && spec.rules.is_empty() {
        out.err(
            &at.f("rules"),
            "a DENY policy without rules never applies; add an empty rule {} to apply it to every request",
        );
    }
    for (i, r) in spec.rules.iter().enumerate() {
        authz_rule(r, i, action, &at.f("rules").i(i), out);
    }
}

/// What the CUSTOM action requires: rules and a provider, and no source identities or
/// conditions on them (the external authorizer does not see them).
fn custom_action(spec: &AuthorizationPolicySpec, at: &Path, out: &mut Out) {
    if spec.rules.is_empty() {
        out.err(
            &at.f("rules"),
            "a CUSTOM policy without rules never applies; add an empty rule {} to apply it to every request",
        );
    } else if spec
        .provider
        .as_ref()
        .and_then(|p| p.name.as_deref())
        .unwrap_or("")
        .is_empty()
    {
        out.err(
            &at.f("provider").f("name"),
            "a CUSTOM policy needs provider.name",
        );
    }
    for (i, r) in spec.rules.iter().enumerate() {
        let rat_rules = at.f("rules");
        let rat = rat_rules.i(i);
        for (j, f) in r.from.iter().enumerate() {
            let Some(s) = &f.source else { continue };
            let sat_from = rat.f("from");
            let sat_peer = sat_from.i(j);
            let sat = sat_peer.f("source");
            for (field, v) in [
                ("namespaces", &s.namespaces),
                ("notNamespaces", &s.not_namespaces),
                ("principals", &s.principals),
                ("notPrincipals", &s.not_principals),
                ("requestPrincipals", &s.request_principals),
                ("notRequestPrincipals", &s.not_request_principals),
            ] {
                if !v.is_empty() {
                    out.err(
                        &sat.f(field),
                        format!("from.source.{field} is not supported with the CUSTOM action"),
                    );
                }
            }
        }
        for (j, w) in r.when.iter().enumerate() {
            if w.key == "source.namespace"
                || w.key == "source.principal"
                || w.key.starts_with("request.auth.")
            {
                out.err(
                    &rat.f("when").i(j).f("key"),
                    format!("{} is not supported with the CUSTOM action", w.key),
                );
            }
        }
    }
}

/// Rule `i` of a policy: its sources, operations and conditions, and the warning for a
/// DENY rule that only uses HTTP attributes.
fn authz_rule(r: &Rule, i: usize, action: AuthorizationPolicyAction, rat: &Path, out: &mut Out) {
    let (has_from, tcp_from) = rule_sources(&r.from, i, rat, out);
    let (has_to, tcp_to) = rule_operations(&r.to, i, rat, out);
    rule_conditions(&r.when, rat, out);
    if ((has_from && !has_to && !tcp_from) || (has_to && !tcp_to))
        && action == AuthorizationPolicyAction::Deny
    {
        out.warn(
            rat,
            "this DENY rule only uses HTTP attributes, so it denies all traffic to TCP ports in its scope; name the port explicitly",
        );
    }
}

/// The `from` entries of rule `i`; returns whether any has a source, and whether any
/// uses a field that also applies to TCP traffic.
fn rule_sources(from: &[RuleFrom], i: usize, rat: &Path, out: &mut Out) -> (bool, bool) {
    let (mut has_from, mut tcp_from) = (false, false);
    for (j, f) in from.iter().enumerate() {
        let fat_from = rat.f("from");
        let fat = fat_from.i(j);
        let Some(s) = &f.source else {
            out.err(
                &fat.f("source"),
                format!("from.source must be set (rule {i})"),
            );
            continue;
        };
        has_from = true;
        let sat = fat.f("source");
        let lists = [
            ("principals", &s.principals),
            ("requestPrincipals", &s.request_principals),
            ("namespaces", &s.namespaces),
            ("ipBlocks", &s.ip_blocks),
            ("remoteIpBlocks", &s.remote_ip_blocks),
            ("notPrincipals", &s.not_principals),
            ("notRequestPrincipals", &s.not_request_principals),
            ("notNamespaces", &s.not_namespaces),
            ("notIpBlocks", &s.not_ip_blocks),
            ("notRemoteIpBlocks", &s.not_remote_ip_blocks),
        ];
        if lists.iter().all(|(_, v)| v.is_empty())
            && s.service_accounts.is_empty()
            && s.not_service_accounts.is_empty()
            && s.trust_domains.is_empty()
            && s.not_trust_domains.is_empty()
        {
            out.err(&sat, format!("from.source must not be empty (rule {i})"));
        }
        for (field, v) in [
            ("ipBlocks", &s.ip_blocks),
            ("notIpBlocks", &s.not_ip_blocks),
            ("remoteIpBlocks", &s.remote_ip_blocks),
            ("notRemoteIpBlocks", &s.not_remote_ip_blocks),
        ] {
            ips(v, &sat.f(field), out);
        }
        for (field, v) in lists {
            empty_values(field, v, &sat.f(field), out);
        }
        service_accounts(
            "serviceAccounts",
            &s.service_accounts,
            &sat.f("serviceAccounts"),
            out,
        );
        service_accounts(
            "notServiceAccounts",
            &s.not_service_accounts,
            &sat.f("notServiceAccounts"),
            out,
        );
        let tcp_fields = [
            &s.not_principals,
            &s.principals,
            &s.ip_blocks,
            &s.not_ip_blocks,
            &s.namespaces,
            &s.not_namespaces,
            &s.remote_ip_blocks,
            &s.not_remote_ip_blocks,
            &s.service_accounts,
            &s.not_service_accounts,
        ];
        if tcp_fields.iter().any(|v| !v.is_empty()) {
            tcp_from = true;
        }
    }
    (has_from, tcp_from)
}

/// The `to` entries of rule `i`; returns whether any has an operation, and whether any
/// names ports (which apply to TCP traffic).
fn rule_operations(to: &[RuleTo], i: usize, rat: &Path, out: &mut Out) -> (bool, bool) {
    let (mut has_to, mut tcp_to) = (false, false);
    for (j, t) in to.iter().enumerate() {
        let tat_to = rat.f("to");
        let tat = tat_to.i(j);
        let Some(op) = &t.operation else {
            out.err(
                &tat.f("operation"),
                format!("to.operation must be set (rule {i})"),
            );
            continue;
        };
        has_to = true;
        let oat = tat.f("operation");
        let lists = [
            ("ports", &op.ports),
            ("methods", &op.methods),
            ("paths", &op.paths),
            ("hosts", &op.hosts),
            ("notPorts", &op.not_ports),
            ("notMethods", &op.not_methods),
            ("notPaths", &op.not_paths),
            ("notHosts", &op.not_hosts),
        ];
        if lists.iter().all(|(_, v)| v.is_empty()) {
            out.err(&oat, format!("to.operation must not be empty (rule {i})"));
        }
        ports(&op.ports, &oat.f("ports"), out);
        ports(&op.not_ports, &oat.f("notPorts"), out);
        for (field, v) in lists {
            empty_values(field, v, &oat.f(field), out);
        }
        path_templates("paths", &op.paths, &oat.f("paths"), out);
        path_templates("notPaths", &op.not_paths, &oat.f("notPaths"), out);
        if !op.ports.is_empty() || !op.not_ports.is_empty() {
            tcp_to = true;
        }
    }
    (has_to, tcp_to)
}

/// The `when` conditions of a rule: a key, values or notValues, and values the key
/// accepts.
fn rule_conditions(when: &[Condition], rat: &Path, out: &mut Out) {
    for (j, c) in when.iter().enumerate() {
        let cat_when = rat.f("when");
        let cat = cat_when.i(j);
        if c.key.is_empty() {
            out.err(&cat.f("key"), "a condition needs a key");
        } else if c.values.is_empty() && c.not_values.is_empty() {
            out.err(
                &cat,
                format!(
                    "condition {}: at least one of values or notValues must be set",
                    c.key
                ),
            );
        } else {
            if let Err(e) = attribute(&c.key, &c.values) {
                out.err(
                    &cat.f("values"),
                    format!("invalid value for key {}: {e}", c.key),
                );
            }
            if let Err(e) = attribute(&c.key, &c.not_values) {
                out.err(
                    &cat.f("notValues"),
                    format!("invalid notValue for key {}: {e}", c.key),
                );
            }
        }
    }
}

pub(crate) fn peer_authentication(pa: &PeerAuthentication, out: &mut Out) {
    let spec = &pa.spec;
    let at = Path::new("spec");
    let empty_selector = spec
        .selector
        .as_ref()
        .is_none_or(|s| s.match_labels.is_empty());
    if empty_selector && !spec.port_level_mtls.is_empty() {
        out.err(&at.f("portLevelMtls"), "a mesh- or namespace-wide PeerAuthentication (no selector) cannot have port-level mTLS");
    }
    for port in spec.port_level_mtls.keys() {
        if !port.parse::<i64>().is_ok_and(|p| (1..=65535).contains(&p)) {
            out.err(
                &at.f("portLevelMtls").k(port),
                "the port must be in the range 1..65535",
            );
        }
    }
    workload_selector(spec.selector.as_ref(), &at.f("selector"), out);
}

pub(crate) fn request_authentication(ra: &RequestAuthentication, out: &mut Out) {
    let spec = &ra.spec;
    policy_targets(
        spec.selector.as_ref(),
        spec.target_ref.as_ref(),
        &spec.target_refs,
        out,
    );
    for (i, r) in spec.jwt_rules.iter().enumerate() {
        jwt_rule(r, &Path::new("spec").f("jwtRules").i(i), out);
    }
}

fn jwt_rule(r: &JwtRule, at: &Path, out: &mut Out) {
    if r.issuer.as_deref().unwrap_or("").is_empty() {
        out.err(&at.f("issuer"), "issuer must be set");
    }
    for (i, a) in r.audiences.iter().enumerate() {
        if a.is_empty() {
            out.err(&at.f("audiences").i(i), "an audience must not be empty");
        }
    }
    for (field, uri) in [
        ("jwksUri", &r.jwks_uri),
        ("jwks_uri", &r.deprecated_jwks_uri),
    ] {
        if let Some(u) = uri.as_deref().filter(|u| !u.is_empty()) {
            out.check(&at.f(field), jwks_uri(u));
        }
    }
    if let Some(j) = r.jwks.as_deref().filter(|j| !j.is_empty()) {
        out.check(&at.f("jwks"), jwks(j));
    }
    for (i, h) in r.from_headers.iter().enumerate() {
        if h.name.is_empty() {
            out.err(
                &at.f("fromHeaders").i(i).f("name"),
                "a header location needs a name",
            );
        }
    }
    for (i, p) in r.from_params.iter().enumerate() {
        if p.is_empty() {
            out.err(
                &at.f("fromParams").i(i),
                "a query parameter location must not be empty",
            );
        }
    }
    for (i, c) in r.from_cookies.iter().enumerate() {
        if c.is_empty() {
            out.err(&at.f("fromCookies").i(i), "a cookie name must not be empty");
        }
    }
    for (i, c) in r.output_claim_to_headers.iter().enumerate() {
        let cat_output_claim_to_headers = at.f("outputClaimToHeaders");
        let cat = cat_output_claim_to_headers.i(i);
        if c.claim.is_empty() || c.header.is_empty() {
            out.err(&cat, "outputClaimToHeaders needs both a claim and a header");
            continue;
        }
        out.check(&cat.f("header"), validate_header_name(&c.header));
    }
    if let Some(t) = &r.timeout {
        out.check(&at.f("timeout"), validate_duration(t));
    }
}

/// What Istio's `security.ParseJwksURI` accepts: an http(s) URL whose port, if any, is a
/// number.
fn jwks_uri(u: &str) -> Result<(), String> {
    let (scheme, rest) = u
        .split_once(':')
        .filter(|(s, _)| {
            !s.is_empty()
                && s.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"+-.".contains(&c))
        })
        .unwrap_or(("", u));
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "jwksUri scheme {scheme:?} is not supported; use http or https"
        ));
    }
    let authority = rest.strip_prefix("//").unwrap_or("");
    let host = authority.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let port = if let Some(v6) = host.strip_prefix('[') {
        v6.split_once(']').map(|(_, p)| p).unwrap_or("")
    } else {
        host.rsplit_once(':').map_or("", |(_, p)| p)
    };
    let port = port.trim_start_matches(':');
    if !port.is_empty()
        && (!port.bytes().all(|c| c.is_ascii_digit()) || port.parse::<u64>().is_err())
    {
        return Err(format!("jwksUri port {port:?} is not a number"));
    }
    Ok(())
}

/// A JSON Web Key Set (or a single key) as Istio's JWK parser accepts it: JSON, each key
/// an object with a `kty`.
fn jwks(text: &str) -> Result<(), String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("jwks parse error: {e}"))?;
    let keys: Vec<&serde_json::Value> = match v.get("keys") {
        Some(serde_json::Value::Array(keys)) => keys.iter().collect(),
        Some(_) => return Err("jwks parse error: keys must be a list".into()),
        None => vec![&v],
    };
    for k in keys {
        if !k.get("kty").is_some_and(serde_json::Value::is_string) {
            return Err("jwks parse error: every key needs a kty".into());
        }
    }
    Ok(())
}

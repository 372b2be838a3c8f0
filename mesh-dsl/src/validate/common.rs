//! Checks Istio's webhook applies to many kinds: names, hosts, addresses, ports, header
//! names and values, regular expressions, durations, percentages, labels, selectors,
//! policy target references, `exportTo`, and the metadata annotations Istio reacts to.
//!
//! The functions return `Err(message)` with Istio's meaning in our words.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use istio_types::IstioResource;
use istio_types::common::{PolicyTargetReference, WorkloadSelector};

use super::{Out, Path};

type Check = Result<(), String>;

fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

/// Istio's DNS label (`labels.IsDNS1123Label`): up to 63 characters, letters (either
/// case), digits and `-`, starting and ending with a letter or digit.
pub(crate) fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && is_alnum(b[0])
        && is_alnum(b[b.len() - 1])
        && b.iter().all(|c| is_alnum(*c) || *c == b'-')
}

/// Istio's wildcard label: `*`, or a DNS label optionally preceded by `*` or `*-`.
fn is_wildcard_label(s: &str) -> bool {
    if s.len() > 63 {
        return false;
    }
    if s == "*" {
        return true;
    }
    let rest = s
        .strip_prefix("*-")
        .or_else(|| s.strip_prefix('*'))
        .unwrap_or(s);
    is_dns_label(rest)
}

fn dns_preconditions(name: &str) -> Check {
    if name.len() > 255 {
        return Err(format!(
            "domain name {name:?} is too long (at most 255 characters)"
        ));
    }
    if name.is_empty() {
        return Err("empty domain name not allowed".into());
    }
    Ok(())
}

fn dns_labels(domain: &str, whole: &str) -> Check {
    let parts: Vec<&str> = domain.split('.').collect();
    let tld = parts[parts.len() - 1];
    if !tld.is_empty() && tld.parse::<i64>().is_ok() {
        return Err(format!(
            "domain name {whole:?} is invalid: the top-level domain {tld:?} cannot be all digits"
        ));
    }
    for (i, label) in parts.iter().enumerate() {
        if i == parts.len() - 1 && label.is_empty() {
            return Ok(());
        }
        if !is_dns_label(label) {
            return Err(format!(
                "domain name {whole:?} is invalid: label {label:?} is not a DNS label"
            ));
        }
    }
    Ok(())
}

/// A fully qualified domain name (a trailing dot is allowed).
pub(crate) fn validate_fqdn(name: &str) -> Check {
    dns_preconditions(name)?;
    dns_labels(name, name)
}

/// A domain name whose first label may be a wildcard (`*`, `*.example.com`, `*-x.a.b`).
pub(crate) fn validate_wildcard_domain(name: &str) -> Check {
    dns_preconditions(name)?;
    let (first, rest) = match name.split_once('.') {
        Some((f, r)) => (f, Some(r)),
        None => (name, None),
    };
    if !is_wildcard_label(first) {
        return Err(format!(
            "domain name {name:?} is invalid: label {first:?} is not a DNS label"
        ));
    }
    match rest {
        Some(r) => dns_labels(r, name),
        None => Ok(()),
    }
}

/// Hosts of a VirtualService bound to gateways: as [`validate_wildcard_domain`], plus the
/// `outbound_.<port>_._.<host>` names Istio generates for SNI with AUTO_PASSTHROUGH.
pub(crate) fn validate_gateway_bound_domain(sni: bool, name: &str) -> Check {
    dns_preconditions(name)?;
    if sni && name.starts_with("outbound_") {
        let parts: Vec<&str> = name.split('_').collect();
        if parts.len() < 4 {
            return Err(format!(
                "domain name {name:?} is invalid: expected the form outbound_.<PORT>_._.<HOSTNAME>"
            ));
        }
        let port = parts[1].trim_matches('.');
        let host = parts[3].trim_matches('.');
        if !port.bytes().any(|c| c.is_ascii_digit()) {
            return Err(format!(
                "domain name {name:?} is invalid: {port:?} is not a port (outbound_.<PORT>_._.<HOSTNAME>)"
            ));
        }
        if !host.bytes().any(|c| c.is_ascii_alphabetic()) {
            return Err(format!(
                "domain name {name:?} is invalid: {host:?} is not a host name (outbound_.<PORT>_._.<HOSTNAME>)"
            ));
        }
        return Ok(());
    }
    validate_wildcard_domain(name)
}

/// A partial wildcard such as `a*.example.com` (Istio only supports a leading `*.`).
pub(crate) fn partial_wildcard(host: &str) -> Check {
    if host.contains('*') && host.len() != 1 && !host.starts_with("*.") {
        return Err(format!("partial wildcard {host:?} is not supported"));
    }
    Ok(())
}

/// An IP address as Go's `netip.ParseAddr` reads it (IPv4 without leading zeros, IPv6
/// optionally with a `%zone`).
pub(crate) fn is_ip(s: &str) -> bool {
    if s.contains(':') {
        let (addr, zone) = match s.split_once('%') {
            Some((a, z)) => (a, Some(z)),
            None => (s, None),
        };
        return zone.is_none_or(|z| !z.is_empty()) && addr.parse::<Ipv6Addr>().is_ok();
    }
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|c| c.is_ascii_digit())
                && !(p.len() > 1 && p.starts_with('0'))
        })
        && s.parse::<Ipv4Addr>().is_ok()
}

/// An IP address, or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`).
pub(crate) fn validate_ip_or_cidr(s: &str) -> Check {
    if s.matches('/').count() == 1 {
        return if is_cidr(s) {
            Ok(())
        } else {
            Err(format!("{s} is not a valid CIDR block"))
        };
    }
    validate_ip(s)
}

/// Go's `netip.ParsePrefix`.
pub(crate) fn is_cidr(s: &str) -> bool {
    let Some((addr, bits)) = s.split_once('/') else {
        return false;
    };
    if addr.contains('%') || bits.is_empty() || !bits.bytes().all(|c| c.is_ascii_digit()) {
        return false;
    }
    if bits.len() > 1 && bits.starts_with('0') {
        return false;
    }
    let Ok(n) = bits.parse::<u32>() else {
        return false;
    };
    is_ip(addr) && n <= if addr.contains(':') { 128 } else { 32 }
}

pub(crate) fn validate_ip(s: &str) -> Check {
    if is_ip(s) {
        Ok(())
    } else {
        Err(format!("{s} is not a valid IP address"))
    }
}

/// A port number in 1..=65535.
pub(crate) fn validate_port(n: i64) -> Check {
    if (1..=65535).contains(&n) {
        Ok(())
    } else {
        Err(format!("port number {n} must be in the range 1..65535"))
    }
}

/// A Unix domain socket path (without `unix://`): absolute, not a directory, or an
/// abstract socket (`@name`).
pub(crate) fn validate_unix_address(addr: &str) -> Check {
    if addr.is_empty() {
        return Err("unix address must not be empty".into());
    }
    if addr.starts_with('@') {
        return Ok(());
    }
    if !addr.starts_with('/') || addr.ends_with('/') {
        return Err(format!("{addr} is not an absolute path to a file"));
    }
    Ok(())
}

/// Header names Istio accepts for matching and for output: `^[-_A-Za-z0-9]+$`.
pub(crate) fn is_header_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| is_alnum(c) || c == b'-' || c == b'_')
}

pub(crate) fn validate_header_name(s: &str) -> Check {
    if s.is_empty() {
        return Err("header name cannot be empty".into());
    }
    if !is_header_name(s) {
        return Err(format!(
            "{s:?} is not a valid header name (letters, digits, - and _)"
        ));
    }
    Ok(())
}

/// A header name, or a JWT claim for routing (`@request.auth.claims.sub`,
/// `@request.auth.claims[group][name]`).
pub(crate) fn is_jwt_claim_route(name: &str) -> bool {
    const PREFIX: &str = "@request.auth.claims";
    let (Some(head), Some(rest)) = (name.get(..PREFIX.len()), name.get(PREFIX.len()..)) else {
        return false;
    };
    if !head.eq_ignore_ascii_case(PREFIX) {
        return false;
    }
    rest.starts_with('.') || (rest.starts_with('[') && rest.ends_with(']'))
}

pub(crate) fn validate_header_name_or_claim(s: &str) -> Check {
    if s.is_empty() {
        return Err("header name cannot be empty".into());
    }
    if is_jwt_claim_route(s) {
        return Ok(());
    }
    validate_header_name(s)
}

fn is_internal_header(name: &str) -> bool {
    name.starts_with(':') || name.eq_ignore_ascii_case("host")
}

pub(crate) fn is_authority_header(name: &str) -> bool {
    name.eq_ignore_ascii_case(":authority") || name.eq_ignore_ascii_case("host")
}

/// A request header to add or set: anything but a pseudo-header, though the authority
/// may be set.
pub(crate) fn validate_request_header_set(name: &str) -> Check {
    if name.is_empty() {
        return Err("header name cannot be empty".into());
    }
    if is_internal_header(name) && !is_authority_header(name) {
        return Err(format!(
            "invalid header {name:?}: pseudo-headers (\":\") cannot be set"
        ));
    }
    Ok(())
}

/// A header to remove, or a response header to set.
pub(crate) fn validate_header_operation(name: &str) -> Check {
    if name.is_empty() {
        return Err("header name cannot be empty".into());
    }
    if name.eq_ignore_ascii_case("host") {
        return Err(format!(
            "invalid header {name:?}: the Host header cannot be changed here"
        ));
    }
    if is_internal_header(name) {
        return Err(format!(
            "invalid header {name:?}: pseudo-headers (\":\") cannot be changed"
        ));
    }
    Ok(())
}

/// A header value as Envoy's header formatter reads it: no control characters, and `%`
/// either doubled (`%%`) or opening a `%VARIABLE%` / `%VAR(args)%` that is closed.
pub(crate) fn validate_header_value(v: &str) -> Check {
    if v.chars()
        .any(|c| matches!(c, '\u{0}'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'))
    {
        return Err(format!("header value {v:?} contains control characters"));
    }
    #[derive(PartialEq)]
    enum St {
        Literal,
        Name,
        ExpectArray,
        ExpectString,
        InString,
        ExpectDelimOrEnd,
        ExpectArgsEnd,
        ExpectVarEnd,
    }
    let b = v.as_bytes();
    let mut st = St::Literal;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let has_next = i + 1 < b.len();
        match st {
            St::Literal => {
                if c == b'%' {
                    if !has_next {
                        return Err(format!("header value {v:?}: a single % must be written %%"));
                    }
                    if b[i + 1] == b'%' {
                        i += 1;
                    } else {
                        st = St::Name;
                    }
                }
            }
            St::Name => {
                if c == b'%' {
                    st = St::Literal;
                } else if c == b'(' {
                    st = St::ExpectArray;
                }
            }
            St::ExpectArray => {
                if c == b'[' {
                    st = St::ExpectString;
                } else if c != b' ' {
                    st = St::InString;
                }
            }
            St::ExpectDelimOrEnd => {
                if c == b',' {
                    st = St::ExpectString;
                } else if c == b']' {
                    st = St::ExpectArgsEnd;
                } else if c != b' ' {
                    return Err(format!("header value {v:?}: expected ',' or ']'"));
                }
            }
            St::ExpectString => {
                if c == b'"' {
                    st = St::InString;
                } else if c != b' ' {
                    return Err(format!("header value {v:?}: expected '\"'"));
                }
            }
            St::InString => {
                if c == b'\\' {
                    if !has_next {
                        return Err(format!("header value {v:?}: unterminated backslash"));
                    }
                    i += 1;
                } else if c == b')' {
                    st = St::ExpectVarEnd;
                } else if c == b'"' {
                    st = St::ExpectDelimOrEnd;
                }
            }
            St::ExpectArgsEnd => {
                if c == b')' {
                    st = St::ExpectVarEnd;
                } else if c != b' ' {
                    return Err(format!("header value {v:?}: expected ')'"));
                }
            }
            St::ExpectVarEnd => {
                if c == b'%' {
                    st = St::Literal;
                } else if c != b' ' {
                    return Err(format!(
                        "header value {v:?}: expected '%' to close the variable"
                    ));
                }
            }
        }
        i += 1;
    }
    if st != St::Literal {
        return Err(format!("header value {v:?}: a %VARIABLE% is not closed"));
    }
    Ok(())
}

/// A regular expression Istio accepts: at most 1024 characters and valid RE2 syntax.
///
/// Istio compiles it with Go's `regexp` (RE2 syntax). This uses `regex-syntax`, which
/// reads nearly the same syntax; where it is more lenient, the difference is checked
/// here: RE2 limits repetition counts to 1000 and knows only the flags `i`, `m`, `s` and
/// `U` (not `x`, `u` or `R`). Class set operations (`[a&&b]`) are read differently but
/// accepted by both.
pub(crate) fn validate_regex(re: &str) -> Check {
    if re.len() > 1024 {
        return Err("regex is too large (at most 1024 characters)".into());
    }
    if let Some(flag) = unsupported_flag(re) {
        return Err(format!(
            "invalid regex {re:?}: RE2 does not support the flag {flag:?}"
        ));
    }
    if let Some(n) = max_repeat(re)
        && n > 1000
    {
        return Err(format!(
            "invalid regex {re:?}: repeat count {n} is above RE2's limit of 1000"
        ));
    }
    regex_syntax::Parser::new()
        .parse(re)
        .map(|_| ())
        .map_err(|e| {
            let first = e.to_string();
            let reason = first.lines().last().unwrap_or_default().trim().to_string();
            format!("invalid regex {re:?} ({reason}); Istio uses RE2 syntax (https://github.com/google/re2/wiki/Syntax)")
        })
}

/// A flag in a `(?flags)` or `(?flags:...)` group that RE2 does not know.
fn unsupported_flag(re: &str) -> Option<char> {
    let chars: Vec<char> = re.chars().collect();
    let (mut i, mut in_class) = (0, false);
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class && chars.get(i + 1) == Some(&'?') => {
                let mut j = i + 2;
                if !matches!(chars.get(j), Some('P' | '<')) {
                    while let Some(&c) = chars.get(j) {
                        if c == ':' || c == ')' {
                            break;
                        }
                        if !matches!(c, 'i' | 'm' | 's' | 'U' | '-') {
                            return Some(c);
                        }
                        j += 1;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn max_repeat(re: &str) -> Option<u64> {
    let b = re.as_bytes();
    let mut max = None;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'{' => {
                let mut j = i + 1;
                let mut n: u64 = 0;
                let mut any = false;
                while j < b.len() && (b[j].is_ascii_digit() || b[j] == b',') {
                    if b[j] == b',' {
                        max = max.max(any.then_some(n));
                        n = 0;
                        any = false;
                    } else {
                        n = n.saturating_mul(10).saturating_add(u64::from(b[j] - b'0'));
                        any = true;
                    }
                    j += 1;
                }
                if j < b.len() && b[j] == b'}' {
                    max = max.max(any.then_some(n));
                }
                i = j;
            }
            _ => i += 1,
        }
    }
    max
}

/// A duration Istio's webhook accepts: at least 1ms, in whole milliseconds.
pub(crate) fn validate_duration(d: &istio_types::Duration) -> Check {
    let n = d.as_nanos();
    if n < 1_000_000 {
        return Err(format!("duration {d} must be at least 1ms"));
    }
    if n % 1_000_000 != 0 {
        return Err(format!(
            "duration {d}: only durations to ms precision are supported"
        ));
    }
    Ok(())
}

/// A percentage: 0, or from 0.0001 to 100.
pub(crate) fn validate_percentage(v: f64) -> Check {
    if !(0.0..=100.0).contains(&v) || (v > 0.0 && v < 0.0001) {
        return Err(format!(
            "percentage {v} is neither 0 nor in the range [0.0001, 100]"
        ));
    }
    Ok(())
}

/// An integer percentage in 0..=100.
pub(crate) fn validate_percent(v: i64) -> Check {
    if !(0..=100).contains(&v) {
        return Err(format!("percentage {v} is not in the range 0..100"));
    }
    Ok(())
}

fn is_qualified_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && is_alnum(b[0])
        && is_alnum(b[b.len() - 1])
        && b.iter()
            .all(|c| is_alnum(*c) || matches!(c, b'-' | b'_' | b'.'))
}

fn is_dns_prefix(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_dns_label)
}

/// Label keys and values as Istio's `labels.Instance.Validate` reads them.
pub(crate) fn validate_labels(labels: &BTreeMap<String, String>, at: &Path, out: &mut Out) {
    for (k, v) in labels {
        let name = match k.rsplit_once('/') {
            Some((prefix, name)) => {
                if !is_dns_prefix(prefix) || prefix.contains('/') {
                    out.err(&at.k(k), format!("invalid label key {k:?}"));
                    continue;
                }
                if prefix.len() > 253 {
                    out.err(
                        &at.k(k),
                        format!("invalid label key {k:?}: the prefix is too long"),
                    );
                }
                name
            }
            None => k.as_str(),
        };
        if !is_qualified_name(name) {
            out.err(&at.k(k), format!("invalid label key {k:?}"));
        } else if name.len() > 63 {
            out.err(
                &at.k(k),
                format!("invalid label key {k:?}: the name is too long"),
            );
        }
        if !v.is_empty() && !is_qualified_name(v) {
            out.err(&at.k(k), format!("invalid label value {v:?}"));
        }
    }
}

/// Istio protocol names, case-insensitively; `None` for an unsupported one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    Tcp,
    Udp,
    Grpc,
    GrpcWeb,
    Http,
    HttpProxy,
    Http2,
    Https,
    Tls,
    Mongo,
    Redis,
    Mysql,
}

impl Protocol {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "tcp" => Self::Tcp,
            "udp" => Self::Udp,
            "grpc" => Self::Grpc,
            "grpc-web" => Self::GrpcWeb,
            "http" => Self::Http,
            "http_proxy" => Self::HttpProxy,
            "http2" => Self::Http2,
            "https" => Self::Https,
            "tls" => Self::Tls,
            "mongo" => Self::Mongo,
            "redis" => Self::Redis,
            "mysql" => Self::Mysql,
            _ => return None,
        })
    }

    pub(crate) fn is_http(self) -> bool {
        matches!(
            self,
            Self::Http | Self::Http2 | Self::HttpProxy | Self::Grpc | Self::GrpcWeb
        )
    }

    pub(crate) fn is_tls(self) -> bool {
        matches!(self, Self::Https | Self::Tls)
    }

    pub(crate) fn is_tcp(self) -> bool {
        matches!(
            self,
            Self::Tcp | Self::Https | Self::Tls | Self::Mongo | Self::Redis | Self::Mysql
        )
    }
}

/// A port protocol; empty means "detect".
pub(crate) fn validate_protocol(p: &str) -> Check {
    if !p.is_empty() && Protocol::parse(p).is_none() {
        return Err(format!(
            "unsupported protocol {p:?}; use one of HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TCP, TLS, UDP, MONGO, REDIS, MYSQL"
        ));
    }
    Ok(())
}

/// A port name: an Istio DNS label.
pub(crate) fn validate_port_name(name: &str) -> Check {
    if !is_dns_label(name) {
        return Err(format!(
            "invalid port name {name:?}: it must be a DNS label"
        ));
    }
    Ok(())
}

/// `exportTo`: `.`, `*`, namespaces (and `~` for a ServiceEntry), without duplicates or
/// contradictions.
pub(crate) fn validate_export_to(
    namespace: &str,
    export_to: &[String],
    service_entry: bool,
    dr_with_selector: bool,
    at: &Path,
    out: &mut Out,
) {
    if export_to.is_empty() {
        return;
    }
    let mut set: Vec<String> = Vec::new();
    for (i, e) in export_to.iter().enumerate() {
        let key = if e == "." {
            namespace.to_string()
        } else {
            e.clone()
        };
        if set.contains(&key) {
            if key != *e {
                out.err(
                    &at.i(i),
                    format!(
                        "duplicate entries in exportTo: . and the current namespace {namespace}"
                    ),
                );
            } else {
                out.err(&at.i(i), format!("duplicate entry {e:?} in exportTo"));
            }
            continue;
        }
        if service_entry && e == "~" {
            set.push(key);
            continue;
        }
        let valid = match key.as_str() {
            "." | "*" => Ok(()),
            "~" => Err("exportTo ~ (no one) is only allowed on ServiceEntry".to_string()),
            k if is_dns_label(k) || (e == "." && k.is_empty()) => Ok(()),
            _ => Err(format!(
                "invalid exportTo entry {e:?}: use ., *, or a namespace name"
            )),
        };
        match valid {
            Ok(()) => set.push(key),
            Err(m) => out.err(&at.i(i), m),
        }
    }
    if dr_with_selector && !set.is_empty() {
        if set.iter().any(|s| s == namespace) {
            if set.len() > 1 {
                out.err(at, "a DestinationRule with a workload selector cannot have more than one exportTo entry");
            }
        } else {
            out.err(at, "a DestinationRule with a workload selector cannot be exported beyond its own namespace");
        }
    }
    if set.iter().any(|s| s == "*") && export_to.len() > 1 {
        out.err(at, "exportTo cannot mix public (*) with other entries");
    }
    if set.iter().any(|s| s == "~") && export_to.len() > 1 {
        out.err(
            at,
            "a ServiceEntry cannot be exported to no one (~) and to someone else",
        );
    }
}

/// A `selector` (security, telemetry, extensions): no empty keys, no wildcards; a
/// selector without labels is a warning (it selects every workload).
pub(crate) fn workload_selector(sel: Option<&WorkloadSelector>, at: &Path, out: &mut Out) {
    let Some(sel) = sel else { return };
    selector_labels(&sel.match_labels, &at.f("matchLabels"), out);
    if sel.match_labels.is_empty() {
        out.warn(
            at,
            "workload selector without labels selects every workload in the namespace",
        );
    }
}

/// Labels of a selector: no empty keys, no wildcards.
pub(crate) fn selector_labels(labels: &BTreeMap<String, String>, at: &Path, out: &mut Out) {
    for (k, v) in labels {
        if k.is_empty() {
            out.err(
                &at.k(k),
                format!("empty key is not supported in a selector: \"={v}\""),
            );
        }
        if k.contains('*') || v.contains('*') {
            out.err(
                &at.k(k),
                format!("wildcard is not supported in a selector: \"{k}={v}\""),
            );
        }
    }
}

/// At most one of `selector`, `targetRef`, `targetRefs`.
pub(crate) fn one_selector_type(
    selector: bool,
    target_ref: bool,
    target_refs: bool,
    at: &Path,
    out: &mut Out,
) {
    if usize::from(selector) + usize::from(target_ref) + usize::from(target_refs) > 1 {
        out.err(
            at,
            "only one of selector, targetRef or targetRefs can be set",
        );
    }
}

/// A policy's `targetRef`: named, same namespace, and a Service, ServiceEntry or
/// Gateway API Gateway.
pub(crate) fn target_ref(r: &PolicyTargetReference, at: &Path, out: &mut Out) {
    if r.name.is_empty() {
        out.err(&at.f("name"), "targetRef name must be set");
    }
    if r.namespace.as_deref().is_some_and(|n| !n.is_empty()) {
        out.err(
            &at.f("namespace"),
            "targetRef namespace must not be set; cross-namespace references are not supported",
        );
    }
    let group = r
        .group
        .as_deref()
        .filter(|g| !g.is_empty())
        .unwrap_or("core");
    let allowed = matches!(
        (group, r.kind.as_str()),
        ("core", "Service")
            | ("networking.istio.io", "ServiceEntry")
            | ("gateway.networking.k8s.io", "Gateway")
    );
    if !allowed {
        out.err(
            at,
            format!(
                "targetRef must be to a Service, a ServiceEntry or a Gateway (gateway.networking.k8s.io), not {}/{}",
                r.group.as_deref().unwrap_or(""),
                r.kind
            ),
        );
    }
}

/// The selector, targetRef and targetRefs of a policy kind.
pub(crate) fn policy_targets(
    selector: Option<&WorkloadSelector>,
    one: Option<&PolicyTargetReference>,
    many: &[PolicyTargetReference],
    out: &mut Out,
) {
    let spec = Path::new("spec");
    one_selector_type(
        selector.is_some(),
        one.is_some(),
        !many.is_empty(),
        &spec,
        out,
    );
    workload_selector(selector, &spec.f("selector"), out);
    if let Some(r) = one {
        target_ref(r, &spec.f("targetRef"), out);
    }
    for (i, r) in many.iter().enumerate() {
        target_ref(r, &spec.f("targetRefs").i(i), out);
    }
}

/// `<namespace>/<host>` in a Sidecar egress listener or a Gateway server.
pub(crate) fn namespace_slash_host(host: &str, gateway: bool) -> Result<(), Vec<String>> {
    let mut errs = Vec::new();
    let Some((ns, name)) = host.split_once('/') else {
        if gateway {
            return sidecar_or_gateway_host(host, true);
        }
        return Err(vec!["host must be of the form namespace/dnsName".into()]);
    };
    if ns.is_empty() || name.is_empty() {
        errs.push("the namespace and the host name cannot be empty".into());
    }
    let ns_ok = ns == "*" || ns == "." || (!gateway && ns == "~") || is_dns_label(ns);
    if !ns_ok {
        errs.push(format!(
            "invalid namespace {ns:?} in {}",
            if gateway { "gateway" } else { "sidecar" }
        ));
    }
    if let Err(e) = sidecar_or_gateway_host(name, gateway) {
        errs.extend(e);
    }
    if errs.is_empty() { Ok(()) } else { Err(errs) }
}

fn sidecar_or_gateway_host(host: &str, gateway: bool) -> Result<(), Vec<String>> {
    let mut errs = Vec::new();
    if host != "*" && !host.contains('.') {
        errs.push("short names (not fully qualified) are not allowed".into());
    }
    if let Err(e) = validate_wildcard_domain(host) {
        if !gateway {
            errs.push(e.clone());
        }
        if !is_ip(host) {
            errs.push(e);
        }
    }
    if let Err(e) = partial_wildcard(host) {
        errs.push(e);
    }
    errs.dedup();
    if errs.is_empty() { Ok(()) } else { Err(errs) }
}

/// Gateway references of a route or match: `namespace/name`, `mesh`, or a legacy
/// `name.namespace...` (a warning).
pub(crate) fn gateway_names(names: &[String], at: &Path, out: &mut Out) {
    for (i, g) in names.iter().enumerate() {
        let at = at.i(i);
        match g.split_once('/') {
            None => {
                if g.contains('.') {
                    let parts: Vec<&str> = g.split('.').collect();
                    out.warn(
                        &at,
                        format!(
                            "legacy gateway name {g:?}; prefer the form <namespace>/<name>: \"{}/{}\"",
                            parts.get(1).unwrap_or(&""),
                            parts[0]
                        ),
                    );
                }
                if let Err(e) = validate_fqdn(g) {
                    out.err(&at, e);
                }
                // Istio stops at the first name in this form.
                return;
            }
            Some((ns, name)) => {
                if ns.is_empty() || name.is_empty() {
                    out.err(&at, "the namespace and the gateway name cannot be empty");
                }
                if !is_dns_label(ns) {
                    out.err(&at, format!("invalid namespace {ns:?}"));
                }
                if !is_dns_label(name) {
                    out.err(&at, format!("invalid gateway name {name:?}"));
                }
            }
        }
    }
}

/// Host matching as Istio's `host.Name.Matches`: equal, or one is a wildcard covering the
/// other.
pub(crate) fn hosts_overlap(a: &str, b: &str) -> bool {
    let (aw, bw) = (a.starts_with('*'), b.starts_with('*'));
    match (aw, bw) {
        (true, true) => {
            if a.len() < b.len() {
                b[1..].ends_with(&a[1..])
            } else {
                a[1..].ends_with(&b[1..])
            }
        }
        (true, false) => b.ends_with(&a[1..]),
        (false, true) => a.ends_with(&b[1..]),
        (false, false) => a == b,
    }
}

/// `host.Name.SubsetOf`: `a` is covered by `b`.
pub(crate) fn host_subset_of(a: &str, b: &str) -> bool {
    let (aw, bw) = (a.starts_with('*'), b.starts_with('*'));
    match (aw, bw) {
        (true, true) => a.len() >= b.len() && a[1..].ends_with(&b[1..]),
        (true, false) => false,
        (false, true) => a.ends_with(&b[1..]),
        (false, false) => a == b,
    }
}

/// Annotations Istio's webhook reacts to on any kind.
pub(crate) fn metadata(r: &IstioResource, out: &mut Out) {
    let annotations = &r.metadata().annotations;
    let Some(annotations) = annotations else {
        return;
    };
    let meta = Path::new("metadata");
    let at = meta.f("annotations");
    if annotations.contains_key("istio.io/alwaysReject") {
        out.err(
            &at.k("istio.io/alwaysReject"),
            "the istio.io/alwaysReject annotation makes Istio reject this object",
        );
    }
    if let Some(v) = annotations.get("istio.io/dry-run") {
        let at = at.k("istio.io/dry-run");
        match r {
            IstioResource::AuthorizationPolicy(ap) => {
                use istio_types::security::v1::AuthorizationPolicyAction as A;
                match ap.spec.action.unwrap_or_default() {
                    A::Allow | A::Deny => {
                        if !matches!(
                            v.as_str(),
                            "1" | "t"
                                | "T"
                                | "TRUE"
                                | "true"
                                | "True"
                                | "0"
                                | "f"
                                | "F"
                                | "FALSE"
                                | "false"
                                | "False"
                        ) {
                            out.err(
                                &at,
                                format!("istio.io/dry-run must be true or false, not {v:?}"),
                            );
                        }
                    }
                    other => out.err(
                        &at,
                        format!(
                            "istio.io/dry-run only supports the actions ALLOW and DENY, not {other}"
                        ),
                    ),
                }
            }
            _ => out.err(
                &at,
                "istio.io/dry-run is only supported on AuthorizationPolicy; remove it",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        for ok in [
            "reviews",
            "reviews.prod.svc.cluster.local",
            "*",
            "*.example.com",
            "*-x.example.com",
            "istio.io.",
            "A.b",
        ] {
            assert!(validate_wildcard_domain(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a..b",
            "*.*.com",
            "a*.com",
            "-a.com",
            "a.123",
            "a_b.com",
            &"a".repeat(64),
        ] {
            assert!(validate_wildcard_domain(bad).is_err(), "{bad}");
        }
        assert!(validate_fqdn("*.example.com").is_err());
        assert!(validate_gateway_bound_domain(true, "outbound_.80_._.e2e.foo.mesh").is_ok());
    }

    #[test]
    fn addresses() {
        for ok in ["1.2.3.4", "::1", "fe80::1%eth0", "2001:db8::"] {
            assert!(is_ip(ok), "{ok}");
        }
        for bad in ["1.2.3", "01.2.3.4", "1.2.3.256", "a", "fe80::1%", ""] {
            assert!(!is_ip(bad), "{bad}");
        }
        assert!(validate_ip_or_cidr("10.0.0.0/8").is_ok());
        assert!(validate_ip_or_cidr("10.0.0.0/33").is_err());
        assert!(validate_ip_or_cidr("2001:db8::/129").is_err());
    }

    #[test]
    fn header_values_follow_envoy() {
        for ok in [
            "foo",
            "%HOSTNAME%",
            "100%%",
            "a %REQ(x-id)% b",
            "%UPSTREAM_METADATA([\"a\", \"b\"])%",
        ] {
            assert!(validate_header_value(ok).is_ok(), "{ok}");
        }
        for bad in ["abc%123", "%START_TIME%%", "a\nb", "%"] {
            assert!(validate_header_value(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regexes_follow_re2() {
        assert!(validate_regex("^/api/v[0-9]+/.*$").is_ok());
        assert!(validate_regex(r"\p{Greek}+").is_ok());
        assert!(validate_regex("(?P<name>a)").is_ok());
        assert!(validate_regex("a{1001}").is_err());
        assert!(validate_regex("(?i)a(?s:.)(?-m)b").is_ok());
        assert!(validate_regex("(?x) a b").is_err());
        assert!(validate_regex("[(?x)]").is_ok());
        assert!(validate_regex("(a").is_err());
        assert!(validate_regex("a(?=b)").is_err());
        assert!(validate_regex(r"(a)\1").is_err());
        assert!(validate_regex(&"a".repeat(1025)).is_err());
    }

    #[test]
    fn host_matching() {
        assert!(hosts_overlap("*.com", "foo.com"));
        assert!(hosts_overlap("foo.com", "*.com"));
        assert!(!hosts_overlap("*.foo.com", "foo.com"));
        assert!(hosts_overlap("*", "*.com"));
        assert!(host_subset_of("a.foo.com", "*.foo.com"));
        assert!(!host_subset_of("*.foo.com", "a.foo.com"));
    }
}

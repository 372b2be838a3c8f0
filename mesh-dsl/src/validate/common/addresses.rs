//! IP addresses, CIDR ranges, Unix socket addresses, port numbers, port names and port
//! protocols.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::Check;
use super::names::is_dns_label;
use crate::istio::protocol::Protocol;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}

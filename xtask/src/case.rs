//! Name conversions between Istio's wire and proto names and Rust's conventions.

/// Splits a proto or camelCase name into words: `HTTPRoute` -> `HTTP`, `Route`;
/// `L4MatchAttributes` -> `L4`, `Match`, `Attributes`; `http2Error` -> `http2`, `Error`.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' || c == '.' {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || (prev.is_ascii_digit() && next_lower)
                || (prev.is_ascii_uppercase() && next_lower)
            {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

fn capitalize(w: &str) -> String {
    let lower = w.to_ascii_lowercase();
    let mut c = lower.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// A proto message name in Rust casing, where an acronym is one word (C-CASE):
/// `HTTPRoute` -> `HttpRoute`, `ClientTLSSettings` -> `ClientTlsSettings`.
pub fn c_case(proto: &str) -> String {
    words(proto).iter().map(|w| capitalize(w)).collect()
}

/// A wire name (camelCase field, or SCREAMING_CASE / CamelCase enum value) as a Rust
/// type or variant name: `httpHeaderName` -> `HttpHeaderName`, `ROUND_ROBIN` ->
/// `RoundRobin`, `IfNotPresent` -> `IfNotPresent`, `TLSV1_2` -> `Tlsv12`.
pub fn pascal_from_wire(wire: &str) -> String {
    let out: String = if wire.chars().any(|c| c.is_ascii_lowercase()) {
        words(wire).iter().map(|w| capitalize(w)).collect()
    } else {
        wire.split(['_', '-', '.']).map(capitalize).collect()
    };
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{out}")
    } else {
        out
    }
}

/// A wire field name as a Rust field identifier: `consecutive5xxErrors` ->
/// `consecutive5xx_errors`, `match` -> `r#match`.
pub fn field_ident(wire: &str) -> String {
    let snake = words(wire)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    match snake.as_str() {
        "match" | "type" | "ref" | "use" | "mod" | "loop" | "move" | "self" | "super"
        | "static" | "struct" | "trait" | "where" | "async" | "await" | "dyn" | "impl" | "in"
        | "fn" | "for" | "if" | "else" | "enum" | "const" | "crate" | "extern" | "let" | "mut"
        | "pub" | "return" | "true" | "false" | "unsafe" | "while" | "break" | "continue"
        | "as" | "box" | "yield" | "gen" | "try" | "abstract" | "become" | "do" | "final"
        | "macro" | "override" | "priv" | "typeof" | "unsized" | "virtual" => format!("r#{snake}"),
        _ => snake,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_names_become_c_case() {
        for (proto, rust) in [
            ("HTTPRoute", "HttpRoute"),
            ("TLSMatchAttributes", "TlsMatchAttributes"),
            ("L4MatchAttributes", "L4MatchAttributes"),
            ("HTTP2KeepAlive", "Http2KeepAlive"),
            ("ConsistentHashLB", "ConsistentHashLb"),
            ("ClientTLSSettings", "ClientTlsSettings"),
            ("JWTRule", "JwtRule"),
            ("MutualTLSMode", "MutualTlsMode"),
            ("MagLev", "MagLev"),
            ("StringMatch", "StringMatch"),
        ] {
            assert_eq!(c_case(proto), rust, "{proto}");
        }
    }

    #[test]
    fn wire_names_become_rust_names() {
        assert_eq!(pascal_from_wire("ROUND_ROBIN"), "RoundRobin");
        assert_eq!(pascal_from_wire("IfNotPresent"), "IfNotPresent");
        assert_eq!(pascal_from_wire("TLSV1_2"), "Tlsv12");
        assert_eq!(pascal_from_wire("V1"), "V1");
        assert_eq!(pascal_from_wire("http2Error"), "Http2Error");
        assert_eq!(pascal_from_wire("useSourceIp"), "UseSourceIp");
        assert_eq!(field_ident("consecutive5xxErrors"), "consecutive5xx_errors");
        assert_eq!(
            field_ident("http1MaxPendingRequests"),
            "http1_max_pending_requests"
        );
        assert_eq!(field_ident("h2UpgradePolicy"), "h2_upgrade_policy");
        assert_eq!(field_ident("mirror_percent"), "mirror_percent");
        assert_eq!(field_ident("match"), "r#match");
        assert_eq!(field_ident("sha256"), "sha256");
        assert_eq!(field_ident("caCrl"), "ca_crl");
    }
}

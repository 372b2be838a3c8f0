//! URL parsing as Go's `net/url` does it in `url.ParseRequestURI`, which is what
//! Kubernetes' CEL `url()` and `isURL()` use (and Istio's webhook for WasmPlugin URLs).
//!
//! This is not a WHATWG URL parser: Go accepts an opaque URI such as `localhost:5000/x`
//! (scheme `localhost`), refuses a relative reference such as `ghcr.io/x`, and checks
//! percent-escapes and the characters of the host, the port digits and the user info.

use std::fmt;

/// The parts of a URL the CEL URL library exposes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct GoUrl {
    /// Lowercased, as Go stores it.
    pub(crate) scheme: String,
    /// Host and port, as written (IPv6 brackets kept).
    pub(crate) host: String,
    pub(crate) opaque: String,
    pub(crate) path: String,
    pub(crate) query: String,
}

/// Why Go would refuse a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UrlError(String);

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail<T>(msg: impl Into<String>) -> Result<T, UrlError> {
    Err(UrlError(msg.into()))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

fn unhex(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

/// Go's `shouldEscape` for the modes `unescape` consults.
fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if mode == Mode::Host || mode == Mode::Zone {
        match c {
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b':'
            | b'[' | b']' | b'<' | b'>' | b'"' => return false,
            _ => {}
        }
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            Mode::Path => c == b'?',
            Mode::UserPassword => c == b'@' || c == b'/' || c == b'?' || c == b':',
            _ => false,
        },
        _ => true,
    }
}

/// Go's `unescape`: only the checks, since the decoded text is not needed.
fn check_escapes(s: &str, mode: Mode) -> Result<(), UrlError> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len() || !is_hex(b[i + 1]) || !is_hex(b[i + 2]) {
                    let end = (i + 3).min(b.len());
                    return fail(format!(
                        "invalid URL escape {:?}",
                        String::from_utf8_lossy(&b[i..end])
                    ));
                }
                if mode == Mode::Host && unhex(b[i + 1]) < 8 && &s[i..i + 3] != "%25" {
                    return fail(format!("invalid URL escape {:?}", &s[i..i + 3]));
                }
                if mode == Mode::Zone {
                    let v = unhex(b[i + 1]) << 4 | unhex(b[i + 2]);
                    if &s[i..i + 3] != "%25" && v != b' ' && should_escape(v, Mode::Host) {
                        return fail(format!("invalid URL escape {:?}", &s[i..i + 3]));
                    }
                }
                i += 3;
            }
            c => {
                if (mode == Mode::Host || mode == Mode::Zone) && c < 0x80 && should_escape(c, mode)
                {
                    return fail(format!(
                        "invalid character {:?} in host name",
                        char::from(c)
                    ));
                }
                i += 1;
            }
        }
    }
    Ok(())
}

fn get_scheme(raw: &str) -> Result<(String, &str), UrlError> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                if i == 0 {
                    return Ok((String::new(), raw));
                }
            }
            b':' => {
                if i == 0 {
                    return fail("missing protocol scheme");
                }
                return Ok((raw[..i].to_string(), &raw[i + 1..]));
            }
            _ => return Ok((String::new(), raw)),
        }
    }
    Ok((String::new(), raw))
}

fn valid_optional_port(port: &str) -> bool {
    match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => digits.bytes().all(|b| b.is_ascii_digit()),
    }
}

fn valid_userinfo(s: &str) -> bool {
    s.bytes().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b':'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'%'
                    | b'@'
            )
    })
}

fn parse_host(host: &str) -> Result<(), UrlError> {
    if host.starts_with('[') {
        let Some(i) = host.rfind(']') else {
            return fail("missing ']' in host");
        };
        let colon_port = &host[i + 1..];
        if !valid_optional_port(colon_port) {
            return fail(format!("invalid port {colon_port:?} after host"));
        }
        // RFC 6874: a zone identifier after "%25".
        if let Some(z) = host[..i].find("%25") {
            check_escapes(&host[..z], Mode::Host)?;
            check_escapes(&host[z..i], Mode::Zone)?;
            return check_escapes(&host[i..], Mode::Host);
        }
    } else if let Some(i) = host.rfind(':') {
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return fail(format!("invalid port {colon_port:?} after host"));
        }
    }
    check_escapes(host, Mode::Host)
}

fn parse_authority(authority: &str) -> Result<String, UrlError> {
    match authority.rfind('@') {
        None => {
            parse_host(authority)?;
            Ok(authority.to_string())
        }
        Some(i) => {
            let host = &authority[i + 1..];
            parse_host(host)?;
            let userinfo = &authority[..i];
            if !valid_userinfo(userinfo) {
                return fail("net/url: invalid userinfo");
            }
            match userinfo.split_once(':') {
                Some((user, password)) => {
                    check_escapes(user, Mode::UserPassword)?;
                    check_escapes(password, Mode::UserPassword)?;
                }
                None => check_escapes(userinfo, Mode::UserPassword)?,
            }
            Ok(host.to_string())
        }
    }
}

impl GoUrl {
    /// Go's `url.ParseRequestURI`: the URL must be absolute (have a scheme) or be an
    /// absolute path; a fragment is not split off.
    pub(crate) fn parse_request_uri(raw: &str) -> Result<Self, UrlError> {
        if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return fail("net/url: invalid control character in URL");
        }
        if raw.is_empty() {
            return fail("empty url");
        }
        let mut url = GoUrl::default();
        if raw == "*" {
            url.path = "*".into();
            return Ok(url);
        }
        let (scheme, rest) = get_scheme(raw)?;
        url.scheme = scheme.to_ascii_lowercase();
        let mut rest = rest;
        if rest.ends_with('?') && rest.matches('?').count() == 1 {
            rest = &rest[..rest.len() - 1];
        } else if let Some((r, q)) = rest.split_once('?') {
            url.query = q.to_string();
            rest = r;
        }
        if !rest.starts_with('/') {
            if !url.scheme.is_empty() {
                url.opaque = rest.to_string();
                return Ok(url);
            }
            return fail("invalid URI for request");
        }
        let mut path = rest;
        if !url.scheme.is_empty() && rest.starts_with("//") {
            let authority_and_path = &rest[2..];
            let (authority, p) = match authority_and_path.find('/') {
                Some(i) => (&authority_and_path[..i], &authority_and_path[i..]),
                None => (authority_and_path, ""),
            };
            url.host = parse_authority(authority)?;
            path = p;
        }
        check_escapes(path, Mode::Path)?;
        url.path = path.to_string();
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme(s: &str) -> Option<String> {
        GoUrl::parse_request_uri(s).ok().map(|u| u.scheme)
    }

    #[test]
    fn accepts_what_go_accepts() {
        assert_eq!(
            scheme("https://example.com/a?b#c").as_deref(),
            Some("https")
        );
        assert_eq!(scheme("HTTP://Example.com").as_deref(), Some("http"));
        assert_eq!(scheme("/absolute/path").as_deref(), Some(""));
        assert_eq!(scheme("oci://ghcr.io/x/y:1.0").as_deref(), Some("oci"));
        assert_eq!(scheme("file:///opt/plugin.wasm").as_deref(), Some("file"));
        // An opaque URI: Go reads `localhost` as the scheme.
        assert_eq!(scheme("localhost:5000/x").as_deref(), Some("localhost"));
        assert_eq!(scheme("http://[::1]:8080/").as_deref(), Some("http"));
        assert_eq!(scheme("http://user:pa%20ss@host/").as_deref(), Some("http"));
    }

    #[test]
    fn refuses_what_go_refuses() {
        for bad in [
            "",
            "ghcr.io/x/y",
            "relative/path",
            ":no-scheme",
            "http://host:port/",
            "http://ho st/",
            "http://host/%zz",
            "http://host/%4",
            "http://[::1/",
            "http://a\u{7f}b",
            "http://us{er@host/",
        ] {
            assert!(
                GoUrl::parse_request_uri(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }
}

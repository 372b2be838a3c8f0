//! Port protocols: Istio's protocol names, reading a protocol from a port's name or
//! `appProtocol`, and the HTTP / TCP / TLS classification the proxy configuration
//! follows.

use istio_types::networking::v1::{Server, ServerTlsMode};

/// A protocol Istio knows for a port (`protocol.Instance` without `Unsupported`, which is
/// `None` here).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `TCP`, the default of a port.
    Tcp,
    /// `UDP` (not proxied).
    Udp,
    /// `GRPC`.
    Grpc,
    /// `GRPC-Web`.
    GrpcWeb,
    /// `HTTP` (HTTP/1.1).
    Http,
    /// `HTTP_PROXY`, a generic outbound proxy port (Sidecar egress listeners).
    HttpProxy,
    /// `HTTP2`.
    Http2,
    /// `HTTPS`.
    Https,
    /// `TLS` (with SNI).
    Tls,
    /// `Mongo`.
    Mongo,
    /// `Redis`.
    Redis,
    /// `MySQL`.
    Mysql,
}

/// Ports on which Istio assumes TCP when the port's name names no protocol (SMTP, DNS,
/// MySQL, MongoDB: `kube.wellKnownPorts`).
pub const WELL_KNOWN_TCP_PORTS: [i32; 4] = [25, 53, 3306, 27017];

impl Protocol {
    /// Reads a protocol name, ignoring case (`protocol.Parse`); `None` for an unsupported
    /// one.
    pub fn parse(s: &str) -> Option<Self> {
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

    /// Istio's spelling of the protocol (`protocol.Instance`'s value).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "TCP",
            Self::Udp => "UDP",
            Self::Grpc => "GRPC",
            Self::GrpcWeb => "GRPC-Web",
            Self::Http => "HTTP",
            Self::HttpProxy => "HTTP_PROXY",
            Self::Http2 => "HTTP2",
            Self::Https => "HTTPS",
            Self::Tls => "TLS",
            Self::Mongo => "Mongo",
            Self::Redis => "Redis",
            Self::Mysql => "MySQL",
        }
    }

    /// The protocol a port name announces (`<protocol>[-<suffix>]`, case-insensitive;
    /// a `grpc-web` prefix counts as a whole), as in `kube.ConvertProtocol`; `None` when
    /// the name names no protocol.
    pub fn from_port_name(name: &str) -> Option<Self> {
        if name
            .get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case("grpc-web"))
        {
            return Some(Self::GrpcWeb);
        }
        Self::parse(name.split('-').next().unwrap_or(""))
    }

    /// The protocol a Kubernetes Service port carries (`kube.ConvertProtocol`): `UDP` for
    /// a UDP port; else its `appProtocol` if set (with Kubernetes' `kubernetes.io/h2c`,
    /// `kubernetes.io/ws` and `kubernetes.io/wss`), else its name; TCP for a well-known
    /// port whose name says nothing. `None` when Istio cannot tell (it sniffs).
    pub fn of_service_port(
        port: i32,
        name: &str,
        protocol: Option<&str>,
        app_protocol: Option<&str>,
    ) -> Option<Self> {
        if protocol == Some("UDP") {
            return Some(Self::Udp);
        }
        let name = match app_protocol {
            Some("kubernetes.io/h2c") => return Some(Self::Http2),
            Some("kubernetes.io/ws") => return Some(Self::Http),
            Some("kubernetes.io/wss") => return Some(Self::Https),
            Some(app) => app,
            None => name,
        };
        Self::from_port_name(name)
            .or_else(|| WELL_KNOWN_TCP_PORTS.contains(&port).then_some(Self::Tcp))
    }

    /// Carried over HTTP (`Instance.IsHTTP`): HTTP, HTTP2, HTTP_PROXY, GRPC, GRPC-Web.
    pub fn is_http(self) -> bool {
        matches!(
            self,
            Self::Http | Self::Http2 | Self::HttpProxy | Self::Grpc | Self::GrpcWeb
        )
    }

    /// Carried over HTTP/2 (`Instance.IsHTTP2`): HTTP2, GRPC, GRPC-Web.
    pub fn is_http2(self) -> bool {
        matches!(self, Self::Http2 | Self::Grpc | Self::GrpcWeb)
    }

    /// Carried over plain TCP (`Instance.IsTCP`): TCP, HTTPS, TLS, Mongo, Redis, MySQL.
    pub fn is_tcp(self) -> bool {
        matches!(
            self,
            Self::Tcp | Self::Https | Self::Tls | Self::Mongo | Self::Redis | Self::Mysql
        )
    }

    /// Carried over TLS (`Instance.IsTLS`): HTTPS and TLS.
    pub fn is_tls(self) -> bool {
        matches!(self, Self::Https | Self::Tls)
    }

    /// gRPC (`Instance.IsGRPC`): GRPC and GRPC-Web.
    pub fn is_grpc(self) -> bool {
        matches!(self, Self::Grpc | Self::GrpcWeb)
    }

    /// What is left once TLS is terminated (`Instance.AfterTLSTermination`): HTTPS
    /// becomes HTTP, TLS becomes TCP, anything else stays.
    pub fn after_tls_termination(self) -> Self {
        match self {
            Self::Https => Self::Http,
            Self::Tls => Self::Tcp,
            other => other,
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a Gateway server passes TLS through, untouched (`gateway.IsPassThroughServer`):
/// its TLS mode is `PASSTHROUGH` or `AUTO_PASSTHROUGH`.
pub fn is_passthrough_server(server: &Server) -> bool {
    server.tls.as_ref().and_then(|t| t.mode).is_some_and(|m| {
        matches!(
            m,
            ServerTlsMode::Passthrough | ServerTlsMode::AutoPassthrough
        )
    })
}

/// Whether a Gateway server serves HTTP routes (`gateway.IsHTTPServer`): an HTTP
/// protocol, or HTTPS that the gateway terminates.
pub fn is_http_server(server: &Server) -> bool {
    match Protocol::parse(&server.port.protocol) {
        Some(p) if p.is_http() => true,
        Some(Protocol::Https) => !is_passthrough_server(server),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use istio_types::networking::v1::{ServerPort, ServerTlsSettings};

    // protocol.Parse and the Is* classifications
    #[test]
    fn parse_and_classify() {
        assert_eq!(Protocol::parse("hTtP"), Some(Protocol::Http));
        assert_eq!(Protocol::parse("GRPC-WEB"), Some(Protocol::GrpcWeb));
        assert_eq!(Protocol::parse("http_proxy"), Some(Protocol::HttpProxy));
        assert_eq!(Protocol::parse("sctp"), None);
        assert_eq!(Protocol::parse(""), None);
        assert_eq!(Protocol::GrpcWeb.as_str(), "GRPC-Web");
        assert!(Protocol::HttpProxy.is_http() && !Protocol::Https.is_http());
        assert!(Protocol::Https.is_tcp() && Protocol::Mysql.is_tcp() && !Protocol::Udp.is_tcp());
        assert!(Protocol::Tls.is_tls() && !Protocol::Tcp.is_tls());
        assert!(Protocol::Grpc.is_http2() && !Protocol::Http.is_http2());
        assert_eq!(Protocol::Https.after_tls_termination(), Protocol::Http);
        assert_eq!(Protocol::Tls.after_tls_termination(), Protocol::Tcp);
    }

    // kube.ConvertProtocol
    #[test]
    fn service_port_protocols() {
        let of = Protocol::of_service_port;
        assert_eq!(of(80, "http-web", None, None), Some(Protocol::Http));
        assert_eq!(of(80, "HTTP2", None, None), Some(Protocol::Http2));
        assert_eq!(of(80, "grpc-web-x", None, None), Some(Protocol::GrpcWeb));
        assert_eq!(of(80, "GRPC-Web", None, None), Some(Protocol::GrpcWeb));
        assert_eq!(of(80, "grpc-x", None, None), Some(Protocol::Grpc));
        assert_eq!(of(80, "foo", None, None), None);
        assert_eq!(of(80, "httpfoo", None, None), None);
        assert_eq!(of(3306, "", None, None), Some(Protocol::Tcp));
        assert_eq!(of(53, "dns", None, None), Some(Protocol::Tcp));
        assert_eq!(of(80, "foo", Some("UDP"), None), Some(Protocol::Udp));
        assert_eq!(of(80, "foo", None, Some("http")), Some(Protocol::Http));
        assert_eq!(of(80, "http", None, Some("hbone")), None);
        assert_eq!(
            of(80, "", None, Some("kubernetes.io/h2c")),
            Some(Protocol::Http2)
        );
        assert_eq!(
            of(80, "", None, Some("kubernetes.io/ws")),
            Some(Protocol::Http)
        );
        // WebSocket over TLS is HTTPS in Istio.
        assert_eq!(
            of(80, "", None, Some("kubernetes.io/wss")),
            Some(Protocol::Https)
        );
    }

    // gateway.IsHTTPServer, gateway.IsPassThroughServer
    #[test]
    fn http_servers() {
        let server = |protocol: &str, mode: Option<ServerTlsMode>| Server {
            port: ServerPort {
                protocol: protocol.into(),
                ..Default::default()
            },
            tls: mode.map(|m| ServerTlsSettings {
                mode: Some(m),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(is_http_server(&server("http", None)));
        assert!(is_http_server(&server("GRPC-WEB", None)));
        assert!(is_http_server(&server(
            "HTTPS",
            Some(ServerTlsMode::Simple)
        )));
        assert!(!is_http_server(&server(
            "HTTPS",
            Some(ServerTlsMode::Passthrough)
        )));
        assert!(!is_http_server(&server(
            "HTTPS",
            Some(ServerTlsMode::AutoPassthrough)
        )));
        assert!(!is_http_server(&server("TLS", Some(ServerTlsMode::Simple))));
        assert!(!is_http_server(&server("TCP", None)));
        assert!(is_passthrough_server(&server(
            "TLS",
            Some(ServerTlsMode::Passthrough)
        )));
    }
}

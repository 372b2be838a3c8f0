//! Where the gates' numbers come from: the [`MetricsSource`] trait and its Prometheus
//! client, over plain HTTP with the hyper stack kube already brings.

use std::future::Future;
use std::time::Duration;

use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;
use serde_json::Value;

/// Something that answers PromQL queries with one number.
pub trait MetricsSource {
    /// The value of `promql` now: `Ok(None)` when there is no data (an empty vector, or
    /// `NaN`, e.g. a rate of no requests).
    ///
    /// # Errors
    /// [`MetricsError`] when the source cannot be reached, refuses the query, or answers
    /// with more than one series.
    fn query(&self, promql: &str)
    -> impl Future<Output = Result<Option<f64>, MetricsError>> + Send;
}

/// Why a query got no answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// The URL is not one this client can use.
    #[error("cannot use Prometheus URL {url:?}: {reason}")]
    Url {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No connection, or no answer in time.
    #[error("Prometheus at {url} is unreachable: {reason}")]
    Unreachable {
        /// The server.
        url: String,
        /// The connection error.
        reason: String,
    },
    /// Prometheus refused the query.
    #[error("Prometheus refused the query {query:?}: {message}")]
    Query {
        /// The query.
        query: String,
        /// Its error type and message, or the HTTP status.
        message: String,
    },
    /// The answer could not be used as one number.
    #[error("the answer to {query:?} is not one number: {reason}")]
    Shape {
        /// The query.
        query: String,
        /// What it was instead.
        reason: String,
    },
}

/// A Prometheus server's HTTP API (`/api/v1/query`), over plain HTTP (for a server
/// behind TLS, reach it through a port-forward or a sidecar).
#[derive(Clone, Debug)]
pub struct Prometheus {
    url: String,
    host: String,
    port: u16,
    prefix: String,
    timeout: Duration,
}

impl Prometheus {
    /// A client of the server at `url`, e.g. `http://127.0.0.1:9090` or
    /// `http://prometheus.monitoring:9090/prom` (a path prefix is kept).
    ///
    /// # Errors
    /// [`MetricsError::Url`] for a URL that is not `http://host[:port][/prefix]`.
    pub fn new(url: &str) -> Result<Self, MetricsError> {
        let bad = |reason: &str| MetricsError::Url {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let uri: http::Uri = url.parse().map_err(|e| bad(&format!("{e}")))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => {
                return Err(bad(&format!(
                    "scheme {other} is not supported: use http:// (a port-forward for a TLS server)"
                )));
            }
            None => return Err(bad("give the scheme, e.g. http://127.0.0.1:9090")),
        }
        let host = uri.host().ok_or_else(|| bad("no host"))?.to_string();
        let port = uri.port_u16().unwrap_or(80);
        let prefix = uri.path().trim_end_matches('/').to_string();
        Ok(Self {
            url: url.trim_end_matches('/').to_string(),
            host,
            port,
            prefix,
            timeout: Duration::from_secs(10),
        })
    }

    /// The bound on one query, connection included (default 10 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The server's URL, as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends one GET; the status and body.
    async fn get(&self, path_and_query: &str) -> Result<(u16, Bytes), String> {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| e.to_string())?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| e.to_string())?;
        let connection = tokio::spawn(conn);
        let request = http::Request::get(format!("{}{path_and_query}", self.prefix))
            .header(http::header::HOST, format!("{host}:{}", self.port))
            .header(http::header::ACCEPT, "application/json")
            .body(Empty::<Bytes>::new())
            .map_err(|e| e.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string());
        let out = match response {
            Ok(r) => {
                let status = r.status().as_u16();
                r.into_body()
                    .collect()
                    .await
                    .map(|b| (status, b.to_bytes()))
                    .map_err(|e| e.to_string())
            }
            Err(e) => Err(e),
        };
        drop(sender);
        connection.abort();
        out
    }
}

impl MetricsSource for Prometheus {
    async fn query(&self, promql: &str) -> Result<Option<f64>, MetricsError> {
        let path = format!("/api/v1/query?query={}", encode(promql));
        let unreachable = |reason: String| MetricsError::Unreachable {
            url: self.url.clone(),
            reason,
        };
        let (status, body) = tokio::time::timeout(self.timeout, self.get(&path))
            .await
            .map_err(|_| unreachable(format!("no answer in {:?}", self.timeout)))?
            .map_err(unreachable)?;
        let refused = |message: String| MetricsError::Query {
            query: promql.to_string(),
            message,
        };
        let json: Value = serde_json::from_slice(&body).map_err(|_| {
            refused(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            ))
        })?;
        if json["status"] != "success" {
            return Err(refused(format!(
                "{}: {}",
                json["errorType"].as_str().unwrap_or("error"),
                json["error"].as_str().unwrap_or("no message")
            )));
        }
        value_of(promql, &json["data"])
    }
}

/// The one number of a query's `data`.
fn value_of(query: &str, data: &Value) -> Result<Option<f64>, MetricsError> {
    let shape = |reason: String| MetricsError::Shape {
        query: query.to_string(),
        reason,
    };
    let sample = match data["resultType"].as_str() {
        Some("scalar") => &data["result"],
        Some("vector") => {
            let result = data["result"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            match result {
                [] => return Ok(None),
                [one] => &one["value"],
                many => {
                    return Err(shape(format!(
                        "{} series; aggregate them (e.g. with sum) to one",
                        many.len()
                    )));
                }
            }
        }
        other => return Err(shape(format!("a result of type {other:?}"))),
    };
    let text = sample[1]
        .as_str()
        .ok_or_else(|| shape(format!("a sample {sample}")))?;
    let v: f64 = match text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        t => t.parse().map_err(|_| shape(format!("the value {t:?}")))?,
    };
    Ok((!v.is_nan()).then_some(v))
}

/// Percent-encodes a query parameter (everything but RFC 3986's unreserved characters).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn urls() {
        let p = Prometheus::new("http://127.0.0.1:9090/prom/").unwrap();
        assert_eq!(
            (p.host.as_str(), p.port, p.prefix.as_str()),
            ("127.0.0.1", 9090, "/prom")
        );
        assert_eq!(Prometheus::new("http://prom").unwrap().port, 80);
        assert!(matches!(
            Prometheus::new("https://prom"),
            Err(MetricsError::Url { .. })
        ));
        assert!(matches!(
            Prometheus::new("prom:9090"),
            Err(MetricsError::Url { .. })
        ));
    }

    #[test]
    fn answers_become_one_number_or_none() {
        let v = |d: Value| value_of("q", &d);
        assert_eq!(
            v(json!({"resultType": "vector", "result": []})).unwrap(),
            None
        );
        assert_eq!(
            v(json!({"resultType": "vector", "result": [{"metric": {}, "value": [1.0, "99.5"]}]}))
                .unwrap(),
            Some(99.5)
        );
        assert_eq!(
            v(json!({"resultType": "scalar", "result": [1.0, "NaN"]})).unwrap(),
            None
        );
        assert_eq!(
            v(json!({"resultType": "scalar", "result": [1.0, "+Inf"]})).unwrap(),
            Some(f64::INFINITY)
        );
        let two = json!({"resultType": "vector", "result": [
            {"metric": {"a": "1"}, "value": [1.0, "1"]}, {"metric": {"a": "2"}, "value": [1.0, "2"]}]});
        assert!(v(two).unwrap_err().to_string().contains("2 series"));
    }

    #[test]
    fn queries_are_percent_encoded() {
        assert_eq!(
            encode(r#"sum(x{a="b"}[1m]) * 100"#),
            "sum%28x%7Ba%3D%22b%22%7D%5B1m%5D%29%20%2A%20100"
        );
    }
}

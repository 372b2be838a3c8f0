//! One API request at a time: sending, reading the answer, and retrying what may pass.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kube::Client;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use kube::client::Body;
use kube::core::{ApiResource, DynamicObject, Resource as _};
use serde_json::Value;
use tokio::time::Instant;

use super::options::ApplyOptions;

/// A Kubernetes `Status` the server answered a request with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiStatus {
    /// The HTTP status code.
    pub code: u16,
    /// The reason, e.g. `Invalid`, `Conflict`, `NotFound`.
    pub reason: String,
    /// The server's message.
    pub message: String,
    /// `details.causes`: `(reason, message, field)`.
    pub causes: Vec<(String, String, String)>,
}

impl ApiStatus {
    fn parse(code: u16, body: &[u8]) -> Self {
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let text = |v: &Value| v.as_str().unwrap_or("").to_string();
        let message = match v.get("message").and_then(Value::as_str) {
            Some(m) => m.to_string(),
            None => String::from_utf8_lossy(body)
                .trim()
                .chars()
                .take(300)
                .collect(),
        };
        Self {
            code,
            reason: text(&v["reason"]),
            message,
            causes: v["details"]["causes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| (text(&c["reason"]), text(&c["message"]), text(&c["field"])))
                .collect(),
        }
    }

    /// A server-side apply patch the schema does not accept (Kubernetes answers these
    /// with a 500; they are not transient).
    pub fn is_schema_error(&self) -> bool {
        self.message.contains("failed to create typed patch object")
            || self.message.contains("field not declared in schema")
    }
}

/// Why one request failed (after retries). Neither its `Display` nor its `Debug` quotes a
/// credential.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The server answered with an error status.
    #[error("{} {}: {}", .0.code, if .0.reason.is_empty() { "error" } else { .0.reason.as_str() }, .0.message)]
    Status(ApiStatus),
    /// The request did not get an answer (connection refused or dropped, TLS, ...). The
    /// message ends with the innermost cause (e.g. `invalid peer certificate:
    /// UnknownIssuer`); credentials are never quoted, so the kube error is not `source()`.
    #[error("no answer from the API server: {}", super::redact::describe(.0))]
    Transport(kube::Error),
    /// One attempt took longer than the request timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The overall timeout passed.
    #[error("the overall timeout passed")]
    Deadline,
    /// The request could not be built.
    #[error("cannot build the request: {0}")]
    Build(String),
    /// The answer was not the JSON expected.
    #[error("unexpected answer: {0}")]
    Decode(String),
}

/// Like a derived `Debug`, but a transport error as its redacted message.
impl std::fmt::Debug for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Status(s) => f.debug_tuple("Status").field(s).finish(),
            Self::Transport(e) => f
                .debug_tuple("Transport")
                .field(&super::redact::describe(e))
                .finish(),
            Self::Timeout(d) => f.debug_tuple("Timeout").field(d).finish(),
            Self::Deadline => f.write_str("Deadline"),
            Self::Build(b) => f.debug_tuple("Build").field(b).finish(),
            Self::Decode(d) => f.debug_tuple("Decode").field(d).finish(),
        }
    }
}

impl RequestError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<&ApiStatus> {
        match self {
            Self::Status(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn is_not_found(&self) -> bool {
        self.status().is_some_and(|s| s.code == 404)
    }
}

/// A small PRNG for jitter (xorshift), seeded from the clock: no `rand` needed.
fn jitter_fraction() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        x = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64)
            | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// The backoff before retry `n` (1-based): doubling from `initial`, at most `max`, with
/// "equal jitter" (half fixed, half random) so that concurrent clients spread out.
pub(crate) fn backoff(options: &ApplyOptions, n: u32) -> Duration {
    let base = options
        .retry
        .initial
        .saturating_mul(1u32 << (n.saturating_sub(1)).min(20))
        .min(options.retry.max_delay);
    base / 2 + base.mul_f64(jitter_fraction() / 2.0)
}

/// What makes an answer worth another attempt.
fn transient(status: &ApiStatus, is_apply: bool) -> bool {
    match status.code {
        429 | 502 | 503 | 504 => true,
        500 => !status.is_schema_error(),
        // On apply a 409 is a field-manager conflict: only `force` resolves it.
        409 => !is_apply,
        _ => false,
    }
}

/// Sends requests for one operation, under its deadline, with its retry policy.
pub(crate) struct Requester<'a> {
    pub(crate) client: &'a Client,
    pub(crate) options: &'a ApplyOptions,
    pub(crate) deadline: Instant,
}

impl Requester<'_> {
    /// Sends a request built by `make` (called once per attempt) and returns the status and
    /// JSON body of a successful answer.
    async fn send<F>(
        &self,
        what: &str,
        is_apply: bool,
        make: F,
    ) -> Result<(u16, Value), RequestError>
    where
        F: Fn() -> Result<http::Request<Vec<u8>>, kube::core::request::Error>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let now = Instant::now();
            if now >= self.deadline {
                return Err(RequestError::Deadline);
            }
            let request = make().map_err(|e| RequestError::Build(e.to_string()))?;
            let limit = self.options.request_timeout.min(self.deadline - now);
            let outcome = tokio::time::timeout(limit, async {
                let response = self
                    .client
                    .send(request.map(Body::from))
                    .await
                    .map_err(RequestError::Transport)?;
                let code = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let body = response
                    .into_body()
                    .collect_bytes()
                    .await
                    .map_err(RequestError::Transport)?;
                Ok::<_, RequestError>((code, retry_after, body))
            })
            .await;
            let (error, retry_after) = match outcome {
                Err(_) => (RequestError::Timeout(limit), None),
                Ok(Err(e)) => (e, None),
                Ok(Ok((code, _, body))) if (200..300).contains(&code) => {
                    let value = if body.is_empty() {
                        Value::Null
                    } else {
                        serde_json::from_slice(&body)
                            .map_err(|e| RequestError::Decode(e.to_string()))?
                    };
                    return Ok((code, value));
                }
                Ok(Ok((code, retry_after, body))) => (
                    RequestError::Status(ApiStatus::parse(code, &body)),
                    retry_after,
                ),
            };
            let retry = match &error {
                RequestError::Status(s) => transient(s, is_apply),
                RequestError::Transport(_) | RequestError::Timeout(_) => true,
                _ => false,
            };
            if !retry || attempt >= self.options.retry.attempts {
                return Err(error);
            }
            let delay = retry_after.unwrap_or_else(|| backoff(self.options, attempt));
            if Instant::now() + delay >= self.deadline {
                return Err(error);
            }
            tracing::debug!(%error, attempt, ?delay, "{what}: retrying");
            tokio::time::sleep(delay).await;
        }
    }

    fn url(ar: &ApiResource, namespace: Option<&str>) -> kube::core::Request {
        kube::core::Request::new(DynamicObject::url_path(ar, namespace))
    }

    /// The live object, or `None` if there is none.
    pub(crate) async fn get(
        &self,
        ar: &ApiResource,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<Value>, RequestError> {
        let url = Self::url(ar, namespace);
        match self
            .send(&format!("get {} {name}", ar.kind), false, || {
                url.get(name, &Default::default())
            })
            .await
        {
            Ok((_, v)) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Server-side apply; returns the HTTP status (201 when created) and the object.
    pub(crate) async fn apply(
        &self,
        ar: &ApiResource,
        namespace: Option<&str>,
        name: &str,
        object: &Value,
        dry_run: bool,
    ) -> Result<(u16, Value), RequestError> {
        let url = Self::url(ar, namespace);
        let mut params = PatchParams::apply(&self.options.field_manager);
        params.force = self.options.force_conflicts;
        params.dry_run = dry_run;
        let patch = Patch::Apply(object);
        self.send(&format!("apply {} {name}", ar.kind), true, || {
            url.patch(name, &params, &patch)
        })
        .await
    }

    /// The objects matching a label selector (all without one), in one namespace or
    /// cluster-wide.
    pub(crate) async fn list(
        &self,
        ar: &ApiResource,
        namespace: Option<&str>,
        selector: Option<&str>,
    ) -> Result<Vec<Value>, RequestError> {
        let url = Self::url(ar, namespace);
        let params = match selector {
            Some(s) => ListParams::default().labels(s),
            None => ListParams::default(),
        };
        let (_, v) = self
            .send(&format!("list {}", ar.plural), false, || url.list(&params))
            .await?;
        Ok(v["items"].as_array().cloned().unwrap_or_default())
    }

    /// Deletes an object; `false` if it was already gone.
    pub(crate) async fn delete(
        &self,
        ar: &ApiResource,
        namespace: Option<&str>,
        name: &str,
        dry_run: bool,
    ) -> Result<bool, RequestError> {
        let url = Self::url(ar, namespace);
        let params = DeleteParams {
            dry_run,
            ..DeleteParams::background()
        };
        match self
            .send(&format!("delete {} {name}", ar.kind), false, || {
                url.delete(name, &params)
            })
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let options = ApplyOptions::new("t");
        for n in 1..=8 {
            let d = backoff(&options, n);
            let base = (Duration::from_millis(200) * (1 << (n - 1))).min(Duration::from_secs(10));
            assert!(
                d >= base / 2 && d <= base,
                "retry {n}: {d:?} not within [{:?}, {base:?}]",
                base / 2
            );
        }
    }

    #[test]
    fn what_is_retried() {
        let s = |code: u16, message: &str| ApiStatus {
            code,
            message: message.into(),
            ..Default::default()
        };
        assert!(transient(&s(429, ""), true));
        assert!(transient(&s(500, "etcdserver: request timed out"), true));
        assert!(!transient(
            &s(
                500,
                "failed to create typed patch object (/x; v1, Kind=X): .spec.y: field not declared in schema"
            ),
            true
        ));
        assert!(!transient(&s(409, "Apply failed with 1 conflict"), true));
        assert!(transient(&s(409, "the object has been modified"), false));
        assert!(!transient(&s(422, ""), true));
        assert!(!transient(&s(404, ""), false));
    }
}

//! The HTTP side: the accept loop, faults, routing of Kubernetes API paths.

use std::collections::HashMap;
use std::sync::Arc;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::{Value, json};

use crate::faults::Fault;
use crate::kinds::{self, Kind};
use crate::store::{ApplyRequest, Failure, matches_selector, status};
use crate::{RequestRecord, Shared};

/// Runs the server until `shutdown` fires.
pub(crate) fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the fake API server");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
        let mut shutdown = shutdown;
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let shared = Arc::clone(&shared);
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let shared = Arc::clone(&shared);
                            async move { handle(shared, req).await }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
        }
    });
}

/// A request the fault injection drops: the connection closes without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

fn json_response(code: u16, body: &Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() =
        hyper::StatusCode::from_u16(code).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                if let Ok(b) = u8::from_str_radix(hex, 16) {
                    out.push(b);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let content_type = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(Dropped),
    };
    let params = parse_query(&query);
    let body_dry_run = method == "DELETE"
        && serde_json::from_slice::<Value>(&body)
            .ok()
            .is_some_and(|b| {
                b["dryRun"]
                    .as_array()
                    .is_some_and(|d| d.iter().any(|x| x == "All"))
            });
    let dry_run = params.get("dryRun").is_some_and(|d| d == "All") || body_dry_run;
    let log = |status: u16| {
        shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(RequestRecord {
                method: method.clone(),
                path: path.clone(),
                query: query.clone(),
                dry_run,
                status,
            });
    };

    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let fault = shared.faults.take(&method, &path, dry_run);
    match &fault {
        Some(Fault::Delay(d)) => tokio::time::sleep(*d).await,
        Some(Fault::Disconnect) => {
            log(0);
            return Err(Dropped);
        }
        Some(Fault::TooManyRequests { retry_after_secs }) => {
            log(429);
            let mut r = json_response(
                429,
                &status(
                    429,
                    "TooManyRequests",
                    "the server has received too many requests and has asked us to try again later",
                    None,
                ),
            );
            r.headers_mut().insert(
                hyper::header::RETRY_AFTER,
                hyper::header::HeaderValue::from(*retry_after_secs),
            );
            return Ok(r);
        }
        Some(Fault::InternalError) => {
            log(500);
            return Ok(json_response(
                500,
                &status(
                    500,
                    "InternalError",
                    "Internal error occurred: etcdserver: request timed out",
                    None,
                ),
            ));
        }
        Some(Fault::Unavailable) => {
            log(503);
            return Ok(json_response(
                503,
                &status(
                    503,
                    "ServiceUnavailable",
                    "the server is currently unable to handle the request",
                    None,
                ),
            ));
        }
        Some(Fault::DisconnectAfterHandling) | None => {}
    }

    let (code, value) = match route(
        &shared,
        &method,
        &path,
        &params,
        &content_type,
        &body,
        dry_run,
    ) {
        Ok((code, value)) => (code, value),
        Err(f) => (f.code, f.body),
    };
    if fault == Some(Fault::DisconnectAfterHandling) {
        log(0);
        return Err(Dropped);
    }
    log(code);
    Ok(json_response(code, &value))
}

/// A resource path: `/api/v1/...` or `/apis/{group}/{version}/...`.
struct Target<'a> {
    kind: &'a Kind,
    version: String,
    namespace: Option<String>,
    name: Option<String>,
}

type Answer = Result<(u16, Value), Failure>;

fn route(
    shared: &Shared,
    method: &str,
    path: &str,
    params: &HashMap<String, String>,
    content_type: &str,
    body: &[u8],
    dry_run: bool,
) -> Answer {
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api"] => return Ok((200, kinds::core_versions(&shared.addr.to_string()))),
        ["apis"] => return Ok((200, kinds::group_list(&shared.kinds))),
        ["version"] => {
            return Ok((
                200,
                json!({"major": "1", "minor": "32", "gitVersion": "v1.32.0-fake"}),
            ));
        }
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => {
            return Err(Failure::new(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ));
        }
    };
    if rest.is_empty() {
        return kinds::resource_list(&shared.kinds, group, version)
            .map(|l| (200, l))
            .ok_or_else(|| {
                Failure::new(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                )
            });
    }
    let (namespace, plural, name) = match rest {
        ["namespaces", ns, plural] => (Some(*ns), *plural, None),
        ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
        [plural] => (None, *plural, None),
        [plural, name] => (None, *plural, Some(*name)),
        _ => {
            return Err(Failure::new(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ));
        }
    };
    let Some(kind) = shared.kinds.iter().find(|k| {
        k.group == group && k.plural == plural && k.versions.iter().any(|v| v == version)
    }) else {
        return Err(Failure::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    };
    let t = Target {
        kind,
        version: version.to_string(),
        namespace: namespace.map(String::from),
        name: name.map(String::from),
    };
    match (method, &t.name) {
        ("GET", None) => list(shared, &t, params),
        ("GET", Some(name)) => get(shared, &t, name),
        ("DELETE", Some(name)) => delete(shared, &t, name, dry_run),
        ("PATCH", Some(name)) => apply(shared, &t, name, params, content_type, body, dry_run),
        _ => Err(Failure::new(
            405,
            "MethodNotAllowed",
            format!("{method} is not supported by the fake API server"),
        )),
    }
}

fn ns_of(t: &Target<'_>) -> String {
    if t.kind.namespaced {
        t.namespace.clone().unwrap_or_default()
    } else {
        String::new()
    }
}

fn get(shared: &Shared, t: &Target<'_>, name: &str) -> Answer {
    let store = shared.store();
    let key = (
        t.kind.group.clone(),
        t.kind.kind.clone(),
        ns_of(t),
        name.to_string(),
    );
    match store.objects.get(&key) {
        Some(s) => Ok((200, store.render(t.kind, &t.version, s))),
        None => Err(Failure::not_found(t.kind, name)),
    }
}

fn list(shared: &Shared, t: &Target<'_>, params: &HashMap<String, String>) -> Answer {
    let store = shared.store();
    let selector = params
        .get("labelSelector")
        .map(String::as_str)
        .unwrap_or("");
    let items: Vec<Value> = store
        .objects
        .iter()
        .filter(|((g, k, ns, _), _)| {
            *g == t.kind.group
                && *k == t.kind.kind
                && t.namespace.as_ref().is_none_or(|want| want == ns)
        })
        .filter(|(_, s)| matches_selector(&s.object, selector))
        .map(|(_, s)| store.render(t.kind, &t.version, s))
        .collect();
    Ok((
        200,
        json!({
            "kind": format!("{}List", t.kind.kind),
            "apiVersion": t.kind.api_version(&t.version),
            "metadata": {"resourceVersion": store.resource_version()},
            "items": items,
        }),
    ))
}

fn delete(shared: &Shared, t: &Target<'_>, name: &str, dry_run: bool) -> Answer {
    match shared.store().delete(t.kind, &ns_of(t), name, dry_run) {
        Some(obj) => Ok((200, obj)),
        None => Err(Failure::not_found(t.kind, name)),
    }
}

/// Messages of [`testkit::SchemaValidator`] that a real server reports while building the
/// typed patch (a 500), rather than as validation errors (a 422).
fn is_structural(message: &str) -> bool {
    message.starts_with("unknown field") || message.starts_with("expected ")
}

/// What istio-types finds wrong with an Istio object: `Err(path)` for the first structural
/// problem (an unknown field or a wrong type, which a real server reports while building the
/// typed patch), else every other decoding problem and every violation of the generated
/// schema and CEL checks as `(path, message)`.
fn istio_problems(config: &Value) -> Result<Vec<(String, String)>, String> {
    use istio_types::de::FieldErrorKind;
    match istio_types::IstioResource::from_value(config) {
        Err(errors) => {
            let structural = |e: &&istio_types::de::FieldError| {
                matches!(
                    e.kind,
                    FieldErrorKind::UnknownField { .. } | FieldErrorKind::WrongType { .. }
                )
            };
            if let Some(e) = errors.iter().find(structural) {
                return Err(e.path.to_string());
            }
            Ok(errors
                .iter()
                .map(|e| (e.path.to_string(), e.kind.to_string()))
                .collect())
        }
        Ok(Some(resource)) => Ok(istio_types::validate::validate(&resource)
            .iter()
            .map(|v| (v.path.to_string(), v.kind.to_string()))
            .collect()),
        Ok(None) => Ok(Vec::new()),
    }
}

#[allow(clippy::too_many_arguments)]
fn apply(
    shared: &Shared,
    t: &Target<'_>,
    name: &str,
    params: &HashMap<String, String>,
    content_type: &str,
    body: &[u8],
    dry_run: bool,
) -> Answer {
    if !content_type.starts_with("application/apply-patch") {
        return Err(Failure::new(
            415,
            "UnsupportedMediaType",
            format!("the fake API server only supports server-side apply, not {content_type:?}"),
        ));
    }
    let Some(manager) = params.get("fieldManager").filter(|m| !m.is_empty()) else {
        return Err(Failure::new(
            400,
            "BadRequest",
            "PATCH requests require fieldManager for apply",
        ));
    };
    let force = params.get("force").is_some_and(|f| f == "true");
    let config: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => match std::str::from_utf8(body)
            .ok()
            .and_then(|s| serde_saphyr::from_str(s).ok())
        {
            Some(v) => v,
            None => {
                return Err(Failure::new(
                    400,
                    "BadRequest",
                    "the body is neither JSON nor YAML",
                ));
            }
        },
    };
    let want_api = t.kind.api_version(&t.version);
    if config["apiVersion"] != want_api.as_str() || config["kind"] != t.kind.kind.as_str() {
        return Err(Failure::new(
            400,
            "BadRequest",
            format!(
                "the apiVersion/kind of the body must be {want_api} {}",
                t.kind.kind
            ),
        ));
    }
    if config["metadata"]["name"] != name {
        return Err(Failure::new(
            400,
            "BadRequest",
            "the name of the object does not match the name on the URL",
        ));
    }
    let namespace = ns_of(t);
    if let Some(ns) = config["metadata"]["namespace"].as_str()
        && t.kind.namespaced
        && ns != namespace
    {
        return Err(Failure::new(
            400,
            "BadRequest",
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }

    // Schema: structural problems first (the typed patch), then validation.
    let mut invalid: Vec<(String, String)> = Vec::new();
    if !t.kind.group.is_empty() && t.kind.group != "apps" {
        if let Some(v) = shared.validator
            && let Err(errors) = v.validate(&config)
        {
            let (structural, other): (Vec<_>, Vec<_>) =
                errors.into_iter().partition(|e| is_structural(&e.message));
            if let Some(e) = structural.first() {
                return Err(Failure::new(
                    500,
                    "InternalError",
                    format!(
                        "failed to create typed patch object (/{namespace}/{name}; {want_api}, Kind={}): .{}: field not declared in schema",
                        t.kind.kind, e.path
                    ),
                ));
            }
            invalid = other.into_iter().map(|e| (e.path, e.message)).collect();
        } else if shared.validator.is_none() && shared.istio_checks {
            match istio_problems(&config) {
                Err(path) => {
                    return Err(Failure::new(
                        500,
                        "InternalError",
                        format!(
                            "failed to create typed patch object (/{namespace}/{name}; {want_api}, Kind={}): .{path}: field not declared in schema",
                            t.kind.kind
                        ),
                    ));
                }
                Ok(problems) => invalid = problems,
            }
        }
    } else if matches!(
        t.kind.kind.as_str(),
        "Namespace" | "ServiceAccount" | "Service" | "Deployment"
    ) {
        invalid = testkit::core_shape_problems(&config)
            .into_iter()
            .map(|m| (String::new(), m))
            .collect();
    }
    let mut store = shared.store();
    if t.kind.namespaced && !store.has_namespace(&namespace) {
        return Err(Failure::with_details(
            404,
            "NotFound",
            &format!("namespaces {namespace:?} not found"),
            json!({"name": namespace, "kind": "namespaces"}),
        ));
    }
    if !invalid.is_empty() {
        let causes: Vec<Value> = invalid
            .iter()
            .map(|(field, message)| json!({"reason": "FieldValueInvalid", "message": message, "field": field}))
            .collect();
        let summary: Vec<String> = invalid
            .iter()
            .map(|(f, m)| {
                if f.is_empty() {
                    m.clone()
                } else {
                    format!("{f}: Invalid value: {m}")
                }
            })
            .collect();
        return Err(Failure::with_details(
            422,
            "Invalid",
            &format!(
                "{}.{} {name:?} is invalid: {}",
                t.kind.kind,
                t.kind.group,
                summary.join(", ")
            ),
            json!({"name": name, "group": t.kind.group, "kind": t.kind.kind, "causes": causes}),
        ));
    }
    let applied = store.apply(
        &ApplyRequest {
            kind: t.kind,
            version: &t.version,
            namespace: &namespace,
            name,
            manager,
            force,
            dry_run,
        },
        &config,
    )?;
    Ok((if applied.created { 201 } else { 200 }, applied.object))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_decoded() {
        let q = parse_query("labelSelector=applyset.kubernetes.io%2Fpart-of%3Dx&dryRun=All&a=b+c");
        assert_eq!(q["labelSelector"], "applyset.kubernetes.io/part-of=x");
        assert_eq!(q["dryRun"], "All");
        assert_eq!(q["a"], "b c");
    }

    fn vs(spec: Value) -> Value {
        json!({
            "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": "x", "namespace": "shop"}, "spec": spec,
        })
    }

    fn dr(spec: Value) -> Value {
        json!({
            "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
            "metadata": {"name": "x", "namespace": "shop"}, "spec": spec,
        })
    }

    /// The objects of `istio_checks_match_the_crd_schema`, with what the CRD schema says:
    /// `Err(())` structural (500), `Ok(true)` valid, `Ok(false)` invalid (422).
    fn cases() -> Vec<(Value, Result<bool, ()>)> {
        vec![
            (
                vs(json!({"hosts": ["a"], "http": [{"route": [{"destination": {"host": "a"}}]}]})),
                Ok(true),
            ),
            (
                vs(json!({"hosts": ["a"], "http": [{"timout": "5s"}]})),
                Err(()),
            ),
            (vs(json!({"hosts": "a"})), Err(())),
            (
                dr(json!({"host": "a", "trafficPolicy": {"loadBalancer": {"simple": "FASTEST"}}})),
                Ok(false),
            ),
            (
                dr(json!({"host": "a", "trafficPolicy": {"retryBudget": {"percent": 150}}})),
                Ok(false),
            ),
        ]
    }

    #[test]
    fn istio_checks_sort_problems_as_the_server_does() {
        assert_eq!(
            istio_problems(&vs(json!({"hosts": ["a"], "http": [{"timout": "5s"}]}))),
            Err("spec.http[0].timout".to_string())
        );
        for (doc, want) in cases() {
            let got = istio_problems(&doc).map(|p| p.is_empty()).map_err(|_| ());
            assert_eq!(got, want, "{doc}");
        }
    }

    /// istio-types' checks classify the cases as the CRD schema does (when the reference
    /// data is there).
    #[test]
    fn istio_checks_match_the_crd_schema() {
        let Some(v) = testkit::reference_validator("istio_checks_match_the_crd_schema") else {
            return;
        };
        for (doc, want) in cases() {
            let got = match v.validate(&doc) {
                Ok(()) => Ok(true),
                Err(e) if e.iter().any(|e| is_structural(&e.message)) => Err(()),
                Err(_) => Ok(false),
            };
            assert_eq!(got, want, "{doc}");
        }
    }
}

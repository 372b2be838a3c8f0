//! Discovery of what the cluster serves, one request per group-version, each retried on
//! its own (a discovery of every group at once fails as a whole when any one of its
//! requests does, which under a share of 429/500 answers is most of the time).

use std::collections::BTreeSet;
use std::future::Future;

use kube::core::{ApiResource, GroupVersion, GroupVersionKind};
use kube::discovery::{ApiCapabilities, ApiGroup};
use tokio::time::Instant;

use super::error::ApplyError;
use super::request::{self, RequestError, Requester};

/// The served group-versions that were asked about.
pub(crate) struct Served {
    groups: Vec<ApiGroup>,
}

impl Served {
    /// The resource of a group-version-kind, if served.
    pub(crate) fn resolve_gvk(
        &self,
        gvk: &GroupVersionKind,
    ) -> Option<(ApiResource, ApiCapabilities)> {
        self.groups
            .iter()
            .filter(|g| g.name() == gvk.group)
            .find_map(|g| {
                g.versioned_resources(&gvk.version)
                    .into_iter()
                    .find(|(ar, _)| ar.kind == gvk.kind)
            })
    }

    /// The resource of a kind of a group, in the first discovered version serving it.
    pub(crate) fn recommended_kind(
        &self,
        group: &str,
        kind: &str,
    ) -> Option<(ApiResource, ApiCapabilities)> {
        self.groups
            .iter()
            .filter(|g| g.name() == group)
            .find_map(|g| g.recommended_kind(kind))
    }

    /// Every discovered group-version.
    pub(crate) fn groups(&self) -> impl Iterator<Item = &ApiGroup> {
        self.groups.iter()
    }
}

/// Runs one discovery request with the apply's retries; `None` when the server answers
/// 404 (not served).
async fn with_retries<T, F, Fut>(
    api: &Requester<'_>,
    what: &str,
    f: F,
) -> Result<Option<T>, ApplyError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let options = api.options;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome = tokio::time::timeout(options.request_timeout, f()).await;
        let (error, transient) = match outcome {
            Ok(Ok(v)) => return Ok(Some(v)),
            Ok(Err(kube::Error::Api(s))) if s.code == 404 => return Ok(None),
            Ok(Err(e)) => {
                let transient = match &e {
                    kube::Error::Api(s) => matches!(s.code, 429 | 500 | 502 | 503 | 504),
                    kube::Error::HyperError(_) | kube::Error::Service(_) => true,
                    _ => false,
                };
                (ApplyError::Unreachable(e), transient)
            }
            Err(_) => (
                ApplyError::request(
                    "discover the cluster's API",
                    RequestError::Timeout(options.request_timeout),
                ),
                true,
            ),
        };
        let delay = request::backoff(options, attempt);
        if !transient || attempt >= options.retry.attempts || Instant::now() + delay >= api.deadline
        {
            return Err(error);
        }
        tracing::debug!(%error, attempt, ?delay, "{what}: retrying");
        tokio::time::sleep(delay).await;
    }
}

/// Discovers these group-versions, and the preferred version of these other groups
/// (those of kinds an ApplySet records; a group the cluster no longer serves is left
/// out).
pub(crate) async fn discover(
    api: &Requester<'_>,
    wanted: &BTreeSet<(String, String)>,
    other_groups: &BTreeSet<String>,
) -> Result<Served, ApplyError> {
    let mut versions: Vec<GroupVersion> =
        wanted.iter().map(|(g, v)| GroupVersion::gv(g, v)).collect();
    let missing: Vec<&String> = other_groups
        .iter()
        .filter(|g| !wanted.iter().any(|(w, _)| w == *g))
        .collect();
    if !missing.is_empty() {
        let client = api.client;
        let list = with_retries(api, "list the API groups", || client.list_api_groups())
            .await?
            .map(|l| l.groups)
            .unwrap_or_default();
        for g in missing {
            if g.is_empty() {
                versions.push(GroupVersion::gv("", "v1"));
                continue;
            }
            let preferred = list
                .iter()
                .find(|served| &served.name == g)
                .and_then(|served| {
                    served
                        .preferred_version
                        .as_ref()
                        .or(served.versions.first())
                })
                .map(|v| v.version.clone());
            if let Some(v) = preferred {
                versions.push(GroupVersion::gv(g, &v));
            }
        }
    }
    let client = api.client;
    let found = super::concurrently(api.options.concurrency, versions, |gv| async move {
        let what = format!("discover {}", gv.api_version());
        with_retries(api, &what, || kube::discovery::pinned_group(client, &gv)).await
    })
    .await;
    let mut groups = Vec::new();
    for g in found {
        if let Some(g) = g? {
            groups.push(g);
        }
    }
    Ok(Served { groups })
}

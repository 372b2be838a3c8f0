//! The Kubernetes client, from a kubeconfig or the in-cluster configuration.

use std::path::Path;

use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};

use super::error::ApplyError;

/// A client from a kubeconfig: `path` (or `KUBECONFIG` / `~/.kube/config`, or the
/// in-cluster configuration when neither is given) and `context` (or the current one).
///
/// The client's own retry layer is switched off: [`apply`](super::apply) retries with its
/// own policy ([`ApplyOptions::retry`](super::ApplyOptions::retry)).
///
/// No error names a credential: a kubeconfig that does not parse is reported by line,
/// column and kind of problem, not by the text around it (which may hold a token or a
/// key). The in-cluster fallback is tried only when there is no kubeconfig at all, as
/// kube's own inference would, but without its trace of the kubeconfig's error.
///
/// # Errors
/// [`ApplyError::Kubeconfig`] or [`ApplyError::InferConfig`] when there is no usable
/// configuration, [`ApplyError::Client`] when the client cannot be built.
pub async fn client(path: Option<&Path>, context: Option<&str>) -> Result<Client, ApplyError> {
    let options = KubeConfigOptions {
        context: context.map(String::from),
        ..Default::default()
    };
    let mut config = match (path, context) {
        (Some(p), _) => {
            let kc = Kubeconfig::read_from(p).map_err(ApplyError::Kubeconfig)?;
            kube::Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(ApplyError::Kubeconfig)?
        }
        (None, Some(_)) => kube::Config::from_kubeconfig(&options)
            .await
            .map_err(ApplyError::Kubeconfig)?,
        (None, None) => match kube::Config::from_kubeconfig(&options).await {
            Ok(mut config) => {
                config.apply_debug_overrides();
                config
            }
            Err(e) if has_kubeconfig() => return Err(ApplyError::Kubeconfig(e)),
            Err(e) => match kube::Config::incluster() {
                Ok(mut config) => {
                    config.apply_debug_overrides();
                    config
                }
                Err(_) => return Err(ApplyError::Kubeconfig(e)),
            },
        },
    };
    config.default_retry = false;
    Client::try_from(config).map_err(ApplyError::Client)
}

/// Whether a kubeconfig is named by `KUBECONFIG` or exists at `~/.kube/config`: then its
/// problems are the ones to report, not the missing in-cluster configuration.
fn has_kubeconfig() -> bool {
    if std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty()) {
        return true;
    }
    std::env::var_os("HOME")
        .map(|h| Path::new(&h).join(".kube").join("config"))
        .is_some_and(|p| p.exists())
}

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
        (None, None) => kube::Config::infer()
            .await
            .map_err(ApplyError::InferConfig)?,
    };
    config.default_retry = false;
    Client::try_from(config).map_err(ApplyError::Client)
}

//! What the cluster commands share: the apply options from the cluster flags, the async
//! runtime, the client, the exit code of an apply error and the progress bar.

use std::io::IsTerminal as _;

use crate::apply::{self, ApplyError, ApplyOptions, ApplySetParent, Event, Step};

use super::args::Cluster;
use super::exit;

/// The apply options the cluster flags name; the ApplySet is named after the program
/// unless `--applyset` says otherwise.
pub(super) fn options(cluster: &Cluster, program: &str) -> ApplyOptions {
    let name = cluster
        .applyset
        .clone()
        .unwrap_or_else(|| program.to_string());
    ApplyOptions::new(name.clone())
        .applyset(ApplySetParent::config_map(name, cluster.namespace.clone()))
        .field_manager(cluster.field_manager.clone())
        .timeout(cluster.timeout)
        .concurrency(cluster.concurrency)
}

/// Runs a cluster command on a fresh runtime; its exit code.
pub(super) fn block_on(f: impl std::future::Future<Output = u8>) -> u8 {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(f),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            exit::USAGE
        }
    }
}

/// The client of the kubeconfig and context the flags name; the exit code on failure.
pub(super) async fn connect(cluster: &Cluster) -> Result<kube::Client, u8> {
    apply::client(cluster.kubeconfig.as_deref(), cluster.context.as_deref())
        .await
        .map_err(|e| error_code(&e))
}

/// Prints the error; its exit code.
pub(super) fn error_code(e: &ApplyError) -> u8 {
    eprintln!("error: {e}");
    if e.is_preflight() {
        exit::CLUSTER
    } else {
        exit::FAILED
    }
}

/// A progress bar on standard error when it is a terminal, fed by the apply's events.
pub(super) fn progress(options: &mut ApplyOptions) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} {elapsed}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    let b = bar.clone();
    *options = options.clone().observer(move |event| match event {
        Event::Started { step, total } => {
            b.set_message(match step {
                Step::Validate => "validate",
                Step::Apply => "apply",
                Step::Prune => "prune",
                Step::Delete => "delete",
                Step::Wait => "wait",
            });
            b.set_length(*total as u64);
            b.set_position(0);
        }
        Event::Done { .. } => b.inc(1),
        Event::Waiting { ready, total } => {
            b.set_length(*total as u64);
            b.set_position(*ready as u64);
        }
    });
    Some(bar)
}

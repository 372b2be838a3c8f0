//! One call turns a function that builds a [`Mesh`] into a deploy program:
//!
//! ```no_run
//! fn mesh() -> mesh_dsl::Mesh {
//!     let mut mesh = mesh_dsl::Mesh::new();
//!     // ... namespaces, services, routes ...
//!     mesh
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     mesh_dsl::deploy::run(mesh)
//! }
//! ```
//!
//! ```text
//! my-deploy render   [--stage N] [-o yaml|json] [--out-dir DIR]
//! my-deploy validate [--stage N] [--suppress CODE]...
//! my-deploy diff     [--stage N] [--prune]                         (cluster flags)
//! my-deploy apply    [--stage N] [--dry-run=server] [--force-conflicts] [--prune] [--wait]
//!                    [--delete-namespaces=empty|force] [-o text|json] (cluster flags)
//! my-deploy delete   [--dry-run=server] [--delete-namespaces=empty|force]
//!                    [-o text|json]                                (cluster flags)
//! my-deploy rollout  --prometheus URL [--interval 10s] [--bake 5m] [--restart]
//!                    [--dry-run] [--status]                        (cluster flags)
//! my-deploy stages
//! my-deploy install  [--format operator|helm]
//!
//! cluster flags: --kubeconfig PATH  --context NAME  -n/--namespace NS (of the ApplySet
//!   parent, default `default`)  --applyset NAME (default: the program's name)
//!   --field-manager NAME (default mesh-dsl)  --timeout 5m  --concurrency 16
//! ```
//!
//! Enabled by the cargo feature `cli` (named after this module's former name,
//! `mesh_dsl::cli`, which is kept as a deprecated alias for one release).
//!
//! Logging goes to standard error through `tracing`, filtered by `RUST_LOG` (default
//! `warn`, without kube's own error lines about answers the apply retries); a progress bar shows on apply, delete and wait when standard error is a
//! terminal.
//!
//! # Exit codes
//! | code | meaning |
//! | --- | --- |
//! | 0 | success; for `diff`, nothing would change |
//! | 1 | the mesh is invalid (compile, validation or analysis errors): nothing was sent |
//! | 2 | usage error, or a file that could not be written |
//! | 3 | no cluster: kubeconfig or context unusable, cluster unreachable, kinds not served (e.g. Istio's CRDs missing), or an ApplySet owned by another tool |
//! | 4 | objects failed: refused by the server's dry run (nothing written: namespaces and the ApplySet record created only for the dry run are removed again), conflicts, writes or deletes failing after retries, or the timeout passed |
//! | 5 | applied, but `--wait` found Deployments not rolled out in time |
//! | 6 | `diff` found differences |
//! | 7 | `rollout`: a gate failed and traffic went back to the stable versions (or the recorded rollout was rolled back: `--restart` starts again) |
//! | 8 | `rollout`: the metrics could not be read (Prometheus unreachable, a query refused): stopped at the stage applied last, without promoting |
//! | 130 | `rollout` interrupted (Ctrl-C or SIGTERM): the mesh stays at the stage applied last, recorded; run it again to resume |

use std::ffi::OsString;
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser as _;

use crate::Mesh;

mod args;
mod cluster;
mod commands;
mod output;

use args::{Cli, Command};

/// Exit codes of a deploy program (see the [module docs](self)).
pub mod exit {
    /// Success; for `diff`, nothing would change.
    pub const OK: u8 = 0;
    /// The mesh is invalid: nothing was sent.
    pub const INVALID_MESH: u8 = 1;
    /// Usage error, or a file that could not be written.
    pub const USAGE: u8 = 2;
    /// No usable cluster, or the preflight failed.
    pub const CLUSTER: u8 = 3;
    /// Objects failed (or the timeout passed).
    pub const FAILED: u8 = 4;
    /// Deployments did not roll out in time.
    pub const NOT_READY: u8 = 5;
    /// `diff` found differences.
    pub const DIFFERENCES: u8 = 6;
    /// `rollout` rolled back: a gate failed.
    pub const ROLLED_BACK: u8 = 7;
    /// `rollout` stopped: the metrics could not be read.
    pub const METRICS: u8 = 8;
    /// `rollout` interrupted.
    pub const INTERRUPTED: u8 = 130;
}

/// Runs the deploy program with the process's arguments; see the [module docs](self).
pub fn run(mesh: impl Fn() -> Mesh) -> ExitCode {
    run_with_args(mesh, std::env::args_os())
}

/// Runs the deploy program with these arguments (the first is the program's name).
pub fn run_with_args<I, T>(mesh: impl Fn() -> Mesh, args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let program = args
        .first()
        .map(PathBuf::from)
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "mesh-dsl".into());
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(exit::USAGE));
        }
    };
    init_logging();
    ExitCode::from(dispatch(&mesh(), cli.command, &program))
}

/// The log filter without `RUST_LOG`: warnings, but not kube's own per-request
/// `failed with status 500` errors, which the apply retries and reports itself.
const DEFAULT_LOG_FILTER: &str = "warn,kube_client::client::builder=off";

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Runs one subcommand; its exit code.
fn dispatch(mesh: &Mesh, command: Command, program: &str) -> u8 {
    match command {
        Command::Stages => commands::stages(mesh),
        Command::Install { format } => commands::install(mesh, format),
        Command::Render(args) => commands::render(mesh, args),
        Command::Validate(args) => commands::validate(mesh, args),
        Command::Diff(args) => commands::diff(mesh, args, program),
        Command::Apply(args) => commands::apply(mesh, args, program),
        Command::Delete(args) => commands::delete(args, program),
        Command::Rollout(args) => commands::rollout(mesh, args, program),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser as _;

    use super::args::{ApplyArgs, Cli, Command, DryRun};
    use super::cluster::options;
    use crate::apply::ApplySetParent;

    #[test]
    fn flags_parse_as_kubectl_spells_them() {
        let cli = Cli::try_parse_from([
            "shop",
            "apply",
            "--dry-run=server",
            "--prune",
            "--wait",
            "--timeout",
            "90s",
            "--kubeconfig",
            "/tmp/k",
            "--context",
            "dev",
            "-n",
            "platform",
            "--stage",
            "2",
        ])
        .unwrap();
        let Command::Apply(ApplyArgs {
            dry_run,
            prune,
            wait,
            cluster,
            stage,
            ..
        }) = cli.command
        else {
            panic!("apply")
        };
        assert_eq!(
            (dry_run, prune, wait, stage),
            (DryRun::Server, true, true, 2)
        );
        assert_eq!(cluster.timeout, Duration::from_secs(90));
        assert_eq!(cluster.namespace, "platform");
        let o = options(&cluster, "shop");
        assert_eq!(o.applyset, ApplySetParent::config_map("shop", "platform"));
        assert!(Cli::try_parse_from(["shop", "apply", "--timeout", "soon"]).is_err());
        let plain = Cli::try_parse_from(["shop", "apply"]).unwrap();
        assert!(matches!(
            plain.command,
            Command::Apply(ApplyArgs {
                dry_run: DryRun::None,
                ..
            })
        ));
    }
}

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
//!                    [-o text|json]                                (cluster flags)
//! my-deploy delete   [--dry-run=server] [-o text|json]             (cluster flags)
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
//! `warn`); a progress bar shows on apply, delete and wait when standard error is a
//! terminal.
//!
//! # Exit codes
//! | code | meaning |
//! | --- | --- |
//! | 0 | success; for `diff`, nothing would change |
//! | 1 | the mesh is invalid (compile, validation or analysis errors): nothing was sent |
//! | 2 | usage error, or a file that could not be written |
//! | 3 | no cluster: kubeconfig or context unusable, cluster unreachable, kinds not served (e.g. Istio's CRDs missing), or an ApplySet owned by another tool |
//! | 4 | objects failed: refused by the server's dry run (nothing written), conflicts, writes or deletes failing after retries, or the timeout passed |
//! | 5 | applied, but `--wait` found Deployments not rolled out in time |
//! | 6 | `diff` found differences |

use std::ffi::OsString;
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::apply::{self, ApplyError, ApplyOptions, ApplySetParent, Event, Step};
use crate::diag::Severity;
use crate::{CompileOptions, Compiled, Mesh};

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
}

#[derive(Parser, Debug)]
#[command(about = "Render, check and deploy a service mesh built with mesh-dsl")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Yaml,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum DryRun {
    /// Apply for real.
    None,
    /// Ask the server only (dryRun=All): nothing changes.
    Server,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum InstallFormat {
    /// An IstioOperator resource for `istioctl install -f`.
    Operator,
    /// Values for the istiod Helm chart.
    Helm,
}

#[derive(Args, Debug)]
struct Cluster {
    /// The kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster).
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: the current one).
    #[arg(long)]
    context: Option<String>,
    /// The namespace of the ApplySet parent that records what this program deployed.
    #[arg(short = 'n', long, default_value = "default")]
    namespace: String,
    /// The ApplySet name (default: the program's name).
    #[arg(long)]
    applyset: Option<String>,
    /// The server-side-apply field manager.
    #[arg(long, default_value = "mesh-dsl")]
    field_manager: String,
    /// The bound on the whole command, e.g. 90s, 5m.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    timeout: Duration,
    /// Requests at once inside a phase.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d: istio_types::Duration = s.parse().map_err(|e| format!("{e}"))?;
    d.as_std()
        .ok_or_else(|| "a timeout cannot be negative".to_string())
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compile, check and print the resources.
    Render {
        /// The canary stage (0-based).
        #[arg(long, default_value_t = 0)]
        stage: usize,
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
        output: Format,
        /// Write a directory per namespace with kustomization.yaml files instead.
        #[arg(long)]
        out_dir: Option<PathBuf>,
    },
    /// Compile and analyze every canary stage (or one), printing every finding; fails on
    /// errors.
    Validate {
        /// Only this stage (default: all).
        #[arg(long)]
        stage: Option<usize>,
        /// Ignore findings with this code, e.g. IST0129 for TLS origination without a CA
        /// (as `istioctl analyze --suppress`); repeatable.
        #[arg(long = "suppress", value_name = "CODE")]
        suppress: Vec<String>,
    },
    /// Show what apply would change, as a unified YAML diff against the cluster.
    Diff {
        /// The canary stage (0-based).
        #[arg(long, default_value_t = 0)]
        stage: usize,
        /// Also list what prune would delete.
        #[arg(long)]
        prune: bool,
        /// Report format.
        #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
        output: ReportFormat,
        #[command(flatten)]
        cluster: Cluster,
    },
    /// Deploy with server-side apply.
    Apply {
        /// The canary stage (0-based).
        #[arg(long, default_value_t = 0)]
        stage: usize,
        /// `server`: only ask the API server; nothing changes.
        #[arg(long, value_enum, default_value = "none", num_args = 0..=1, default_missing_value = "server", require_equals = true)]
        dry_run: DryRun,
        /// Take over fields another field manager owns.
        #[arg(long)]
        force_conflicts: bool,
        /// Delete objects this program deployed before and no longer declares.
        #[arg(long)]
        prune: bool,
        /// Wait until every Deployment has rolled out.
        #[arg(long)]
        wait: bool,
        /// Report format.
        #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
        output: ReportFormat,
        #[command(flatten)]
        cluster: Cluster,
    },
    /// Delete everything this program deployed (its ApplySet).
    Delete {
        /// `server`: only ask the API server; nothing changes.
        #[arg(long, value_enum, default_value = "none", num_args = 0..=1, default_missing_value = "server", require_equals = true)]
        dry_run: DryRun,
        /// Report format.
        #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
        output: ReportFormat,
        #[command(flatten)]
        cluster: Cluster,
    },
    /// List the canary stages.
    Stages,
    /// Print the Istio installation fragment that declares the telemetry providers.
    Install {
        /// IstioOperator or Helm values.
        #[arg(long, value_enum, default_value = "operator")]
        format: InstallFormat,
    },
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

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Compiles a stage, printing warnings; the exit code on failure.
fn compile(mesh: &Mesh, stage: usize) -> Result<Compiled, u8> {
    report(mesh.compile_stage(stage).map(|c| (c, ()))).map(|(c, ())| c)
}

/// Prints a compilation's warnings, or its problems; the exit code on failure.
fn report<T>(result: Result<(Compiled, T), crate::CompileError>) -> Result<(Compiled, T), u8> {
    match result {
        Ok((c, extra)) => {
            for w in &c.warnings {
                eprintln!("{w}");
            }
            Ok((c, extra))
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(exit::INVALID_MESH)
        }
    }
}

fn dispatch(mesh: &Mesh, command: Command, program: &str) -> u8 {
    match command {
        Command::Stages => {
            for (i, s) in mesh.stage_descriptions().iter().enumerate() {
                println!("{i}: {s}");
            }
            exit::OK
        }
        Command::Install { format } => {
            let compiled = match compile(mesh, 0) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let value = match format {
                InstallFormat::Operator => compiled.install.istio_operator(),
                InstallFormat::Helm => compiled.install.helm_values(),
            };
            print_or_fail(istio_types::yaml::to_yaml(&value).map_err(|e| e.to_string()))
        }
        Command::Render {
            stage,
            output,
            out_dir,
        } => {
            // The YAML stream is rendered while the mesh is checked (on large meshes).
            let (compiled, yaml) = if out_dir.is_none() && matches!(output, Format::Yaml) {
                match report(mesh.compile_to_yaml(&CompileOptions::default().stage(stage))) {
                    Ok((c, yaml)) => (c, Some(yaml)),
                    Err(code) => return code,
                }
            } else {
                match compile(mesh, stage) {
                    Ok(c) => (c, None),
                    Err(code) => return code,
                }
            };
            let rendered = match (yaml, out_dir, output) {
                (Some(yaml), ..) => Ok(yaml),
                (None, Some(dir), _) => {
                    crate::render::write_dir(&compiled.resources, &dir).map(|files| {
                        eprintln!("wrote {} files under {}", files.len(), dir.display());
                        String::new()
                    })
                }
                (None, None, Format::Yaml) => crate::render::to_yaml(&compiled.resources),
                (None, None, Format::Json) => crate::render::to_json(&compiled.resources),
            };
            match rendered {
                Ok(text) => print_or_fail(Ok(text)),
                Err(e @ crate::render::RenderError::Io { .. }) => {
                    eprintln!("error: {e}");
                    exit::USAGE
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    exit::INVALID_MESH
                }
            }
        }
        Command::Validate { stage, suppress } => {
            let stages: Vec<usize> = match stage {
                Some(s) => vec![s],
                None => (0..mesh.stage_count()).collect(),
            };
            let mut worst = exit::OK;
            for s in stages {
                // compile() validates and analyzes; every finding is printed, not only
                // the ones that stop it.
                let mut options = CompileOptions::default().stage(s);
                options.suppress = suppress.clone();
                let (objects, found) = match mesh.compile_with(&options) {
                    Ok(c) => (Some(c.resources.len()), c.warnings),
                    Err(e) => (None, e.diagnostics),
                };
                for d in &found {
                    eprintln!("stage {s}: {d}");
                }
                let errors = found
                    .iter()
                    .filter(|d| d.severity == Severity::Error)
                    .count();
                if errors > 0 {
                    worst = exit::INVALID_MESH;
                }
                let objects =
                    objects.map_or_else(|| "not compiled".to_string(), |n| format!("{n} objects"));
                println!(
                    "stage {s}: {objects}, {errors} error(s), {} other finding(s)",
                    found.len() - errors
                );
            }
            worst
        }
        Command::Diff {
            stage,
            prune,
            output,
            cluster,
        } => {
            let compiled = match compile(mesh, stage) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let mut options = options(&cluster, program);
            options.prune = prune;
            block_on(async {
                let client = match connect(&cluster).await {
                    Ok(c) => c,
                    Err(code) => return code,
                };
                match apply::diff(&client, &compiled.resources, &options).await {
                    Ok(report) => {
                        if output == ReportFormat::Json {
                            println!(
                                "{}",
                                serde_json::to_string_pretty(&report).unwrap_or_default()
                            );
                        } else {
                            let colour = std::io::stdout().is_terminal()
                                && std::env::var_os("NO_COLOR").is_none();
                            print!("{}", report.render(colour));
                        }
                        if report.has_failures() {
                            exit::FAILED
                        } else if report.has_changes() {
                            exit::DIFFERENCES
                        } else {
                            exit::OK
                        }
                    }
                    Err(e) => error_code(&e),
                }
            })
        }
        Command::Apply {
            stage,
            dry_run,
            force_conflicts,
            prune,
            wait,
            output,
            cluster,
        } => {
            let compiled = match compile(mesh, stage) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let mut options = options(&cluster, program);
            options.dry_run = dry_run == DryRun::Server;
            options.force_conflicts = force_conflicts;
            options.prune = prune;
            options.wait = wait;
            let bar = progress(&mut options);
            block_on(async {
                let client = match connect(&cluster).await {
                    Ok(c) => c,
                    Err(code) => return code,
                };
                let result = apply::apply(&client, &compiled.resources, &options).await;
                if let Some(bar) = bar {
                    bar.finish_and_clear();
                }
                match result {
                    Ok(report) => print_report(&report, output),
                    Err(e) => error_code(&e),
                }
            })
        }
        Command::Delete {
            dry_run,
            output,
            cluster,
        } => {
            let mut options = options(&cluster, program);
            options.dry_run = dry_run == DryRun::Server;
            let bar = progress(&mut options);
            block_on(async {
                let client = match connect(&cluster).await {
                    Ok(c) => c,
                    Err(code) => return code,
                };
                let result = apply::delete(&client, &options).await;
                if let Some(bar) = bar {
                    bar.finish_and_clear();
                }
                match result {
                    Ok(report) => print_report(&report, output),
                    Err(e) => error_code(&e),
                }
            })
        }
    }
}

fn print_or_fail(text: Result<String, String>) -> u8 {
    match text {
        Ok(t) => {
            print!("{t}");
            exit::OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::INVALID_MESH
        }
    }
}

fn options(cluster: &Cluster, program: &str) -> ApplyOptions {
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

fn block_on(f: impl std::future::Future<Output = u8>) -> u8 {
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

async fn connect(cluster: &Cluster) -> Result<kube::Client, u8> {
    apply::client(cluster.kubeconfig.as_deref(), cluster.context.as_deref())
        .await
        .map_err(|e| error_code(&e))
}

fn error_code(e: &ApplyError) -> u8 {
    eprintln!("error: {e}");
    if e.is_preflight() {
        exit::CLUSTER
    } else {
        exit::FAILED
    }
}

/// A progress bar on standard error when it is a terminal, fed by the apply's events.
fn progress(options: &mut ApplyOptions) -> Option<indicatif::ProgressBar> {
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

fn print_report(report: &apply::ApplyReport, output: ReportFormat) -> u8 {
    if output == ReportFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
    } else {
        for r in report
            .results
            .iter()
            .filter(|r| r.action != apply::Action::Unchanged)
        {
            println!("{r}");
        }
        if let Some(w) = &report.wait {
            for n in &w.not_ready {
                println!("{} not ready: {}", n.resource, n.reason);
            }
        }
        println!("{}", report.summary());
    }
    if report.stopped.is_some() || report.failed().next().is_some() {
        exit::FAILED
    } else if report.wait.as_ref().is_some_and(|w| !w.is_ready()) {
        exit::NOT_READY
    } else {
        exit::OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let Command::Apply {
            dry_run,
            prune,
            wait,
            cluster,
            stage,
            ..
        } = cli.command
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
            Command::Apply {
                dry_run: DryRun::None,
                ..
            }
        ));
    }
}

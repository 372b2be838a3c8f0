//! The command line of a deploy program: clap's definitions of every subcommand and flag.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(about = "Render, check and deploy a service mesh built with mesh-dsl")]
pub(super) struct Cli {
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(super) enum Format {
    Yaml,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum ReportFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum DryRun {
    /// Apply for real.
    None,
    /// Ask the server only (dryRun=All): nothing changes.
    Server,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum DeleteNamespaces {
    /// Only namespaces that hold nothing but this program's objects (and what Kubernetes
    /// puts in every namespace); others are kept and reported.
    Empty,
    /// Also namespaces that hold objects of others, which Kubernetes deletes with them.
    Force,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(super) enum InstallFormat {
    /// An IstioOperator resource for `istioctl install -f`.
    Operator,
    /// Values for the istiod Helm chart.
    Helm,
}

#[derive(Args, Debug)]
pub(super) struct Cluster {
    /// The kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster).
    #[arg(long)]
    pub(super) kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: the current one).
    #[arg(long)]
    pub(super) context: Option<String>,
    /// The namespace of the ApplySet parent that records what this program deployed.
    #[arg(short = 'n', long, default_value = "default")]
    pub(super) namespace: String,
    /// The ApplySet name (default: the program's name).
    #[arg(long)]
    pub(super) applyset: Option<String>,
    /// The server-side-apply field manager.
    #[arg(long, default_value = "mesh-dsl")]
    pub(super) field_manager: String,
    /// The bound on the whole command, e.g. 90s, 5m.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub(super) timeout: Duration,
    /// Requests at once inside a phase.
    #[arg(long, default_value_t = 16)]
    pub(super) concurrency: usize,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d: istio_types::Duration = s.parse().map_err(|e| format!("{e}"))?;
    d.as_std()
        .ok_or_else(|| "a timeout cannot be negative".to_string())
}

#[derive(Subcommand, Debug)]
pub(super) enum Command {
    /// Compile, check and print the resources.
    Render(RenderArgs),
    /// Compile and analyze every canary stage (or one), printing every finding; fails on
    /// errors.
    Validate(ValidateArgs),
    /// Show what apply would change, as a unified YAML diff against the cluster.
    Diff(DiffArgs),
    /// Deploy with server-side apply.
    Apply(ApplyArgs),
    /// Delete everything this program deployed (its ApplySet).
    Delete(DeleteArgs),
    /// Walk the canary stages: apply each, bake it while its gates are measured in
    /// Prometheus, promote or roll back.
    Rollout(RolloutArgs),
    /// List the canary stages.
    Stages,
    /// Print the Istio installation fragment that declares the telemetry providers.
    Install {
        /// IstioOperator or Helm values.
        #[arg(long, value_enum, default_value = "operator")]
        format: InstallFormat,
    },
}

// The flags of `render`.
#[derive(Args, Debug)]
pub(super) struct RenderArgs {
    /// The canary stage (0-based).
    #[arg(long, default_value_t = 0)]
    pub(super) stage: usize,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
    pub(super) output: Format,
    /// Write a directory per namespace with kustomization.yaml files instead.
    #[arg(long)]
    pub(super) out_dir: Option<PathBuf>,
}

// The flags of `validate`.
#[derive(Args, Debug)]
pub(super) struct ValidateArgs {
    /// Only this stage (default: all).
    #[arg(long)]
    pub(super) stage: Option<usize>,
    /// Ignore findings with this code, e.g. IST0129 for TLS origination without a CA
    /// (as `istioctl analyze --suppress`); repeatable.
    #[arg(long = "suppress", value_name = "CODE")]
    pub(super) suppress: Vec<String>,
}

// The flags of `diff`.
#[derive(Args, Debug)]
pub(super) struct DiffArgs {
    /// The canary stage (0-based).
    #[arg(long, default_value_t = 0)]
    pub(super) stage: usize,
    /// Also list what prune would delete.
    #[arg(long)]
    pub(super) prune: bool,
    /// Report format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
    pub(super) output: ReportFormat,
    #[command(flatten)]
    pub(super) cluster: Cluster,
}

// The flags of `apply`.
#[derive(Args, Debug)]
pub(super) struct ApplyArgs {
    /// The canary stage (0-based).
    #[arg(long, default_value_t = 0)]
    pub(super) stage: usize,
    /// `server`: only ask the API server; nothing changes.
    #[arg(long, value_enum, default_value = "none", num_args = 0..=1, default_missing_value = "server", require_equals = true)]
    pub(super) dry_run: DryRun,
    /// Take over fields another field manager owns.
    #[arg(long)]
    pub(super) force_conflicts: bool,
    /// Delete objects this program deployed before and no longer declares.
    #[arg(long)]
    pub(super) prune: bool,
    /// Which namespaces prune may delete: `empty` keeps a namespace that holds objects of
    /// others (deleting it would delete them too), `force` deletes it anyway.
    #[arg(long, value_enum, default_value = "empty", require_equals = true)]
    pub(super) delete_namespaces: DeleteNamespaces,
    /// Wait until every Deployment has rolled out.
    #[arg(long)]
    pub(super) wait: bool,
    /// Report format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
    pub(super) output: ReportFormat,
    #[command(flatten)]
    pub(super) cluster: Cluster,
}

// The flags of `delete`.
#[derive(Args, Debug)]
pub(super) struct DeleteArgs {
    /// `server`: only ask the API server; nothing changes.
    #[arg(long, value_enum, default_value = "none", num_args = 0..=1, default_missing_value = "server", require_equals = true)]
    pub(super) dry_run: DryRun,
    /// Which namespaces to delete: `empty` keeps a namespace that holds objects of others
    /// (deleting it would delete them too), `force` deletes it anyway.
    #[arg(long, value_enum, default_value = "empty", require_equals = true)]
    pub(super) delete_namespaces: DeleteNamespaces,
    /// Report format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
    pub(super) output: ReportFormat,
    #[command(flatten)]
    pub(super) cluster: Cluster,
}

// The flags of `rollout`.
#[derive(Args, Debug)]
pub(super) struct RolloutArgs {
    /// The Prometheus server, e.g. http://127.0.0.1:9090 (needed unless --dry-run or
    /// --status).
    #[arg(long, required_unless_present_any = ["dry_run", "status"])]
    pub(super) prometheus: Option<String>,
    /// How often the gates are measured during a stage.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub(super) interval: Duration,
    /// Each stage's bake time, replacing the canaries' own (for tests and demos).
    #[arg(long, value_parser = parse_duration)]
    pub(super) bake: Option<Duration>,
    /// Print the plan (stages, gates, queries) without touching anything.
    #[arg(long, conflicts_with = "status")]
    pub(super) dry_run: bool,
    /// Print the stage the cluster records, and stop.
    #[arg(long)]
    pub(super) status: bool,
    /// Start again from stage 0 after a rollout that was promoted or rolled back.
    #[arg(long)]
    pub(super) restart: bool,
    #[command(flatten)]
    pub(super) cluster: Cluster,
}

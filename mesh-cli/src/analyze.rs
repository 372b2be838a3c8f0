//! `mesh analyze`: Istio's cross-resource analysis (`istioctl analyze`, offline) over YAML
//! files, plus the per-resource checks of `mesh validate`.

use std::path::PathBuf;

use mesh_dsl::analyze::{AnalyzeOptions, MeshConfig, MeshNetworks, analyze, analyzers};

use crate::input::{Failure, read_inputs};
use crate::output::write_stdout;
use crate::report::{ReportArgs, read_all, report};
use crate::validate::per_resource_checks;

/// `mesh analyze` options.
#[derive(clap::Args, Debug)]
pub(crate) struct AnalyzeArgs {
    #[command(flatten)]
    pub report: ReportArgs,
    /// Istio's mesh configuration (YAML, or the `istio` ConfigMap holding it); Istio's
    /// defaults otherwise.
    #[arg(long = "mesh-config", value_name = "FILE")]
    pub mesh_config: Option<PathBuf>,
    /// Istio's mesh networks (YAML: `networks: {...}`), for multi-network checks.
    #[arg(long = "mesh-networks", value_name = "FILE")]
    pub mesh_networks: Option<PathBuf>,
    /// Run only this analyzer (Istio's name, e.g. `virtualservice.GatewayAnalyzer`);
    /// repeatable. See `--list-analyzers`.
    #[arg(long = "analyzer", value_name = "NAME")]
    pub analyzers: Vec<String>,
    /// The namespace of objects that do not name one.
    #[arg(short = 'n', long = "namespace", default_value = "default")]
    pub namespace: String,
    /// Do not assume Istio's default ingress gateway (Pod and Service in istio-system).
    #[arg(long = "no-default-ingress")]
    pub no_default_ingress: bool,
    /// Print the analyzers, their codes and what they check, then exit.
    #[arg(long = "list-analyzers")]
    pub list_analyzers: bool,
}

pub(crate) fn run(args: &AnalyzeArgs) -> Result<(), Failure> {
    if args.list_analyzers {
        let mut out = String::new();
        for a in analyzers() {
            out.push_str(&format!(
                "{:<55} {:<40} {}\n",
                a.name,
                a.codes.join(","),
                a.description
            ));
        }
        return write_stdout(&out);
    }
    if args.report.files.is_empty() {
        eprintln!("error: no input; pass -f FILE|DIR|- (or --list-analyzers)");
        return Err(Failure::Unreadable);
    }
    for name in &args.analyzers {
        if mesh_dsl::analyze::analyzer(name).is_none() {
            eprintln!("error: unknown analyzer {name:?}; see `mesh analyze --list-analyzers`");
            return Err(Failure::Invalid);
        }
    }
    let mut opts = AnalyzeOptions::default()
        .default_namespace(args.namespace.clone())
        .assume_default_ingress(!args.no_default_ingress);
    if !args.analyzers.is_empty() {
        opts = opts.only(args.analyzers.iter().cloned());
    }
    if let Some(path) = &args.mesh_config {
        let text = read_file(path)?;
        match MeshConfig::from_yaml(&text) {
            Ok(mc) => opts = opts.mesh_config(mc),
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return Err(Failure::Invalid);
            }
        }
    }
    if let Some(path) = &args.mesh_networks {
        let text = read_file(path)?;
        match MeshNetworks::from_yaml(&text) {
            Ok(mn) => opts = opts.mesh_networks(mn),
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return Err(Failure::Invalid);
            }
        }
    }
    let inputs = read_inputs(&args.report.files)?;
    let mut read = read_all(inputs);
    let mut diagnostics = std::mem::take(&mut read.diagnostics);
    // Documents that do not fit their schema are schema.ValidationAnalyzer's findings: with
    // named analyzers, only when it is one of them (as in istioctl analyze).
    let schema = mesh_dsl::analyze::analyzer("schema.ValidationAnalyzer");
    if !args.analyzers.is_empty()
        && !args
            .analyzers
            .iter()
            .any(|n| schema.is_some_and(|a| a.is_named(n)))
    {
        diagnostics = diagnostics
            .into_iter()
            .filter(|d| d.resource.is_none())
            .collect();
    }
    if args.analyzers.is_empty() {
        diagnostics.extend(per_resource_checks(&read.valid));
    }
    let checked = read.count();
    let all = read.all();
    diagnostics.extend(analyze(&all, &opts));
    drop(all);
    diagnostics.sort();
    report(&diagnostics, &read.origins, checked, &args.report)
}

fn read_file(path: &std::path::Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", path.display());
        Failure::Unreadable
    })
}

//! `cargo run -p ecommerce -- render [--stage N]`: prints the shop's mesh as one YAML
//! stream (validated on the way); see `--help` for the other commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "ecommerce", about = "The reference mesh-dsl example")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Yaml,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum InstallFormat {
    /// An IstioOperator resource for `istioctl install -f`.
    Operator,
    /// Values for the istiod Helm chart.
    Helm,
}

#[derive(Subcommand)]
enum Command {
    /// Compile, check and print the resources.
    Render {
        /// The canary stage (0-based: 0 is the 10% stage, 3 the 100% stage).
        #[arg(long, default_value_t = 0)]
        stage: usize,
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
        output: Format,
        /// Write a directory per namespace with kustomization.yaml files instead.
        #[arg(long)]
        out_dir: Option<PathBuf>,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mesh = ecommerce::mesh();
    match cli.command {
        Command::Stages => {
            for (i, s) in mesh.stage_descriptions().iter().enumerate() {
                println!("{i}: {s}");
            }
            ExitCode::SUCCESS
        }
        Command::Install { format } => {
            let compiled = match mesh.compile() {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(1);
                }
            };
            let value = match format {
                InstallFormat::Operator => compiled.install.istio_operator(),
                InstallFormat::Helm => compiled.install.helm_values(),
            };
            match istio_types::yaml::to_yaml(&value) {
                Ok(y) => {
                    print!("{y}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Render {
            stage,
            output,
            out_dir,
        } => {
            let compiled = match mesh.compile_stage(stage) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(1);
                }
            };
            for w in &compiled.warnings {
                eprintln!("{w}");
            }
            let rendered = match (out_dir, output) {
                (Some(dir), _) => {
                    mesh_dsl::render::write_dir(&compiled.resources, &dir).map(|files| {
                        eprintln!("wrote {} files under {}", files.len(), dir.display());
                        String::new()
                    })
                }
                (None, Format::Yaml) => mesh_dsl::render::to_yaml(&compiled.resources),
                (None, Format::Json) => mesh_dsl::render::to_json(&compiled.resources),
            };
            match rendered {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

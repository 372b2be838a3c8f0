//! `mesh`: the mesh-dsl command-line tool.
//!
//! ```text
//! mesh fmt -f FILE|DIR|-... [--to-version V]
//!                             print every document back as canonical YAML
//! mesh simulate -f FILE|DIR --host H [--path P] [-H name:value]... [--gateway NS/NAME] [-o json]
//!                             decide offline where a request goes, and why
//! mesh validate -f FILE|DIR|-... [-o json] [--fail-on warning]
//!                             check every document on its own, all problems in one run
//! mesh analyze -f FILE|DIR|-... [-o json] [--fail-on warning] [--mesh-config FILE]
//!                             Istio's cross-resource analysis (istioctl analyze), offline
//! ```
//!
//! Exit codes: 0 success, 1 invalid input (every problem is printed), 2 input that could
//! not be read, 3 an input too large (over 1 GiB, or more than the memory available).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod analyze;
mod fmt;
mod input;
mod output;
mod report;
mod simulate;
mod validate;

use input::Failure;

#[derive(Parser, Debug)]
#[command(
    name = "mesh",
    version,
    about = "Work with Istio configuration as typed data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse every document and print it back as canonical YAML: one stream, stable key
    /// order, each resource at the apiVersion it was read with (see `--to-version`).
    /// Nothing is printed unless every document is valid. A `kind: List` is printed as its
    /// items, each a document of its own.
    Fmt {
        /// Files or directories to read (`.yaml`, `.yml`, `.json`; directories recursively,
        /// in name order), or `-` for standard input.
        #[arg(short = 'f', long = "filename", required = true, num_args = 1..)]
        files: Vec<String>,
        /// Do not print; exit 1 if any file is not already in canonical form.
        #[arg(long)]
        check: bool,
        /// Write every Istio resource at this served version (e.g. `v1`) instead of the
        /// `apiVersion` it was read with.
        #[arg(long, value_name = "VERSION")]
        to_version: Option<String>,
    },
    /// Decide offline where a request goes (VirtualService, route, destinations with
    /// shares and DestinationRule policies, faults, retries...) and print why. Exit 0 when
    /// decided, 1 for invalid input, 2 for unreadable files.
    Simulate(Box<simulate::SimulateArgs>),
    /// Check every document on its own (schema, field values) and report every problem
    /// with Istio's message codes. Exit 0 clean, 1 problems found (errors, or what
    /// `--fail-on` names), 2 input that could not be read.
    Validate(report::ReportArgs),
    /// Analyze the documents together as `istioctl analyze` does, offline: dangling
    /// references, conflicts, ineffective configuration, with Istio's message codes.
    /// Exit 0 clean, 1 problems found, 2 input that could not be read.
    Analyze(analyze::AnalyzeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Fmt {
            files,
            check,
            to_version,
        } => fmt::run(&files, check, to_version.as_deref()),
        Command::Simulate(args) => simulate::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Analyze(args) => analyze::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Invalid) => ExitCode::from(1),
        Err(Failure::Unreadable) => ExitCode::from(2),
        Err(Failure::TooLarge) => ExitCode::from(3),
    }
}

//! `validate`: compile and analyze every canary stage (or one), printing every finding.

use crate::diag::Severity;
use crate::{CompileOptions, Mesh};

use crate::deploy::args::ValidateArgs;
use crate::deploy::exit;

/// `validate`: every finding of every stage is printed, not only the ones that stop the
/// compilation; a summary line per stage goes to standard output.
pub(in crate::deploy) fn validate(mesh: &Mesh, args: ValidateArgs) -> u8 {
    let ValidateArgs { stage, suppress } = args;
    let stages: Vec<usize> = match stage {
        Some(s) => vec![s],
        None => (0..mesh.stage_count()).collect(),
    };
    let mut worst = exit::OK;
    for s in stages {
        if validate_stage(mesh, s, &suppress) {
            worst = exit::INVALID_MESH;
        }
    }
    worst
}

/// Checks one stage and prints what it found; whether it found errors.
fn validate_stage(mesh: &Mesh, s: usize, suppress: &[String]) -> bool {
    // compile() validates and analyzes; every finding is printed, not only the ones that
    // stop it.
    let mut options = CompileOptions::default().stage(s);
    options.suppress = suppress.to_vec();
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
    let objects = objects.map_or_else(|| "not compiled".to_string(), |n| format!("{n} objects"));
    println!(
        "stage {s}: {objects}, {errors} error(s), {} other finding(s)",
        found.len() - errors
    );
    errors > 0
}

//! One function per subcommand, each returning its exit code.

mod apply;
mod diff;
mod render;
mod rollout;
mod validate;

pub(super) use apply::{apply, delete};
pub(super) use diff::diff;
pub(super) use render::{install, render, stages};
pub(super) use rollout::rollout;
pub(super) use validate::validate;

use crate::{Compiled, Mesh};

use crate::deploy::exit;

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

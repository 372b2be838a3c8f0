//! `diff`: what apply would change, against the cluster.

use crate::Mesh;

use super::compile;
use crate::deploy::args::DiffArgs;
use crate::deploy::cluster::{block_on, connect, error_code, options};
use crate::deploy::output::print_diff;

/// `diff`: a unified YAML diff of the stage against the cluster (and, with `--prune`, what
/// prune would delete).
pub(in crate::deploy) fn diff(mesh: &Mesh, args: DiffArgs, program: &str) -> u8 {
    let DiffArgs {
        stage,
        prune,
        output,
        cluster,
    } = args;
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
        match crate::apply::diff(&client, &compiled.resources, &options).await {
            Ok(report) => print_diff(&report, output),
            Err(e) => error_code(&e),
        }
    })
}

//! `apply` and `delete`: the commands that change the cluster.

use crate::Mesh;

use super::compile;
use crate::deploy::args::{ApplyArgs, DeleteArgs, DeleteNamespaces, DryRun};
use crate::deploy::cluster::{block_on, connect, error_code, options, progress};
use crate::deploy::output::print_report;

/// `apply`: server-side apply of the stage (optionally dry-run, prune, wait).
pub(in crate::deploy) fn apply(mesh: &Mesh, args: ApplyArgs, program: &str) -> u8 {
    let ApplyArgs {
        stage,
        dry_run,
        force_conflicts,
        prune,
        delete_namespaces,
        wait,
        output,
        cluster,
    } = args;
    let compiled = match compile(mesh, stage) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut options = options(&cluster, program);
    options.dry_run = dry_run == DryRun::Server;
    options.force_conflicts = force_conflicts;
    options.prune = prune;
    options.delete_populated_namespaces = delete_namespaces == DeleteNamespaces::Force;
    options.wait = wait;
    let bar = progress(&mut options);
    block_on(async {
        let client = match connect(&cluster).await {
            Ok(c) => c,
            Err(code) => return code,
        };
        let result = crate::apply::apply(&client, &compiled.resources, &options).await;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        match result {
            Ok(report) => print_report(&report, output),
            Err(e) => error_code(&e),
        }
    })
}

/// `delete`: deletes everything the program's ApplySet records.
pub(in crate::deploy) fn delete(args: DeleteArgs, program: &str) -> u8 {
    let DeleteArgs {
        dry_run,
        delete_namespaces,
        output,
        cluster,
    } = args;
    let mut options = options(&cluster, program);
    options.dry_run = dry_run == DryRun::Server;
    options.delete_populated_namespaces = delete_namespaces == DeleteNamespaces::Force;
    let bar = progress(&mut options);
    block_on(async {
        let client = match connect(&cluster).await {
            Ok(c) => c,
            Err(code) => return code,
        };
        let result = crate::apply::delete(&client, &options).await;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        match result {
            Ok(report) => print_report(&report, output),
            Err(e) => error_code(&e),
        }
    })
}

//! `mesh validate`: per-resource checks of YAML files. Every problem of every document is
//! reported in one run: strict decoding and schema problems as IST0106 with their field
//! paths, then what `mesh_dsl::validate` checks.

use mesh_dsl::Resources;
use mesh_dsl::diag::Diagnostics;

use crate::input::{Failure, read_inputs};
use crate::report::{ReportArgs, read_all, report};

/// The per-resource checks beyond strict decoding (which is done while reading and
/// reported as IST0106): schema ranges and CEL rules, Istio's webhook checks and
/// Kubernetes' own rules, from [`mesh_dsl::validate::validate`].
pub(crate) fn per_resource_checks(resources: &Resources) -> Diagnostics {
    mesh_dsl::validate::validate(resources)
}

pub(crate) fn run(args: &ReportArgs) -> Result<(), Failure> {
    if args.files.is_empty() {
        eprintln!("error: no input; pass -f FILE|DIR|-");
        return Err(Failure::Unreadable);
    }
    let inputs = read_inputs(&args.files)?;
    let mut read = read_all(inputs);
    let mut diagnostics = std::mem::take(&mut read.diagnostics);
    diagnostics.extend(per_resource_checks(&read.valid));
    diagnostics.sort();
    let checked = read.count();
    // The objects are no longer needed while the report is written.
    let origins = std::mem::take(&mut read.origins);
    drop(read);
    report(&diagnostics, &origins, checked, args)
}

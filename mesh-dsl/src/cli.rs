//! The former name of [`deploy`], kept for one release: the same functions
//! and exit codes, each deprecated, so that code using this path still works and warns.
//!
//! ```
//! #![allow(deprecated)]
//! let code = mesh_dsl::cli::run_with_args(mesh_dsl::Mesh::new, ["old-name", "stages"]);
//! assert_eq!(code, std::process::ExitCode::SUCCESS);
//! assert_eq!(mesh_dsl::cli::exit::DIFFERENCES, mesh_dsl::deploy::exit::DIFFERENCES);
//! ```
//!
//! ```compile_fail
//! #![deny(deprecated)]
//! let _ = mesh_dsl::cli::run_with_args(mesh_dsl::Mesh::new, ["old-name", "stages"]);
//! ```

use std::ffi::OsString;
use std::process::ExitCode;

use crate::Mesh;
use crate::deploy;

/// Runs the deploy program with the process's arguments.
#[deprecated(since = "0.2.0", note = "renamed to mesh_dsl::deploy::run")]
pub fn run(mesh: impl Fn() -> Mesh) -> ExitCode {
    deploy::run(mesh)
}

/// Runs the deploy program with these arguments (the first is the program's name).
#[deprecated(since = "0.2.0", note = "renamed to mesh_dsl::deploy::run_with_args")]
pub fn run_with_args<I, T>(mesh: impl Fn() -> Mesh, args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    deploy::run_with_args(mesh, args)
}

/// Exit codes of a deploy program: see [`deploy::exit`].
#[deprecated(since = "0.2.0", note = "renamed to mesh_dsl::deploy::exit")]
pub mod exit {
    use crate::deploy::exit;

    /// Success; for `diff`, nothing would change.
    #[deprecated(since = "0.2.0", note = "renamed to mesh_dsl::deploy::exit::OK")]
    pub const OK: u8 = exit::OK;
    /// The mesh is invalid: nothing was sent.
    #[deprecated(
        since = "0.2.0",
        note = "renamed to mesh_dsl::deploy::exit::INVALID_MESH"
    )]
    pub const INVALID_MESH: u8 = exit::INVALID_MESH;
    /// Usage error, or a file that could not be written.
    #[deprecated(since = "0.2.0", note = "renamed to mesh_dsl::deploy::exit::USAGE")]
    pub const USAGE: u8 = exit::USAGE;
    /// No usable cluster, or the preflight failed.
    #[deprecated(since = "0.2.0", note = "renamed to mesh_dsl::deploy::exit::CLUSTER")]
    pub const CLUSTER: u8 = exit::CLUSTER;
    /// Objects failed (or the timeout passed).
    #[deprecated(since = "0.2.0", note = "renamed to mesh_dsl::deploy::exit::FAILED")]
    pub const FAILED: u8 = exit::FAILED;
    /// Deployments did not roll out in time.
    #[deprecated(since = "0.2.0", note = "renamed to mesh_dsl::deploy::exit::NOT_READY")]
    pub const NOT_READY: u8 = exit::NOT_READY;
    /// `diff` found differences.
    #[deprecated(
        since = "0.2.0",
        note = "renamed to mesh_dsl::deploy::exit::DIFFERENCES"
    )]
    pub const DIFFERENCES: u8 = exit::DIFFERENCES;
}

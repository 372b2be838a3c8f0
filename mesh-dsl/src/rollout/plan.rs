//! A rollout's plan: every stage compiled, the stable plan, and each stage's checks.

use std::fmt::Write as _;
use std::time::Duration;

use super::query::{Check, checks};
use crate::{CompileError, Compiled, Mesh, Resources};

/// The checks of one canary at every stage.
#[derive(Clone, Debug)]
pub struct CanaryChecks {
    /// `shop/user v2`.
    pub canary: String,
    /// The request count, then the gates, over the whole bake time.
    pub checks: Vec<Check>,
    /// The canary, to build the checks over another window.
    pub(crate) source: crate::Canary,
}

impl CanaryChecks {
    /// The checks over `window` (during a stage: the time since it was applied).
    pub fn over(&self, window: Duration) -> Vec<Check> {
        checks(&self.source, window)
    }
}

/// Everything a rollout applies and measures, compiled before anything is touched.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Each stage's resources.
    pub stages: Vec<Resources>,
    /// What each stage does (`shop/user v2 at 10%`).
    pub descriptions: Vec<String>,
    /// The resources that route every canary's traffic to its stable version.
    pub stable: Resources,
    /// The time each stage bakes (the longest canary's, or the override).
    pub bake: Duration,
    /// The checks of each canary.
    pub canaries: Vec<CanaryChecks>,
    /// Warnings of the compilations, each once.
    pub warnings: crate::Diagnostics,
    /// A digest of every stage's and the stable plan's objects (16 hex digits): the
    /// record of a rollout of another plan (e.g. a new canary version) is not resumed.
    pub fingerprint: String,
}

impl Plan {
    /// Compiles every stage of `mesh`, and its stable plan (every canary at 0%); `bake`
    /// replaces the canaries' bake times (for tests and demos).
    ///
    /// # Errors
    /// The first stage's [`CompileError`] that does not compile.
    pub fn new(mesh: &Mesh, bake: Option<Duration>) -> Result<Self, CompileError> {
        let mut warnings = crate::Diagnostics::default();
        let mut seen = std::collections::HashSet::new();
        // Each stage finds the same warnings: each is kept once.
        let mut keep = |c: Compiled| {
            warnings.extend(
                c.warnings
                    .into_iter()
                    .filter(|w| seen.insert(w.to_string())),
            );
            c.resources
        };
        let mut stages = Vec::new();
        for s in 0..mesh.stage_count() {
            stages.push(keep(mesh.compile_stage(s)?));
        }
        let stable = keep(stable_mesh(mesh).compile()?);
        let bake = bake.unwrap_or_else(|| {
            mesh.canaries()
                .iter()
                .map(crate::Canary::bake_time)
                .max()
                .unwrap_or(crate::route::DEFAULT_BAKE)
        });
        let canaries = mesh
            .canaries()
            .iter()
            .map(|c| CanaryChecks {
                canary: format!(
                    "{}/{} {}",
                    c.canary.service.namespace, c.canary.service.name, c.canary.name
                ),
                checks: checks(c, bake),
                source: c.clone(),
            })
            .collect();
        let fingerprint = fingerprint(&stages, &stable);
        Ok(Self {
            fingerprint,
            stages,
            descriptions: mesh.stage_descriptions(),
            stable,
            bake,
            canaries,
            warnings,
        })
    }

    /// The plan in words: stages, bake time, and each check with its query (what
    /// `rollout --dry-run` prints).
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} stage(s), each applied then baked for {:?}:",
            self.stages.len(),
            self.bake
        );
        for (i, d) in self.descriptions.iter().enumerate() {
            let _ = writeln!(out, "  stage {i}: {d}");
        }
        let _ = writeln!(
            out,
            "on a failed gate: every canary back to its stable version (0%)"
        );
        for c in &self.canaries {
            let _ = writeln!(out, "gates of {}:", c.canary);
            for k in &c.checks {
                let _ = writeln!(out, "  {} {}", k.name, k.condition());
                let _ = writeln!(out, "    {}", k.promql);
            }
        }
        out
    }
}

/// The first 8 bytes of the SHA-256 of the objects' JSON, in hex.
fn fingerprint(stages: &[Resources], stable: &Resources) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for set in stages.iter().chain([stable]) {
        for r in set {
            ctx.update(r.to_json().to_string().as_bytes());
            ctx.update(b"\n");
        }
        ctx.update(b"--\n");
    }
    ctx.finish().as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The mesh with every canary at 0%: all traffic to the stable versions.
fn stable_mesh(mesh: &Mesh) -> Mesh {
    let mut stable = mesh.clone();
    for c in &mut stable.canaries {
        c.stages = vec![0];
    }
    stable
}

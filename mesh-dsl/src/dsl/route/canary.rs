//! Staged canaries: a split between two versions that changes stage by stage.

use crate::dsl::service::SubsetRef;

/// A staged canary: traffic that a route sends to the whole service is split between two
/// versions, with the new version's share rising stage by stage (e.g. 10 -> 25 -> 50 ->
/// 100). Each stage compiles to its own resource set (`Mesh::compile_stage`).
///
/// ```
/// use mesh_dsl::{Canary, Mesh, Namespace, Port, Service, Version};
/// let mut mesh = Mesh::new();
/// let ns = mesh.namespace(Namespace::new("shop"));
/// let user = mesh.service(
///     Service::new(&ns, "user")
///         .port(Port::http(80))
///         .version(Version::new("v1", "user:1"))
///         .version(Version::new("v2", "user:2")),
/// );
/// mesh.canary(Canary::new(user.subset("v1"), user.subset("v2")).stages([10, 25, 50, 100]));
/// assert_eq!(mesh.stage_count(), 4);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Canary {
    pub(crate) stable: SubsetRef,
    pub(crate) canary: SubsetRef,
    pub(crate) stages: Vec<i32>,
}

impl Canary {
    /// A canary from `stable` to `canary` (two versions of the same service), with one
    /// stage at 100% until [`Canary::stages`] says otherwise.
    pub fn new(stable: SubsetRef, canary: SubsetRef) -> Self {
        Self {
            stable,
            canary,
            stages: vec![100],
        }
    }

    /// The canary's share in percent at each stage, in order.
    pub fn stages(mut self, percents: impl IntoIterator<Item = i32>) -> Self {
        self.stages = percents.into_iter().collect();
        self
    }

    /// The canary's share at `stage` (the last stage's share past the end).
    pub(crate) fn share_at(&self, stage: usize) -> i32 {
        self.stages
            .get(stage)
            .or(self.stages.last())
            .copied()
            .unwrap_or(100)
    }
}

//! Traffic: the VirtualServices of the routes ([`routes`]), the DestinationRules of the
//! services ([`policy`]), and the canary plans that split a service's traffic between
//! two of its versions.

mod policy;
mod routes;

use super::Cx;
use crate::route::{Canary, Target};

impl<'m> Cx<'m> {
    /// Checks the canary plans and indexes them by service (one plan per service).
    pub(super) fn index_canaries(&mut self) {
        let mut canaries: Vec<&'m Canary> = self.mesh.canaries.iter().collect();
        canaries.sort_by(|a, b| {
            (&a.stable, &a.canary, &a.stages).cmp(&(&b.stable, &b.canary, &b.stages))
        });
        for c in canaries {
            self.check_canary(c);
            if let Some(prev) = self.canaries.insert(c.stable.service.clone(), c) {
                self.check_one_canary_per_service(prev, c);
            }
        }
    }

    /// A route to a whole service that has a canary becomes the canary's split.
    fn expand_canary(&self, parts: &[(Target, Option<i32>)]) -> Vec<(Target, Option<i32>)> {
        if let [(Target::Service(s, port), None)] = parts
            && let Some(c) = self.canaries.get(s)
        {
            let share = c.share_at(self.stage);
            return vec![
                (Target::Subset(c.stable.clone(), *port), Some(100 - share)),
                (Target::Subset(c.canary.clone(), *port), Some(share)),
            ];
        }
        parts.to_vec()
    }
}

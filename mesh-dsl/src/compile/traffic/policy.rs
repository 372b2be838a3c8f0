//! The DestinationRule of each service: a subset per version, and the traffic policies
//! of the service and of its versions.

use std::collections::BTreeMap;

use istio_types::IstioResource;
use istio_types::networking::v1::{DestinationRule, DestinationRuleSpec, Subset, TrafficPolicy};

use super::super::{Cx, meta};
use crate::mesh::PolicyTarget;
use crate::resources::Resource;
use crate::service::Service;

/// The traffic policy of a service, and those of its versions by version name.
type ServicePolicies = (Option<TrafficPolicy>, BTreeMap<String, TrafficPolicy>);

impl<'m> Cx<'m> {
    /// The DestinationRule of `s` (`what` names it in diagnostics), when it has versions
    /// or a traffic policy.
    pub(in crate::compile) fn service_destination_rule(
        &mut self,
        s: &Service,
        what: &str,
        out: &mut Vec<Resource>,
    ) {
        let (policy, subset_policies) = self.service_policies(s, what);
        if s.versions.is_empty() && policy.is_none() {
            return;
        }
        let subsets = s
            .versions
            .iter()
            .map(|v| Subset {
                name: v.name.clone(),
                labels: BTreeMap::from([("version".into(), v.name.clone())]),
                traffic_policy: subset_policies.get(&v.name).cloned(),
            })
            .collect();
        out.push(
            IstioResource::from(DestinationRule {
                metadata: meta(Some(&s.namespace), &s.name, &self.labels(&[])),
                spec: DestinationRuleSpec {
                    host: s.name.clone(),
                    traffic_policy: policy,
                    subsets,
                    export_to: s.export_to.clone(),
                    ..Default::default()
                },
                status: None,
            })
            .into(),
        );
    }

    /// The policies declared for `s` and its versions, at most one each.
    fn service_policies(&mut self, s: &Service, what: &str) -> ServicePolicies {
        let mut policy: Option<TrafficPolicy> = None;
        let mut subset_policies: BTreeMap<String, TrafficPolicy> = BTreeMap::new();
        let mut policies: Vec<&(PolicyTarget, crate::policy::Policy)> = self
            .policies
            .get(&(s.namespace.clone(), s.name.clone()))
            .cloned()
            .unwrap_or_default();
        policies.sort_by(|a, b| a.0.cmp(&b.0));
        for (target, p) in policies {
            match target {
                PolicyTarget::Service(_) => {
                    if policy.replace(p.inner.clone()).is_some() {
                        self.report_second_policy(what, None);
                    }
                }
                PolicyTarget::Subset(sub) => {
                    self.check_subset(sub, || format!("traffic policy of {what}"));
                    if subset_policies
                        .insert(sub.name.clone(), p.inner.clone())
                        .is_some()
                    {
                        self.report_second_policy(what, Some(&sub.name));
                    }
                }
            }
        }
        (policy, subset_policies)
    }
}

//! An apply from start to end: validation by dry run, the writes in phases, prune and
//! wait.

use std::collections::{BTreeSet, HashSet};

use kube::Client;
use serde_json::Value;
use tokio::time::Instant;

use super::concurrently;
use super::dry_run::dry_run_report;
use super::error::ApplyError;
use super::options::ApplyOptions;
use super::plan::{Member, MemberKey, Plan};
use super::prune::{delete_in_order, prune_candidates};
use super::report::{Action, ApplyReport, Event, ResourceResult, Step, Stopped, WaitReport};
use super::request::Requester;
use super::results::{failure, is_deadline, resource_version};
use super::wait;
use crate::diag::ResourceRef;
use crate::resources::Resources;

/// The message of the objects skipped because the dry run refused others.
const REFUSED: &str = "not applied: the server refused other objects in the dry run";
/// The message of the objects skipped because an earlier phase failed.
const EARLIER_PHASE: &str = "not applied: an earlier phase failed";

/// Applies `resources` with server-side apply; see the [module docs](super) for the
/// order of events.
///
/// # Errors
/// [`ApplyError`] when the operation cannot start (cluster unreachable, kinds not served,
/// an ApplySet of another tool) or a request it depends on fails (writing the ApplySet
/// parent, listing for prune). Objects the server refuses are reported in the
/// [`ApplyReport`], whose [`ApplyReport::is_success`] must be checked.
pub async fn apply(
    client: &Client,
    resources: &Resources,
    options: &ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    let started = Instant::now();
    let api = Requester {
        client,
        options,
        deadline: started + options.timeout,
    };
    let plan = Plan::prepare(&api, resources, options.prune).await?;
    let mut run = Run::new(&api, &plan);
    options.notify(&Event::Started {
        step: Step::Validate,
        total: plan.members.len(),
    });
    let (ok, new_namespaces) = run.validate_known().await;
    let parent_ns = options.applyset.namespace.clone();
    if !new_namespaces.contains(&parent_ns) {
        plan.write_parent(
            &api,
            options,
            &plan.group_kinds(),
            &plan.namespaces(&parent_ns),
            true,
        )
        .await?;
    }
    if !ok {
        return Ok(run.stopped(Stopped::Validation, started, REFUSED));
    }
    if options.dry_run {
        return dry_run_report(&api, &plan, &run.answers, &new_namespaces, started).await;
    }
    if let Err((why, message)) = run.write_all(&new_namespaces, &parent_ns).await? {
        return Ok(run.stopped(why, started, message));
    }
    let mut report = ApplyReport {
        results: run.results.into_iter().flatten().collect(),
        ..ApplyReport::default()
    };
    if options.prune {
        prune(&api, &plan, &parent_ns, &mut report).await?;
    }
    if options.wait {
        report.wait = Some(wait_for_deployments(&api, &plan).await);
    }
    if is_deadline(&report.results) {
        report.stopped = Some(Stopped::Timeout);
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Prune: deletes the set's objects that are no longer declared, then records only the
/// current kinds and namespaces in the parent (or marks the report stopped).
async fn prune(
    api: &Requester<'_>,
    plan: &Plan,
    parent_ns: &str,
    report: &mut ApplyReport,
) -> Result<(), ApplyError> {
    let options = api.options;
    let keep: HashSet<MemberKey> = plan.members.iter().map(Member::key).collect();
    let candidates = prune_candidates(api, plan, &keep).await?;
    options.notify(&Event::Started {
        step: Step::Prune,
        total: candidates.len(),
    });
    let pruned = delete_in_order(api, plan, candidates, Action::Pruned, Step::Prune).await;
    let ok = pruned.iter().all(|r| r.action != Action::Failed);
    // A kept namespace stays recorded, so that a later prune or delete finds it again.
    let mut kinds = plan.group_kinds();
    if pruned
        .iter()
        .any(|r| r.action == Action::Skipped && r.resource.kind == "Namespace")
    {
        kinds.insert("Namespace".to_string());
    }
    report.results.extend(pruned);
    if ok {
        plan.write_parent(api, options, &kinds, &plan.namespaces(parent_ns), false)
            .await?;
    } else {
        report.stopped = Some(Stopped::WriteFailed);
    }
    Ok(())
}

/// Waits until every declared Deployment has rolled out.
async fn wait_for_deployments(api: &Requester<'_>, plan: &Plan) -> WaitReport {
    let deployments: Vec<&Member> = plan
        .members
        .iter()
        .filter(|m| m.group_kind == "Deployment.apps")
        .collect();
    match deployments.first() {
        Some(first) => {
            api.options.notify(&Event::Started {
                step: Step::Wait,
                total: deployments.len(),
            });
            let refs: Vec<ResourceRef> = deployments.iter().map(|m| m.reference.clone()).collect();
            wait::wait_for(api, &first.ar, &refs, api.deadline).await
        }
        None => WaitReport::default(),
    }
}

/// The state of one apply: per member, its result, its dry-run answer, whether it was
/// written.
struct Run<'a> {
    api: &'a Requester<'a>,
    plan: &'a Plan,
    results: Vec<Option<ResourceResult>>,
    answers: Vec<Option<(u16, Value)>>,
    written: Vec<bool>,
}

impl<'a> Run<'a> {
    fn new(api: &'a Requester<'a>, plan: &'a Plan) -> Self {
        Run {
            api,
            plan,
            results: vec![None; plan.members.len()],
            answers: vec![None; plan.members.len()],
            written: vec![false; plan.members.len()],
        }
    }
}

impl Run<'_> {
    fn indices(&self, f: impl Fn(&Member) -> bool) -> Vec<usize> {
        (0..self.plan.members.len())
            .filter(|i| f(&self.plan.members[*i]))
            .collect()
    }

    /// Validation of what can be checked before anything is written: namespaces, then
    /// everything whose namespace exists already. Whether the server accepted all of
    /// them, and the namespaces that do not exist yet.
    async fn validate_known(&mut self) -> (bool, HashSet<String>) {
        let namespaces: Vec<usize> = self.indices(|m| m.group == 0);
        let mut ok = self.validate(namespaces).await;
        let new_namespaces: HashSet<String> = self
            .indices(|m| m.group == 0)
            .into_iter()
            .filter(|i| matches!(&self.answers[*i], Some((code, v)) if *code == 201 || resource_version(v).is_none()))
            .map(|i| self.plan.members[i].reference.name.clone())
            .collect();
        // One root cause is reported once: objects in a namespace the server refused are
        // not tried (their dry run could only fail with "namespace not found").
        let refused: HashSet<String> = self
            .indices(|m| m.group == 0)
            .into_iter()
            .filter(|i| self.answers[*i].is_none())
            .map(|i| self.plan.members[i].reference.name.clone())
            .collect();
        for i in self.indices(|m| m.group > 0 && m.in_namespaces(&refused)) {
            let m = &self.plan.members[i];
            let ns = m.namespace.as_deref().unwrap_or("");
            self.results[i] = Some(
                ResourceResult::new(m.reference.clone(), &m.api_version, Action::Skipped)
                    .message(format!("not tried: namespace {ns} refused")),
            );
        }
        let existing = self.indices(|m| {
            m.group > 0 && !m.in_namespaces(&new_namespaces) && !m.in_namespaces(&refused)
        });
        ok &= self.validate(existing).await;
        (ok, new_namespaces)
    }

    /// The writes. The parent first records the kinds and namespaces of old and new
    /// members, so that an interrupted apply can still be pruned later (its namespace is
    /// created before it when new); then the groups in order, with the dry run of the
    /// objects in new namespaces once those exist. `Err` with why and the message of the
    /// skipped objects when a phase stopped.
    async fn write_all(
        &mut self,
        new_namespaces: &HashSet<String>,
        parent_ns: &str,
    ) -> Result<Result<(), (Stopped, &'static str)>, ApplyError> {
        let (api, plan) = (self.api, self.plan);
        let superset_kinds: BTreeSet<String> = plan.all_group_kinds();
        let superset_ns: BTreeSet<String> = plan.all_namespaces(parent_ns);
        api.options.notify(&Event::Started {
            step: Step::Apply,
            total: plan.members.len(),
        });
        if new_namespaces.contains(parent_ns) {
            let first = self.indices(|m| m.group == 0 && m.reference.name == parent_ns);
            self.write(first).await;
        }
        if let Err(e) = plan
            .write_parent(api, api.options, &superset_kinds, &superset_ns, false)
            .await
        {
            self.roll_back(new_namespaces).await;
            return Err(e);
        }
        for group in 0..=3u8 {
            if group == 1 {
                // Objects in namespaces created just now get their dry run now; if the
                // server refuses one, the namespaces (and the parent) written only for
                // this dry run are removed again.
                let deferred = self.indices(|m| m.group > 0 && m.in_namespaces(new_namespaces));
                if !self.validate(deferred).await {
                    self.roll_back(new_namespaces).await;
                    return Ok(Err((Stopped::Validation, REFUSED)));
                }
            }
            let todo: Vec<usize> = self
                .indices(|m| m.group == group)
                .into_iter()
                .filter(|i| !self.written[*i])
                .collect();
            if !self.write(todo).await {
                return Ok(Err((Stopped::WriteFailed, EARLIER_PHASE)));
            }
        }
        Ok(Ok(()))
    }

    /// Leaves the cluster as it was before this apply after a refused dry run (or a failed
    /// parent write): the parent is deleted when this apply created it, or gets its
    /// former record back; the namespaces this apply created are deleted. Their results
    /// say so.
    async fn roll_back(&mut self, new_namespaces: &HashSet<String>) {
        let (api, plan) = (self.api, self.plan);
        let options = api.options;
        let parent = if plan.parent_exists {
            plan.write_parent(
                api,
                options,
                &plan.recorded.group_kinds,
                &plan.recorded.namespaces,
                false,
            )
            .await
            .err()
            .map(|e| e.to_string())
        } else {
            api.delete(
                &plan.parent_ar,
                Some(&options.applyset.namespace),
                &options.applyset.name,
                false,
            )
            .await
            .err()
            .map(|e| e.to_string())
        };
        if let Some(why) = parent {
            tracing::warn!(
                "the ApplySet parent {} could not be restored: {why}",
                options.applyset
            );
        }
        let created: Vec<usize> = self
            .indices(|m| m.group == 0 && new_namespaces.contains(&m.reference.name))
            .into_iter()
            .filter(|i| self.written[*i])
            .collect();
        let done = concurrently(options.concurrency, created, |i| async move {
            let m = &plan.members[i];
            (i, api.delete(&m.ar, None, &m.reference.name, false).await)
        })
        .await;
        for (i, r) in done {
            let m = &plan.members[i];
            self.written[i] = false;
            self.results[i] = Some(match r {
                Ok(_) => ResourceResult::new(m.reference.clone(), &m.api_version, Action::Skipped)
                    .message(
                        "not applied: created only to dry-run the objects in it, and deleted again as the server refused objects",
                    ),
                Err(e) => {
                    let mut r = failure(&m.reference, &m.api_version, &e);
                    r.message = Some(format!(
                        "created only to dry-run the objects in it; deleting it again failed: {}",
                        r.message.unwrap_or_default()
                    ));
                    r
                }
            });
        }
    }

    /// Dry-runs these members; whether the server accepted all of them.
    async fn validate(&mut self, indices: Vec<usize>) -> bool {
        let api = self.api;
        let plan = self.plan;
        let answers = concurrently(api.options.concurrency, indices, |i| async move {
            let m = &plan.members[i];
            let r = api
                .apply(
                    &m.ar,
                    m.namespace.as_deref(),
                    &m.reference.name,
                    &m.object,
                    true,
                )
                .await;
            let result = match &r {
                Ok(_) => {
                    ResourceResult::new(m.reference.clone(), &m.api_version, Action::Unchanged)
                }
                Err(e) => failure(&m.reference, &m.api_version, e),
            };
            api.options.notify(&Event::Done {
                step: Step::Validate,
                result: &result,
            });
            (i, r)
        })
        .await;
        let mut ok = true;
        for (i, r) in answers {
            match r {
                Ok(answer) => self.answers[i] = Some(answer),
                Err(e) => {
                    ok = false;
                    let m = &plan.members[i];
                    self.results[i] = Some(failure(&m.reference, &m.api_version, &e));
                }
            }
        }
        ok
    }

    /// Writes these members; whether all writes succeeded.
    async fn write(&mut self, indices: Vec<usize>) -> bool {
        let api = self.api;
        let plan = self.plan;
        let answers = &self.answers;
        let done = concurrently(api.options.concurrency, indices, |i| async move {
            let validated = answers[i].as_ref().and_then(|(_, v)| resource_version(v));
            let existed = answers[i].as_ref().is_none_or(|(code, _)| *code != 201);
            (i, write(api, &plan.members[i], validated, existed).await)
        })
        .await;
        let mut ok = true;
        for (i, r) in done {
            ok &= r.action != Action::Failed;
            self.written[i] = r.action != Action::Failed;
            self.results[i] = Some(r);
        }
        ok
    }

    /// The report of an apply that stopped: what was written or failed, the rest skipped.
    fn stopped(self, why: Stopped, started: Instant, message: &str) -> ApplyReport {
        let results: Vec<ResourceResult> = self
            .results
            .into_iter()
            .zip(&self.written)
            .zip(&self.plan.members)
            .map(|((r, written), m)| match r {
                Some(r) if *written || matches!(r.action, Action::Failed | Action::Skipped) => r,
                _ => ResourceResult::new(m.reference.clone(), &m.api_version, Action::Skipped)
                    .message(message),
            })
            .collect();
        let timed_out = is_deadline(&results);
        ApplyReport {
            dry_run: self.api.options.dry_run,
            results,
            stopped: Some(if timed_out { Stopped::Timeout } else { why }),
            wait: None,
            elapsed: started.elapsed(),
        }
    }
}

/// Writes one member; the action comes from the answer: 201 created, otherwise the
/// resourceVersion against the dry run's (the same: nothing changed). An object that did
/// not exist at its dry run (`existed` false) is created even when the answer is a 200:
/// the first attempt created it and its answer was lost, the retry found it.
async fn write(
    api: &Requester<'_>,
    m: &Member,
    validated_rv: Option<&str>,
    existed: bool,
) -> ResourceResult {
    let result = match api
        .apply(
            &m.ar,
            m.namespace.as_deref(),
            &m.reference.name,
            &m.object,
            false,
        )
        .await
    {
        Ok((201, _)) => ResourceResult::new(m.reference.clone(), &m.api_version, Action::Created),
        Ok(_) if !existed => {
            ResourceResult::new(m.reference.clone(), &m.api_version, Action::Created)
        }
        Ok((_, v)) => {
            let action = if validated_rv.is_some() && resource_version(&v) == validated_rv {
                Action::Unchanged
            } else {
                Action::Configured
            };
            ResourceResult::new(m.reference.clone(), &m.api_version, action)
        }
        Err(e) => failure(&m.reference, &m.api_version, &e),
    };
    api.options.notify(&Event::Done {
        step: Step::Apply,
        result: &result,
    });
    result
}

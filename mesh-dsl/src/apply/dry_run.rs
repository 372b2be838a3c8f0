//! The report of a dry run, from the server's dry-run answers and the live objects.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use tokio::time::Instant;

use super::concurrently;
use super::diff::strip_server_fields;
use super::error::ApplyError;
use super::plan::{Member, Plan};
use super::prune::{is_namespace, kept_namespace, prune_candidates};
use super::report::{Action, ApplyReport, ResourceResult};
use super::request::{RequestError, Requester};
use super::results::failure;

/// The report of a dry run: created (201), or configured/unchanged by comparing the live
/// objects with the dry-run answers (`answers`, per member); what prune would delete.
/// Objects in `new_namespaces` were not checked by the server.
pub(crate) async fn dry_run_report(
    api: &Requester<'_>,
    plan: &Plan,
    answers: &[Option<(u16, Value)>],
    new_namespaces: &HashSet<String>,
    started: Instant,
) -> Result<ApplyReport, ApplyError> {
    let existing: Vec<usize> = (0..plan.members.len())
        .filter(|i| matches!(&answers[*i], Some((code, _)) if *code != 201))
        .collect();
    let lives: HashMap<usize, Result<Option<Value>, RequestError>> =
        concurrently(api.options.concurrency, existing, |i| async move {
            let m = &plan.members[i];
            (
                i,
                api.get(&m.ar, m.namespace.as_deref(), &m.reference.name)
                    .await,
            )
        })
        .await
        .into_iter()
        .collect();
    let mut report = ApplyReport {
        dry_run: true,
        ..ApplyReport::default()
    };
    for (i, m) in plan.members.iter().enumerate() {
        report.results.push(dry_run_result(
            m,
            answers[i].as_ref(),
            lives.get(&i),
            new_namespaces,
        ));
    }
    if api.options.prune {
        let keep = plan.members.iter().map(Member::key).collect();
        for c in prune_candidates(api, plan, &keep).await? {
            let kept = if is_namespace(&c) {
                kept_namespace(api, plan, &c).await
            } else {
                None
            };
            report.results.push(kept.unwrap_or_else(|| {
                ResourceResult::new(c.reference, &c.api_version, Action::Pruned)
            }));
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// One member's dry-run result: its answer against the live object, if there is one.
fn dry_run_result(
    m: &Member,
    answer: Option<&(u16, Value)>,
    live: Option<&Result<Option<Value>, RequestError>>,
    new_namespaces: &HashSet<String>,
) -> ResourceResult {
    let created = ResourceResult::new(m.reference.clone(), &m.api_version, Action::Created);
    match (answer, live) {
        (Some((_, answer)), Some(Ok(Some(live)))) => {
            let same = strip_server_fields(answer) == strip_server_fields(live);
            ResourceResult::new(
                m.reference.clone(),
                &m.api_version,
                if same {
                    Action::Unchanged
                } else {
                    Action::Configured
                },
            )
        }
        (_, Some(Err(e))) => failure(&m.reference, &m.api_version, e),
        (None, _) if m.in_namespaces(new_namespaces) => created.message(format!(
            "namespace {} does not exist yet: not checked by the server",
            m.namespace.as_deref().unwrap_or("")
        )),
        _ => created,
    }
}

//! The rollout loop: apply a stage, record it, bake while measuring, then promote,
//! roll back, or stop.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::metrics::{MetricsError, MetricsSource};
use super::outcome::{Outcome, Progress, Reading, RolloutError};
use super::plan::Plan;
use super::record::{self, Position, StageRecord, State};
use crate::Resources;
use crate::apply::{self, ApplyOptions};

/// A callback told about a rollout's [`Progress`].
pub type ProgressObserver = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How a rollout runs.
#[derive(Clone)]
#[non_exhaustive]
pub struct RolloutOptions {
    /// How each stage is applied (ApplySet, field manager, timeout); `wait` is always on
    /// and `dry_run` off.
    pub apply: ApplyOptions,
    /// How often the gates are measured during a stage (default 10 s).
    pub interval: Duration,
    /// Start again from stage 0 even when the record says the last rollout was promoted
    /// or rolled back (default `false`).
    pub restart: bool,
    /// Set to stop at the next safe point: the mesh stays at the stage applied last
    /// (default: none).
    pub interrupt: Option<Arc<AtomicBool>>,
    /// Told about progress (default: nobody).
    pub observer: Option<ProgressObserver>,
}

impl fmt::Debug for RolloutOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RolloutOptions")
            .field("apply", &self.apply)
            .field("interval", &self.interval)
            .field("restart", &self.restart)
            .finish_non_exhaustive()
    }
}

impl RolloutOptions {
    /// Options applying with `apply`, measuring every 10 s.
    pub fn new(apply: ApplyOptions) -> Self {
        Self {
            apply,
            interval: Duration::from_secs(10),
            restart: false,
            interrupt: None,
            observer: None,
        }
    }

    /// Measures every `interval`.
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Starts again from stage 0 whatever the record says.
    #[must_use]
    pub fn restart(mut self) -> Self {
        self.restart = true;
        self
    }

    /// Stops at the next safe point once `flag` is set (e.g. by a Ctrl-C handler).
    #[must_use]
    pub fn interrupt(mut self, flag: Arc<AtomicBool>) -> Self {
        self.interrupt = Some(flag);
        self
    }

    /// Calls `f` on every [`Progress`].
    #[must_use]
    pub fn observer(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(f));
        self
    }

    fn notify(&self, p: &Progress) {
        if let Some(o) = &self.observer {
            o(p);
        }
    }

    fn interrupted(&self) -> bool {
        self.interrupt
            .as_ref()
            .is_some_and(|f| f.load(Ordering::SeqCst))
    }
}

/// Runs the rollout of `plan`: from the stage the ApplySet parent records (or 0), each
/// stage is applied (dry run first, then written, then waited for), recorded, and baked
/// while its checks are measured every [`RolloutOptions::interval`]; all pass, the next
/// stage; one fails, every canary goes back to its stable version.
///
/// A check fails early when the canary has served its required requests and a gate
/// fails; at the end of the bake, too few requests, a gate without data or a failing
/// gate fail the stage.
///
/// # Errors
/// [`RolloutError`] when a stage cannot be applied, the record cannot be written, or the
/// metrics cannot be read (the mesh then stays at the stage applied last, recorded as
/// stopped).
pub async fn rollout<M: MetricsSource + Sync>(
    client: &kube::Client,
    plan: &Plan,
    metrics: &M,
    options: &RolloutOptions,
) -> Result<Outcome, RolloutError> {
    let parent = &options.apply.applyset;
    let manager = &options.apply.field_manager;
    let found = record::read(client, parent)
        .await
        .map_err(RolloutError::Record)?;
    let last = plan.stages.len().saturating_sub(1);
    let start = match &found {
        _ if options.restart => 0,
        // The record of another plan (a new canary version, other stages): a new rollout.
        Some(r) if r.plan != plan.fingerprint => 0,
        Some(r) if r.state == State::Promoted && r.position == Position::Stage(last) => {
            return Ok(Outcome::AlreadyPromoted);
        }
        Some(r) if r.state == State::RolledBack => {
            return Ok(Outcome::PreviouslyRolledBack { record: r.clone() });
        }
        Some(StageRecord {
            position: Position::Stage(s),
            ..
        }) if *s <= last => *s,
        _ => 0,
    };
    let other_plan = found.as_ref().is_some_and(|r| r.plan != plan.fingerprint);
    options.notify(&Progress::Resuming {
        record: found,
        stage: start,
        other_plan,
    });
    let write = |position, state, message: String| async move {
        let r = StageRecord {
            position,
            state,
            message,
            plan: plan.fingerprint.clone(),
        };
        record::write(client, parent, manager, &r)
            .await
            .map_err(RolloutError::Record)
    };
    for stage in start..plan.stages.len() {
        options.notify(&Progress::Applying {
            stage,
            description: plan.descriptions.get(stage).cloned().unwrap_or_default(),
        });
        apply_all(
            client,
            &plan.stages[stage],
            options,
            &format!("stage {stage}"),
        )
        .await?;
        write(Position::Stage(stage), State::Progressing, String::new()).await?;
        options.notify(&Progress::Applied { stage });
        match bake(plan, stage, metrics, options).await {
            Verdict::Pass => options.notify(&Progress::Passed { stage }),
            Verdict::Interrupted => {
                write(Position::Stage(stage), State::Stopped, "interrupted".into()).await?;
                return Ok(Outcome::Interrupted { stage });
            }
            Verdict::Error(source) => {
                write(Position::Stage(stage), State::Stopped, source.to_string()).await?;
                return Err(RolloutError::Metrics { stage, source });
            }
            Verdict::Fail(failure) => {
                options.notify(&Progress::RollingBack {
                    stage,
                    failure: failure.clone(),
                });
                apply_all(
                    client,
                    &plan.stable,
                    options,
                    "rollback to the stable versions",
                )
                .await?;
                write(
                    Position::Stable,
                    State::RolledBack,
                    format!("stage {stage} failed: {failure}"),
                )
                .await?;
                return Ok(Outcome::RolledBack { stage, failure });
            }
        }
    }
    write(Position::Stage(last), State::Promoted, String::new()).await?;
    Ok(Outcome::Promoted { stage: last })
}

/// Applies `resources` and waits for them; an error unless all went well.
async fn apply_all(
    client: &kube::Client,
    resources: &Resources,
    options: &RolloutOptions,
    what: &str,
) -> Result<(), RolloutError> {
    let mut o = options.apply.clone();
    o.wait = true;
    o.dry_run = false;
    let report = apply::apply(client, resources, &o)
        .await
        .map_err(|source| RolloutError::Apply {
            what: what.to_string(),
            source,
        })?;
    if report.is_success() {
        Ok(())
    } else {
        Err(RolloutError::Applied {
            what: what.to_string(),
            report: Box::new(report),
        })
    }
}

/// A stage's verdict.
enum Verdict {
    Pass,
    Fail(Reading),
    Interrupted,
    Error(MetricsError),
}

/// Bakes a stage: measures every interval until the bake time is over.
async fn bake<M: MetricsSource + Sync>(
    plan: &Plan,
    stage: usize,
    metrics: &M,
    options: &RolloutOptions,
) -> Verdict {
    let start = Instant::now();
    let end = start + plan.bake;
    loop {
        if options.interrupted() {
            return Verdict::Interrupted;
        }
        // Only this stage's requests: the window is the time since it was applied.
        let window = Duration::from_secs(start.elapsed().as_secs_f64().ceil() as u64).clamp(
            Duration::from_secs(1),
            plan.bake.max(Duration::from_secs(1)),
        );
        let readings = match measure(plan, metrics, window).await {
            Ok(r) => r,
            Err(e) => return Verdict::Error(e),
        };
        let remaining = end.saturating_duration_since(Instant::now());
        options.notify(&Progress::Measured {
            stage,
            readings: readings.clone(),
            remaining,
        });
        let over = remaining.is_zero();
        if let Some(f) = failure(plan, &readings, over) {
            return Verdict::Fail(f);
        }
        if over {
            return Verdict::Pass;
        }
        if sleep(options.interval.min(remaining), options).await {
            return Verdict::Interrupted;
        }
    }
}

/// Sleeps, waking early when interrupted; whether it was.
async fn sleep(d: Duration, options: &RolloutOptions) -> bool {
    let end = Instant::now() + d;
    loop {
        if options.interrupted() {
            return true;
        }
        let now = Instant::now();
        if now >= end {
            return false;
        }
        tokio::time::sleep((end - now).min(Duration::from_millis(100))).await;
    }
}

/// Every check of every canary over `window`, in order.
async fn measure<M: MetricsSource + Sync>(
    plan: &Plan,
    metrics: &M,
    window: Duration,
) -> Result<Vec<Reading>, MetricsError> {
    let mut out = Vec::new();
    for c in &plan.canaries {
        for check in c.over(window) {
            let value = metrics.query(&check.promql).await?;
            out.push(Reading {
                canary: c.canary.clone(),
                check,
                value,
            });
        }
    }
    Ok(out)
}

/// The reading that fails the stage: during the bake, a failing gate of a canary that
/// has served its required requests; at its end (`over`), too few requests, a gate
/// without data, or a failing gate.
fn failure(plan: &Plan, readings: &[Reading], over: bool) -> Option<Reading> {
    for c in &plan.canaries {
        let mine: Vec<&Reading> = readings.iter().filter(|r| r.canary == c.canary).collect();
        let Some((requests, gates)) = mine.split_first() else {
            continue;
        };
        let enough = requests.value.is_some_and(|v| requests.check.passes(v));
        if over && !enough {
            return Some((*requests).clone());
        }
        if !enough {
            continue;
        }
        if let Some(g) = gates
            .iter()
            .find(|g| g.value.is_some_and(|v| !g.check.passes(v)) || (over && g.value.is_none()))
        {
            return Some((*g).clone());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::Percentile;
    use crate::{Canary, Mesh, Namespace, Port, Service, Version};

    fn plan() -> Plan {
        let mut mesh = Mesh::new();
        let ns = mesh.namespace(Namespace::new("shop"));
        let user = mesh.service(
            Service::new(&ns, "user")
                .port(Port::http(80))
                .version(Version::new("v1", "user:1"))
                .version(Version::new("v2", "user:2")),
        );
        mesh.canary(
            Canary::new(user.subset("v1"), user.subset("v2"))
                .stages([50, 100])
                .success_rate(99.0)
                .latency(Percentile::P99, Duration::from_millis(500))
                .min_requests(10),
        );
        Plan::new(&mesh, Some(Duration::from_secs(4))).unwrap()
    }

    /// Readings of requests, success rate and p99, in that order.
    fn readings(plan: &Plan, values: [Option<f64>; 3]) -> Vec<Reading> {
        let c = &plan.canaries[0];
        c.checks
            .iter()
            .zip(values)
            .map(|(check, value)| Reading {
                canary: c.canary.clone(),
                check: check.clone(),
                value,
            })
            .collect()
    }

    fn failing(plan: &Plan, values: [Option<f64>; 3], over: bool) -> Option<String> {
        failure(plan, &readings(plan, values), over).map(|r| r.to_string())
    }

    #[test]
    fn verdicts() {
        let p = plan();
        let good = [Some(50.0), Some(100.0), Some(20.0)];
        assert_eq!(failing(&p, good, false), None);
        assert_eq!(failing(&p, good, true), None);
        // A failing gate with enough requests fails at once; with too few, not yet.
        let slow = [Some(50.0), Some(100.0), Some(900.0)];
        assert_eq!(
            failing(&p, slow, false).as_deref(),
            Some("shop/user v2 p99 latency 900ms (<= 500ms)")
        );
        let slow_few = [Some(5.0), Some(100.0), Some(900.0)];
        assert_eq!(failing(&p, slow_few, false), None);
        // At the end: too few requests (or none), or a gate without data, fail.
        assert_eq!(
            failing(&p, slow_few, true).as_deref(),
            Some("shop/user v2 requests 5 (>= 10)")
        );
        assert_eq!(
            failing(&p, [None, None, None], true).as_deref(),
            Some("shop/user v2 requests no data (>= 10)")
        );
        assert_eq!(
            failing(&p, [Some(50.0), None, Some(20.0)], true).as_deref(),
            Some("shop/user v2 success rate no data (>= 99%)")
        );
        assert_eq!(failing(&p, [Some(50.0), None, Some(20.0)], false), None);
    }

    #[test]
    fn the_stable_plan_sends_everything_to_the_stable_version() {
        let p = plan();
        let yaml = crate::render::to_yaml(&p.stable).unwrap();
        assert!(yaml.contains("subset: v1\n      weight: 100"), "{yaml}");
        assert!(yaml.contains("subset: v2\n      weight: 0"), "{yaml}");
        assert_eq!(p.fingerprint.len(), 16);
    }
}

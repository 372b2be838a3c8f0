//! `rollout`: walks the canary stages, promoting or rolling back on Prometheus metrics.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::Mesh;
use crate::rollout::{self, Outcome, Plan, Progress, Prometheus, RolloutError, RolloutOptions};

use crate::deploy::args::RolloutArgs;
use crate::deploy::cluster::{block_on, connect, error_code, options};
use crate::deploy::exit;

/// `rollout`: see [`crate::rollout`]; `--dry-run` prints the plan, `--status` the record.
pub(in crate::deploy) fn rollout(mesh: &Mesh, args: RolloutArgs, program: &str) -> u8 {
    let RolloutArgs {
        prometheus,
        interval,
        bake,
        dry_run,
        status,
        restart,
        cluster,
    } = args;
    let apply_options = options(&cluster, program);
    let plan = match Plan::new(mesh, bake) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INVALID_MESH;
        }
    };
    if status {
        return block_on(async {
            let client = match connect(&cluster).await {
                Ok(c) => c,
                Err(code) => return code,
            };
            match rollout::record::read(&client, &apply_options.applyset).await {
                Ok(Some(r)) => {
                    let what = match r.position {
                        rollout::Position::Stage(s) => mesh
                            .stage_descriptions()
                            .get(s)
                            .map(|d| format!(" ({d})"))
                            .unwrap_or_default(),
                        rollout::Position::Stable => String::new(),
                    };
                    let other = if r.plan == plan.fingerprint {
                        ""
                    } else {
                        "; of another plan: the mesh changed since, rollout starts at stage 0"
                    };
                    println!("{r}{what}{other}");
                    exit::OK
                }
                Ok(None) => {
                    println!("no rollout recorded");
                    exit::OK
                }
                Err(e) => {
                    eprintln!("error: cannot read the ApplySet parent: {e}");
                    exit::CLUSTER
                }
            }
        });
    }
    for w in &plan.warnings {
        eprintln!("{w}");
    }
    if dry_run {
        print!("{}", plan.describe());
        return exit::OK;
    }
    let metrics = match Prometheus::new(prometheus.as_deref().unwrap_or_default()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let interrupt = Arc::new(AtomicBool::new(false));
    let bar = progress_bar();
    let b = bar.clone();
    let descriptions = plan.descriptions.clone();
    let bake_time = plan.bake;
    let opts = RolloutOptions::new(apply_options)
        .interval(interval)
        .interrupt(Arc::clone(&interrupt))
        .observer(move |p| show(p, b.as_ref(), &descriptions, bake_time));
    let opts = if restart { opts.restart() } else { opts };
    block_on(async {
        // Installed before anything is applied, so Ctrl-C (or SIGTERM) never stops an
        // apply midway.
        let flag = Arc::clone(&interrupt);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                flag.store(true, Ordering::SeqCst);
            }
        });
        #[cfg(unix)]
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            let flag = Arc::clone(&interrupt);
            tokio::spawn(async move {
                if term.recv().await.is_some() {
                    flag.store(true, Ordering::SeqCst);
                }
            });
        }
        let client = match connect(&cluster).await {
            Ok(c) => c,
            Err(code) => return code,
        };
        let result = rollout::rollout(&client, &plan, &metrics, &opts).await;
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        finish(result, &plan)
    })
}

/// Prints how the rollout ended; the exit code.
fn finish(result: Result<Outcome, RolloutError>, plan: &Plan) -> u8 {
    let describe = |s: usize| plan.descriptions.get(s).cloned().unwrap_or_default();
    match result {
        Ok(Outcome::Promoted { stage }) => {
            println!("promoted: stage {stage} ({})", describe(stage));
            exit::OK
        }
        Ok(Outcome::AlreadyPromoted) => {
            let last = plan.stages.len().saturating_sub(1);
            println!(
                "already promoted: stage {last} ({}); --restart starts again from stage 0",
                describe(last)
            );
            exit::OK
        }
        Ok(Outcome::PreviouslyRolledBack { record }) => {
            eprintln!(
                "error: the recorded rollout was rolled back ({record}); --restart starts again from stage 0"
            );
            exit::ROLLED_BACK
        }
        Ok(Outcome::RolledBack { stage, failure }) => {
            println!(
                "rolled back at stage {stage} ({}): {failure}; all traffic goes to the stable versions",
                describe(stage)
            );
            exit::ROLLED_BACK
        }
        Ok(Outcome::Interrupted { stage }) => {
            println!(
                "interrupted: the mesh stays at stage {stage} ({}), recorded; run rollout again to resume",
                describe(stage)
            );
            exit::INTERRUPTED
        }
        Err(RolloutError::Apply { what, source }) => {
            eprint!("{what}: ");
            error_code(&source)
        }
        Err(e @ RolloutError::Metrics { .. }) => {
            eprintln!("error: {e}");
            exit::METRICS
        }
        Err(e) if e.is_not_ready() => {
            eprintln!("error: {e}");
            exit::NOT_READY
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::FAILED
        }
    }
}

/// A spinner on standard error when it is a terminal.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(bar)
}

/// Shows one step: a line per stage event on standard output, the measurements on the
/// spinner (or, without a terminal, a line per measurement on standard error).
fn show(
    p: &Progress,
    bar: Option<&indicatif::ProgressBar>,
    descriptions: &[String],
    bake: std::time::Duration,
) {
    let line = |s: String| match bar {
        Some(b) => b.println(s),
        None => println!("{s}"),
    };
    match p {
        Progress::Resuming {
            record: Some(r),
            stage,
            other_plan: false,
        } => line(format!("recorded: {r}; starting at stage {stage}")),
        Progress::Resuming {
            record: Some(r),
            other_plan: true,
            ..
        } => line(format!(
            "recorded: {r}, of another plan (the mesh changed since); starting a new rollout at stage 0"
        )),
        Progress::Resuming { record: None, .. } => {}
        Progress::Applying { stage, description } => {
            line(format!("stage {stage} ({description}): applying"));
        }
        Progress::Applied { stage } => {
            line(format!("stage {stage}: applied, baking for {bake:?}"));
        }
        Progress::Measured {
            stage,
            readings,
            remaining,
        } => {
            let values: Vec<String> = readings
                .iter()
                .map(|r| {
                    let mark = if r.passes() { "ok" } else { "--" };
                    format!(
                        "{} {} {}",
                        r.check.name,
                        r.value
                            .map_or_else(|| "no data".into(), |v| r.check.show(v)),
                        if r.value.is_some() {
                            format!("({}) {mark}", r.check.condition())
                        } else {
                            format!("({})", r.check.condition())
                        }
                    )
                })
                .collect();
            let text = format!(
                "stage {stage}/{}: {} | {}s left",
                descriptions.len().saturating_sub(1),
                values.join(", "),
                remaining.as_secs_f64().ceil()
            );
            match bar {
                Some(b) => b.set_message(text),
                None => eprintln!("{text}"),
            }
        }
        Progress::Passed { stage } => line(format!("stage {stage}: gates passed")),
        Progress::RollingBack { stage, failure } => {
            line(format!(
                "stage {stage}: gate failed: {failure}; rolling back"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser as _;

    use crate::deploy::args::{Cli, Command, RolloutArgs};

    fn parse(args: &[&str]) -> Result<RolloutArgs, clap::Error> {
        let mut all = vec!["shop", "rollout"];
        all.extend(args);
        Cli::try_parse_from(all).map(|c| match c.command {
            Command::Rollout(a) => a,
            other => panic!("{other:?}"),
        })
    }

    #[test]
    fn rollout_flags() {
        let a = parse(&[
            "--prometheus",
            "http://127.0.0.1:9090",
            "--interval",
            "1s",
            "--bake",
            "4s",
            "-n",
            "platform",
        ])
        .unwrap();
        assert_eq!(a.prometheus.as_deref(), Some("http://127.0.0.1:9090"));
        assert_eq!(
            (a.interval, a.bake),
            (Duration::from_secs(1), Some(Duration::from_secs(4)))
        );
        assert_eq!(a.cluster.namespace, "platform");
        assert!(!a.dry_run && !a.status && !a.restart);
        let d = parse(&[]).unwrap_err();
        assert!(d.to_string().contains("--prometheus"), "{d}");
        assert!(parse(&["--dry-run"]).unwrap().dry_run);
        assert!(parse(&["--status"]).unwrap().status);
        assert!(parse(&["--status", "--dry-run"]).is_err());
        assert_eq!(
            parse(&["--dry-run"]).unwrap().interval,
            Duration::from_secs(10)
        );
    }
}

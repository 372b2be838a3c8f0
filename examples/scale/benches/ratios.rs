//! The targets of the scale workload as ratios, measured so that a noisy machine
//! cancels out: `cargo bench -p scale --bench ratios`.
//!
//! Each round times the two sides back to back (alternating which goes first), so both
//! see the same machine; the report is the median of the per-round ratios, with the
//! lowest and highest. Absolute times on a shared machine drift by half or more between
//! minutes; the ratio of neighbouring runs drifts much less.
//!
//! - pipeline / floor at N = 1,000: `Mesh::compile_to_yaml` from a built mesh to the
//!   text, against serde alone writing the same objects (target: 2x or less);
//! - pipeline(5,000) / pipeline(1,000) (target: 5.5x or less).

use std::time::{Duration, Instant};

use mesh_dsl::{CompileOptions, Resources};

fn pipeline(n: usize) -> Duration {
    let start = Instant::now();
    let (compiled, yaml) = scale::mesh(n)
        .compile_to_yaml(&CompileOptions::default())
        .expect("the workload compiles");
    drop((compiled, yaml));
    start.elapsed()
}

fn floor(resources: &Resources) -> Duration {
    let start = Instant::now();
    let mut out = String::new();
    for r in resources {
        istio_types::yaml::append_yaml(&mut out, r).expect("serializes");
        out.push_str("---\n");
    }
    drop(out);
    start.elapsed()
}

/// Runs `a` and `b` back to back `rounds` times (alternating the order) and prints the
/// median of `b / a` with its range.
fn ratio(
    label: &str,
    rounds: usize,
    mut a: impl FnMut() -> Duration,
    mut b: impl FnMut() -> Duration,
) {
    a();
    b();
    let mut ratios = Vec::with_capacity(rounds);
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let (x, y) = if round % 2 == 0 {
            let x = a();
            (x, b())
        } else {
            let y = b();
            (a(), y)
        };
        ta.push(x.as_secs_f64() * 1e3);
        tb.push(y.as_secs_f64() * 1e3);
        ratios.push(y.as_secs_f64() / x.as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (lo, hi) = {
        let mut r = ratios.clone();
        r.sort_by(f64::total_cmp);
        (r[0], r[r.len() - 1])
    };
    println!(
        "{label}: median ratio {:.2}x (lowest {lo:.2}x, highest {hi:.2}x, {rounds} rounds; medians {:.1} ms vs {:.1} ms)",
        median(&mut ratios),
        median(&mut tb),
        median(&mut ta),
    );
}

fn main() {
    // `cargo test --benches` runs bench targets with `--test`: nothing to check here.
    if std::env::args().any(|a| a == "--test") {
        return;
    }
    let resources = scale::mesh(1_000)
        .compile()
        .expect("the workload compiles")
        .resources;
    ratio(
        "pipeline(1,000) / floor(1,000)",
        30,
        || floor(&resources),
        || pipeline(1_000),
    );
    drop(resources);
    ratio(
        "pipeline(5,000) / pipeline(1,000)",
        10,
        || pipeline(1_000),
        || pipeline(5_000),
    );
}

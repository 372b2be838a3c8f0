//! A seeded sampler that draws requests through a decision, and what they did.

use std::collections::BTreeMap;

use serde::Serialize;

use super::decision::{Decision, Share};

/// A seeded pseudo-random source (SplitMix64): the same seed draws the same requests.
#[derive(Clone, Debug)]
pub struct Sampler {
    state: u64,
}

/// What N sampled requests did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Samples {
    /// How many requests were drawn.
    pub requests: u64,
    /// How many were delayed by an injected fault.
    pub delayed: u64,
    /// How many were answered by an injected abort (and not forwarded).
    pub aborted: u64,
    /// How many reached each destination, keyed `host`, `host/subset`, port omitted.
    pub forwarded: BTreeMap<String, u64>,
}

fn key(host: &str, subset: Option<&str>) -> String {
    match subset {
        Some(s) => format!("{host}/{s}"),
        None => host.to_string(),
    }
}

impl Samples {
    /// How many requests reached `host` (see [`Share::is`]) and `subset`.
    pub fn count(&self, host: &str, subset: Option<&str>) -> u64 {
        self.forwarded
            .iter()
            .filter(|(k, _)| {
                let (h, s) = match k.split_once('/') {
                    Some((h, s)) => (h, Some(s)),
                    None => (k.as_str(), None),
                };
                Share {
                    host: h.to_string(),
                    subset: s.map(String::from),
                    port: 0,
                    weight: 0,
                    share: 0.0,
                }
                .is(host, subset)
            })
            .map(|(_, n)| *n)
            .sum()
    }

    /// The largest distance, in standard deviations, between a count (per destination,
    /// delayed, aborted) and what the decision's shares and fault percentages predict.
    /// Each count is binomial, so with the right shares a distance over 5 happens less
    /// than once in a million draws of a test.
    pub fn max_deviation(&self, decision: &Decision) -> f64 {
        let n = self.requests as f64;
        if n == 0.0 {
            return 0.0;
        }
        let (p_delay, p_abort) = fault_probabilities(decision);
        let dist = decision.distribution();
        let mut worst: f64 = 0.0;
        let mut check = |count: u64, p: f64| {
            let expected = n * p;
            let sd = (n * p * (1.0 - p)).sqrt();
            let d = (count as f64 - expected).abs();
            let dev = if sd == 0.0 {
                if d < 0.5 { 0.0 } else { f64::INFINITY }
            } else {
                d / sd
            };
            worst = worst.max(dev);
        };
        for s in &dist.shares {
            check(
                self.count(&s.host, s.subset.as_deref()),
                (1.0 - p_abort) * s.share,
            );
        }
        check(self.delayed, p_delay);
        check(self.aborted, p_abort);
        worst
    }
}

fn fault_probabilities(decision: &Decision) -> (f64, f64) {
    let f = decision.fault.as_ref();
    (
        f.and_then(|f| f.delay.as_ref())
            .map_or(0.0, |d| d.percent / 100.0),
        f.and_then(|f| f.abort.as_ref())
            .map_or(0.0, |a| a.percent / 100.0),
    )
}

impl Sampler {
    /// A sampler starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[0, bound)`, without modulo bias worth speaking of (`bound` > 0).
    fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// A number in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Draws `n` requests through a decision, as Envoy would handle them: the delay fault
    /// and the abort fault are each drawn at their percentage, an aborted request goes
    /// nowhere, and the others pick a destination in proportion to the weights.
    pub fn sample(&mut self, decision: &Decision, n: u64) -> Samples {
        let (p_delay, p_abort) = fault_probabilities(decision);
        let dests = decision.destinations();
        let total: u64 = dests.iter().map(|d| u64::from(d.weight)).sum();
        let mut out = Samples {
            requests: n,
            ..Default::default()
        };
        for _ in 0..n {
            if p_delay > 0.0 && self.next_f64() < p_delay {
                out.delayed += 1;
            }
            if p_abort > 0.0 && self.next_f64() < p_abort {
                out.aborted += 1;
                continue;
            }
            if total == 0 {
                continue;
            }
            let mut r = self.below(total);
            for d in dests {
                let w = u64::from(d.weight);
                if r < w {
                    *out.forwarded
                        .entry(key(&d.host, d.subset.as_deref()))
                        .or_default() += 1;
                    break;
                }
                r -= w;
            }
        }
        out
    }
}

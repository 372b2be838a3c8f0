//! Injectable faults: latency on every request, and rules that answer some requests with a
//! 429, a 500 or a dropped connection.

use std::sync::Mutex;
use std::time::Duration;

/// What a fault rule does to a request it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// `429 Too Many Requests` with `Retry-After: <seconds>`.
    TooManyRequests {
        /// The `Retry-After` header, in seconds.
        retry_after_secs: u64,
    },
    /// `500 Internal Server Error` (a transient one, not a schema error).
    InternalError,
    /// `503 Service Unavailable`.
    Unavailable,
    /// The connection is closed without an answer, before the request is handled.
    Disconnect,
    /// The request is handled (and stored), then the connection is closed without an
    /// answer: the client cannot know whether its write happened.
    DisconnectAfterHandling,
    /// The answer comes this much later than usual.
    Delay(Duration),
}

/// Which requests a rule applies to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestMatch {
    /// The HTTP method (`GET`, `PATCH`, `DELETE`), any if `None`.
    pub method: Option<String>,
    /// A substring of the path, any if `None`.
    pub path_contains: Option<String>,
    /// Only dry-run requests (`Some(true)`), only real ones (`Some(false)`), or both.
    pub dry_run: Option<bool>,
    /// How the path ends (e.g. `/namespaces/shop`, which `path_contains` cannot single
    /// out from the objects in that namespace), any if `None`.
    pub path_ends_with: Option<String>,
}

impl RequestMatch {
    /// Every request.
    pub fn any() -> Self {
        Self::default()
    }

    /// Real (not dry-run) server-side-apply writes.
    pub fn writes() -> Self {
        Self {
            method: Some("PATCH".into()),
            path_contains: None,
            dry_run: Some(false),
            path_ends_with: None,
        }
    }

    /// Requests with this method.
    #[must_use]
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Requests whose path contains `s`.
    #[must_use]
    pub fn path_contains(mut self, s: &str) -> Self {
        self.path_contains = Some(s.into());
        self
    }

    /// Requests whose path ends with `s`.
    #[must_use]
    pub fn path_ends_with(mut self, s: &str) -> Self {
        self.path_ends_with = Some(s.into());
        self
    }

    /// Dry-run requests only, or real ones only.
    #[must_use]
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = Some(dry_run);
        self
    }

    fn matches(&self, method: &str, path: &str, dry_run: bool) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
            && self.dry_run.is_none_or(|d| d == dry_run)
            && self
                .path_ends_with
                .as_deref()
                .is_none_or(|p| path.ends_with(p))
    }
}

#[derive(Clone, Debug)]
struct Rule {
    fault: Fault,
    when: RequestMatch,
    skip: usize,
    times: usize,
    /// For a rule with a rate: the percentage of matching requests it hits, and its
    /// random state (xorshift, seeded: the same seed hits the same requests).
    rate: Option<(u32, u64)>,
}

/// The fault settings of a server; change them at any time through
/// [`crate::FakeApiServer::faults`].
#[derive(Debug, Default)]
pub struct Faults {
    latency: Mutex<Duration>,
    rules: Mutex<Vec<Rule>>,
}

impl Faults {
    /// Adds this much latency to every request (default: none).
    pub fn set_latency(&self, latency: Duration) {
        *self.latency.lock().unwrap_or_else(|e| e.into_inner()) = latency;
    }

    pub(crate) fn latency(&self) -> Duration {
        *self.latency.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers the next `times` requests that match `when` with `fault`.
    pub fn inject(&self, fault: Fault, when: RequestMatch, times: usize) {
        self.inject_after(fault, when, 0, times);
    }

    /// Lets `skip` matching requests through, then answers the next `times` with `fault`.
    pub fn inject_after(&self, fault: Fault, when: RequestMatch, skip: usize, times: usize) {
        self.rules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Rule {
                fault,
                when,
                skip,
                times,
                rate: None,
            });
    }

    /// Answers about `percent` % of the requests that match `when` with `fault`, at
    /// random but reproducibly for a given `seed`, until [`Faults::clear`].
    pub fn inject_rate(&self, fault: Fault, when: RequestMatch, percent: u32, seed: u64) {
        self.rules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Rule {
                fault,
                when,
                skip: 0,
                times: usize::MAX,
                rate: Some((percent.min(100), seed | 1)),
            });
    }

    /// Removes every rule (latency stays).
    pub fn clear(&self) {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The fault for this request, if a rule applies (and counts it).
    pub(crate) fn take(&self, method: &str, path: &str, dry_run: bool) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let mut hit = None;
        for rule in rules.iter_mut() {
            if rule.times == 0 || !rule.when.matches(method, path, dry_run) {
                continue;
            }
            if rule.skip > 0 {
                rule.skip -= 1;
                continue;
            }
            if let Some((percent, state)) = &mut rule.rate {
                let mut x = *state;
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *state = x;
                if x % 100 >= u64::from(*percent) {
                    continue;
                }
                hit = Some(rule.fault.clone());
                break;
            }
            rule.times -= 1;
            hit = Some(rule.fault.clone());
            break;
        }
        rules.retain(|r| r.times > 0);
        hit
    }
}

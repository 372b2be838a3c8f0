//! The readable report of a [`Decision`] (its `Display`): the request, the outcome,
//! destinations and policies, faults, warnings, then the trace.

use std::collections::BTreeMap;
use std::fmt::{self, Formatter};

use serde::Serialize;

use super::forward::{Forward, RetrySource, RoutedDestination};
use super::policy::{DestinationPolicy, PolicyLevel};
use super::{AbortWith, Decision, Fault, Outcome};
use crate::simulate::request::Entry;

/// Labels as `{k=v, k2=v2}` (`{}` when there are none), for reports and mismatches.
pub(crate) fn fmt_labels(labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return "{}".into();
    }
    let parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", parts.join(", "))
}

fn percent(p: f64) -> String {
    let s = format!("{p:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

impl fmt::Display for Decision {
    /// A readable report: the request, the outcome, destinations and policies, then the
    /// trace.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.write_request(f)?;
        match &self.route {
            Some(route) => writeln!(f, "route:    {route}")?,
            None => writeln!(f, "route:    none")?,
        }
        write_outcome(f, &self.outcome)?;
        if let Some(fault) = &self.fault {
            write_fault(f, fault)?;
        }
        if let Some(h) = &self.headers {
            writeln!(f, "headers:  {}", json(h))?;
        }
        for w in &self.warnings {
            writeln!(f, "warning:  {w}")?;
        }
        writeln!(f, "trace:")?;
        for (i, s) in self.trace.iter().enumerate() {
            writeln!(f, "  {:>2}. [{}] {}", i + 1, s.stage, s.message)?;
        }
        Ok(())
    }
}

impl Decision {
    /// The `request:` line, and the source labels when there are some.
    fn write_request(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let r = &self.request;
        let entry = match &r.entry {
            Entry::Mesh => format!("sidecar in namespace {}", r.source_namespace),
            Entry::Gateway(g) => format!("gateway {g}"),
        };
        writeln!(
            f,
            "request:  {} {}:{}{} from {entry}",
            r.method, r.routed_host, r.port, r.path
        )?;
        if !r.source_labels.is_empty() {
            writeln!(
                f,
                "          source labels {}",
                fmt_labels(&r.source_labels)
            )?;
        }
        Ok(())
    }
}

fn write_outcome(f: &mut Formatter<'_>, outcome: &Outcome) -> fmt::Result {
    match outcome {
        Outcome::Forward(fw) => write_forward(f, fw),
        Outcome::Redirect(rd) => writeln!(f, "outcome:  redirect {} to {}", rd.status, rd.location),
        Outcome::DirectResponse(dr) => {
            write!(f, "outcome:  direct response {}", dr.status)?;
            if let Some(b) = &dr.body {
                write!(f, " body {b:?}")?;
            }
            writeln!(f)
        }
        Outcome::NoRoute { reason } => writeln!(f, "outcome:  404 no route ({reason})"),
    }
}

/// A forward: its destinations, rewrites, mirrors, timeout and retries.
fn write_forward(f: &mut Formatter<'_>, fw: &Forward) -> fmt::Result {
    if fw.default_route {
        writeln!(
            f,
            "outcome:  forward (default route: no VirtualService applies)"
        )?;
    } else {
        writeln!(f, "outcome:  forward")?;
    }
    for d in &fw.destinations {
        write_destination(f, d)?;
    }
    if let Some(rw) = &fw.rewrite {
        if let Some(p) = &rw.path {
            writeln!(f, "rewrite:  path {p}")?;
        }
        if let Some(a) = &rw.authority {
            writeln!(f, "rewrite:  authority {a}")?;
        }
    }
    for m in &fw.mirrors {
        write!(f, "mirror:   {}", m.host)?;
        if let Some(s) = &m.subset {
            write!(f, " subset {s}")?;
        }
        writeln!(f, " port {} ({})", m.port, percent(m.percent))?;
    }
    match &fw.timeout {
        Some(t) => writeln!(f, "timeout:  {t}")?,
        None => writeln!(f, "timeout:  none")?,
    }
    let rt = &fw.retries;
    let from = match rt.from {
        RetrySource::MeshDefault => "mesh default",
        RetrySource::Route => "route",
    };
    if rt.attempts == 0 {
        writeln!(f, "retries:  off ({from})")
    } else {
        write!(
            f,
            "retries:  {} attempts on {} ({from})",
            rt.attempts, rt.retry_on
        )?;
        if let Some(t) = &rt.per_try_timeout {
            write!(f, ", {t} per try")?;
        }
        writeln!(f)
    }
}

fn write_destination(f: &mut Formatter<'_>, d: &RoutedDestination) -> fmt::Result {
    write!(f, "  -> {}", d.host)?;
    if let Some(s) = &d.subset {
        write!(f, " subset {s}")?;
    }
    writeln!(
        f,
        " port {}  weight {} ({})",
        d.port,
        d.weight,
        percent(d.share * 100.0)
    )?;
    if let Some(h) = &d.headers {
        writeln!(f, "       headers {}", json(h))?;
    }
    match &d.policy {
        Some(p) => write_policy(f, p),
        None => Ok(()),
    }
}

/// The DestinationRule of a destination and each of its settings with where it comes from.
fn write_policy(f: &mut Formatter<'_>, p: &DestinationPolicy) -> fmt::Result {
    writeln!(f, "       destination rule {}", p.destination_rule)?;
    if let Some(l) = &p.subset_labels {
        writeln!(f, "       subset labels {}", fmt_labels(l))?;
    }
    let mut line = |name: &str, v: Option<(String, &PolicyLevel)>| match v {
        Some((v, from)) => writeln!(f, "       {name}: {v} (from {from})"),
        None => Ok(()),
    };
    line(
        "load balancer",
        p.load_balancer.as_ref().map(|s| (json(&s.value), &s.from)),
    )?;
    line(
        "connection pool",
        p.connection_pool
            .as_ref()
            .map(|s| (json(&s.value), &s.from)),
    )?;
    line(
        "outlier detection",
        p.outlier_detection
            .as_ref()
            .map(|s| (json(&s.value), &s.from)),
    )?;
    line("tls", p.tls.as_ref().map(|s| (json(&s.value), &s.from)))?;
    line(
        "tunnel",
        p.tunnel.as_ref().map(|s| (json(&s.value), &s.from)),
    )?;
    line(
        "proxy protocol",
        p.proxy_protocol.as_ref().map(|s| (json(&s.value), &s.from)),
    )?;
    line(
        "retry budget",
        p.retry_budget.as_ref().map(|s| (json(&s.value), &s.from)),
    )
}

fn write_fault(f: &mut Formatter<'_>, fault: &Fault) -> fmt::Result {
    if let Some(d) = &fault.delay {
        writeln!(
            f,
            "fault:    delay {} for {} of requests",
            d.fixed_delay,
            percent(d.percent)
        )?;
    }
    if let Some(a) = &fault.abort {
        let what = match &a.error {
            AbortWith::HttpStatus(s) => format!("HTTP {s}"),
            AbortWith::GrpcStatus(s) => format!("gRPC {s}"),
        };
        writeln!(
            f,
            "fault:    abort with {what} for {} of requests",
            percent(a.percent)
        )?;
    }
    Ok(())
}

//! Printing results, and the exit codes they mean.

use std::io::IsTerminal as _;

use crate::apply::{self, DiffReport};

use super::args::ReportFormat;
use super::exit;

/// Prints the text, or the error; the exit code.
pub(super) fn print_or_fail(text: Result<String, String>) -> u8 {
    match text {
        Ok(t) => {
            print!("{t}");
            exit::OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::INVALID_MESH
        }
    }
}

/// Prints what `diff` found (coloured on a terminal unless `NO_COLOR`); the exit code.
pub(super) fn print_diff(report: &DiffReport, output: ReportFormat) -> u8 {
    if output == ReportFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
    } else {
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        print!("{}", report.render(colour));
    }
    if report.has_failures() {
        exit::FAILED
    } else if report.has_changes() {
        exit::DIFFERENCES
    } else {
        exit::OK
    }
}

/// Prints what `apply` or `delete` did; the exit code.
pub(super) fn print_report(report: &apply::ApplyReport, output: ReportFormat) -> u8 {
    if output == ReportFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
    } else {
        for r in report
            .results
            .iter()
            .filter(|r| r.action != apply::Action::Unchanged)
        {
            println!("{r}");
        }
        if let Some(w) = &report.wait {
            for n in &w.not_ready {
                println!("{} not ready: {}", n.resource, n.reason);
            }
        }
        println!("{}", report.summary());
    }
    if report.stopped.is_some() || report.failed().next().is_some() {
        exit::FAILED
    } else if report.wait.as_ref().is_some_and(|w| !w.is_ready()) {
        exit::NOT_READY
    } else {
        exit::OK
    }
}

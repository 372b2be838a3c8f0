//! Durations and percentages.

use super::Check;

/// A duration Istio's webhook accepts: at least 1ms, in whole milliseconds.
pub(crate) fn validate_duration(d: &istio_types::Duration) -> Check {
    let n = d.as_nanos();
    if n < 1_000_000 {
        return Err(format!("duration {d} must be at least 1ms"));
    }
    if n % 1_000_000 != 0 {
        return Err(format!(
            "duration {d}: only durations to ms precision are supported"
        ));
    }
    Ok(())
}

/// A percentage: 0, or from 0.0001 to 100.
pub(crate) fn validate_percentage(v: f64) -> Check {
    if !(0.0..=100.0).contains(&v) || (v > 0.0 && v < 0.0001) {
        return Err(format!(
            "percentage {v} is neither 0 nor in the range [0.0001, 100]"
        ));
    }
    Ok(())
}

/// An integer percentage in 0..=100.
pub(crate) fn validate_percent(v: i64) -> Check {
    if !(0..=100).contains(&v) {
        return Err(format!("percentage {v} is not in the range 0..100"));
    }
    Ok(())
}

//! `exportTo` lists (who may see the object is decided by [`crate::istio::export_to`];
//! this checks the list is well formed).

use super::names::is_dns_label;
use crate::istio::export_to::{NONE, resolve};
use crate::validate::{Out, Path};

/// `exportTo`: `.`, `*`, namespaces (and `~` for a ServiceEntry), without duplicates or
/// contradictions.
pub(crate) fn validate_export_to(
    namespace: &str,
    export_to: &[String],
    service_entry: bool,
    dr_with_selector: bool,
    at: &Path,
    out: &mut Out,
) {
    if export_to.is_empty() {
        return;
    }
    let mut set: Vec<String> = Vec::new();
    for (i, e) in export_to.iter().enumerate() {
        let key = resolve(e, namespace).to_string();
        if set.contains(&key) {
            if key != *e {
                out.err(
                    &at.i(i),
                    format!(
                        "duplicate entries in exportTo: . and the current namespace {namespace}"
                    ),
                );
            } else {
                out.err(&at.i(i), format!("duplicate entry {e:?} in exportTo"));
            }
            continue;
        }
        if service_entry && e == NONE {
            set.push(key);
            continue;
        }
        let valid = match key.as_str() {
            "." | "*" => Ok(()),
            "~" => Err("exportTo ~ (no one) is only allowed on ServiceEntry".to_string()),
            k if is_dns_label(k) || (e == "." && k.is_empty()) => Ok(()),
            _ => Err(format!(
                "invalid exportTo entry {e:?}: use ., *, or a namespace name"
            )),
        };
        match valid {
            Ok(()) => set.push(key),
            Err(m) => out.err(&at.i(i), m),
        }
    }
    if dr_with_selector && !set.is_empty() {
        if set.iter().any(|s| s == namespace) {
            if set.len() > 1 {
                out.err(at, "a DestinationRule with a workload selector cannot have more than one exportTo entry");
            }
        } else {
            out.err(at, "a DestinationRule with a workload selector cannot be exported beyond its own namespace");
        }
    }
    if set.iter().any(|s| s == "*") && export_to.len() > 1 {
        out.err(at, "exportTo cannot mix public (*) with other entries");
    }
    if set.iter().any(|s| s == "~") && export_to.len() > 1 {
        out.err(
            at,
            "a ServiceEntry cannot be exported to no one (~) and to someone else",
        );
    }
}

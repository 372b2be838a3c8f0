//! The metadata annotations Istio's webhook reacts to on any kind.

use istio_types::IstioResource;

use crate::validate::{Out, Path};

/// Annotations Istio's webhook reacts to on any kind.
pub(crate) fn metadata(r: &IstioResource, out: &mut Out) {
    let annotations = &r.metadata().annotations;
    let Some(annotations) = annotations else {
        return;
    };
    let meta = Path::new("metadata");
    let at = meta.f("annotations");
    if annotations.contains_key("istio.io/alwaysReject") {
        out.err(
            &at.k("istio.io/alwaysReject"),
            "the istio.io/alwaysReject annotation makes Istio reject this object",
        );
    }
    if let Some(v) = annotations.get("istio.io/dry-run") {
        let at = at.k("istio.io/dry-run");
        match r {
            IstioResource::AuthorizationPolicy(ap) => {
                use istio_types::security::v1::AuthorizationPolicyAction as A;
                match ap.spec.action.unwrap_or_default() {
                    A::Allow | A::Deny => {
                        if !matches!(
                            v.as_str(),
                            "1" | "t"
                                | "T"
                                | "TRUE"
                                | "true"
                                | "True"
                                | "0"
                                | "f"
                                | "F"
                                | "FALSE"
                                | "false"
                                | "False"
                        ) {
                            out.err(
                                &at,
                                format!("istio.io/dry-run must be true or false, not {v:?}"),
                            );
                        }
                    }
                    other => out.err(
                        &at,
                        format!(
                            "istio.io/dry-run only supports the actions ALLOW and DENY, not {other}"
                        ),
                    ),
                }
            }
            _ => out.err(
                &at,
                "istio.io/dry-run is only supported on AuthorizationPolicy; remove it",
            ),
        }
    }
}

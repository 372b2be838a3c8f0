//! Schema findings: IST0106 for objects of Istio kinds that do not decode, and the
//! VirtualService rule checks Istio's validation reports as warnings (IST0130, IST0131).

use istio_types::{IstioResource, KindMatch};

use super::index::Index;
use super::messages::{SCHEMA_VALIDATION_ERROR, VS_INEFFECTIVE_MATCH, VS_UNREACHABLE_RULE};
use crate::diag::Diagnostic;
use crate::resources::Resource;

/// `schema.ValidationAnalyzer`: IST0106 for objects kept as JSON whose kind is an Istio
/// kind (or in an Istio API group) but that do not decode strictly. Documents read with
/// [`super::load_stream`] are checked while reading instead.
pub(crate) fn validation(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for r in &idx.all {
        let Resource::Other(v) = r else { continue };
        if IstioResource::classify(r.api_version(), r.kind()) == KindMatch::NotIstio {
            continue;
        }
        if let Err(errs) = IstioResource::from_value(v) {
            for e in errs {
                let mut d = SCHEMA_VALIDATION_ERROR.on(r, e.kind.to_string());
                if !e.path.is_root() {
                    d = d.at(e.path.to_string());
                }
                out.push(d);
            }
        }
    }
}

/// IST0130 / IST0131: VirtualService rules that can never be used and matches that repeat
/// (or are covered by) an earlier one. The checks are validation's (Istio's webhook gives
/// the same warnings); here they carry the analyzer's levels.
pub(crate) fn virtual_service_matches(idx: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for vs in &idx.virtual_services {
        let mut found = crate::validate::Out::new(vs.res.reference());
        crate::validate::rule_warnings(vs.obj, &mut found);
        for mut d in found.diags {
            for m in [&VS_UNREACHABLE_RULE, &VS_INEFFECTIVE_MATCH] {
                if d.code == m.code {
                    d.severity = m.severity;
                }
            }
            out.push(d);
        }
    }
}

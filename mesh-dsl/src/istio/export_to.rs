//! `exportTo`: which namespaces see a VirtualService, DestinationRule, ServiceEntry or
//! Service (`networking.istio.io/exportTo` annotation).
//!
//! Entries are `.` (the object's own namespace), `*` (every namespace), `~` (no
//! namespace; ServiceEntry and Service only) or a namespace name. An empty list means
//! Istio's default, every namespace (mesh config `defaultVirtualServiceExportTo` and
//! friends default to `*`).

use std::collections::BTreeSet;

/// `.`: the object's own namespace (`visibility.Private`).
pub const PRIVATE: &str = ".";
/// `*`: every namespace (`visibility.Public`).
pub const PUBLIC: &str = "*";
/// `~`: no namespace (`visibility.None`).
pub const NONE: &str = "~";

/// Who sees an object, as istiod reads its `exportTo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Every namespace (`*`, or no `exportTo`).
    Public,
    /// No namespace (`~`).
    Nobody,
    /// These namespaces (`.` already replaced by the object's own namespace).
    Namespaces(BTreeSet<String>),
}

impl Visibility {
    /// Reads `exportTo` of an object in `namespace`: `*` anywhere wins, then `~`; the
    /// rest are namespaces, `.` standing for `namespace`.
    pub fn from_export_to(export_to: &[String], namespace: &str) -> Self {
        if export_to.is_empty() || export_to.iter().any(|e| e == PUBLIC) {
            return Self::Public;
        }
        if export_to.iter().any(|e| e == NONE) {
            return Self::Nobody;
        }
        Self::Namespaces(
            export_to
                .iter()
                .map(|e| resolve(e, namespace).to_string())
                .collect(),
        )
    }

    /// Whether a proxy in `namespace` sees the object.
    pub fn visible_to(&self, namespace: &str) -> bool {
        match self {
            Self::Public => true,
            Self::Nobody => false,
            Self::Namespaces(set) => set.contains(namespace),
        }
    }

    /// Whether only the object's own namespace `own` sees it.
    pub fn private_to(&self, own: &str) -> bool {
        matches!(self, Self::Namespaces(set) if set.len() == 1 && set.contains(own))
    }

    /// The order in which istiod lists VirtualServices for a proxy in `proxy_ns`
    /// (`PushContext.initVirtualServices`): 0 for ones exported to their own namespace,
    /// which is the proxy's, 1 for ones exported to the proxy's namespace by name, 2 for
    /// public ones; `None` when the proxy does not see it.
    pub fn rank(&self, own: &str, proxy_ns: &str) -> Option<u8> {
        match self {
            Self::Public => Some(2),
            Self::Nobody => None,
            Self::Namespaces(set) if set.contains(proxy_ns) => {
                Some(if proxy_ns == own { 0 } else { 1 })
            }
            Self::Namespaces(_) => None,
        }
    }
}

/// One `exportTo` entry with `.` replaced by `namespace`; other entries as written.
pub fn resolve<'a>(entry: &'a str, namespace: &'a str) -> &'a str {
    if entry == PRIVATE { namespace } else { entry }
}

/// The scope keys `istioctl analyze`'s analyzers file an object under (their
/// `exportToScopes`): `None` for every namespace (an empty list or one with `*`), else
/// the entries with `.` resolved, sorted and without duplicates. Unlike
/// [`Visibility::from_export_to`], `~` is kept as a key of its own, which no namespace
/// is named, so such objects only meet each other.
pub fn analysis_scopes<'a>(export_to: &'a [String], namespace: &'a str) -> Option<Vec<&'a str>> {
    if export_to.is_empty() || export_to.iter().any(|e| e == PUBLIC) {
        return None;
    }
    let mut out: Vec<&str> = export_to.iter().map(|e| resolve(e, namespace)).collect();
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// The scopes of a Service's `networking.istio.io/exportTo` annotation as the analyzers
/// read it (`getVisibleNamespacesFromExportToAnno`): `*` when it is empty, else its
/// comma-separated entries, trimmed, with `.` resolved to `namespace`.
pub fn annotation_scopes<'a>(annotation: &'a str, namespace: &'a str) -> Vec<&'a str> {
    if annotation.is_empty() {
        return vec![PUBLIC];
    }
    annotation
        .split(',')
        .map(|e| resolve(e.trim(), namespace))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    // visibility.Instance handling in model.PushContext (initVirtualServices, initServiceRegistry)
    #[test]
    fn visibility() {
        let v = Visibility::from_export_to(&list(&["."]), "shop");
        assert!(v.visible_to("shop") && !v.visible_to("other"));
        assert!(v.private_to("shop"));
        assert_eq!(v.rank("shop", "shop"), Some(0));
        let v = Visibility::from_export_to(&list(&["other"]), "shop");
        assert_eq!(v.rank("shop", "other"), Some(1));
        assert_eq!(v.rank("shop", "shop"), None);
        assert_eq!(Visibility::from_export_to(&[], "shop"), Visibility::Public);
        assert_eq!(
            Visibility::from_export_to(&list(&[".", "*"]), "shop"),
            Visibility::Public
        );
        let none = Visibility::from_export_to(&list(&["~"]), "shop");
        assert!(!none.visible_to("shop"));
        assert_eq!(none.rank("shop", "shop"), None);
    }

    // the analyzers' exportToScopes and getVisibleNamespacesFromExportToAnno
    #[test]
    fn analysis_scope_keys() {
        assert_eq!(analysis_scopes(&[], "ns"), None);
        assert_eq!(analysis_scopes(&list(&["a", "*"]), "ns"), None);
        assert_eq!(
            analysis_scopes(&list(&[".", "b", "ns"]), "ns"),
            Some(vec!["b", "ns"])
        );
        assert_eq!(analysis_scopes(&list(&["~"]), "ns"), Some(vec!["~"]));
        assert_eq!(annotation_scopes("", "ns"), ["*"]);
        assert_eq!(annotation_scopes(".,b", "ns"), ["ns", "b"]);
        // Istio trims every entry of the annotation.
        assert_eq!(annotation_scopes(" . , b", "ns"), ["ns", "b"]);
    }
}

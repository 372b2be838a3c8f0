//! Reading the Istio `CustomResourceDefinition`s.

use std::collections::BTreeMap;

use serde_json::Value;

/// One kind defined by a CRD, with the versions the API server serves for it.
#[derive(Debug, Clone, PartialEq)]
pub struct CrdKind {
    /// API group, for example `networking.istio.io`.
    pub group: String,
    /// Kind, for example `VirtualService`.
    pub kind: String,
    /// Plural resource name, for example `virtualservices`.
    pub plural: String,
    /// `Namespaced` or `Cluster`.
    pub scope: String,
    /// Names of the served versions, in the order the CRD lists them.
    pub served: Vec<String>,
    /// Name of the storage version (exactly one version is stored).
    pub storage: String,
    /// `openAPIV3Schema` of each version that has one, by version name.
    schemas: BTreeMap<String, Value>,
}

impl CrdKind {
    /// The `apiVersion` strings (`group/version`) of every served version.
    pub fn api_versions(&self) -> impl Iterator<Item = String> + '_ {
        self.served.iter().map(|v| format!("{}/{v}", self.group))
    }

    /// The `openAPIV3Schema` of `version`, served or not, if the CRD defines one.
    pub fn schema(&self, version: &str) -> Option<&Value> {
        self.schemas.get(version)
    }
}

/// The CRDs of a `crds.yaml` file, one [`CrdKind`] per CRD.
#[derive(Debug, Clone, PartialEq)]
pub struct Crds {
    kinds: Vec<CrdKind>,
}

impl Crds {
    /// Loads `crds.yaml` from the shared Istio reference data.
    ///
    /// Returns `None` when the reference data is absent (see [`crate::shared_istio_dir`]).
    ///
    /// # Panics
    ///
    /// Panics when the file exists but cannot be read or parsed: the reference data is broken.
    pub fn load() -> Option<Crds> {
        let path = crate::shared_istio_dir()?.join("crds.yaml");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        Some(Crds::from_yaml(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
    }

    /// Parses a multi-document YAML stream of `CustomResourceDefinition`s.
    ///
    /// Documents that are empty or of another kind are ignored. Kinds are sorted by group, then
    /// kind, so that iteration is deterministic.
    ///
    /// # Errors
    ///
    /// Returns a message when the YAML does not parse or a CRD lacks a required field.
    pub fn from_yaml(src: &str) -> Result<Crds, String> {
        let docs: Vec<Value> =
            serde_saphyr::from_str_multiple(src).map_err(|e| format!("invalid YAML: {e}"))?;
        let mut kinds = Vec::new();
        for (index, doc) in docs.iter().enumerate() {
            if doc.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
                continue;
            }
            kinds.push(parse_crd(doc).map_err(|e| format!("document {index}: {e}"))?);
        }
        kinds.sort_by(|a, b| (&a.group, &a.kind).cmp(&(&b.group, &b.kind)));
        Ok(Crds { kinds })
    }

    /// Every kind, sorted by group and kind.
    pub fn kinds(&self) -> impl Iterator<Item = &CrdKind> {
        self.kinds.iter()
    }

    /// The kind `kind` of API group `group`, if one of the CRDs defines it.
    pub fn kind(&self, group: &str, kind: &str) -> Option<&CrdKind> {
        self.kinds
            .iter()
            .find(|k| k.group == group && k.kind == kind)
    }

    /// The `openAPIV3Schema` of `group/version` `kind`, as written in the CRD.
    ///
    /// Returns `None` for an unknown kind, an unknown version, or a version that is not served.
    pub fn schema(&self, group: &str, version: &str, kind: &str) -> Option<&Value> {
        let k = self.kind(group, kind)?;
        if !k.served.iter().any(|v| v == version) {
            return None;
        }
        k.schema(version)
    }
}

fn str_at<'a>(doc: &'a Value, pointer: &str) -> Result<&'a str, String> {
    doc.pointer(pointer)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("missing string {pointer}"))
}

fn parse_crd(doc: &Value) -> Result<CrdKind, String> {
    let group = str_at(doc, "/spec/group")?.to_owned();
    let kind = str_at(doc, "/spec/names/kind")?.to_owned();
    let plural = str_at(doc, "/spec/names/plural")?.to_owned();
    let scope = str_at(doc, "/spec/scope")
        .unwrap_or("Namespaced")
        .to_owned();
    let versions = doc
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{kind}: missing /spec/versions"))?;
    let mut served = Vec::new();
    let mut storage = None;
    let mut schemas = BTreeMap::new();
    for v in versions {
        let name = str_at(v, "/name")?.to_owned();
        if v.get("served").and_then(Value::as_bool) == Some(true) {
            served.push(name.clone());
        }
        if v.get("storage").and_then(Value::as_bool) == Some(true) {
            storage = Some(name.clone());
        }
        if let Some(schema) = v.pointer("/schema/openAPIV3Schema") {
            schemas.insert(name, schema.clone());
        }
    }
    let storage = storage.ok_or_else(|| format!("{kind}: no storage version"))?;
    Ok(CrdKind {
        group,
        kind,
        plural,
        scope,
        served,
        storage,
        schemas,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.io
spec:
  group: example.io
  names:
    kind: Widget
    plural: widgets
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
  - name: v0
    served: false
    storage: false
    schema:
      openAPIV3Schema:
        type: object
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: ignored
---
"#;

    #[test]
    fn parses_a_small_crd() {
        let crds = Crds::from_yaml(SMALL).unwrap();
        let kinds: Vec<_> = crds.kinds().collect();
        assert_eq!(kinds.len(), 1);
        let w = kinds[0];
        assert_eq!(
            (w.group.as_str(), w.kind.as_str()),
            ("example.io", "Widget")
        );
        assert_eq!(w.plural, "widgets");
        assert_eq!(w.served, ["v1", "v1alpha1"]);
        assert_eq!(w.storage, "v1alpha1");
        assert_eq!(
            w.api_versions().collect::<Vec<_>>(),
            ["example.io/v1", "example.io/v1alpha1"]
        );
        assert!(
            crds.schema("example.io", "v1", "Widget").unwrap()["properties"]["spec"].is_object()
        );
        assert!(
            crds.schema("example.io", "v0", "Widget").is_none(),
            "not served"
        );
        assert!(crds.schema("example.io", "v2", "Widget").is_none());
        assert!(crds.schema("other.io", "v1", "Widget").is_none());
    }

    #[test]
    fn rejects_broken_input() {
        assert!(Crds::from_yaml("a: [").is_err());
        let no_storage = SMALL.replace("storage: true", "storage: false");
        assert!(
            Crds::from_yaml(&no_storage)
                .unwrap_err()
                .contains("storage")
        );
    }

    #[test]
    fn loads_the_istio_crds() {
        let Some(crds) = crate::reference_crds("loads_the_istio_crds") else {
            return;
        };
        assert_eq!(crds.kinds().count(), 15);
        let vs = crds.kind("networking.istio.io", "VirtualService").unwrap();
        assert_eq!(vs.storage, "v1");
        assert!(vs.served.iter().any(|v| v == "v1beta1"));
        let telemetry = crds.kind("telemetry.istio.io", "Telemetry").unwrap();
        assert_eq!(telemetry.storage, "v1alpha1");
        for k in crds.kinds() {
            for v in &k.served {
                let schema = crds.schema(&k.group, v, &k.kind).unwrap();
                assert_eq!(schema["type"], "object", "{}/{v} {}", k.group, k.kind);
            }
        }
    }
}

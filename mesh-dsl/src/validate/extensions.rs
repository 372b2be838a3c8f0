//! EnvoyFilter, ProxyConfig, Telemetry, WasmPlugin and TrafficExtension, as Istio's
//! webhook checks them.

use istio_types::extensions::common::VmConfig;
use istio_types::extensions::v1alpha1::{
    EnvValueSource, TrafficExtension, TrafficExtensionImpl, TrafficSelector, WasmPlugin,
};
use istio_types::networking::v1alpha3::{
    ApplyTo, EnvoyFilter, ObjectTypeMatch, PatchContext, PatchOperation,
};
use istio_types::networking::v1beta1::ProxyConfig;
use istio_types::telemetry::v1::{CustomTag, MetricMatch, ProviderRef, TagOperation, Telemetry};

use super::common::*;
use super::{Out, Path};

const HCM: &str = "envoy.filters.network.http_connection_manager";

pub(crate) fn envoy_filter(ef: &EnvoyFilter, out: &mut Out) {
    let spec = &ef.spec;
    let at = Path::new("spec");
    out.warn(
        &at,
        "EnvoyFilter exposes Envoy internals that can change in any release; prefer other APIs and take care on upgrades",
    );
    if let Some(sel) = &spec.workload_selector {
        let before = out.diags.len();
        selector_labels(&sel.labels, &at.f("workloadSelector").f("labels"), out);
        if out.diags.len() > before {
            return;
        }
        if sel.labels.is_empty() {
            out.warn(&at.f("workloadSelector"), "workload selector without labels: the EnvoyFilter applies to every workload in the namespace");
        }
    }
    for (i, cp) in spec.config_patches.iter().enumerate() {
        let cat_config_patches = at.f("configPatches");
        let cat = cat_config_patches.i(i);
        // Istio does not check the patches of a waypoint (validateEnvoyFilter skips them).
        if cp.r#match.as_ref().and_then(|m| m.context) == Some(PatchContext::Waypoint) {
            continue;
        }
        let apply_to = cp.apply_to.unwrap_or_default();
        if apply_to == ApplyTo::Invalid {
            out.err(&cat.f("applyTo"), "applyTo is missing");
            continue;
        }
        let Some(patch) = &cp.patch else {
            out.err(&cat.f("patch"), "patch is missing");
            continue;
        };
        let op = patch.operation.unwrap_or_default();
        if op == PatchOperation::Invalid {
            out.err(&cat.f("patch").f("operation"), "patch operation is missing");
            continue;
        }
        if op != PatchOperation::Remove && patch.value.is_none() {
            out.err(
                &cat.f("patch").f("value"),
                "patch value is missing (only REMOVE takes none)",
            );
            continue;
        }
        let m = cp.r#match.as_ref();
        if let Some(v) = m
            .and_then(|m| m.proxy.as_ref())
            .and_then(|p| p.proxy_version.as_deref())
            && !v.is_empty()
        {
            // Istio warns about (and ignores) a pattern longer than 1024 characters
            // instead of compiling it.
            if v.len() > 1024 {
                out.warn(
                    &cat.f("match").f("proxy").f("proxyVersion"),
                    "a proxyVersion match longer than 1024 characters is ignored",
                );
            } else if let Err(e) = validate_go_regex(v) {
                out.err(&cat.f("match").f("proxy").f("proxyVersion"), e);
                continue;
            }
        }
        let objects = m.and_then(|m| m.object_types.as_ref());
        let mat = cat.f("match");
        match apply_to {
            ApplyTo::Listener
            | ApplyTo::FilterChain
            | ApplyTo::NetworkFilter
            | ApplyTo::HttpFilter => {
                let Some(objects) = objects else { continue };
                let ObjectTypeMatch::Listener(l) = objects else {
                    out.err(&mat, "applyTo a listener object needs a listener match");
                    continue;
                };
                let Some(filter) = l.filter_chain.as_ref().and_then(|fc| fc.filter.as_ref()) else {
                    continue;
                };
                let fat_listener = mat.f("listener");
                let fat_filter_chain = fat_listener.f("filterChain");
                let fat = fat_filter_chain.f("filter");
                if matches!(apply_to, ApplyTo::Listener | ApplyTo::FilterChain) {
                    out.warn(
                        &fat,
                        format!("a filter match has no effect with applyTo {apply_to}"),
                    );
                }
                let name = filter.name.as_deref().unwrap_or("");
                if name.is_empty() {
                    out.err(&fat.f("name"), "a filter match needs a name");
                    continue;
                }
                if let Some(sub) = &filter.sub_filter {
                    if apply_to != ApplyTo::HttpFilter {
                        out.err(
                            &fat.f("subFilter"),
                            "a subFilter match only works with applyTo HTTP_FILTER",
                        );
                        continue;
                    }
                    if name != HCM && name != "envoy.http_connection_manager" {
                        out.err(
                            &fat.f("subFilter"),
                            format!("a subFilter match needs the filter match {HCM}"),
                        );
                        continue;
                    }
                    if sub.name.as_deref().unwrap_or("").is_empty() {
                        out.err(
                            &fat.f("subFilter").f("name"),
                            "a subFilter match needs a name",
                        );
                        continue;
                    }
                }
            }
            ApplyTo::RouteConfiguration | ApplyTo::VirtualHost | ApplyTo::HttpRoute
                if objects
                    .is_some_and(|o| !matches!(o, ObjectTypeMatch::RouteConfiguration(_))) =>
            {
                out.err(
                    &mat,
                    "applyTo an HTTP route object needs a routeConfiguration match",
                );
            }
            ApplyTo::Cluster
                if objects.is_some_and(|o| !matches!(o, ObjectTypeMatch::Cluster(_))) =>
            {
                out.err(&mat, "applyTo CLUSTER needs a cluster match");
            }
            _ => {}
        }
    }
}

pub(crate) fn proxy_config(pc: &ProxyConfig, out: &mut Out) {
    let at = Path::new("spec");
    workload_selector(pc.spec.selector.as_ref(), &at.f("selector"), out);
    if pc.spec.concurrency.unwrap_or(0) < 0 {
        out.err(&at.f("concurrency"), "concurrency must not be negative");
    }
}

fn providers(list: &[ProviderRef], at: &Path, out: &mut Out) {
    if let Some(i) = list.iter().position(|p| p.name.is_empty()) {
        out.err(&at.i(i).f("name"), "a provider needs a name");
    }
}

pub(crate) fn telemetry(t: &Telemetry, out: &mut Out) {
    let spec = &t.spec;
    let at = Path::new("spec");
    policy_targets(
        spec.selector.as_ref(),
        spec.target_ref.as_ref(),
        &spec.target_refs,
        out,
    );
    for (i, m) in spec.metrics.iter().enumerate() {
        let mat_metrics = at.f("metrics");
        let mat = mat_metrics.i(i);
        providers(&m.providers, &mat.f("providers"), out);
        for (j, o) in m.overrides.iter().enumerate() {
            let oat_overrides = mat.f("overrides");
            let oat = oat_overrides.i(j);
            for (name, tag) in &o.tag_overrides {
                let tat_tag_overrides = oat.f("tagOverrides");
                let tat = tat_tag_overrides.k(name);
                if name.is_empty() {
                    out.warn(&tat, "a tag override needs a name");
                }
                match tag.operation.unwrap_or_default() {
                    TagOperation::Upsert => {
                        if tag.value.as_deref().unwrap_or("").is_empty() {
                            out.err(&tat.f("value"), "an UPSERT tag override needs a value");
                        }
                    }
                    TagOperation::Remove => {
                        if tag.value.as_deref().is_some_and(|v| !v.is_empty()) {
                            out.err(&tat.f("value"), "a REMOVE tag override takes no value");
                        }
                    }
                }
            }
            if let Some(MetricMatch::CustomMetric(c)) =
                o.r#match.as_ref().and_then(|m| m.metric_match.as_ref())
                && c.is_empty()
            {
                out.err(
                    &oat.f("match").f("customMetric"),
                    "customMetric must not be empty",
                );
            }
        }
    }
    if spec.tracing.len() > 1 {
        out.warn(
            &at.f("tracing"),
            "several tracing configurations are not supported yet",
        );
    }
    for (i, tr) in spec.tracing.iter().enumerate() {
        let tat_tracing = at.f("tracing");
        let tat = tat_tracing.i(i);
        if tr.providers.len() > 1 {
            out.warn(
                &tat.f("providers"),
                "several tracing providers are not supported yet",
            );
        }
        providers(&tr.providers, &tat.f("providers"), out);
        if let Some(p) = tr.random_sampling_percentage
            && !(0.0..=100.0).contains(&p)
        {
            out.err(
                &tat.f("randomSamplingPercentage"),
                "randomSamplingPercentage must be in the range [0, 100]",
            );
        }
        for (name, tag) in &tr.custom_tags {
            let cat_custom_tags = tat.f("customTags");
            let cat = cat_custom_tags.k(name);
            if name.is_empty() {
                out.err(&cat, "a custom tag needs a name");
            }
            match tag {
                CustomTag::Literal(l) if l.value.is_empty() => {
                    out.err(&cat.f("literal").f("value"), "a literal tag needs a value")
                }
                CustomTag::Header(h) if h.name.is_empty() => out.err(
                    &cat.f("header").f("name"),
                    "a header tag needs a header name",
                ),
                CustomTag::Environment(e) if e.name.is_empty() => out.err(
                    &cat.f("environment").f("name"),
                    "an environment tag needs a variable name",
                ),
                _ => {}
            }
        }
    }
    for (i, l) in spec.access_logging.iter().enumerate() {
        providers(
            &l.providers,
            &at.f("accessLogging").i(i).f("providers"),
            out,
        );
    }
}

/// What Istio's `strictParseURL` accepts for a Wasm module: a request URI (Go's
/// `url.ParseRequestURI`), or one once `http://` is put in front; the scheme must be
/// file, http, https, oci or none.
fn wasm_url(url: &str, at: &Path, out: &mut Out) {
    use istio_types::validate::request_uri_scheme;
    if url.is_empty() {
        out.err(at, "url must be set");
        return;
    }
    let scheme = request_uri_scheme(url)
        .or_else(|e| request_uri_scheme(&format!("http://{url}")).map_err(|_| e));
    match scheme {
        Err(e) => out.err(at, format!("failed to parse url {url:?}: {e}")),
        Ok(s) if !matches!(s.as_str(), "" | "file" | "http" | "https" | "oci") => out.err(
            at,
            format!("url scheme {s:?} is not supported; use oci, https, http or file"),
        ),
        Ok(_) => {}
    }
}

fn sha256(v: Option<&str>, at: &Path, out: &mut Out) {
    let Some(s) = v.filter(|s| !s.is_empty()) else {
        return;
    };
    if s.len() != 64 {
        out.err(at, "sha256 must be 64 characters long");
    } else if !s
        .bytes()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    {
        out.err(at, "sha256 must be 64 lowercase hexadecimal characters");
    }
}

fn vm_config(vm: Option<&VmConfig>, at: &Path, out: &mut Out) {
    let Some(vm) = vm else { return };
    let mut names: Vec<&str> = Vec::new();
    for (i, e) in vm.env.iter().enumerate() {
        let eat_env = at.f("env");
        let eat = eat_env.i(i);
        if e.name.is_empty() {
            out.err(&eat.f("name"), "an environment variable needs a name");
            return;
        }
        if e.name.len() > 256 {
            out.err(
                &eat.f("name"),
                "an environment variable name must be shorter than 256 characters",
            );
            return;
        }
        if names.contains(&e.name.as_str()) {
            out.err(
                &eat.f("name"),
                format!("duplicate environment variable {:?}", e.name),
            );
            return;
        }
        names.push(&e.name);
        if e.value_from.unwrap_or_default() != EnvValueSource::Inline
            && e.value.as_deref().is_some_and(|v| !v.is_empty())
        {
            out.err(
                &eat.f("value"),
                "value may only be set when valueFrom is INLINE",
            );
            return;
        }
    }
}

fn traffic_selectors(sel: &[TrafficSelector], at: &Path, out: &mut Out) {
    for (i, s) in sel.iter().enumerate() {
        for (j, p) in s.ports.iter().enumerate() {
            if p.number == 0 || p.number > 65535 {
                out.err(
                    &at.i(i).f("ports").i(j).f("number"),
                    format!("port {} is out of range 1..65535", p.number),
                );
                return;
            }
        }
    }
}

pub(crate) fn wasm_plugin(w: &WasmPlugin, out: &mut Out) {
    let spec = &w.spec;
    let at = Path::new("spec");
    policy_targets(
        spec.selector.as_ref(),
        spec.target_ref.as_ref(),
        &spec.target_refs,
        out,
    );
    wasm_url(&spec.url, &at.f("url"), out);
    sha256(spec.sha256.as_deref(), &at.f("sha256"), out);
    if spec
        .image_pull_secret
        .as_deref()
        .is_some_and(|s| s.len() > 253)
    {
        out.err(
            &at.f("imagePullSecret"),
            "imagePullSecret must be shorter than 253 characters",
        );
    }
    if spec.plugin_name.as_deref().is_some_and(|s| s.len() > 256) {
        out.err(
            &at.f("pluginName"),
            "pluginName must be shorter than 256 characters",
        );
    }
    vm_config(spec.vm_config.as_ref(), &at.f("vmConfig"), out);
    traffic_selectors(&spec.r#match, &at.f("match"), out);
}

/// TrafficExtension (newer than Istio's WasmPlugin checks): the same checks where the
/// fields are the same.
pub(crate) fn traffic_extension(t: &TrafficExtension, out: &mut Out) {
    let spec = &t.spec;
    let at = Path::new("spec");
    policy_targets(spec.selector.as_ref(), None, &spec.target_refs, out);
    if let Some(TrafficExtensionImpl::Wasm(w)) = &spec.implementation {
        let wat = at.f("wasm");
        wasm_url(&w.url, &wat.f("url"), out);
        sha256(w.sha256.as_deref(), &wat.f("sha256"), out);
        vm_config(w.vm_config.as_ref(), &wat.f("vmConfig"), out);
    }
    traffic_selectors(&spec.r#match, &at.f("match"), out);
}

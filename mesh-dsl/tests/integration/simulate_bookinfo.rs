//! `mesh_dsl::simulate` on Istio's own bookinfo routing files, read from
//! `../shared/istio/corpus/samples/bookinfo` (see `testkit::reference_data` when that is absent).

use std::path::PathBuf;

use mesh_dsl::Resources;
use mesh_dsl::simulate::{AbortWith, Decision, Outcome, Request, Sampler, Simulator};

/// The bookinfo Services and Deployments plus the given networking files.
fn bookinfo(test: &str, files: &[&str]) -> Option<Simulator> {
    let dir: PathBuf = testkit::reference_data(test)?.join("corpus/samples/bookinfo");
    let mut docs = Vec::new();
    let platform = "platform/kube/bookinfo.yaml".to_string();
    for f in std::iter::once(&platform).chain(
        files
            .iter()
            .map(|f| format!("networking/{f}"))
            .collect::<Vec<_>>()
            .iter(),
    ) {
        let path = dir.join(f);
        let text = std::fs::read_to_string(&path).expect("bookinfo file is readable");
        docs.extend(istio_types::document::parse_stream(&text, f).expect("bookinfo file parses"));
    }
    let sim = Simulator::new(&Resources::from_documents(docs));
    assert!(sim.warnings().is_empty(), "{:?}", sim.warnings());
    Some(sim)
}

fn run(s: &Simulator, r: Request) -> Decision {
    s.simulate(&r).expect("valid request")
}

fn subset(d: &Decision) -> &str {
    assert_eq!(d.destinations().len(), 1, "{d}");
    d.destinations()[0].subset.as_deref().unwrap_or("")
}

#[test]
fn jason_reaches_reviews_v2_and_everyone_else_v1() {
    let Some(s) = bookinfo(
        "jason_reaches_reviews_v2_and_everyone_else_v1",
        &[
            "destination-rule-all.yaml",
            "virtual-service-reviews-test-v2.yaml",
        ],
    ) else {
        return;
    };
    let jason = run(&s, Request::new("reviews").header("end-user", "jason"));
    assert_eq!(subset(&jason), "v2", "{jason}");
    let dest = &jason.destinations()[0];
    assert_eq!(dest.host, "reviews.default.svc.cluster.local");
    assert_eq!(dest.port, 9080, "the reviews Service's port");
    let labels = dest
        .policy
        .as_ref()
        .and_then(|p| p.subset_labels.clone())
        .expect("subset v2 is defined");
    assert_eq!(labels.get("version").map(String::as_str), Some("v2"));
    assert!(jason.warnings.is_empty(), "{:?}", jason.warnings);
    assert_eq!(subset(&run(&s, Request::new("reviews"))), "v1");
    assert_eq!(
        subset(&run(&s, Request::new("reviews").header("end-user", "mike"))),
        "v1"
    );
}

#[test]
fn jason_v2_others_v3() {
    let Some(s) = bookinfo(
        "jason_v2_others_v3",
        &[
            "destination-rule-all.yaml",
            "virtual-service-reviews-jason-v2-v3.yaml",
        ],
    ) else {
        return;
    };
    assert_eq!(
        subset(&run(
            &s,
            Request::new("reviews").header("end-user", "jason")
        )),
        "v2"
    );
    assert_eq!(subset(&run(&s, Request::new("reviews"))), "v3");
}

#[test]
fn weighted_files_yield_their_shares() {
    for (file, expected) in [
        (
            "virtual-service-reviews-90-10.yaml",
            [("v1", 0.9), ("v2", 0.1)],
        ),
        (
            "virtual-service-reviews-80-20.yaml",
            [("v1", 0.8), ("v2", 0.2)],
        ),
        (
            "virtual-service-reviews-v2-v3.yaml",
            [("v2", 0.5), ("v3", 0.5)],
        ),
        (
            "virtual-service-reviews-50-v3.yaml",
            [("v1", 0.5), ("v3", 0.5)],
        ),
    ] {
        let Some(s) = bookinfo(
            "weighted_files_yield_their_shares",
            &["destination-rule-all.yaml", file],
        ) else {
            return;
        };
        let req = Request::new("reviews");
        let dist = s.distribution(&req).expect("valid");
        assert_eq!(dist.shares.len(), 2, "{file}");
        for (subset, share) in expected {
            assert_eq!(
                dist.share("reviews", Some(subset)),
                share,
                "{file} {subset}"
            );
        }
        // 20,000 draws: each count within 5 standard deviations of its binomial mean.
        let d = run(&s, req);
        let samples = Sampler::new(2026).sample(&d, 20_000);
        assert!(samples.max_deviation(&d) < 5.0, "{file}: {samples:?}");
    }
}

#[test]
fn the_delay_file_delays_jason_only() {
    let Some(s) = bookinfo(
        "the_delay_file_delays_jason_only",
        &[
            "destination-rule-all.yaml",
            "virtual-service-ratings-test-delay.yaml",
        ],
    ) else {
        return;
    };
    let jason = run(&s, Request::new("ratings").header("end-user", "jason"));
    let delay = jason
        .fault
        .as_ref()
        .and_then(|f| f.delay.clone())
        .expect("jason is delayed");
    assert_eq!(delay.fixed_delay, istio_types::Duration::from_secs(7));
    assert_eq!(delay.percent, 100.0);
    assert!(jason.fault.as_ref().is_some_and(|f| f.abort.is_none()));
    assert_eq!(subset(&jason), "v1");
    let other = run(&s, Request::new("ratings").header("end-user", "mike"));
    assert!(
        other.fault.is_none(),
        "only the matched user gets the fault"
    );
    assert_eq!(subset(&other), "v1");
    let samples = Sampler::new(1).sample(&jason, 1_000);
    assert_eq!(samples.delayed, 1_000);
}

#[test]
fn the_abort_file_aborts_jason_only() {
    let Some(s) = bookinfo(
        "the_abort_file_aborts_jason_only",
        &[
            "destination-rule-all.yaml",
            "virtual-service-ratings-test-abort.yaml",
        ],
    ) else {
        return;
    };
    let jason = run(&s, Request::new("ratings").header("end-user", "jason"));
    let abort = jason
        .fault
        .as_ref()
        .and_then(|f| f.abort.clone())
        .expect("jason is aborted");
    assert_eq!(abort.error, AbortWith::HttpStatus(500));
    assert_eq!(abort.percent, 100.0);
    assert!(run(&s, Request::new("ratings")).fault.is_none());
    let samples = Sampler::new(1).sample(&jason, 1_000);
    assert_eq!((samples.aborted, samples.forwarded.len()), (1_000, 0));
}

#[test]
fn details_fault_injection_aborts_everyone() {
    let Some(s) = bookinfo(
        "details_fault_injection_aborts_everyone",
        &["fault-injection-details-v1.yaml"],
    ) else {
        return;
    };
    let d = run(&s, Request::new("details"));
    let abort = d
        .fault
        .as_ref()
        .and_then(|f| f.abort.clone())
        .expect("aborted");
    assert_eq!(
        (abort.error, abort.percent),
        (AbortWith::HttpStatus(555), 100.0)
    );
    assert_eq!(
        d.route.as_ref().map(|r| r.index),
        Some(0),
        "the first route has no match: it takes all"
    );
}

#[test]
fn all_v1_sends_every_service_to_v1_with_mtls_policies() {
    let Some(s) = bookinfo(
        "all_v1_sends_every_service_to_v1_with_mtls_policies",
        &[
            "destination-rule-all-mtls.yaml",
            "virtual-service-all-v1.yaml",
        ],
    ) else {
        return;
    };
    for svc in ["productpage", "reviews", "ratings", "details"] {
        let d = run(&s, Request::new(svc));
        assert_eq!(subset(&d), "v1", "{svc}");
        let tls = d.destinations()[0]
            .policy
            .as_ref()
            .and_then(|p| p.tls.clone())
            .expect("tls");
        assert_eq!(
            serde_json::to_value(&tls.value).unwrap_or_default()["mode"],
            "ISTIO_MUTUAL"
        );
    }
}

#[test]
fn a_subset_the_destination_rules_lack_is_flagged() {
    // virtual-service-all-v1 without any DestinationRule: every subset is missing.
    let Some(s) = bookinfo(
        "a_subset_the_destination_rules_lack_is_flagged",
        &["virtual-service-all-v1.yaml"],
    ) else {
        return;
    };
    let d = run(&s, Request::new("reviews"));
    assert!(d.destinations()[0].subset_missing, "{d}");
}

#[test]
fn the_ingress_gateway_routes_productpage_paths_only() {
    let Some(s) = bookinfo(
        "the_ingress_gateway_routes_productpage_paths_only",
        &["bookinfo-gateway.yaml", "destination-rule-all.yaml"],
    ) else {
        return;
    };
    let via = |path: &str| {
        run(
            &s,
            Request::new("bookinfo.example.com")
                .path(path)
                .via_gateway("default/bookinfo-gateway"),
        )
    };
    for path in [
        "/productpage",
        "/static/css/x.css",
        "/login",
        "/api/v1/products/1",
    ] {
        let d = via(path);
        assert_eq!(d.destinations().len(), 1, "{path}: {d}");
        let dest = &d.destinations()[0];
        assert_eq!(
            (dest.host.as_str(), dest.port),
            ("productpage.default.svc.cluster.local", 9080),
            "{path}"
        );
        assert_eq!(d.request.port, 8080, "the gateway's server port");
    }
    assert!(
        matches!(via("/productpage/extra").outcome, Outcome::NoRoute { .. }),
        "exact match only"
    );
    assert!(matches!(via("/").outcome, Outcome::NoRoute { .. }));
    // The same VirtualService does not apply inside the mesh.
    let inside = run(&s, Request::new("productpage"));
    assert!(inside.forward().is_some_and(|f| f.default_route));
}

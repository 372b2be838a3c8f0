//! `mesh_dsl::simulate`: Istio's routing rules, one test per rule, on configuration
//! written inline.

use mesh_dsl::Resources;
use mesh_dsl::simulate::{
    AbortWith, CheckResult, Decision, Outcome, PolicyLevel, Request, RetrySource, SimulateError,
    Simulator,
};

fn resources(yaml: &str) -> Resources {
    Resources::from_documents(
        istio_types::document::parse_stream(yaml, "test").expect("test YAML is valid"),
    )
}

fn sim(yaml: &str) -> Simulator {
    let s = Simulator::new(&resources(yaml));
    assert!(s.warnings().is_empty(), "{:?}", s.warnings());
    s
}

fn run(s: &Simulator, r: Request) -> Decision {
    s.simulate(&r).expect("the request is valid")
}

/// `host/subset` of the only destination.
fn target(d: &Decision) -> String {
    let dests = d.destinations();
    assert_eq!(dests.len(), 1, "one destination expected:\n{d}");
    match &dests[0].subset {
        Some(s) => format!("{}/{s}", dests[0].host),
        None => dests[0].host.clone(),
    }
}

/// The subset of the only destination.
fn subset(d: &Decision) -> String {
    let t = target(d);
    t.rsplit_once('/').map(|(_, s)| s.to_string()).unwrap_or(t)
}

fn vs(name: &str, ns: &str, body: &str) -> String {
    format!(
        "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{body}\n"
    )
}

/// A VirtualService for `reviews` in `default` whose http routes are `routes`; each route
/// sends to the subset named by its position (`r0`, `r1`...) unless it says otherwise.
fn reviews(routes: &str) -> Simulator {
    sim(&vs(
        "reviews",
        "default",
        &format!("  hosts: [reviews]\n  http:\n{routes}"),
    ))
}

#[test]
fn routes_are_tried_in_order_and_the_first_match_wins() {
    let s = reviews(
        r#"
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: reviews, subset: r0}}]
  - match: [{uri: {prefix: /api/v2}}]
    route: [{destination: {host: reviews, subset: r1}}]
  - route: [{destination: {host: reviews, subset: r2}}]
"#,
    );
    let d = run(&s, Request::new("reviews").path("/api/v2/items"));
    assert_eq!(subset(&d), "r0", "the earlier, broader route wins:\n{d}");
    assert_eq!(d.route.as_ref().map(|r| r.index), Some(0));
    assert_eq!(d.checks.len(), 1, "routes after the match are not tried");
    let d = run(&s, Request::new("reviews").path("/other"));
    assert_eq!(subset(&d), "r2");
    assert_eq!(d.checks.len(), 3);
    assert!(matches!(&d.checks[0].result, CheckResult::NotMatched(m) if m.field == "uri"));
}

#[test]
fn conditions_in_a_block_are_anded_and_blocks_are_ored() {
    let s = reviews(
        r#"
  - match:
    - {uri: {prefix: /a}, headers: {x-user: {exact: ann}}}
    route: [{destination: {host: reviews, subset: both}}]
  - match:
    - uri: {prefix: /b}
    - headers: {x-user: {exact: bob}}
    route: [{destination: {host: reviews, subset: either}}]
  - route: [{destination: {host: reviews, subset: neither}}]
"#,
    );
    let both = |path: &str, user: Option<&str>| {
        let mut r = Request::new("reviews").path(path);
        if let Some(u) = user {
            r = r.header("x-user", u);
        }
        subset(&run(&s, r))
    };
    assert_eq!(both("/a", Some("ann")), "both");
    assert_eq!(
        both("/a", None),
        "neither",
        "one condition of the block is not enough"
    );
    assert_eq!(both("/b", None), "either", "the first block alone");
    assert_eq!(both("/z", Some("bob")), "either", "the second block alone");
    assert_eq!(both("/z", Some("ann")), "neither");
    let d = run(
        &s,
        Request::new("reviews").path("/z").header("x-user", "bob"),
    );
    assert_eq!(d.route.as_ref().and_then(|r| r.match_index), Some(1));
}

#[test]
fn uri_exact_prefix_and_regex_on_the_whole_path() {
    let s = reviews(
        r#"
  - match: [{uri: {exact: /exact}}]
    route: [{destination: {host: reviews, subset: exact}}]
  - match: [{uri: {regex: "/api/v[0-9]+"}}]
    route: [{destination: {host: reviews, subset: regex}}]
  - match: [{uri: {prefix: /pre}}]
    route: [{destination: {host: reviews, subset: prefix}}]
  - route: [{destination: {host: reviews, subset: default}}]
"#,
    );
    let at = |p: &str| subset(&run(&s, Request::new("reviews").path(p)));
    assert_eq!(at("/exact"), "exact");
    assert_eq!(
        at("/exact?q=1"),
        "exact",
        "the query string is not part of the path"
    );
    assert_eq!(at("/exact/more"), "default");
    assert_eq!(at("/api/v12"), "regex");
    assert_eq!(
        at("/api/v1/users"),
        "default",
        "a regex must match the whole path (RE2 full match)"
    );
    assert_eq!(at("/x/api/v1"), "default");
    assert_eq!(at("/prefix/x"), "prefix");
    assert_eq!(at("/PRE"), "default", "case matters by default");
}

/// One route per kind of class RE2 accepts, under its own path (`/0/`, `/1/`...); each
/// request must reach its route (`r0`...) and nothing else.
#[test]
fn regexes_match_as_re2_does() {
    let cases: &[(&str, &str, &str)] = &[
        // (regex, a path it matches, a path it does not), after `/{i}/`
        (r"\pN+", "\u{663}42\u{2167}", "x"),
        (r"\p{Greek}+", "\u{3b1}\u{3c9}", "a"),
        (r"\PL", "-", "a"),
        (r"\p{Lu}\p{Ll}", "\u{c9}t", "et"),
        (r"\p{Uppercase_Letter}", "A", "a"),
        (r"\p{^Han}{3}", "abc", "ab\u{4e2d}"),
        (r"[\p{Cyrillic}\d]+", "\u{436}1", "z"),
        (r"\d\d", "42", "\u{663}\u{664}"),
        (r"\w+", "a_1", "\u{e9}"),
        (r"[[:alpha:]]+", "ab", "\u{e9}"),
        (r"(?i)kelvin", "\u{212a}ELVIN", "kelvim"),
        (r"caf.", "caf\u{e9}", "caf"),
        (r"a{,5}", "a{,5}", "aaaaa"),
        (r"v\Q1.0\E", "v1.0", "v1x0"),
    ];
    let routes: String = cases
        .iter()
        .enumerate()
        .map(|(i, (re, _, _))| {
            format!(
                "  - match: [{{uri: {{regex: '/{i}/{re}'}}}}]\n    route: [{{destination: {{host: reviews, subset: r{i}}}}}]\n"
            )
        })
        .chain(["  - route: [{destination: {host: reviews, subset: none}}]\n".to_string()])
        .collect();
    let s = reviews(&routes);
    for (i, (re, yes, no)) in cases.iter().enumerate() {
        let at = |p: &str| subset(&run(&s, Request::new("reviews").path(format!("/{i}/{p}"))));
        assert_eq!(at(yes), format!("r{i}"), "{re:?} should match {yes:?}");
        assert_eq!(at(no), "none", "{re:?} should not match {no:?}");
    }
}

#[test]
fn ignore_uri_case_folds_exact_and_prefix_but_not_regex() {
    let s = reviews(
        r#"
  - match: [{uri: {prefix: /Api}, ignoreUriCase: true}]
    route: [{destination: {host: reviews, subset: prefix}}]
  - match: [{uri: {regex: "/Login"}, ignoreUriCase: true}]
    route: [{destination: {host: reviews, subset: regex}}]
  - route: [{destination: {host: reviews, subset: default}}]
"#,
    );
    let at = |p: &str| subset(&run(&s, Request::new("reviews").path(p)));
    assert_eq!(at("/api/x"), "prefix");
    assert_eq!(at("/API/x"), "prefix");
    assert_eq!(at("/Login"), "regex");
    assert_eq!(
        at("/login"),
        "default",
        "Envoy ignores case_sensitive for regex paths"
    );
}

#[test]
fn headers_exact_prefix_regex_and_presence() {
    let s = reviews(
        r#"
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: exact}}]
  - match: [{headers: {x-version: {prefix: "2."}}}]
    route: [{destination: {host: reviews, subset: prefix}}]
  - match: [{headers: {x-id: {regex: "[0-9]{3}"}}}]
    route: [{destination: {host: reviews, subset: regex}}]
  - match: [{headers: {x-debug: {}}}]
    route: [{destination: {host: reviews, subset: present}}]
  - route: [{destination: {host: reviews, subset: default}}]
"#,
    );
    let with = |k: &str, v: &str| subset(&run(&s, Request::new("reviews").header(k, v)));
    assert_eq!(with("end-user", "jason"), "exact");
    assert_eq!(
        with("End-User", "jason"),
        "exact",
        "header names are case-insensitive"
    );
    assert_eq!(with("end-user", "Jason"), "default", "values are not");
    assert_eq!(with("x-version", "2.1"), "prefix");
    assert_eq!(with("x-id", "123"), "regex");
    assert_eq!(with("x-id", "1234"), "default");
    assert_eq!(
        with("x-debug", ""),
        "present",
        "{{}} only asks for presence"
    );
    assert_eq!(subset(&run(&s, Request::new("reviews"))), "default");
    let d = run(&s, Request::new("reviews").header("end-user", "mike"));
    match &d.checks[0].result {
        CheckResult::NotMatched(m) => {
            assert_eq!(m.field, "headers[end-user]");
            assert_eq!(m.actual.as_deref(), Some("mike"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn query_params_method_authority_and_scheme() {
    let s = reviews(
        r#"
  - match: [{queryParams: {debug: {exact: "true"}}}]
    route: [{destination: {host: reviews, subset: query}}]
  - match: [{queryParams: {page: {regex: "[0-9]+"}}}]
    route: [{destination: {host: reviews, subset: query-regex}}]
  - match: [{method: {exact: POST}}]
    route: [{destination: {host: reviews, subset: post}}]
  - match: [{authority: {prefix: reviews.internal}}]
    route: [{destination: {host: reviews, subset: authority}}]
  - match: [{scheme: {exact: https}}]
    route: [{destination: {host: reviews, subset: https}}]
  - route: [{destination: {host: reviews, subset: default}}]
"#,
    );
    let go = |r: Request| subset(&run(&s, r));
    assert_eq!(go(Request::new("reviews").path("/?debug=true")), "query");
    assert_eq!(go(Request::new("reviews").query("debug", "true")), "query");
    assert_eq!(go(Request::new("reviews").path("/?debug=false")), "default");
    assert_eq!(go(Request::new("reviews").path("/?page=42")), "query-regex");
    assert_eq!(go(Request::new("reviews").path("/?page=x42")), "default");
    assert_eq!(go(Request::new("reviews").method("POST")), "post");
    assert_eq!(go(Request::new("reviews").method("GET")), "default");
    assert_eq!(
        go(Request::new("reviews").header("host", "reviews.internal.example")),
        "authority"
    );
    assert_eq!(go(Request::new("reviews").scheme("https")), "https");
}

#[test]
fn without_headers_inverts_and_treats_a_missing_header_as_empty() {
    let s = reviews(
        r#"
  - match: [{withoutHeaders: {x-canary: {exact: "on"}}}]
    route: [{destination: {host: reviews, subset: stable}}]
  - route: [{destination: {host: reviews, subset: canary}}]
"#,
    );
    let go = |r: Request| subset(&run(&s, r));
    assert_eq!(
        go(Request::new("reviews")),
        "stable",
        "missing counts as empty, not \"on\""
    );
    assert_eq!(
        go(Request::new("reviews").header("x-canary", "off")),
        "stable"
    );
    assert_eq!(
        go(Request::new("reviews").header("x-canary", "on")),
        "canary"
    );

    let s = reviews(
        r#"
  - match: [{withoutHeaders: {x-debug: {}}}]
    route: [{destination: {host: reviews, subset: quiet}}]
  - route: [{destination: {host: reviews, subset: debug}}]
"#,
    );
    assert_eq!(subset(&run(&s, Request::new("reviews"))), "quiet");
    assert_eq!(
        subset(&run(&s, Request::new("reviews").header("x-debug", ""))),
        "debug",
        "an empty {{}} inverted means the header must be absent"
    );
}

#[test]
fn source_labels_and_source_namespace_leave_blocks_out_for_other_callers() {
    let s = reviews(
        r#"
  - match: [{sourceLabels: {app: productpage, version: v2}}]
    route: [{destination: {host: reviews, subset: from-pp}}]
  - match: [{sourceNamespace: testing}]
    route: [{destination: {host: reviews, subset: from-testing}}]
  - route: [{destination: {host: reviews, subset: default}}]
"#,
    );
    let pp = Request::new("reviews")
        .source_label("app", "productpage")
        .source_label("version", "v2")
        .source_label("extra", "ignored");
    assert_eq!(
        subset(&run(&s, pp)),
        "from-pp",
        "the route's labels are a subset of the caller's"
    );
    let d = run(
        &s,
        Request::new("reviews").source_label("app", "productpage"),
    );
    assert_eq!(subset(&d), "default");
    assert!(
        matches!(&d.checks[0].result, CheckResult::Excluded(m) if m.field == "sourceLabels"),
        "{:?}",
        d.checks
    );
    // From another namespace the short host means another service: use name.namespace.
    let t = Request::new("reviews.default").from_namespace("testing");
    let d = run(&s, t);
    assert_eq!(subset(&d), "from-testing");
    assert!(matches!(&d.checks[1].result, CheckResult::Matched));
}

#[test]
fn match_port_and_gateways_conditions() {
    let s = sim(&format!(
        "{}{}",
        vs(
            "reviews",
            "default",
            r#"  hosts: [reviews, reviews.example.com]
  gateways: [mesh, edge]
  http:
  - match: [{port: 9080}]
    route: [{destination: {host: reviews, subset: port-9080}}]
  - match: [{gateways: [edge]}]
    route: [{destination: {host: reviews, subset: from-edge}}]
  - match: [{gateways: [mesh]}]
    route: [{destination: {host: reviews, subset: from-mesh}}]"#
        ),
        r#"---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.example.com"]
"#
    ));
    assert_eq!(
        subset(&run(&s, Request::new("reviews").port(9080))),
        "port-9080"
    );
    assert_eq!(
        subset(&run(&s, Request::new("reviews").port(8080))),
        "from-mesh"
    );
    let gw = run(
        &s,
        Request::new("reviews.example.com").via_gateway("default/edge"),
    );
    assert_eq!(subset(&gw), "from-edge", "{gw}");
    assert_eq!(gw.request.port, 80, "the gateway server's port");
    assert!(matches!(&gw.checks[0].result, CheckResult::Excluded(m) if m.field == "port"));
}

#[test]
fn a_virtual_service_without_gateways_applies_to_the_mesh_only() {
    let s = sim(&format!(
        "{}{}",
        vs(
            "internal",
            "default",
            "  hosts: [\"*\"]\n  http:\n  - route: [{destination: {host: reviews, subset: internal}}]"
        ),
        r#"---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
"#
    ));
    assert_eq!(subset(&run(&s, Request::new("anything"))), "internal");
    let d = run(
        &s,
        Request::new("shop.example.com").via_gateway("default/edge"),
    );
    assert!(matches!(d.outcome, Outcome::NoRoute { .. }), "{d}");
}

#[test]
fn hosts_short_names_are_qualified_by_the_resource_namespace() {
    let s = sim(&vs(
        "reviews",
        "shop",
        "  hosts: [reviews]\n  http:\n  - route: [{destination: {host: reviews, subset: v2}}]",
    ));
    let from_shop = run(&s, Request::new("reviews").from_namespace("shop"));
    assert_eq!(target(&from_shop), "reviews.shop.svc.cluster.local/v2");
    // From another namespace `reviews` is that namespace's reviews: no VirtualService.
    let from_other = run(&s, Request::new("reviews").from_namespace("other"));
    assert_eq!(target(&from_other), "reviews.other.svc.cluster.local");
    assert!(from_other.forward().is_some_and(|f| f.default_route));
    for host in [
        "reviews.shop",
        "reviews.shop.svc",
        "reviews.shop.svc.cluster.local",
    ] {
        let d = run(&s, Request::new(host).from_namespace("other"));
        assert_eq!(target(&d), "reviews.shop.svc.cluster.local/v2", "{host}");
    }
}

#[test]
fn exact_hosts_beat_wildcards_and_specific_wildcards_beat_broad_ones() {
    let s = sim(&format!(
        "{}{}{}",
        vs(
            "any",
            "default",
            "  hosts: [\"*\"]\n  http:\n  - route: [{destination: {host: fallback.example.com}}]"
        ),
        vs(
            "wild",
            "default",
            "  hosts: [\"*.example.com\"]\n  http:\n  - route: [{destination: {host: wild.example.com}}]"
        ),
        vs(
            "exact",
            "default",
            "  hosts: [api.example.com]\n  http:\n  - route: [{destination: {host: exact.example.com}}]"
        ),
    ));
    assert_eq!(
        target(&run(&s, Request::new("api.example.com"))),
        "exact.example.com"
    );
    assert_eq!(
        target(&run(&s, Request::new("www.example.com"))),
        "wild.example.com"
    );
    assert_eq!(
        target(&run(&s, Request::new("a.b.example.com"))),
        "wild.example.com"
    );
    assert_eq!(
        target(&run(&s, Request::new("example.org"))),
        "fallback.example.com"
    );
}

#[test]
fn for_the_same_host_the_oldest_virtual_service_wins() {
    let with_time = |name: &str, time: &str, subset: &str| {
        format!(
            "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: {name}, namespace: default, creationTimestamp: \"{time}\"}}\nspec:\n  hosts: [reviews]\n  http:\n  - route: [{{destination: {{host: reviews, subset: {subset}}}}}]\n"
        )
    };
    let s = sim(&format!(
        "{}{}",
        with_time("a-newer", "2024-05-01T00:00:00Z", "newer"),
        with_time("z-older", "2024-01-01T00:00:00Z", "older")
    ));
    assert_eq!(subset(&run(&s, Request::new("reviews"))), "older");
    // Without timestamps, the name decides.
    let s = sim(&format!(
        "{}{}",
        vs(
            "b",
            "default",
            "  hosts: [reviews]\n  http:\n  - route: [{destination: {host: reviews, subset: b}}]"
        ),
        vs(
            "a",
            "default",
            "  hosts: [reviews]\n  http:\n  - route: [{destination: {host: reviews, subset: a}}]"
        ),
    ));
    assert_eq!(subset(&run(&s, Request::new("reviews"))), "a");
}

#[test]
fn a_virtual_service_that_gives_a_caller_no_route_is_ignored() {
    let s = reviews(
        r#"
  - match: [{sourceLabels: {app: tester}}]
    route: [{destination: {host: reviews, subset: test}}]
"#,
    );
    let d = run(&s, Request::new("reviews").port(9080));
    let f = d.forward().expect("forwarded");
    assert!(
        f.default_route,
        "Istio drops a VirtualService with no route for this proxy:\n{d}"
    );
    assert_eq!(target(&d), "reviews.default.svc.cluster.local");
    assert!(matches!(&d.checks[0].result, CheckResult::Excluded(_)));
    let t = run(&s, Request::new("reviews").source_label("app", "tester"));
    assert_eq!(subset(&t), "test");
}

#[test]
fn no_matching_route_is_a_404_and_no_virtual_service_is_the_default_route() {
    let s = sim(&format!(
        "{}{}",
        vs(
            "reviews",
            "default",
            "  hosts: [reviews]\n  http:\n  - match: [{uri: {prefix: /api}}]\n    route: [{destination: {host: reviews}}]"
        ),
        r#"---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
spec:
  selector: {app: ratings}
  ports: [{name: http, port: 9080}]
"#
    ));
    let d = run(&s, Request::new("reviews").path("/web"));
    assert!(
        matches!(&d.outcome, Outcome::NoRoute { .. }),
        "a VirtualService applies, none of its routes matches: 404\n{d}"
    );
    assert_eq!(
        d.virtual_service.as_ref().map(|v| v.name.as_str()),
        Some("reviews")
    );
    let r = run(&s, Request::new("ratings"));
    let f = r.forward().expect("forwarded");
    assert!(f.default_route);
    assert_eq!(target(&r), "ratings.default.svc.cluster.local");
    assert_eq!(r.request.port, 9080, "the Service's only port");
    assert_eq!(r.destinations()[0].port, 9080);
    assert_eq!(
        r.destinations()[0]
            .service
            .as_ref()
            .map(|s| s.kind.as_str()),
        Some("Service")
    );
    assert_eq!(f.retries.from, RetrySource::MeshDefault);
    assert_eq!(f.retries.attempts, 2);
    assert!(f.timeout.is_none());
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn export_to_hides_virtual_services_and_destination_rules() {
    let s = sim(&format!(
        "{}{}",
        vs(
            "reviews",
            "shop",
            "  hosts: [reviews]\n  exportTo: [\".\"]\n  http:\n  - route: [{destination: {host: reviews, subset: v2}}]"
        ),
        r#"---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec:
  host: reviews
  exportTo: ["."]
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
  subsets: [{name: v2, labels: {version: v2}}]
"#
    ));
    let inside = run(&s, Request::new("reviews").from_namespace("shop"));
    assert_eq!(subset(&inside), "v2");
    assert!(inside.destinations()[0].policy.is_some());
    let outside = run(&s, Request::new("reviews.shop").from_namespace("web"));
    assert!(
        outside.forward().is_some_and(|f| f.default_route),
        "{outside}"
    );
    assert!(
        outside.destinations()[0].policy.is_none(),
        "the DestinationRule is private too"
    );
}

const DELEGATION: &str = r#"
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root, namespace: edge}
spec:
  hosts: [bookinfo.example.com]
  http:
  - name: pp
    match: [{uri: {prefix: /productpage}}]
    timeout: 3s
    delegate: {name: productpage, namespace: team}
  - name: gone
    match: [{uri: {prefix: /hidden}}]
    delegate: {name: private, namespace: team}
  - route: [{destination: {host: fallback.team.svc.cluster.local}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: productpage, namespace: team}
spec:
  http:
  - name: v1
    match: [{uri: {exact: /productpage/v1}}]
    route: [{destination: {host: productpage, subset: v1}}]
  - name: outside
    match: [{uri: {prefix: /reviews}}]
    route: [{destination: {host: productpage, subset: never}}]
  - name: rest
    timeout: 1s
    route: [{destination: {host: productpage, subset: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: private, namespace: team}
spec:
  exportTo: ["."]
  http:
  - route: [{destination: {host: secret}}]
"#;

#[test]
fn delegate_virtual_services_are_merged_into_their_root() {
    let s = Simulator::new(&resources(DELEGATION));
    // The conflicting delegate route and the hidden delegate are reported, as Istio drops them.
    assert_eq!(s.warnings().len(), 2, "{:?}", s.warnings());
    let go = |p: &str| run(&s, Request::new("bookinfo.example.com").path(p));
    let v1 = go("/productpage/v1");
    assert_eq!(
        target(&v1),
        "productpage.team.svc.cluster.local/v1",
        "hosts qualified in the delegate's namespace"
    );
    let route = v1.route.as_ref().expect("matched");
    assert_eq!(route.virtual_service.name, "root");
    assert_eq!(route.name.as_deref(), Some("pp-v1"));
    assert_eq!(
        route
            .delegate
            .as_ref()
            .map(|d| d.virtual_service.name.as_str()),
        Some("productpage")
    );
    assert_eq!(
        v1.forward().and_then(|f| f.timeout.clone()),
        Some(istio_types::Duration::from_secs(3)),
        "timeout inherited from the root"
    );
    let rest = go("/productpage/other");
    assert_eq!(
        subset(&rest),
        "v2",
        "the delegate's catch-all is limited to the root's prefix"
    );
    assert_eq!(
        rest.forward().and_then(|f| f.timeout.clone()),
        Some(istio_types::Duration::from_secs(1)),
        "the delegate's own timeout wins"
    );
    assert_eq!(
        target(&go("/reviews")),
        "fallback.team.svc.cluster.local",
        "a delegate route outside the root's match is dropped"
    );
    assert_eq!(
        target(&go("/hidden")),
        "fallback.team.svc.cluster.local",
        "a delegate not exported to the root is ignored"
    );
}

#[test]
fn weighted_splits_give_exact_shares_and_the_sampler_draws_them() {
    let s = reviews(
        r#"
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 70}
    - {destination: {host: reviews, subset: v2}, weight: 20}
    - {destination: {host: reviews, subset: v3}, weight: 10}
    - {destination: {host: reviews, subset: v4}, weight: 0}
"#,
    );
    let req = Request::new("reviews");
    let dist = s.distribution(&req).expect("valid");
    assert_eq!(dist.shares.len(), 3, "weight 0 destinations are dropped");
    assert_eq!(dist.share("reviews", Some("v1")), 0.7);
    assert_eq!(dist.share("reviews", Some("v2")), 0.2);
    assert_eq!(dist.share("reviews.default", Some("v3")), 0.1);
    assert_eq!(dist.share("reviews", Some("v4")), 0.0);
    assert_eq!(
        mesh_dsl::simulate::distribution(
            &resources(&vs(
                "reviews",
                "default",
                "  hosts: [reviews]\n  http:\n  - route: [{destination: {host: reviews}}]"
            )),
            &req
        )
        .expect("valid")
        .share("reviews", None),
        1.0
    );

    // Each count is Binomial(N, p): sd = sqrt(N p (1 - p)), 45.8 for p = 0.7 and N = 10,000.
    // Five standard deviations is a failure rate under one in a million for any seed, so
    // this is not tuned to the seed; the seed only makes the run repeatable.
    let decision = s.simulate(&req).expect("valid");
    let n = 10_000;
    let samples = mesh_dsl::simulate::Sampler::new(42).sample(&decision, n);
    assert_eq!(samples.requests, n);
    assert_eq!(samples.forwarded.values().sum::<u64>(), n);
    assert!(samples.max_deviation(&decision) < 5.0, "{samples:?}");
    for (subset, p) in [("v1", 0.7), ("v2", 0.2), ("v3", 0.1)] {
        let count = samples.count("reviews", Some(subset)) as f64;
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        assert!((count - n as f64 * p).abs() < 5.0 * sd, "{subset}: {count}");
    }
    // Same seed, same draws.
    assert_eq!(
        mesh_dsl::simulate::Sampler::new(42).sample(&decision, n),
        samples
    );
    assert_ne!(
        mesh_dsl::simulate::Sampler::new(7).sample(&decision, n),
        samples
    );
}

#[test]
fn the_matched_route_brings_rewrites_headers_mirrors_timeout_retries_and_faults() {
    let s = reviews(
        r#"
  - match: [{uri: {prefix: /v1/}}]
    rewrite: {uri: /api/, authority: reviews.internal}
    headers:
      request: {set: {x-route: v1}, remove: [x-debug]}
      response: {add: {x-served-by: reviews}}
    mirror: {host: reviews-shadow}
    mirrorPercentage: {value: 25}
    timeout: 2s
    retries: {attempts: 3, perTryTimeout: 500ms, retryOn: "5xx,reset,503"}
    fault:
      delay: {fixedDelay: 1s, percentage: {value: 12.5}}
      abort: {httpStatus: 503, percentage: {value: 1}}
    route:
    - destination: {host: reviews, subset: v1, port: {number: 9080}}
      headers: {request: {set: {x-subset: v1}}}
  - match: [{uri: {regex: "/old/(.*)"}}]
    rewrite: {uriRegexRewrite: {match: "^/old/(.*)$", rewrite: "/new/\\1"}}
    retries: {attempts: 0}
    route: [{destination: {host: reviews}}]
  - match: [{uri: {exact: /moved}}]
    redirect: {uri: /here, authority: www.example.com, redirectCode: 302}
  - match: [{uri: {exact: /health}}]
    directResponse: {status: 200, body: {string: ok}}
"#,
    );
    let d = run(&s, Request::new("reviews").path("/v1/items?x=1"));
    let f = d.forward().expect("forwarded");
    let rw = f.rewrite.as_ref().expect("rewritten");
    assert_eq!(
        rw.path.as_deref(),
        Some("/api/items?x=1"),
        "the matched prefix is swapped"
    );
    assert_eq!(rw.authority.as_deref(), Some("reviews.internal"));
    let h = d
        .headers
        .as_ref()
        .and_then(|h| h.request.as_ref())
        .expect("request headers");
    assert_eq!(h.set.get("x-route").map(String::as_str), Some("v1"));
    assert_eq!(h.remove, ["x-debug"]);
    assert!(
        d.destinations()[0].headers.is_some(),
        "destination headers kept apart"
    );
    assert_eq!(d.destinations()[0].port, 9080);
    assert_eq!(f.mirrors.len(), 1);
    assert_eq!(
        f.mirrors[0].host,
        "reviews-shadow.default.svc.cluster.local"
    );
    assert_eq!(f.mirrors[0].percent, 25.0);
    assert_eq!(f.timeout, Some(istio_types::Duration::from_secs(2)));
    assert_eq!(f.retries.from, RetrySource::Route);
    assert_eq!(f.retries.attempts, 3);
    assert_eq!(f.retries.retry_on, "5xx,reset,retriable-status-codes");
    assert_eq!(f.retries.retriable_status_codes, [503]);
    assert_eq!(
        f.retries.per_try_timeout,
        Some(istio_types::Duration::from_millis(500))
    );
    let fault = d.fault.as_ref().expect("fault");
    let delay = fault.delay.as_ref().expect("delay");
    assert_eq!(
        (delay.fixed_delay.clone(), delay.percent),
        (istio_types::Duration::from_secs(1), 12.5)
    );
    let abort = fault.abort.as_ref().expect("abort");
    assert_eq!(
        (abort.error.clone(), abort.percent),
        (AbortWith::HttpStatus(503), 1.0)
    );

    let old = run(&s, Request::new("reviews").path("/old/a/b"));
    let f = old.forward().expect("forwarded");
    assert_eq!(
        f.rewrite.as_ref().and_then(|r| r.path.as_deref()),
        Some("/new/a/b")
    );
    assert_eq!(f.retries.attempts, 0, "attempts: 0 turns retries off");

    match run(&s, Request::new("reviews").path("/moved?q=1")).outcome {
        Outcome::Redirect(r) => {
            assert_eq!(r.status, 302);
            assert_eq!(r.location, "http://www.example.com/here?q=1");
        }
        other => panic!("{other:?}"),
    }
    match run(&s, Request::new("reviews").path("/health")).outcome {
        Outcome::DirectResponse(r) => assert_eq!((r.status, r.body.as_deref()), (200, Some("ok"))),
        other => panic!("{other:?}"),
    }
}

const POLICY: &str = r#"
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    connectionPool: {tcp: {maxConnections: 100}}
    outlierDetection: {consecutive5xxErrors: 5}
    tls: {mode: ISTIO_MUTUAL}
    portLevelSettings:
    - port: {number: 9443}
      loadBalancer: {simple: LEAST_REQUEST}
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      loadBalancer: {simple: RANDOM}
  - name: v3
    labels: {version: v3}
    trafficPolicy:
      connectionPool: {tcp: {maxConnections: 1}}
      portLevelSettings:
      - port: {number: 9080}
        outlierDetection: {consecutive5xxErrors: 1}
"#;

#[test]
fn destination_rule_policies_merge_subset_and_port_over_top_level() {
    let route = |subset: &str, port: u32| {
        format!(
            "{POLICY}{}",
            vs(
                "reviews",
                "default",
                &format!(
                    "  hosts: [reviews]\n  http:\n  - route: [{{destination: {{host: reviews, subset: {subset}, port: {{number: {port}}}}}}}]"
                )
            )
        )
    };
    let policy = |subset: &str, port: u32| {
        let s = sim(&route(subset, port));
        let d = run(&s, Request::new("reviews").port(port));
        d.destinations()[0]
            .policy
            .clone()
            .expect("a DestinationRule applies")
    };
    let lb = |p: &mesh_dsl::simulate::DestinationPolicy| {
        p.load_balancer.as_ref().map(|s| {
            (
                serde_json::to_string(&s.value).unwrap_or_default(),
                s.from.clone(),
            )
        })
    };

    // v1: the top-level policy as is.
    let p = policy("v1", 9080);
    assert_eq!(
        lb(&p),
        Some((
            r#"{"simple":"ROUND_ROBIN"}"#.into(),
            PolicyLevel::Destination
        ))
    );
    assert_eq!(
        p.subset_labels
            .as_ref()
            .and_then(|l| l.get("version"))
            .map(String::as_str),
        Some("v1")
    );
    assert!(p.tls.is_some() && p.connection_pool.is_some() && p.outlier_detection.is_some());

    // v2: the subset's load balancer replaces the top-level one; the rest is inherited.
    let p = policy("v2", 9080);
    assert_eq!(
        lb(&p),
        Some((
            r#"{"simple":"RANDOM"}"#.into(),
            PolicyLevel::Subset("v2".into())
        ))
    );
    assert_eq!(
        p.tls.as_ref().map(|s| s.from.clone()),
        Some(PolicyLevel::Destination)
    );

    // Port 9443 has a top-level port entry: it replaces the per-port settings as a whole,
    // so TLS, connection pool and outlier detection are not inherited.
    let p = policy("v1", 9443);
    assert_eq!(
        lb(&p),
        Some((
            r#"{"simple":"LEAST_REQUEST"}"#.into(),
            PolicyLevel::DestinationPort(9443)
        ))
    );
    assert!(p.tls.is_none() && p.connection_pool.is_none() && p.outlier_detection.is_none());

    // v3 on 9080: the subset's port entry replaces all four settings, even unset ones.
    let p = policy("v3", 9080);
    assert_eq!(
        p.outlier_detection.as_ref().map(|s| s.from.clone()),
        Some(PolicyLevel::SubsetPort("v3".into(), 9080))
    );
    assert!(p.load_balancer.is_none() && p.connection_pool.is_none() && p.tls.is_none());
    // v3 on another port: the subset's connection pool over the top level.
    let p = policy("v3", 7000);
    assert_eq!(
        p.connection_pool.as_ref().map(|s| s.from.clone()),
        Some(PolicyLevel::Subset("v3".into()))
    );
    assert_eq!(lb(&p).map(|l| l.1), Some(PolicyLevel::Destination));
}

#[test]
fn a_subset_no_destination_rule_defines_is_flagged() {
    let s = sim(&format!(
        "{POLICY}{}",
        vs(
            "reviews",
            "default",
            "  hosts: [reviews]\n  http:\n  - route: [{destination: {host: reviews, subset: v9}}]"
        )
    ));
    let d = run(&s, Request::new("reviews"));
    assert!(d.destinations()[0].subset_missing);
    assert!(
        d.warnings.iter().any(|w| w.contains("v9")),
        "{:?}",
        d.warnings
    );
    let ok = run(
        &sim(&format!(
            "{POLICY}{}",
            vs(
                "reviews",
                "default",
                "  hosts: [reviews]\n  http:\n  - route: [{destination: {host: reviews, subset: v1}}]"
            )
        )),
        Request::new("reviews"),
    );
    assert!(!ok.destinations()[0].subset_missing);
}

#[test]
fn destination_rules_are_looked_up_from_the_caller_namespace_first() {
    let dr = |ns: &str, lb: &str, extra: &str| {
        format!(
            "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: reviews, namespace: {ns}}}\nspec:\n  host: reviews.shop.svc.cluster.local\n{extra}  trafficPolicy: {{loadBalancer: {{simple: {lb}}}}}\n"
        )
    };
    let s = sim(&format!(
        "{}{}{}",
        dr("shop", "ROUND_ROBIN", ""),
        dr("web", "RANDOM", ""),
        dr("istio-system", "LEAST_REQUEST", "")
    ));
    let from = |ns: &str| {
        let d = run(&s, Request::new("reviews.shop").from_namespace(ns));
        d.destinations()[0]
            .policy
            .as_ref()
            .map(|p| p.destination_rule.namespace.clone().unwrap_or_default())
    };
    assert_eq!(
        from("web").as_deref(),
        Some("web"),
        "the caller's own rule first"
    );
    assert_eq!(
        from("other").as_deref(),
        Some("shop"),
        "then the service's namespace"
    );
    let s = sim(&dr("istio-system", "LEAST_REQUEST", ""));
    let d = run(
        &s,
        Request::new("reviews.shop.svc.cluster.local").from_namespace("other"),
    );
    assert_eq!(
        d.destinations()[0]
            .policy
            .as_ref()
            .and_then(|p| p.destination_rule.namespace.clone())
            .as_deref(),
        Some("istio-system"),
        "then the root namespace"
    );
}

const GATEWAY: &str = r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["shop/*.example.com"]
    tls: {httpsRedirect: true}
  - port: {number: 8080, name: http-alt, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [www.example.com]
  gateways: [istio-system/public]
  http:
  - route: [{destination: {host: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: shop}
spec:
  hosts: ["*"]
  gateways: [istio-system/public]
  http:
  - route: [{destination: {host: catch-all}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api-v2, namespace: shop}
spec:
  hosts: [www.example.com]
  gateways: [istio-system/public]
  http:
  - match: [{uri: {prefix: /v2}}]
    route: [{destination: {host: api-v2}}]
"#;

#[test]
fn gateways_bind_virtual_services_by_server_host_and_merge_them_per_host() {
    let s = sim(GATEWAY);
    let via = |host: &str, port: u32, path: &str| {
        run(
            &s,
            Request::new(host)
                .port(port)
                .path(path)
                .via_gateway("istio-system/public"),
        )
    };
    // Port 8080 serves every host. www.example.com has two VirtualServices: their routes
    // are merged, and `web`'s route that matches everything goes after `api-v2`'s.
    let d = via("www.example.com", 8080, "/v2/x");
    assert_eq!(target(&d), "api-v2.shop.svc.cluster.local", "{d}");
    assert_eq!(
        target(&via("www.example.com", 8080, "/")),
        "web.shop.svc.cluster.local"
    );
    assert_eq!(
        target(&via("other.org", 8080, "/")),
        "catch-all.shop.svc.cluster.local"
    );
    // Port 80 redirects to https.
    match via("www.example.com", 80, "/a?b=1").outcome {
        Outcome::Redirect(r) => assert_eq!(
            (r.status, r.location.as_str()),
            (301, "https://www.example.com/a?b=1")
        ),
        other => panic!("{other:?}"),
    }
    let https = run(
        &s,
        Request::new("www.example.com")
            .port(80)
            .scheme("https")
            .via_gateway("istio-system/public"),
    );
    assert_eq!(target(&https), "web.shop.svc.cluster.local");
    // Port 80 only takes *.example.com from namespace shop.
    assert!(matches!(
        via("other.org", 80, "/").outcome,
        Outcome::NoRoute { .. }
    ));
    // No server on this port.
    assert!(matches!(
        via("www.example.com", 9999, "/").outcome,
        Outcome::NoRoute { .. }
    ));
}

#[test]
fn invalid_requests_and_unknown_gateways_are_errors() {
    let s = sim(GATEWAY);
    assert!(matches!(
        s.simulate(&Request::new("")),
        Err(SimulateError::InvalidRequest { field: "host", .. })
    ));
    assert!(matches!(
        s.simulate(&Request::new("a").port(0)),
        Err(SimulateError::InvalidRequest { field: "port", .. })
    ));
    assert!(matches!(
        s.simulate(&Request::new("a").path("no-slash")),
        Err(SimulateError::InvalidRequest { field: "path", .. })
    ));
    match s.simulate(&Request::new("a").via_gateway("istio-system/private")) {
        Err(SimulateError::UnknownGateway { gateway, known }) => {
            assert_eq!(gateway, "istio-system/private");
            assert_eq!(known, ["istio-system/public"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_regexes_never_match_and_are_reported() {
    let s = Simulator::new(&resources(&vs(
        "reviews",
        "default",
        "  hosts: [reviews]\n  http:\n  - match: [{uri: {regex: \"(\"}}]\n    route: [{destination: {host: reviews, subset: bad}}]\n  - route: [{destination: {host: reviews, subset: ok}}]",
    )));
    assert_eq!(s.warnings().len(), 1);
    assert!(
        s.warnings()[0].contains("does not compile"),
        "{:?}",
        s.warnings()
    );
    assert_eq!(subset(&run(&s, Request::new("reviews").path("/("))), "ok");
}

#[test]
fn decisions_print_for_people_and_serialize_for_tools() {
    let s = reviews(
        r#"
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: reviews, subset: v1}}]
"#,
    );
    let d = run(&s, Request::new("reviews").header("end-user", "jason"));
    let text = d.to_string();
    assert!(
        text.contains("route:    VirtualService default/reviews http[0] match[0]"),
        "{text}"
    );
    assert!(
        text.contains("-> reviews.default.svc.cluster.local subset v2 port 80"),
        "{text}"
    );
    let json = serde_json::to_value(&d).expect("serializes");
    assert_eq!(json["outcome"]["action"], "forward");
    assert_eq!(json["outcome"]["destinations"][0]["subset"], "v2");
    assert_eq!(json["checks"][0]["result"], "matched");
}

//! The scale workload: the reviewed N=2 output, the document count, and the schemas.

#[test]
fn two_services_match_the_reviewed_snapshot_and_the_workload_shape() {
    let compiled = scale::mesh(2).compile().unwrap_or_else(|e| panic!("{e}"));
    assert!(compiled.warnings.is_empty(), "{}", compiled.warnings);
    let r = &compiled.resources;
    assert_eq!(r.len(), 2 + 5 * 2, "2 + 5N documents");
    let yaml = mesh_dsl::render::to_yaml(r).unwrap();
    testkit::snapshot_settings().bind(|| insta::assert_snapshot!("scale_services_2", yaml));
    for doc in r {
        if let Some(p) = testkit::document_problems(&doc.to_json()) {
            panic!("{} {} {p}", doc.kind(), doc.name());
        }
    }
    let vs = r
        .find("VirtualService", Some("shop"), "svc-1")
        .unwrap()
        .to_json();
    assert_eq!(vs["spec"]["http"][1]["route"][0]["weight"], 90);
    assert_eq!(vs["spec"]["http"][1]["fault"]["delay"]["fixedDelay"], "5s");
    let dep = r
        .find("Deployment", Some("shop"), "svc-0-v2")
        .unwrap()
        .to_json();
    assert_eq!(
        dep["spec"]["template"]["spec"]["containers"][0]["name"],
        "app"
    );
    assert_eq!(
        dep["spec"]["template"]["spec"]["containers"][0]["image"],
        "example/svc-0:v2"
    );
}

#[test]
fn the_document_count_grows_linearly() {
    for n in [0, 1, 10, 250] {
        assert_eq!(scale::mesh(n).compile().unwrap().resources.len(), 2 + 5 * n);
    }
}

#[test]
fn the_program_writes_the_same_stream_rendered_alongside_the_checks_or_streamed() {
    // 70 services: 352 objects, enough for rendering to run beside the checks.
    let bin = env!("CARGO_BIN_EXE_scale");
    let dir = std::env::temp_dir().join(format!("scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (fast, streamed) = (dir.join("fast.yaml"), dir.join("streamed.yaml"));
    for (path, extra) in [(&fast, None), (&streamed, Some("--stream"))] {
        let out = std::process::Command::new(bin)
            .args(["--services", "70", "--out", path.to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = std::fs::read_to_string(&fast).unwrap();
    assert_eq!(text, std::fs::read_to_string(&streamed).unwrap());
    let compiled = scale::mesh(70).compile().unwrap();
    assert_eq!(compiled.resources.len(), 2 + 5 * 70);
    assert_eq!(
        text,
        mesh_dsl::render::to_yaml(&compiled.resources).unwrap()
    );
    // Standard output carries the same stream.
    let out = std::process::Command::new(bin)
        .args(["--services", "70"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), text);
    std::fs::remove_dir_all(&dir).unwrap();
    // A wrong argument is refused with the usage.
    let bad = std::process::Command::new(bin)
        .arg("--servces")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("usage: scale --services N"));
}

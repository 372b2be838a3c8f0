//! With the `kube` feature, every kind is a `kube_core::Resource`, so `kube::Api<K>` can
//! address it; the URL parts must match the CRDs exactly.

use istio_types::extensions::v1alpha1::{TrafficExtension, WasmPlugin};
use istio_types::networking::v1::{
    DestinationRule, Gateway, ServiceEntry, Sidecar, VirtualService, WorkloadEntry, WorkloadGroup,
};
use istio_types::networking::v1alpha3::EnvoyFilter;
use istio_types::networking::v1beta1::ProxyConfig;
use istio_types::security::v1::{AuthorizationPolicy, PeerAuthentication, RequestAuthentication};
use istio_types::telemetry::v1::Telemetry;
use kube_core::Resource;

fn facts<K: Resource<DynamicType = ()>>() -> (String, String, String, String, String) {
    (
        K::group(&()).into_owned(),
        K::version(&()).into_owned(),
        K::kind(&()).into_owned(),
        K::plural(&()).into_owned(),
        K::url_path(&(), Some("shop")),
    )
}

#[test]
fn every_kind_is_a_kube_resource_matching_its_crd() {
    let all = [
        facts::<VirtualService>(),
        facts::<DestinationRule>(),
        facts::<Gateway>(),
        facts::<ServiceEntry>(),
        facts::<Sidecar>(),
        facts::<WorkloadEntry>(),
        facts::<WorkloadGroup>(),
        facts::<EnvoyFilter>(),
        facts::<ProxyConfig>(),
        facts::<AuthorizationPolicy>(),
        facts::<PeerAuthentication>(),
        facts::<RequestAuthentication>(),
        facts::<Telemetry>(),
        facts::<WasmPlugin>(),
        facts::<TrafficExtension>(),
    ];
    assert_eq!(
        all[0].4,
        "/apis/networking.istio.io/v1/namespaces/shop/virtualservices"
    );
    let Some(crds) =
        testkit::reference_crds("every_kind_is_a_kube_resource_matching_its_crd (CRD cross-check)")
    else {
        return;
    };
    assert_eq!(crds.kinds().count(), all.len(), "one Rust type per CRD");
    for (group, version, kind, plural, _) in &all {
        let crd = crds
            .kind(group, kind)
            .unwrap_or_else(|| panic!("no CRD for {group} {kind}"));
        assert_eq!(&crd.plural, plural, "{kind}");
        assert!(
            crd.served.contains(version),
            "{kind} is written at {version}, which is not served"
        );
    }
    let vs = VirtualService::new("shop", "reviews", Default::default());
    assert_eq!(vs.meta().name.as_deref(), Some("reviews"));
}

/// The Gateway API kinds: group `gateway.networking.k8s.io` (or the experimental
/// `gateway.networking.x-k8s.io`), the emitted version, the CRD's plural, and
/// `GatewayClass` cluster-scoped.
#[test]
fn gateway_api_kinds_are_kube_resources_matching_their_crds() {
    use istio_types::gateway_api::v1::{
        BackendTlsPolicy, Gateway as K8sGateway, GatewayClass, GrpcRoute, HttpRoute,
        ReferenceGrant, TcpRoute, TlsRoute,
    };
    use istio_types::gateway_api::v1alpha1::XBackendTrafficPolicy;
    assert_eq!(
        facts::<HttpRoute>(),
        (
            "gateway.networking.k8s.io".into(),
            "v1".into(),
            "HTTPRoute".into(),
            "httproutes".into(),
            "/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes".into()
        )
    );
    for (kind, plural) in [
        (facts::<K8sGateway>(), "gateways"),
        (facts::<GrpcRoute>(), "grpcroutes"),
        (facts::<TcpRoute>(), "tcproutes"),
        (facts::<TlsRoute>(), "tlsroutes"),
        (facts::<ReferenceGrant>(), "referencegrants"),
        (facts::<BackendTlsPolicy>(), "backendtlspolicies"),
    ] {
        assert_eq!(kind.3, plural);
        assert_eq!(kind.0, "gateway.networking.k8s.io");
    }
    assert_eq!(facts::<BackendTlsPolicy>().2, "BackendTLSPolicy");
    assert_eq!(
        facts::<XBackendTrafficPolicy>().0,
        "gateway.networking.x-k8s.io"
    );
    // Cluster-scoped: no namespace in the path.
    assert_eq!(
        GatewayClass::url_path(&(), None),
        "/apis/gateway.networking.k8s.io/v1/gatewayclasses"
    );
    fn same<T>(_: std::marker::PhantomData<T>, _: std::marker::PhantomData<T>) {}
    same(
        std::marker::PhantomData::<<GatewayClass as Resource>::Scope>,
        std::marker::PhantomData::<kube_core::ClusterResourceScope>,
    );
}

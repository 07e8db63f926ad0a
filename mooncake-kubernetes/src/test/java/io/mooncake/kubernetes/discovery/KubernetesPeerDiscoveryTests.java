package io.mooncake.kubernetes.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Peer discovery against fabric8's mock API server (CRUD mode; CI has no cluster), with the
 * EndpointSlices the EndpointSlice controller writes for a StatefulSet's headless Service.
 */
class KubernetesPeerDiscoveryTests {

    static final String NS = "inference";

    static final String SERVICE = "mooncake-sample";

    KubernetesMockServer server;

    KubernetesClient client;

    @BeforeEach
    void startServer() {
        this.server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        this.server.init();
        this.client = this.server.createClient();
    }

    @AfterEach
    void stopServer() {
        this.client.close();
        this.server.destroy();
    }

    @Test
    void podsOfTheHeadlessServiceBecomePeersWithStableSegmentNames() {
        create(slice(SERVICE, "a", true, pod(2, "10.0.0.12", true), pod(0, "10.0.0.10", true), pod(1, "10.0.0.11", false)));
        create(slice("other-service", "b", true, pod(7, "10.0.0.99", true)));

        List<MooncakePeer> peers = discovery("mooncake-sample-1.mooncake-sample.inference.svc.cluster.local:12001")
            .peers();

        assertThat(peers).extracting(MooncakePeer::name)
            .containsExactly("mooncake-sample-0", "mooncake-sample-1", "mooncake-sample-2");
        MooncakePeer first = peers.get(0);
        assertThat(first.host()).isEqualTo("mooncake-sample-0.mooncake-sample.inference.svc.cluster.local");
        assertThat(first.segmentName()).isEqualTo("mooncake-sample-0.mooncake-sample.inference.svc.cluster.local:12001");
        assertThat(first.address()).isEqualTo("10.0.0.10");
        assertThat(first.httpPort()).isEqualTo(8080);
        assertThat(first.httpAddress()).isEqualTo("mooncake-sample-0.mooncake-sample.inference.svc.cluster.local:8080");
        assertThat(peers).extracting(MooncakePeer::ready).containsExactly(true, false, true);
        assertThat(peers).extracting(MooncakePeer::self).containsExactly(false, true, false);
    }

    @Test
    void withoutAHandshakePortOnTheServiceThisInstancesPortIsAssumed() {
        create(slice(SERVICE, "a", false, pod(0, "10.0.0.10", true)));

        assertThat(discovery("x:1").peers()).singleElement()
            .satisfies((p) -> assertThat(p.segmentName()).endsWith(".svc.cluster.local:15000"))
            .satisfies((p) -> assertThat(p.httpPort()).isNull());
    }

    @Test
    void aPodInTwoSlicesIsListedOnce() {
        create(slice(SERVICE, "ipv4", true, pod(0, "10.0.0.10", true)));
        create(slice(SERVICE, "ipv6", true, pod(0, "fd00::10", true)));

        assertThat(discovery("x:1").peers()).hasSize(1);
    }

    @Test
    void endpointWithoutAHostnameIsNamedByItsAddress() {
        EndpointSlice slice = slice(SERVICE, "a", true);
        slice.getEndpoints().add(new EndpointBuilder().withAddresses("fd00::7").withNewConditions().withReady(true)
            .endConditions().withNewTargetRef().withKind("Pod").withName("stray").endTargetRef().build());
        create(slice);

        assertThat(discovery("x:1").peers()).singleElement()
            .satisfies((p) -> assertThat(p.segmentName()).isEqualTo("[fd00::7]:12001"))
            .satisfies((p) -> assertThat(p.name()).isEqualTo("stray"));
    }

    @Test
    void noSlicesMeansNoPeers() {
        assertThat(discovery("x:1").peers()).isEmpty();
    }

    @Test
    void unreachableApiServerIsReportedWithWhatToCheck() {
        String url = this.client.getMasterUrl().toString();
        this.server.destroy();
        // no retries: the client's default backs off for about 30 s
        KubernetesClient gone = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl(url)
            .withRequestRetryBackoffLimit(0).withAutoConfigure(false).build()).build();
        KubernetesPeerDiscovery discovery = new KubernetesPeerDiscovery(gone, NS, SERVICE, "cluster.local", "handshake",
                "http", () -> 15000, () -> "x:1", true);

        assertThatExceptionOfType(PeerDiscoveryException.class).isThrownBy(discovery::peers)
            .withMessageContaining("cannot list the EndpointSlices of Service 'mooncake-sample' in namespace 'inference'")
            .withMessageContaining("may list endpointslices.discovery.k8s.io");
    }

    @Test
    void withAMetadataServerSegmentNamesAreTheDnsNamesAlone() {
        create(slice(SERVICE, "a", true, pod(0, "10.0.0.10", true), pod(1, "10.0.0.11", true)));

        List<MooncakePeer> peers = new KubernetesPeerDiscovery(this.client, NS, SERVICE, "cluster.local", "handshake",
                "http", () -> 15000, () -> "mooncake-sample-0.mooncake-sample.inference.svc.cluster.local", false)
            .peers();

        assertThat(peers).extracting(MooncakePeer::segmentName).containsExactly(
                "mooncake-sample-0.mooncake-sample.inference.svc.cluster.local",
                "mooncake-sample-1.mooncake-sample.inference.svc.cluster.local");
        assertThat(peers).extracting(MooncakePeer::self).containsExactly(true, false);
    }

    private KubernetesPeerDiscovery discovery(String self) {
        return new KubernetesPeerDiscovery(this.client, NS, SERVICE, "cluster.local", "handshake", "http",
                () -> 15000, () -> self, true);
    }

    private void create(EndpointSlice slice) {
        this.client.discovery().v1().endpointSlices().inNamespace(NS).resource(slice).create();
    }

    private static EndpointSlice slice(String service, String suffix, boolean ports, io.fabric8.kubernetes.api.model.discovery.v1.Endpoint... endpoints) {
        EndpointSliceBuilder b = new EndpointSliceBuilder().withNewMetadata().withName(service + "-" + suffix)
            .withNamespace(NS).addToLabels(KubernetesPeerDiscovery.SERVICE_NAME_LABEL, service).endMetadata()
            .withAddressType("IPv4")
            .withEndpoints(new java.util.ArrayList<>(List.of(endpoints)));
        if (ports) {
            b.addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
                .addNewPort().withName("handshake").withPort(12001).withProtocol("TCP").endPort()
                .addNewPort().withName("data").withPort(12002).withProtocol("TCP").endPort();
        }
        return b.build();
    }

    /** An endpoint as the controller writes it for a StatefulSet pod under publishNotReadyAddresses. */
    private static io.fabric8.kubernetes.api.model.discovery.v1.Endpoint pod(int ordinal, String ip, boolean serving) {
        return new EndpointBuilder().withAddresses(ip).withHostname(SERVICE + "-" + ordinal)
            .withNewConditions().withReady(true).withServing(serving).withTerminating(false).endConditions()
            .withNewTargetRef().withKind("Pod").withName(SERVICE + "-" + ordinal).withNamespace(NS).endTargetRef()
            .build();
    }
}

package io.mooncake.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.mooncake.autoconfigure.MooncakeProperties;
import io.mooncake.autoconfigure.metrics.MooncakeTransferMetrics;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.kubernetes.discovery.KubernetesPeerDiscovery;
import io.mooncake.kubernetes.reload.MooncakeReloadGuard;
import io.mooncake.kubernetes.reload.MooncakeReloadInfoContributor;
import io.mooncake.kubernetes.reload.ReloadDecision;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.env.Environment;

/**
 * An application with the Mooncake starter and this module, "on Kubernetes" against fabric8's
 * mock API server: its {@code mooncake.*} settings come from a ConfigMap and its shared secret
 * from a Secret through Spring Cloud Kubernetes, and when they change (reload in event mode: a
 * watch, as the manifests use)
 * what may change is applied while the rest is refused with a log line and left untouched in the
 * running engine (a real tcp engine on loopback).
 */
// args, not properties: a refresh re-reads config data in a copy of the environment that keeps
// command-line arguments but not a test's inlined properties
@SpringBootTest(classes = KubernetesConfigurationIntegrationTests.App.class,
        args = { "--spring.main.cloud-platform=kubernetes", "--spring.config.import=kubernetes:",
                "--spring.application.name=" + KubernetesConfigurationIntegrationTests.NAME,
                "--spring.cloud.kubernetes.secrets.enabled=true",
                "--spring.cloud.kubernetes.reload.enabled=true", "--spring.cloud.kubernetes.reload.mode=event",
                "--spring.cloud.kubernetes.reload.monitoring-secrets=true",
                "--mooncake.local-hostname=127.0.0.1", "--mooncake.handshake-port=0", "--mooncake.tcp-data-port=0",
                "--mooncake.kubernetes.restart-hint=kubectl rollout restart statefulset/test" })
@ExtendWith(OutputCaptureExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubernetesConfigurationIntegrationTests {

    static final String NAME = "mooncake-k8s-test";

    static final String SECRET_VALUE = "first-shared-secret-42";

    static final MockKubernetes kubernetes = new MockKubernetes();

    static {
        kubernetes.client.configMaps().resource(configMap(Map.of("mooncake.cluster-id", "k8s-test",
                "mooncake.transfer-timeout", "45s", "mooncake.metrics.max-peer-series", "3"))).create();
        kubernetes.client.secrets().resource(secret(SECRET_VALUE)).create();
        kubernetes.exportAsSystemProperties();
    }

    @Autowired
    MooncakeEngine engine;

    @Autowired
    MooncakeProperties properties;

    @Autowired
    MooncakeTransferMetrics metrics;

    @Autowired
    MooncakeReloadGuard guard;

    @Autowired
    Environment environment;

    @Autowired
    MooncakeReloadInfoContributor info;

    @Autowired
    KubernetesPeerDiscovery discovery;

    @AfterAll
    static void clearSystemProperties() {
        // the server stays up until the JVM exits: the cached context keeps polling it until then
        MockKubernetes.clearSystemProperties();
    }

    @Test
    @Order(1)
    void engineStartsWithTheSettingsOfTheConfigMap() {
        assertThat(this.engine.config().clusterId()).as("ConfigMap flat key beats application.yml")
            .isEqualTo("k8s-test");
        assertThat(this.engine.config().connectTimeout()).as("application.yml where the ConfigMap is silent")
            .isEqualTo(Duration.ofSeconds(7));
        assertThat(this.engine.config().transferTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(this.metrics.getMaxPeerSeries()).isEqualTo(3);
    }

    @Test
    @Order(2)
    void sharedSecretComesFromTheSecret() {
        assertThat(this.environment.getProperty("mooncake.auth.secret")).isEqualTo(SECRET_VALUE);
    }

    @Test
    @Order(3)
    void changedConfigMapAppliesLiveSettingsAndRefusesTheOthers(CapturedOutput output) {
        int handshakePort = this.engine.rpcPort();
        kubernetes.client.configMaps().resource(configMap(Map.of("mooncake.cluster-id", "k8s-test",
                "mooncake.transfer-timeout", "90s", "mooncake.protocol", "rdma", "mooncake.connections-per-peer", "2",
                "mooncake.handshake-port", "14001", "mooncake.metrics.max-peer-series", "7"))).update();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(output.getOut())
            .contains("Mooncake configuration: applied mooncake.metrics.max-peer-series = '7' (was '3')")
            .contains("Mooncake configuration: refused mooncake.protocol = 'rdma'")
            .contains("Mooncake configuration: refused mooncake.connections-per-peer = '2'")
            .contains("Mooncake configuration: applied mooncake.transfer-timeout = '90s'"));

        assertThat(output.getOut()).contains("refused mooncake.protocol = 'rdma' from ConfigMap " + NAME
                + " (namespace mooncake-test): it is read when the engine starts and cannot change while it runs")
            .contains("Restart to apply it: kubectl rollout restart statefulset/test");
        // the command line sets the handshake port above the ConfigMap: its effective value did not change
        assertThat(output.getOut()).doesNotContain("mooncake.handshake-port");
        assertThat(this.metrics.getMaxPeerSeries()).as("live setting applied").isEqualTo(7);
        assertThat(this.engine.config().protocol()).as("engine protocol").isEqualTo("tcp");
        assertThat(this.engine.rpcPort()).as("handshake port").isEqualTo(handshakePort);
        assertThat(this.engine.transferTimeout()).as("live setting applied").isEqualTo(Duration.ofSeconds(90));
        assertThat(this.properties.getProtocol()).as("MooncakeProperties not rebound").isEqualTo("tcp");
        assertThat(this.properties.getTransferTimeout()).isEqualTo(Duration.ofSeconds(45));
        Map<String, ReloadDecision> pending = this.guard.pendingRestart();
        assertThat(pending).containsOnlyKeys("mooncake.protocol", "mooncake.connections-per-peer");
        assertThat(pending.get("mooncake.protocol").origin()).isEqualTo("ConfigMap " + NAME + " (namespace mooncake-test)");
        assertThat(pending.get("mooncake.protocol").running()).isEqualTo("the default");
        assertThat(this.engine.config().connectionsPerPeer()).isNotEqualTo(2);

        Info.Builder info = new Info.Builder();
        this.info.contribute(info);
        assertThat(info.build().get("mooncakeReload")).asString()
            .contains("liveProperties=[mooncake.metrics.max-peer-series, mooncake.transfer-timeout]")
            .contains("mooncake.protocol=ReloadDecision[property=mooncake.protocol, running=the default, "
                    + "configured='rdma', origin=ConfigMap " + NAME + " (namespace mooncake-test), "
                    + "outcome=REFUSED_NEEDS_RESTART");
    }

    @Test
    @Order(4)
    void changedSecretIsRefusedWithoutShowingItsValue(CapturedOutput output) {
        kubernetes.client.secrets().resource(secret("rotated-secret-77")).update();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(output.getOut())
            .contains("Mooncake configuration: refused mooncake.auth.secret = ****** from Secret " + NAME));
        assertThat(output.getAll()).doesNotContain("rotated-secret-77").doesNotContain(SECRET_VALUE);
        assertThat(this.guard.pendingRestart().get("mooncake.auth.secret").configured()).isEqualTo("******");
    }

    /** A ConfigMap with one key per property, as config-examples/k8s has. */
    private static io.fabric8.kubernetes.api.model.ConfigMap configMap(Map<String, String> data) {
        return new ConfigMapBuilder().withNewMetadata().withName(NAME).endMetadata().withData(data).build();
    }

    @Test
    @Order(5)
    void peersAreDiscoveredThroughTheClientSpringCloudKubernetesConfigured() {
        kubernetes.client.discovery().v1().endpointSlices().resource(new EndpointSliceBuilder().withNewMetadata()
            .withName(NAME + "-abc").addToLabels(KubernetesPeerDiscovery.SERVICE_NAME_LABEL, NAME).endMetadata()
            .withAddressType("IPv4")
            .addNewEndpoint().withAddresses("10.1.0.7").withHostname(NAME + "-0").withNewConditions().withReady(true)
            .withServing(true).endConditions().endEndpoint()
            .addNewPort().withName("handshake").withPort(12001).endPort()
            .build()).create();

        assertThat(this.discovery.peers()).singleElement().satisfies((p) -> {
            assertThat(p.segmentName()).isEqualTo(NAME + "-0." + NAME + ".mooncake-test.svc.cluster.local:12001");
            assertThat(p.ready()).isTrue();
        });
    }

    private static io.fabric8.kubernetes.api.model.Secret secret(String value) {
        return new SecretBuilder().withNewMetadata().withName(NAME).endMetadata()
            .withData(Map.of("mooncake.auth.secret", Base64.getEncoder().encodeToString(value.getBytes())))
            .build();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }
}

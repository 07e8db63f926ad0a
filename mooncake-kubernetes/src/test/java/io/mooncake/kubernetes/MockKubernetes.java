package io.mooncake.kubernetes;

import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.HashMap;

/**
 * fabric8's mock Kubernetes API server in CRUD mode on a free loopback port: what a test creates
 * through its client is served back, label selectors and watches included. It stands in for a
 * cluster, which CI does not have. It is built on Vert.x 4, so it lives in this module, which has
 * no jetcd (Vert.x 5) on its classpath.
 */
final class MockKubernetes implements AutoCloseable {

    static final String NAMESPACE = "mooncake-test";

    final KubernetesMockServer server;

    final NamespacedKubernetesClient client;

    MockKubernetes() {
        this.server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        this.server.init();
        this.client = this.server.createClient().inNamespace(NAMESPACE);
    }

    String url() {
        return this.client.getMasterUrl().toString();
    }

    /**
     * Points Spring Cloud Kubernetes at this server. Config data is read before any
     * {@code @DynamicPropertySource} applies, so these are system properties.
     */
    void exportAsSystemProperties() {
        System.setProperty("spring.cloud.kubernetes.client.master-url", url());
        System.setProperty("spring.cloud.kubernetes.client.namespace", NAMESPACE);
        System.setProperty("kubernetes.auth.tryKubeConfig", "false");
        System.setProperty("kubernetes.auth.tryServiceAccount", "false");
        System.setProperty("kubernetes.namespace", NAMESPACE);
    }

    static void clearSystemProperties() {
        for (String p : new String[] { "spring.cloud.kubernetes.client.master-url",
                "spring.cloud.kubernetes.client.namespace", "kubernetes.auth.tryKubeConfig",
                "kubernetes.auth.tryServiceAccount", "kubernetes.namespace" }) {
            System.clearProperty(p);
        }
    }

    @Override
    public void close() {
        this.client.close();
        this.server.destroy();
    }
}

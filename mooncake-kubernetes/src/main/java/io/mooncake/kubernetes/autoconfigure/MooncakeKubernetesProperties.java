package io.mooncake.kubernetes.autoconfigure;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of Mooncake's Kubernetes support, bound to {@code mooncake.kubernetes.*}. Read at
 * startup.
 */
@ConfigurationProperties("mooncake.kubernetes")
public class MooncakeKubernetesProperties {

    /**
     * Peer discovery from the StatefulSet's headless Service.
     */
    private final Discovery discovery = new Discovery();

    /**
     * How a refused configuration change is applied, shown in the log line that refuses it. Defaults to a kubectl
     * rollout restart of this pod's StatefulSet.
     */
    private String restartHint;

    public Discovery getDiscovery() {
        return this.discovery;
    }

    public String getRestartHint() {
        return this.restartHint;
    }

    public void setRestartHint(String restartHint) {
        this.restartHint = restartHint;
    }

    /** Peer discovery from the StatefulSet's headless Service. */
    public static class Discovery {

        /**
         * Whether the pods of the headless Service are listed as Mooncake peers (needs list on
         * endpointslices.discovery.k8s.io).
         */
        private boolean enabled = true;

        /**
         * Name of the headless Service (the StatefulSet's serviceName). Defaults to spring.application.name.
         */
        private String serviceName;

        /**
         * Namespace of the Service. Defaults to the pod's own namespace.
         */
        private String namespace;

        /**
         * DNS domain of the cluster, the last part of the pods' stable names.
         */
        private String clusterDomain = "cluster.local";

        /**
         * Name of the Service port that is the Mooncake handshake port. When the Service has no port of that name, the
         * peers are assumed to listen on this instance's handshake port.
         */
        private String handshakePortName = "handshake";

        /**
         * Name of the Service port that is the application's HTTP port.
         */
        private String httpPortName = "http";

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getServiceName() {
            return this.serviceName;
        }

        public void setServiceName(String serviceName) {
            this.serviceName = serviceName;
        }

        public String getNamespace() {
            return this.namespace;
        }

        public void setNamespace(String namespace) {
            this.namespace = namespace;
        }

        public String getClusterDomain() {
            return this.clusterDomain;
        }

        public void setClusterDomain(String clusterDomain) {
            this.clusterDomain = clusterDomain;
        }

        public String getHandshakePortName() {
            return this.handshakePortName;
        }

        public void setHandshakePortName(String handshakePortName) {
            this.handshakePortName = handshakePortName;
        }

        public String getHttpPortName() {
            return this.httpPortName;
        }

        public void setHttpPortName(String httpPortName) {
            this.httpPortName = httpPortName;
        }
    }
}

package io.mooncake.kubernetes.discovery;

/**
 * One member of the Mooncake cluster as discovery sees it.
 *
 * @param name the member's name (the pod name under Kubernetes)
 * @param host the stable DNS name peers reach it at ({@code pod.service.namespace.svc.cluster-domain})
 * @param address its current IP address, or {@code null} when none is published yet
 * @param segmentName its Mooncake segment name under P2PHANDSHAKE ({@code host:handshakePort})
 * @param httpPort its application HTTP port, or {@code null} when the Service declares none
 * @param ready whether Kubernetes counts it ready (its readiness probe passes)
 * @param self whether it is this instance
 */
public record MooncakePeer(String name, String host, String address, String segmentName, Integer httpPort,
        boolean ready, boolean self) {

    /** {@code host:httpPort}, or {@code null} when no HTTP port is known. */
    public String httpAddress() {
        return (this.httpPort != null) ? this.host + ":" + this.httpPort : null;
    }
}

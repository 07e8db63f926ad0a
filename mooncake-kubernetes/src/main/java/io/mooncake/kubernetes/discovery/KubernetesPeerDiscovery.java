package io.mooncake.kubernetes.discovery;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The members of a StatefulSet, read from the EndpointSlices of its headless Service: each pod's
 * stable DNS name ({@code <pod>.<service>.<namespace>.svc.<cluster-domain>}) and its segment name:
 * under P2PHANDSHAKE that name and the Service's port named {@code handshake}; with a metadata
 * server (etcd, Redis, HTTP) the DNS name alone, which is what a pod whose
 * {@code mooncake.local-hostname} is its DNS name registers. Discovery itself needs no metadata
 * server; the pod needs {@code list} on {@code endpointslices.discovery.k8s.io} in its namespace.
 *
 * <p>The Service should set {@code publishNotReadyAddresses: true}: the pods then have DNS names
 * and appear here while they start, before their readiness probe passes ({@link MooncakePeer#ready()}
 * says which are ready). Thread-safe; every call asks the API server.
 */
public final class KubernetesPeerDiscovery implements MooncakePeerDiscovery {

    /** Label the EndpointSlice controller puts on a Service's slices. */
    public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    private static final Logger log = LoggerFactory.getLogger(KubernetesPeerDiscovery.class);

    private final KubernetesClient client;

    private final String namespace;

    private final String service;

    private final String clusterDomain;

    private final String handshakePortName;

    private final String httpPortName;

    private final IntSupplier localHandshakePort;

    private final Supplier<String> localSegmentName;

    private final boolean p2p;

    /**
     * @param client the Kubernetes client
     * @param namespace namespace of the Service
     * @param service name of the headless Service (the StatefulSet's {@code serviceName})
     * @param clusterDomain the cluster's DNS domain, usually {@code cluster.local}
     * @param handshakePortName name of the Service port that is the Mooncake handshake port
     * @param httpPortName name of the Service port that is the application's HTTP port
     * @param localHandshakePort this instance's handshake port, used when the Service names no
     *     handshake port (every pod of a StatefulSet has the same)
     * @param localSegmentName this instance's segment name, to mark it {@link MooncakePeer#self()}
     * @param p2p whether segment names carry the handshake port (P2PHANDSHAKE) or are the DNS names
     *     alone (a metadata server)
     */
    public KubernetesPeerDiscovery(KubernetesClient client, String namespace, String service, String clusterDomain,
            String handshakePortName, String httpPortName, IntSupplier localHandshakePort,
            Supplier<String> localSegmentName, boolean p2p) {
        this.client = Objects.requireNonNull(client, "client");
        this.namespace = Objects.requireNonNull(namespace, "namespace");
        this.service = Objects.requireNonNull(service, "service");
        this.clusterDomain = Objects.requireNonNull(clusterDomain, "clusterDomain");
        this.handshakePortName = handshakePortName;
        this.httpPortName = httpPortName;
        this.localHandshakePort = localHandshakePort;
        this.localSegmentName = localSegmentName;
        this.p2p = p2p;
    }

    /** Namespace of the Service. */
    public String namespace() {
        return this.namespace;
    }

    /** Name of the headless Service. */
    public String service() {
        return this.service;
    }

    @Override
    public List<MooncakePeer> peers() {
        List<EndpointSlice> slices;
        try {
            slices = this.client.discovery().v1().endpointSlices().inNamespace(this.namespace)
                .withLabel(SERVICE_NAME_LABEL, this.service).list().getItems();
        } catch (KubernetesClientException ex) {
            throw new PeerDiscoveryException("cannot list the EndpointSlices of Service '" + this.service
                    + "' in namespace '" + this.namespace + "' (HTTP " + ex.getCode() + "): " + ex.getMessage()
                    + "; check that the Service exists (mooncake.kubernetes.discovery.service-name) and that the pod's"
                    + " ServiceAccount may list endpointslices.discovery.k8s.io", ex);
        }
        String self = this.localSegmentName.get();
        Map<String, MooncakePeer> byName = new LinkedHashMap<>();
        for (EndpointSlice slice : slices) {
            Integer handshake = port(slice, this.handshakePortName);
            Integer http = port(slice, this.httpPortName);
            int handshakePort = (handshake != null) ? handshake : this.localHandshakePort.getAsInt();
            for (Endpoint endpoint : nullSafe(slice.getEndpoints())) {
                MooncakePeer peer = peer(endpoint, handshakePort, http, self);
                if (peer != null) {
                    // a pod appears in several slices with dual-stack Services: keep the first
                    byName.putIfAbsent(peer.name(), peer);
                }
            }
        }
        List<MooncakePeer> peers = new ArrayList<>(byName.values());
        peers.sort(Comparator.comparing(MooncakePeer::name));
        log.debug("Service {}/{}: {} Mooncake peers {}", this.namespace, this.service, peers.size(), peers);
        return peers;
    }

    private MooncakePeer peer(Endpoint endpoint, int handshakePort, Integer httpPort, String self) {
        List<String> addresses = nullSafe(endpoint.getAddresses());
        String address = addresses.isEmpty() ? null : addresses.get(0);
        String hostname = endpoint.getHostname();
        String podName = (endpoint.getTargetRef() != null) ? endpoint.getTargetRef().getName() : hostname;
        String host;
        if (hostname != null && !hostname.isBlank()) {
            // the DNS name a StatefulSet pod gets from its headless Service (spec.serviceName)
            host = hostname + "." + this.service + "." + this.namespace + ".svc." + this.clusterDomain;
        } else if (address != null) {
            // not a StatefulSet pod of this Service: no stable name exists, only the address
            host = address.contains(":") ? "[" + address + "]" : address;
        } else {
            return null;
        }
        String name = (podName != null) ? podName : host;
        String segmentName = this.p2p ? host + ":" + handshakePort : host;
        EndpointConditions conditions = endpoint.getConditions();
        boolean ready = conditions == null || conditions.getReady() == null || conditions.getReady();
        if (conditions != null && conditions.getServing() != null) {
            // with publishNotReadyAddresses the ready condition is always true; serving is the probe's answer
            ready = conditions.getServing();
        }
        return new MooncakePeer(name, host, address, segmentName, httpPort, ready, segmentName.equals(self));
    }

    private static Integer port(EndpointSlice slice, String name) {
        if (name == null) {
            return null;
        }
        for (EndpointPort port : nullSafe(slice.getPorts())) {
            if (name.equals(port.getName())) {
                return port.getPort();
            }
        }
        return null;
    }

    private static <T> List<T> nullSafe(List<T> list) {
        return (list != null) ? list : List.of();
    }

    @Override
    public String toString() {
        return "Kubernetes Service " + this.namespace + "/" + this.service;
    }
}

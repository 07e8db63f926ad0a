package io.mooncake.sample;

import io.mooncake.engine.api.TransferEngine;
import io.mooncake.kubernetes.discovery.MooncakePeer;
import io.mooncake.kubernetes.discovery.MooncakePeerDiscovery;
import io.mooncake.kubernetes.discovery.PeerDiscoveryException;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Profile;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /peers}: the other instances of this cluster, found without a metadata server (under
 * Kubernetes: the pods of the StatefulSet's headless Service), each with its segment name, the
 * HTTP address to use in {@code /peers/{peer}/blocks/{id}}, and whether this engine reaches its
 * handshake port now.
 */
@RestController
@Profile("!no-mooncake")
public class PeersController {

    private final ObjectProvider<MooncakePeerDiscovery> discovery;

    private final TransferEngine engine;

    public PeersController(ObjectProvider<MooncakePeerDiscovery> discovery, TransferEngine engine) {
        this.discovery = discovery;
        this.engine = engine;
    }

    /**
     * The peers, this instance included ({@code self}).
     *
     * @param probe whether to probe each other ready peer's handshake port through the engine
     */
    @GetMapping("/peers")
    List<PeerView> peers(@RequestParam(defaultValue = "true") boolean probe) {
        MooncakePeerDiscovery source = this.discovery.getIfAvailable();
        if (source == null) {
            throw new NoDiscoveryException();
        }
        return source.peers().stream().map((p) -> view(p, probe)).toList();
    }

    private PeerView view(MooncakePeer peer, boolean probe) {
        Boolean reachable = null;
        if (peer.self()) {
            reachable = true;
        } else if (probe && peer.ready()) {
            reachable = this.engine.probe(peer.segmentName());
        }
        return new PeerView(peer.name(), peer.segmentName(), peer.httpAddress(), peer.address(), peer.ready(),
                peer.self(), reachable);
    }

    @ExceptionHandler(NoDiscoveryException.class)
    ProblemDetail noDiscovery() {
        return ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, "peer discovery runs under Kubernetes (the pods "
                + "of the headless Service, see docs/kubernetes.md); elsewhere name peers by host:port");
    }

    @ExceptionHandler(PeerDiscoveryException.class)
    ProblemDetail discoveryFailed(PeerDiscoveryException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_GATEWAY, ex.getMessage());
    }

    /**
     * One peer as {@code GET /peers} shows it.
     *
     * @param name pod name
     * @param segment Mooncake segment name (stable DNS name and handshake port)
     * @param http {@code host:port} of its HTTP API, for {@code /peers/{peer}/blocks/{id}}
     * @param address its IP address now
     * @param ready whether Kubernetes counts it ready
     * @param self whether it is this instance
     * @param reachable whether this engine's probe of its handshake port answered; {@code null} when not probed
     */
    public record PeerView(String name, String segment, String http, String address, boolean ready, boolean self,
            Boolean reachable) {
    }

    /** No discovery runs here. */
    static class NoDiscoveryException extends RuntimeException {

        private static final long serialVersionUID = 1L;
    }
}

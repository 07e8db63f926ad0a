package io.mooncake.engine.metadata.p2p;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.SegmentNotFoundException;
import io.mooncake.engine.metadata.HostPort;
import io.mooncake.engine.metadata.RpcMeta;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.engine.metadata.SegmentDirectory;
import io.mooncake.engine.rpc.HandshakeClient;
import io.mooncake.engine.rpc.HandshakeType;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;

/**
 * {@code P2PHANDSHAKE}: no metadata server. A segment name is the owner's {@code host:port}
 * handshake address; its descriptor is fetched with a Metadata request carrying our own
 * descriptor (which the reference ignores). Publishing is a no-op. Thread-safe.
 */
public final class P2pSegmentDirectory implements SegmentDirectory {

    private final HandshakeClient client;
    private final Supplier<SegmentDescriptor> local;
    private final int defaultPort;

    /**
     * @param client the handshake client
     * @param local this node's current descriptor, sent with each request
     * @param defaultPort port assumed for names without one ({@code MC_HANDSHAKE_PORT})
     */
    public P2pSegmentDirectory(HandshakeClient client, Supplier<SegmentDescriptor> local, int defaultPort) {
        this.client = client;
        this.local = local;
        this.defaultPort = defaultPort;
    }

    @Override
    public void publish(SegmentDescriptor descriptor, RpcMeta rpcMeta) {
        // Peers ask us directly.
    }

    @Override
    public SegmentDescriptor fetch(String segmentName) {
        RpcMeta rpc = resolveRpc(segmentName);
        try {
            JsonNode reply = client.call(rpc.ipOrHostName(), rpc.rpcPort(), HandshakeType.METADATA,
                    SegmentDescriptorCodec.toTree(local.get()));
            return SegmentDescriptorCodec.fromTree(reply);
        } catch (MooncakeException e) {
            throw new SegmentNotFoundException(segmentName, "cannot fetch the descriptor of segment '" + segmentName
                    + "' from its handshake port " + rpc.ipOrHostName() + ":" + rpc.rpcPort() + ": " + e.getMessage()
                    + "; check that the peer runs and that the name is the host:port it logged at startup", e);
        }
    }

    @Override
    public RpcMeta resolveRpc(String segmentName) {
        try {
            HostPort hp = HostPort.parse(segmentName, defaultPort);
            return new RpcMeta(hp.host(), hp.port());
        } catch (MooncakeException e) {
            throw new SegmentNotFoundException(segmentName, "segment name '" + segmentName
                    + "' is not host:port; under P2PHANDSHAKE a segment is named by its owner's handshake address", e);
        }
    }

    @Override
    public void invalidate(String segmentName) {
        // Nothing cached here; the engine refetches.
    }

    @Override
    public void withdraw(String localSegmentName) {
        // Nothing published.
    }

    @Override
    public String describe() {
        return "P2PHANDSHAKE";
    }

    @Override
    public void close() {
    }
}

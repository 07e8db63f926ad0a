package io.mooncake.engine.metadata;

import java.util.function.Consumer;

/**
 * Where the engine publishes its own segment and finds peers' segments: through a key-value
 * metadata service ({@code KvSegmentDirectory} over a {@link MetadataStore}) or directly from
 * peers ({@code P2pSegmentDirectory}, {@code P2PHANDSHAKE}).
 *
 * <p>Thread-safe. Every call is bounded by the configured timeouts.
 */
public interface SegmentDirectory extends AutoCloseable {

    /** Publishes (or re-publishes) this node's descriptor and handshake address. Idempotent. */
    void publish(SegmentDescriptor local, RpcMeta rpcMeta);

    /**
     * Fetches a peer's descriptor.
     *
     * @throws io.mooncake.engine.api.SegmentNotFoundException when the peer has none or cannot be reached
     */
    SegmentDescriptor fetch(String segmentName);

    /**
     * Where a peer's handshake listener is (for Notify, Probe and Connection requests).
     *
     * @throws io.mooncake.engine.api.SegmentNotFoundException when unknown
     */
    RpcMeta resolveRpc(String segmentName);

    /** Forgets cached facts about a peer (after a connection failure), so the next lookup re-reads them. */
    void invalidate(String segmentName);

    /** Withdraws this node's keys. */
    void withdraw(String localSegmentName);

    /**
     * Registers a listener told the name of a peer whose published descriptor changed or was
     * removed (etcd watch, refresh); directories without notifications never call it.
     */
    default void onPeerChanged(Consumer<String> listener) {
    }

    /** Whether the metadata service answered its last call; P2P is always reachable. */
    default boolean isReachable() {
        return true;
    }

    /** Short description for logs and health: backend and endpoints, never credentials. */
    String describe();

    @Override
    void close();
}

package io.mooncake.engine.transport;

import io.mooncake.engine.batch.Deadlines;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.memory.MemoryRegistry;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.metadata.SegmentDescriptor;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What the engine gives a transport: its configuration, the local memory registry (every
 * bounds check goes through it), the local segment name, the timer, and a line to peers'
 * handshake servers for connection setup.
 */
public interface TransportContext {

    EngineConfig config();

    MemoryRegistry memory();

    /** This engine's segment name, {@code host:port}. */
    String localSegmentName();

    /** Host or IP peers use to reach this node. */
    String advertisedHost();

    /** The engine's timer thread, for connect and request deadlines. */
    default Deadlines deadlines() {
        throw new UnsupportedOperationException("this context has no timer");
    }

    /** Tells the engine a connection to a peer failed, so cached metadata about the peer is re-read. */
    default void peerFailed(String segmentName) {
    }

    /**
     * Sends a handshake Connection request (type 0) to the target's handshake server and returns
     * its reply: where rdma QPs, libfabric addresses and IPC handles are exchanged. Blocks for at
     * most the handshake timeout; call it off the submitting thread or once per peer.
     *
     * @throws MooncakeException when the peer cannot be reached or answers nothing usable
     */
    default JsonNode handshake(RemoteTarget target, ObjectNode request) {
        throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "this context has no handshake client");
    }

    /**
     * Offers an allocator for engine-allocated host memory that this transport serves better than
     * private memory (shared memory same-host peers can map). The engine uses the last one offered
     * for host locations and logs the choice. An allocator serving neither {@code cpu:0} nor
     * {@code *} is a device allocator (nvlink: exportable VMM memory): the engine asks it first for
     * the device locations it serves.
     */
    default void offerAllocator(io.mooncake.engine.memory.MemoryAllocator allocator) {
    }

    /**
     * A peer's descriptor by segment name, through the metadata service (cached; re-read when the
     * peer changed): for a transport answering a Connection request from a peer this node never
     * opened. Blocks for at most the metadata timeouts.
     *
     * @throws io.mooncake.engine.api.SegmentNotFoundException when no such segment is published
     */
    default SegmentDescriptor descriptorOf(String segmentName) {
        throw new UnsupportedOperationException("this context has no segment directory");
    }

    /** The descriptor this node publishes now (after every transport's {@code describe}). */
    /**
     * Where a transport reports requests it served for peers ({@link io.mooncake.engine.stats.TransferListener#onServed}).
     * The default hears nothing.
     */
    default io.mooncake.engine.stats.TransferListener listener() {
        return io.mooncake.engine.stats.TransferListener.disabled();
    }

    default SegmentDescriptor localDescriptor() {
        throw new UnsupportedOperationException("this context has no local descriptor");
    }

    /**
     * Whether peers must prove the shared secret ({@code mooncake.auth.secret}) on connections this
     * transport accepts and opens, and where rejections are counted. The default: off.
     */
    default io.mooncake.engine.security.PeerAuthentication authentication() {
        return io.mooncake.engine.security.PeerAuthentication.disabled();
    }

    /**
     * The address this node's listeners bind: the advertised address unless
     * {@code mooncake.bind-address} names another, {@code null} for all interfaces (wildcard). The
     * default: {@link EngineConfig#bindAddress()}.
     */
    default String bindAddress() {
        return config().bindAddress();
    }

    /**
     * A context over the given parts.
     *
     * @param deadlines the timer, or {@code null} outside an engine
     * @param peerFailed told the name of a peer whose connection failed
     */
    static TransportContext of(EngineConfig config, MemoryRegistry memory, String segmentName, String advertisedHost,
            Deadlines deadlines, Consumer<String> peerFailed) {
        return new TransportContext() {
            @Override
            public EngineConfig config() {
                return config;
            }

            @Override
            public MemoryRegistry memory() {
                return memory;
            }

            @Override
            public String localSegmentName() {
                return segmentName;
            }

            @Override
            public String advertisedHost() {
                return advertisedHost;
            }

            @Override
            public Deadlines deadlines() {
                if (deadlines == null) {
                    throw new UnsupportedOperationException("this context has no timer");
                }
                return deadlines;
            }

            @Override
            public void peerFailed(String name) {
                peerFailed.accept(name);
            }
        };
    }

    /**
     * A context outside a running engine (probe command, tests): its own empty memory registry, no
     * timer, peer failures ignored.
     */
    static TransportContext standalone(EngineConfig config, String segmentName, String advertisedHost) {
        return of(config, new MemoryRegistry(), segmentName, advertisedHost, null, name -> {
        });
    }
}

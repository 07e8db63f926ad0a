package io.mooncake.engine.transport;

import io.mooncake.engine.batch.Deadlines;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.memory.MemoryRegistry;
import java.util.function.Consumer;

/**
 * What the engine gives a transport: its configuration, the local memory registry (every
 * bounds check goes through it) and the local segment name.
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

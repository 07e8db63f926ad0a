package io.mooncake.engine.core;

import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.stats.TransferListener;
import io.mooncake.engine.stats.TransferStats;

/**
 * A running transfer engine: the {@link TransferEngine} API plus what operators and tooling look
 * at (its configuration, the descriptor it publishes, which transports run and why, counters),
 * and the factories that start one.
 *
 * <p>Thread-safe.
 */
public interface MooncakeEngine extends TransferEngine {

    /**
     * Starts an engine the way the reference's Python {@code initialize} does.
     *
     * @param localHostname host (or {@code host:port}) peers reach this node at
     * @param metadataServer {@code P2PHANDSHAKE}, {@code etcd://host:port}, {@code http://host:port/metadata},
     *     {@code redis://host:port} or a bare {@code host:port} (etcd)
     * @param protocol a protocol string, e.g. {@code tcp}
     * @param deviceName NIC name(s), {@code auto-discovery}, or empty
     */
    static MooncakeEngine initialize(String localHostname, String metadataServer, String protocol,
            String deviceName) {
        return start(EngineConfig.builder().environment(System.getenv()).localHostname(localHostname)
                .metadataServer(metadataServer).protocol(protocol).deviceName(deviceName).build());
    }

    /** Starts an engine from a full configuration. */
    static MooncakeEngine start(EngineConfig config) {
        return Engine.start(config, TransferListener.disabled());
    }

    /** Starts an engine that also reports every ended request to {@code listener}. */
    static MooncakeEngine start(EngineConfig config, TransferListener listener) {
        return Engine.start(config, listener);
    }

    /** The configuration the engine runs with. */
    EngineConfig config();

    /** The descriptor this node publishes. */
    SegmentDescriptor localDescriptor();

    /**
     * The address peers reach this node at and how it was chosen; {@code null} for engines that do
     * not listen (test doubles).
     */
    default AdvertisedAddress advertisedAddress() {
        return null;
    }

    /** The address the listeners bind and why; {@code null} for engines that do not listen. */
    default BindAddress bindAddress() {
        return null;
    }

    /**
     * Whether peers must prove the shared secret, and how many connections were refused; off for
     * engines that do not listen.
     */
    default io.mooncake.engine.security.PeerAuthentication authentication() {
        return io.mooncake.engine.security.PeerAuthentication.disabled();
    }

    /** The deadline of new batches (plus 1 ns per byte): {@code config().transferTimeout()} unless changed. */
    java.time.Duration transferTimeout();

    /**
     * Changes the deadline of batches submitted from now on (running batches keep theirs), for
     * configuration reloaded at run time.
     *
     * @throws io.mooncake.engine.api.MooncakeException when it is not positive
     */
    void transferTimeout(java.time.Duration timeout);

    /** What was requested, which transports run, and why (fallback reasons). */
    SelectionReport selection();

    /** Counters of bytes and requests by protocol, opcode and outcome. */
    TransferStats stats();
}

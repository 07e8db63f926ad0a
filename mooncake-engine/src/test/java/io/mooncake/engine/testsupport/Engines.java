package io.mooncake.engine.testsupport;

import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.config.EngineConfig;
import java.time.Duration;

/**
 * Engines for tests: loopback, P2PHANDSHAKE, tcp, short timeouts. {@link #loopback()} runs tcp only
 * (the same-process and shared-memory transports are disabled), so tests of tcp behaviour between
 * engines of one JVM keep exercising tcp; {@link #allTransports()} runs everything a node runs.
 */
public final class Engines {

    private Engines() {
    }

    /** A configuration builder for a loopback engine running tcp only, with test-friendly timeouts. */
    public static EngineConfig.Builder loopback() {
        return allTransports().disabledTransports("local,shm");
    }

    /** A loopback engine running every transport available (tcp, same process, shared memory). */
    public static EngineConfig.Builder allTransports() {
        return EngineConfig.builder().localHostname("127.0.0.1").metadataServer("P2PHANDSHAKE").protocol("tcp")
                .transferTimeout(Duration.ofSeconds(20)).connectTimeout(Duration.ofSeconds(2))
                .handshakeTimeout(Duration.ofSeconds(5)).ioThreads(2);
    }

    public static MooncakeEngine start() {
        return MooncakeEngine.start(loopback().build());
    }
}

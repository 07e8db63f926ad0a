package io.mooncake.engine.testsupport;

import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.config.EngineConfig;
import java.time.Duration;

/** Engines for tests: loopback, P2PHANDSHAKE, tcp, short timeouts. */
public final class Engines {

    private Engines() {
    }

    /** A configuration builder for a loopback tcp engine with test-friendly timeouts. */
    public static EngineConfig.Builder loopback() {
        return EngineConfig.builder().localHostname("127.0.0.1").metadataServer("P2PHANDSHAKE").protocol("tcp")
                .transferTimeout(Duration.ofSeconds(20)).connectTimeout(Duration.ofSeconds(2))
                .handshakeTimeout(Duration.ofSeconds(5)).ioThreads(2);
    }

    public static TransferEngine start() {
        return TransferEngine.create(loopback().build());
    }
}

package io.mooncake.engine.core;

import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.stats.TransferListener;

/** The engine implementation (being written). */
public final class Engine {
    private Engine() {
    }

    public static TransferEngine start(EngineConfig config, TransferListener listener) {
        throw new UnsupportedOperationException("work in progress");
    }
}

package io.mooncake.autoconfigure;

import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.stats.TransferListener;

/**
 * Starts the auto-configured {@link MooncakeEngine} from its final configuration. The default is
 * {@link MooncakeEngine#start(EngineConfig, TransferListener)} with every {@link TransferListener}
 * bean (metrics); define a bean of this type to wrap or instrument the engine while keeping the
 * auto-configured lifecycle, segment and failure reports.
 */
@FunctionalInterface
public interface TransferEngineFactory {

    /** Starts an engine; it is closed with the application context. */
    MooncakeEngine create(EngineConfig config);

    /**
     * Starts an engine that reports every ended request to {@code listener} (the listener beans,
     * metrics among them). The default ignores the listener: override it to keep metrics.
     */
    default MooncakeEngine create(EngineConfig config, TransferListener listener) {
        return create(config);
    }
}

package io.mooncake.autoconfigure;

import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.config.EngineConfig;

/**
 * Starts the auto-configured {@link TransferEngine} from its final configuration. The default is
 * {@link TransferEngine#create(EngineConfig)}; define a bean of this type to wrap or instrument the
 * engine while keeping the auto-configured lifecycle, segment and failure reports.
 */
@FunctionalInterface
public interface TransferEngineFactory {

    /** Starts an engine; it is closed with the application context. */
    TransferEngine create(EngineConfig config);
}

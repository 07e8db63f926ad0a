package io.mooncake.autoconfigure;

import io.mooncake.engine.config.EngineConfig;

/**
 * Callback that adjusts the auto-configured {@link EngineConfig} after the {@code mooncake.*}
 * properties were applied and before it is validated. Customizers run in
 * {@link org.springframework.core.Ordered order}.
 */
@FunctionalInterface
public interface EngineConfigCustomizer {

    /** Customizes the builder. */
    void customize(EngineConfig.Builder builder);
}

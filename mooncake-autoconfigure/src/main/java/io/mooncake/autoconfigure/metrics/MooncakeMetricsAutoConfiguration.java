package io.mooncake.autoconfigure.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.mooncake.autoconfigure.MooncakeAutoConfiguration;
import io.mooncake.engine.core.MooncakeEngine;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the Mooncake meters: a {@link MooncakeTransferMetrics} listener, which the
 * auto-configured engine is started with, and a {@link MooncakeEngineMeterBinder} over the engine's
 * counters. On by default; {@code mooncake.metrics.enabled=false} turns both off (the engine then
 * runs without a listener).
 */
@AutoConfiguration(after = { MetricsAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
        MooncakeAutoConfiguration.class })
@ConditionalOnClass({ MeterRegistry.class, MooncakeEngine.class })
@ConditionalOnBean({ MeterRegistry.class, MooncakeEngine.class })
@ConditionalOnBooleanProperty(name = "mooncake.metrics.enabled", matchIfMissing = true)
@EnableConfigurationProperties(MooncakeMetricsProperties.class)
public final class MooncakeMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    MooncakeTransferMetrics mooncakeTransferMetrics(MooncakeMetricsProperties properties) {
        return new MooncakeTransferMetrics(properties.getMaxPeerSeries());
    }

    @Bean
    @ConditionalOnMissingBean
    MooncakeEngineMeterBinder mooncakeEngineMeterBinder(MooncakeEngine engine,
            ObjectProvider<MooncakeTransferMetrics> transfers) {
        return new MooncakeEngineMeterBinder(engine, transfers.getIfUnique());
    }
}

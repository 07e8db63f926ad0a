package io.mooncake.autoconfigure.endpoint;

import io.mooncake.actuate.endpoint.HardwareReport;
import io.mooncake.actuate.endpoint.MooncakeEndpoint;
import io.mooncake.actuate.endpoint.NativeHardwareReport;
import io.mooncake.autoconfigure.MooncakeAutoConfiguration;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.topology.TopologyDiscovery;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configuration of the {@code mooncake} endpoint ({@link MooncakeEndpoint}). With
 * mooncake-native on the classpath the endpoint also shows what the hardware probes found and the
 * NIC priority matrix.
 */
@AutoConfiguration(after = MooncakeAutoConfiguration.class)
@ConditionalOnClass({ MooncakeEngine.class, Endpoint.class, ConditionalOnAvailableEndpoint.class })
@ConditionalOnBean(MooncakeEngine.class)
@ConditionalOnAvailableEndpoint(MooncakeEndpoint.class)
public final class MooncakeEndpointAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    MooncakeEndpoint mooncakeEndpoint(MooncakeEngine engine, ObjectProvider<HardwareReport> hardware) {
        return new MooncakeEndpoint(engine, hardware.getIfUnique());
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(TopologyDiscovery.class)
    static class NativeHardwareConfiguration {

        @Bean
        @ConditionalOnMissingBean
        HardwareReport mooncakeHardwareReport(EngineConfig config) {
            return new NativeHardwareReport(config);
        }
    }
}

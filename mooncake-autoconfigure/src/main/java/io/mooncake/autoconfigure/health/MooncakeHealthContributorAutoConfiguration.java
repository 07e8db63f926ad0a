package io.mooncake.autoconfigure.health;

import io.mooncake.autoconfigure.MooncakeAutoConfiguration;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.health.MooncakeHealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.AvailabilityProbesAutoConfiguration;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of the {@code mooncake} health contributor ({@link MooncakeHealthIndicator})
 * and of its membership in the {@code readiness} group, which is what a Kubernetes readiness
 * probe reads. It is kept out of {@code liveness}: restarting a pod does not bring back a metadata
 * server or a device, and a liveness failure on every node at once would restart the fleet.
 */
@AutoConfiguration(after = { MooncakeAutoConfiguration.class, HealthEndpointAutoConfiguration.class,
        AvailabilityProbesAutoConfiguration.class })
@ConditionalOnClass({ MooncakeEngine.class, HealthContributor.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBean(MooncakeEngine.class)
@ConditionalOnEnabledHealthIndicator("mooncake")
public final class MooncakeHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = { "mooncakeHealthIndicator", "mooncakeHealthContributor" })
    MooncakeHealthIndicator mooncakeHealthContributor(MooncakeEngine engine) {
        return new MooncakeHealthIndicator(engine);
    }

    @Bean
    MooncakeReadinessGroupPostProcessor mooncakeReadinessGroupPostProcessor(Environment environment) {
        return new MooncakeReadinessGroupPostProcessor(environment);
    }
}

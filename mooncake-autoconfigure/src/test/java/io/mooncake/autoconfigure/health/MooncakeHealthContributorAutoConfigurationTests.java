package io.mooncake.autoconfigure.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.BDDMockito.given;

import io.mooncake.autoconfigure.TestEngines;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.health.MooncakeHealthIndicator;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.AvailabilityProbesAutoConfiguration;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.application.AvailabilityHealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;

class MooncakeHealthContributorAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MooncakeHealthContributorAutoConfiguration.class));

    /** The health endpoint with Kubernetes probe groups, as an application with actuator has them. */
    private final ApplicationContextRunner probesRunner = new ApplicationContextRunner()
        .withInitializer((context) -> new MooncakeHealthEnvironmentPostProcessor()
            .postProcessEnvironment(context.getEnvironment(), null))
        .withConfiguration(AutoConfigurations.of(ApplicationAvailabilityAutoConfiguration.class,
                EndpointAutoConfiguration.class, HealthContributorAutoConfiguration.class,
                HealthContributorRegistryAutoConfiguration.class, HealthEndpointAutoConfiguration.class,
                AvailabilityHealthContributorAutoConfiguration.class, AvailabilityProbesAutoConfiguration.class,
                MooncakeHealthContributorAutoConfiguration.class))
        .withPropertyValues("management.endpoint.health.probes.enabled=true");

    /** The health endpoint of a context that has started and accepts traffic, as after SpringApplication.run. */
    private static HealthEndpoint started(ApplicationContext context) {
        AvailabilityChangeEvent.publish(context, LivenessState.CORRECT);
        AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
        return context.getBean(HealthEndpoint.class);
    }

    @Test
    void contributorNamedMooncakeIsCreatedWhenThereIsAnEngine() {
        this.contextRunner.withBean(MooncakeEngine.class, TestEngines::mock).run((context) -> {
            assertThat(context).hasSingleBean(MooncakeHealthIndicator.class);
            assertThat(context).hasBean("mooncakeHealthContributor");
        });
    }

    @Test
    void backsOffWithoutAnEngine() {
        this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(MooncakeHealthIndicator.class));
    }

    @Test
    void backsOffWhenTheIndicatorIsDisabled() {
        this.contextRunner.withBean(MooncakeEngine.class, TestEngines::mock)
            .withPropertyValues("management.health.mooncake.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean(MooncakeHealthIndicator.class)
                .doesNotHaveBean(MooncakeReadinessGroupPostProcessor.class));
    }

    @Test
    void backsOffWithoutSpringBootHealth() {
        this.contextRunner.withBean(MooncakeEngine.class, TestEngines::mock)
            .withClassLoader(new FilteredClassLoader(org.springframework.boot.health.contributor.HealthContributor.class))
            .run((context) -> assertThat(context).doesNotHaveBean("mooncakeHealthContributor"));
    }

    @Test
    void userDefinedIndicatorWins() {
        this.contextRunner.withBean(MooncakeEngine.class, TestEngines::mock)
            .withBean("mooncakeHealthIndicator", MooncakeHealthIndicator.class,
                    () -> new MooncakeHealthIndicator(TestEngines.mock()))
            .run((context) -> assertThat(context).hasSingleBean(MooncakeHealthIndicator.class)
                .hasBean("mooncakeHealthIndicator"));
    }

    @Test
    void failedTransportTakesThePodOutOfServiceButDoesNotRestartIt() {
        this.probesRunner
            .withBean(MooncakeEngine.class, () -> TestEngines.mock(TestEngines.fellBack("rdma", Cause.INIT_FAILED)))
            .run((context) -> {
                HealthEndpoint health = started(context);
                assertThat(health.healthForPath("readiness").getStatus()).isEqualTo(Status.DOWN);
                assertThat(health.healthForPath("liveness").getStatus()).isEqualTo(Status.UP);
                assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
            });
    }

    @Test
    void healthyEngineKeepsThePodReady() {
        this.probesRunner.withBean(MooncakeEngine.class, TestEngines::mock).run((context) -> {
            HealthEndpoint health = started(context);
            assertThat(health.healthForPath("readiness").getStatus()).isEqualTo(Status.UP);
            assertThat(health.healthForPath("mooncake").getStatus()).isEqualTo(Status.UP);
        });
    }

    @Test
    void unreachableMetadataIsDegradedOverallButTheNodeStaysReady() {
        this.probesRunner.withBean(MooncakeEngine.class, () -> {
            MooncakeEngine engine = TestEngines.mock();
            given(engine.metadataReachable()).willReturn(false);
            return engine;
        }).run((context) -> {
            HealthEndpoint health = started(context);
            assertThat(health.health().getStatus()).isEqualTo(MooncakeHealthIndicator.DEGRADED);
            assertThat(health.healthForPath("readiness").getStatus()).isNotEqualTo(Status.DOWN)
                .isNotEqualTo(Status.OUT_OF_SERVICE);
            assertThat(health.healthForPath("liveness").getStatus()).isEqualTo(Status.UP);
        });
    }

    @Test
    void downOutranksDegradedInTheOverallStatus() {
        this.probesRunner.withBean(MooncakeEngine.class, () -> {
            MooncakeEngine engine = TestEngines.mock();
            given(engine.metadataReachable()).willReturn(false);
            return engine;
        })
            .withBean("brokenHealthIndicator", org.springframework.boot.health.contributor.HealthIndicator.class,
                    () -> () -> org.springframework.boot.health.contributor.Health.down().build())
            .run((context) -> assertThat(started(context).health().getStatus())
                .isEqualTo(Status.DOWN));
    }

    @Test
    void explicitReadinessIncludeIsLeftAsConfigured() {
        this.probesRunner
            .withBean(MooncakeEngine.class, () -> TestEngines.mock(TestEngines.fellBack("rdma", Cause.INIT_FAILED)))
            .withPropertyValues("management.endpoint.health.group.readiness.include=readinessState")
            .run((context) -> assertThat(started(context).healthForPath("readiness").getStatus())
                .isEqualTo(Status.UP));
    }

    @Test
    void statusOrderSetByTheApplicationIsKept() {
        this.probesRunner.withBean(MooncakeEngine.class, TestEngines::mock)
            .withPropertyValues("management.endpoint.health.status.order=DOWN,UP")
            .run((context) -> assertThat(context.getEnvironment()
                .getProperty(MooncakeHealthEnvironmentPostProcessor.STATUS_ORDER)).isEqualTo("DOWN,UP"));
    }
}

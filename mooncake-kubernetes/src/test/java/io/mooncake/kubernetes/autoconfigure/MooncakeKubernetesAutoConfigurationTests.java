package io.mooncake.kubernetes.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.mooncake.autoconfigure.MooncakeAutoConfiguration;
import io.mooncake.kubernetes.discovery.KubernetesPeerDiscovery;
import io.mooncake.kubernetes.discovery.MooncakePeerDiscovery;
import io.mooncake.kubernetes.reload.MetricsMaxPeerSeriesSetting;
import io.mooncake.kubernetes.reload.MooncakeRefreshEnvironmentPostProcessor;
import io.mooncake.kubernetes.reload.MooncakeReloadGuard;
import io.mooncake.kubernetes.reload.MooncakeReloadPolicy;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.mock.env.MockEnvironment;

/** What the Kubernetes support contributes, and that outside Kubernetes it contributes nothing. */
class MooncakeKubernetesAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MooncakeAutoConfiguration.class,
                MooncakeKubernetesAutoConfiguration.class))
        .withPropertyValues("mooncake.local-hostname=127.0.0.1", "mooncake.handshake-port=0",
                "mooncake.tcp-data-port=0");

    @Test
    void outsideKubernetesNothingIsAdded() {
        this.runner.run((context) -> assertThat(context).hasNotFailed()
            .doesNotHaveBean(MooncakeReloadGuard.class)
            .doesNotHaveBean(MooncakePeerDiscovery.class)
            .doesNotHaveBean(MooncakeKubernetesProperties.class));
    }

    @Test
    void onKubernetesTheReloadGuardWatchesChanges() {
        this.runner.withPropertyValues("spring.main.cloud-platform=kubernetes")
            .run((context) -> assertThat(context).hasNotFailed()
                .hasSingleBean(MooncakeReloadGuard.class)
                .hasSingleBean(MooncakeReloadPolicy.class)
                .doesNotHaveBean(MooncakePeerDiscovery.class));
    }

    @Test
    void metricsPeerSeriesCapIsLiveWhenMetricsRun() {
        this.runner.withPropertyValues("spring.main.cloud-platform=kubernetes")
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                    CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
                    io.mooncake.autoconfigure.metrics.MooncakeMetricsAutoConfiguration.class))
            .run((context) -> {
                assertThat(context).hasSingleBean(MetricsMaxPeerSeriesSetting.class);
                assertThat(context.getBean(MooncakeReloadPolicy.class).liveProperties())
                    .containsExactlyInAnyOrder("mooncake.metrics.max-peer-series", "mooncake.transfer-timeout");
            });
    }

    @Test
    void withAKubernetesClientPeersAreDiscoveredFromTheService() {
        this.runner.withPropertyValues("spring.main.cloud-platform=kubernetes", "spring.application.name=mooncake-sample",
                "mooncake.kubernetes.discovery.namespace=inference")
            .withBean(KubernetesClient.class, () -> new KubernetesClientBuilder().build())
            .run((context) -> {
                assertThat(context).hasSingleBean(KubernetesPeerDiscovery.class);
                KubernetesPeerDiscovery discovery = context.getBean(KubernetesPeerDiscovery.class);
                assertThat(discovery.service()).isEqualTo("mooncake-sample");
                assertThat(discovery.namespace()).isEqualTo("inference");
            });
    }

    @Test
    void discoveryCanBeSwitchedOff() {
        this.runner.withPropertyValues("spring.main.cloud-platform=kubernetes", "mooncake.kubernetes.discovery.enabled=false")
            .withBean(KubernetesClient.class, () -> new KubernetesClientBuilder().build())
            .run((context) -> assertThat(context).doesNotHaveBean(MooncakePeerDiscovery.class));
    }

    @Test
    void restartHintNamesTheStatefulSetOfThePod() {
        MockEnvironment environment = new MockEnvironment().withProperty("HOSTNAME", "mooncake-sample-2");
        assertThat(MooncakeKubernetesAutoConfiguration.restartHint(environment, new MooncakeKubernetesProperties()))
            .isEqualTo("kubectl rollout restart statefulset/mooncake-sample (or delete pod mooncake-sample-2)");
    }

    @Test
    void mooncakePropertiesAreNeverRebound() {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new org.springframework.core.env.MapPropertySource("test",
                java.util.Map.of("spring.main.cloud-platform", "kubernetes")));
        new MooncakeRefreshEnvironmentPostProcessor().postProcessEnvironment(environment, new SpringApplication());
        assertThat(environment.getProperty(MooncakeRefreshEnvironmentPostProcessor.NEVER_REFRESHABLE))
            .isEqualTo("com.zaxxer.hikari.HikariDataSource,io.mooncake.autoconfigure.MooncakeProperties");
    }

    @Test
    void outsideKubernetesTheRefreshSettingIsLeftAlone() {
        StandardEnvironment environment = new StandardEnvironment();
        new MooncakeRefreshEnvironmentPostProcessor().postProcessEnvironment(environment, new SpringApplication());
        assertThat(environment.getProperty(MooncakeRefreshEnvironmentPostProcessor.NEVER_REFRESHABLE)).isNull();
    }
}

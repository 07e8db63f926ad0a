package io.mooncake.kubernetes.autoconfigure;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.mooncake.autoconfigure.MooncakeAutoConfiguration;
import io.mooncake.autoconfigure.metrics.MooncakeMetricsAutoConfiguration;
import io.mooncake.autoconfigure.metrics.MooncakeTransferMetrics;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.kubernetes.discovery.KubernetesPeerDiscovery;
import io.mooncake.kubernetes.discovery.MooncakePeerDiscovery;
import io.mooncake.kubernetes.reload.LiveSetting;
import io.mooncake.kubernetes.reload.MetricsMaxPeerSeriesSetting;
import io.mooncake.kubernetes.reload.MooncakeReloadGuard;
import io.mooncake.kubernetes.reload.MooncakeReloadInfoContributor;
import io.mooncake.kubernetes.reload.MooncakeReloadPolicy;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.info.ConditionalOnEnabledInfoContributor;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnCloudPlatform;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cloud.context.environment.EnvironmentChangeEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of Mooncake's Kubernetes support, active only on Kubernetes (Spring Boot's
 * cloud platform detection: the {@code KUBERNETES_SERVICE_*} variables, or
 * {@code spring.main.cloud-platform=kubernetes}):
 * <ul>
 * <li>a {@link MooncakeReloadGuard}: when a ConfigMap or Secret changes and Spring Cloud Kubernetes
 * refreshes the environment, what may change at run time is applied and the rest is refused with a
 * log line;</li>
 * <li>a {@link KubernetesPeerDiscovery} of the pods of the StatefulSet's headless Service, when
 * Spring Cloud Kubernetes provides a {@link KubernetesClient}.</li>
 * </ul>
 * ConfigMaps and Secrets themselves enter the environment through Spring Cloud Kubernetes
 * ({@code spring.config.import=kubernetes:}).
 */
@AutoConfiguration(after = MooncakeAutoConfiguration.class,
        afterName = { "io.mooncake.autoconfigure.metrics.MooncakeMetricsAutoConfiguration",
                "org.springframework.cloud.kubernetes.fabric8.Fabric8AutoConfiguration" })
@ConditionalOnCloudPlatform(CloudPlatform.KUBERNETES)
@ConditionalOnClass(TransferEngine.class)
@EnableConfigurationProperties(MooncakeKubernetesProperties.class)
public final class MooncakeKubernetesAutoConfiguration {

    private static final Logger log = LoggerFactory.getLogger(MooncakeKubernetesAutoConfiguration.class);

    /** A StatefulSet pod's name: the set's name and an ordinal. */
    private static final Pattern STATEFUL_POD = Pattern.compile("(.+)-\\d+");

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(EnvironmentChangeEvent.class)
    static class ReloadConfiguration {

        @Bean
        @ConditionalOnMissingBean
        MooncakeReloadPolicy mooncakeReloadPolicy(ObjectProvider<LiveSetting> liveSettings) {
            return new MooncakeReloadPolicy(liveSettings.orderedStream().toList());
        }

        @Bean
        io.mooncake.kubernetes.reload.TransferTimeoutSetting mooncakeTransferTimeoutSetting(
                ObjectProvider<io.mooncake.engine.core.MooncakeEngine> engine) {
            return new io.mooncake.kubernetes.reload.TransferTimeoutSetting(engine::getIfAvailable);
        }

        @Bean
        @ConditionalOnMissingBean
        MooncakeReloadGuard mooncakeReloadGuard(ConfigurableEnvironment environment, MooncakeReloadPolicy policy,
                MooncakeKubernetesProperties properties) {
            return new MooncakeReloadGuard(environment, policy, restartHint(environment, properties));
        }

        @Configuration(proxyBeanMethods = false)
        @ConditionalOnClass(InfoContributor.class)
        static class InfoConfiguration {

            @Bean
            @ConditionalOnMissingBean
            @ConditionalOnEnabledInfoContributor("mooncake-reload")
            MooncakeReloadInfoContributor mooncakeReloadInfoContributor(MooncakeReloadGuard guard,
                    MooncakeReloadPolicy policy) {
                return new MooncakeReloadInfoContributor(guard, policy);
            }
        }

        @Configuration(proxyBeanMethods = false)
        @ConditionalOnClass({ MeterRegistry.class, MooncakeMetricsAutoConfiguration.class })
        static class MetricsSettings {

            @Bean
            MetricsMaxPeerSeriesSetting mooncakeMetricsMaxPeerSeriesSetting(
                    ObjectProvider<MooncakeTransferMetrics> metrics) {
                return new MetricsMaxPeerSeriesSetting(metrics::getIfAvailable);
            }
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(KubernetesClient.class)
    @ConditionalOnBean({ KubernetesClient.class, TransferEngine.class })
    @ConditionalOnBooleanProperty(name = "mooncake.kubernetes.discovery.enabled", matchIfMissing = true)
    static class DiscoveryConfiguration {

        @Bean
        @ConditionalOnMissingBean(MooncakePeerDiscovery.class)
        KubernetesPeerDiscovery mooncakePeerDiscovery(KubernetesClient client, TransferEngine engine,
                ObjectProvider<EngineConfig> engineConfig, MooncakeKubernetesProperties properties,
                Environment environment) {
            MooncakeKubernetesProperties.Discovery d = properties.getDiscovery();
            String namespace = (d.getNamespace() != null) ? d.getNamespace() : client.getNamespace();
            String service = (d.getServiceName() != null) ? d.getServiceName()
                    : environment.getProperty("spring.application.name");
            if (namespace == null || service == null) {
                throw new IllegalStateException("Mooncake peer discovery needs a namespace and a Service name: set "
                        + "mooncake.kubernetes.discovery.namespace (now " + namespace + ") and "
                        + "mooncake.kubernetes.discovery.service-name (now " + service + "; defaults to "
                        + "spring.application.name), or mooncake.kubernetes.discovery.enabled=false");
            }
            EngineConfig config = engineConfig.getIfAvailable();
            boolean p2p = (config != null) ? MetadataConnection.parse(config.metadataServer()).isP2p()
                    : engine.localSegmentName().endsWith(":" + engine.rpcPort());
            log.info("Mooncake peer discovery: pods of headless Service {}/{} (segment names <pod>.{}.{}.svc.{}{})",
                    namespace, service, service, namespace, d.getClusterDomain(),
                    p2p ? ":<" + d.getHandshakePortName() + ">" : "");
            return new KubernetesPeerDiscovery(client, namespace, service, d.getClusterDomain(),
                    d.getHandshakePortName(), d.getHttpPortName(), engine::rpcPort, engine::localSegmentName, p2p);
        }
    }

    static String restartHint(Environment environment, MooncakeKubernetesProperties properties) {
        if (properties.getRestartHint() != null) {
            return properties.getRestartHint();
        }
        String pod = environment.getProperty("HOSTNAME");
        Matcher m = (pod != null) ? STATEFUL_POD.matcher(pod) : null;
        if (m != null && m.matches()) {
            return "kubectl rollout restart statefulset/" + m.group(1) + " (or delete pod " + pod + ")";
        }
        return "restart the pod" + ((pod != null) ? " " + pod : "");
    }
}

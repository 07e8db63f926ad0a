package io.mooncake.autoconfigure;

import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.stats.TransferListener;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.ConfigurationPropertiesBinding;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of the Mooncake {@link TransferEngine}: an {@link EngineConfig} from
 * {@code mooncake.*} (plus {@code MOONCAKE_*}, {@code MC_*} and the Mooncake JSON file, mapped by
 * {@link MooncakeEnvironmentPostProcessor}), the engine started with the context and closed with
 * it (telling every {@link TransferListener} bean about each ended request), and, when their sizes
 * are set, the published segment and a local staging pool.
 *
 * <p>The engine picks the transport at runtime; no Spring condition depends on hardware.
 */
@AutoConfiguration
@ConditionalOnClass(MooncakeEngine.class)
@EnableConfigurationProperties(MooncakeProperties.class)
public final class MooncakeAutoConfiguration {

    private static final org.apache.commons.logging.Log logger = org.apache.commons.logging.LogFactory
        .getLog(MooncakeAutoConfiguration.class);

    @Bean
    @ConfigurationPropertiesBinding
    static MooncakeDataSizeConverter mooncakeDataSizeConverter() {
        return new MooncakeDataSizeConverter();
    }

    @Bean
    @ConditionalOnMissingBean
    EngineConfig mooncakeEngineConfig(MooncakeProperties properties, ObjectProvider<EngineConfigCustomizer> customizers,
            Environment environment, ObjectProvider<org.springframework.boot.ssl.SslBundles> sslBundles) {
        return new MooncakeEngineConfigFactory(properties, environment).sslBundles(sslBundles.getIfAvailable())
            .create(systemEnvironment(environment), customizers.orderedStream().toList());
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    MooncakeEngine transferEngine(EngineConfig config, MooncakeProperties properties,
            ObjectProvider<TransferEngineFactory> factory, ObjectProvider<TransferListener> listeners,
            Environment environment, org.springframework.context.ApplicationContext context) {
        StartupChecks checks = new StartupChecks(environment);
        checks.checkMetadataClientPresent(config, context.getClassLoader());
        checks.checkMetadataServerReachable(config);
        checks.checkPortsFree(config);
        if (properties.getGlobalSegmentSize() != null) {
            checks.checkFitsInMemory("mooncake.global-segment-size", properties.getGlobalSegmentSize());
        }
        if (properties.getLocalBufferSize() != null) {
            checks.checkFitsInMemory("mooncake.local-buffer-size", properties.getLocalBufferSize());
        }
        try {
            TransferListener listener = TransferListener.of(listeners.orderedStream().toList());
            TransferEngineFactory engines = factory.getIfAvailable();
            MooncakeEngine engine = (engines != null) ? engines.create(config, listener)
                    : MooncakeEngine.start(config, listener);
            String line = EffectiveSettings.line(environment, config, engine.selection());
            if (engine.selection() != null && engine.selection().fellBack()) {
                logger.warn(line);
            } else {
                logger.info(line);
            }
            return engine;
        } catch (RuntimeException ex) {
            throw checks.translate(ex, config);
        }
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "mooncake", name = "global-segment-size")
    MooncakeGlobalSegment mooncakeGlobalSegment(TransferEngine engine, MooncakeProperties properties,
            Environment environment) {
        return new MooncakeGlobalSegment(engine, new StartupChecks(environment).allocate(engine,
                "mooncake.global-segment-size", properties.getGlobalSegmentSize(), properties.getBufferLocation()));
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "mooncake", name = "local-buffer-size")
    MooncakeLocalBufferPool mooncakeLocalBufferPool(TransferEngine engine, MooncakeProperties properties,
            Environment environment) {
        return new MooncakeLocalBufferPool(engine, new StartupChecks(environment).allocate(engine,
                "mooncake.local-buffer-size", properties.getLocalBufferSize(), properties.getBufferLocation()));
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "mooncake", name = "master-server-address")
    MooncakeMasterServer mooncakeMasterServer(MooncakeProperties properties) {
        return MooncakeMasterServer.parse("mooncake.master-server-address", properties.getMasterServerAddress());
    }

    private static java.util.Map<String, String> systemEnvironment(Environment environment) {
        return (environment instanceof ConfigurableEnvironment configurable)
                ? MooncakeEnvironmentPostProcessor.systemEnvironment(configurable) : System.getenv();
    }
}

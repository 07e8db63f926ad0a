package io.mooncake.autoconfigure;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.config.EnvironmentVariables;
import io.mooncake.engine.config.MooncakeConfigFile;
import io.mooncake.engine.config.MooncakeEnvironment;
import io.mooncake.engine.config.MooncakeSetting;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.commons.logging.Log;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.boot.env.OriginTrackedMapPropertySource;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.OriginTrackedValue;
import org.springframework.boot.origin.SystemEnvironmentOrigin;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;

/**
 * Maps the reference engine's configuration forms onto {@code mooncake.*} properties, with the
 * engine's own parsers ({@link MooncakeEnvironment}, {@link MooncakeConfigFile},
 * {@link EnvironmentVariables}):
 * <ul>
 * <li>{@code MOONCAKE_*} and {@code MC_*} environment variables become the property source
 * {@value #ENVIRONMENT_SOURCE}, placed right after the system environment: above application
 * files, below command-line arguments and system properties.</li>
 * <li>The Mooncake JSON file named by {@code mooncake.config-path} (or {@code MOONCAKE_CONFIG_PATH})
 * becomes {@value #FILE_SOURCE}, placed below the application's own files.</li>
 * </ul>
 * Values keep their origin (the variable, or the file and key), which failure reports show. A bad
 * value fails startup with an {@link InvalidMooncakeSettingException}. Runs after config data is
 * loaded, so {@code mooncake.config-path} may be set in {@code application.yml}; set
 * {@code mooncake.map-environment-variables=false} to switch the mapping off.
 */
public class MooncakeEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

    /** Name of the property source holding mapped {@code MOONCAKE_*} and {@code MC_*} variables. */
    public static final String ENVIRONMENT_SOURCE = "mooncakeEnvironmentVariables";

    /** Name of the property source holding the Mooncake JSON file. */
    public static final String FILE_SOURCE = "mooncakeConfigFile";

    /** Runs after {@link ConfigDataEnvironmentPostProcessor}, so application files are visible. */
    public static final int ORDER = ConfigDataEnvironmentPostProcessor.ORDER + 10;

    /** The property each engine-relevant Mooncake setting maps to; Store-only settings have none. */
    static final Map<MooncakeSetting, String> PROPERTIES;

    static {
        Map<MooncakeSetting, String> m = new EnumMap<>(MooncakeSetting.class);
        m.put(MooncakeSetting.LOCAL_HOSTNAME, "mooncake.local-hostname");
        m.put(MooncakeSetting.METADATA_SERVER, "mooncake.metadata-server");
        m.put(MooncakeSetting.PROTOCOL, "mooncake.protocol");
        m.put(MooncakeSetting.DEVICE_NAME, "mooncake.device-name");
        m.put(MooncakeSetting.MASTER_SERVER_ADDRESS, "mooncake.master-server-address");
        m.put(MooncakeSetting.GLOBAL_SEGMENT_SIZE, "mooncake.global-segment-size");
        m.put(MooncakeSetting.LOCAL_BUFFER_SIZE, "mooncake.local-buffer-size");
        PROPERTIES = Collections.unmodifiableMap(m);
    }

    /** The RPC range is checked as a pair, so each bound is parsed with the other. */
    private static final List<String> RPC_RANGE = List.of(EnvironmentVariables.MC_MIN_RPC_PORT, "MC_MIN_PRC_PORT",
            EnvironmentVariables.MC_MAX_RPC_PORT, "MC_MAX_PRC_PORT");

    /** The {@code MC_*} variables the engine honours, each with its aliases, property and parsed value. */
    private static final List<McVariable> MC_VARIABLES = List.of(
            new McVariable(List.of(EnvironmentVariables.MC_MIN_RPC_PORT, "MC_MIN_PRC_PORT"),
                    "mooncake.rpc-port-range.min", EngineConfig::minRpcPort, RPC_RANGE),
            new McVariable(List.of(EnvironmentVariables.MC_MAX_RPC_PORT, "MC_MAX_PRC_PORT"),
                    "mooncake.rpc-port-range.max", EngineConfig::maxRpcPort, RPC_RANGE),
            new McVariable(List.of(EnvironmentVariables.MC_TCP_BIND_ADDRESS), "mooncake.bind-address",
                    EngineConfig::bindAddress),
            new McVariable(List.of(EnvironmentVariables.MC_HANDSHAKE_CONNECT_TIMEOUT), "mooncake.connect-timeout",
                    EngineConfig::connectTimeout),
            new McVariable(List.of(EnvironmentVariables.MC_HANDSHAKE_MAX_LENGTH), "mooncake.handshake-max-length",
                    EngineConfig::handshakeMaxLength),
            new McVariable(List.of(EnvironmentVariables.MC_TCP_PROTO), "mooncake.tcp-proto-version",
                    EngineConfig::tcpProtoVersion),
            new McVariable(List.of(EnvironmentVariables.MC_METADATA_CLUSTER_ID), "mooncake.cluster-id",
                    EngineConfig::clusterId),
            new McVariable(List.of(EnvironmentVariables.MC_FORCE_TCP), "mooncake.force-tcp", EngineConfig::forceTcp),
            new McVariable(List.of(EnvironmentVariables.MC_FORCE_HCA), "mooncake.force-hca", EngineConfig::forceHca),
            new McVariable(List.of(EnvironmentVariables.MC_FORCE_MNNVL), "mooncake.force-mnnvl",
                    EngineConfig::forceMnnvl),
            new McVariable(List.of(EnvironmentVariables.MC_INTRANODE_NVLINK), "mooncake.intranode-nvlink",
                    EngineConfig::intranodeNvlink),
            new McVariable(List.of(EnvironmentVariables.MC_TE_METADATA_REFRESH_INTERVAL_SECONDS),
                    "mooncake.metadata-refresh-interval", EngineConfig::metadataRefreshInterval),
            new McVariable(List.of(EnvironmentVariables.MC_TRANSFER_TIMEOUT), "mooncake.transfer-timeout",
                    EngineConfig::transferTimeout),
            new McVariable(List.of(EnvironmentVariables.MC_TCP_LANES_PER_PEER, "MC_TCP_MAX_CONNECTIONS_PER_PEER"),
                    "mooncake.connections-per-peer", EngineConfig::connectionsPerPeer),
            new McVariable(List.of(EnvironmentVariables.MC_TCP_SLICE_SIZE), "mooncake.slice-size",
                    EngineConfig::sliceSize));

    private final Log logger;

    public MooncakeEnvironmentPostProcessor(DeferredLogFactory logFactory) {
        this.logger = logFactory.getLog(MooncakeEnvironmentPostProcessor.class);
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        MutablePropertySources sources = environment.getPropertySources();
        if (environment.getProperty("mooncake.map-environment-variables", Boolean.class, true)) {
            Map<String, String> env = systemEnvironment(environment);
            Map<String, Object> mapped = mapEnvironment(env);
            if (!mapped.isEmpty()) {
                PropertySource<?> source = new OriginTrackedMapPropertySource(ENVIRONMENT_SOURCE, mapped, true);
                if (sources.contains(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME)) {
                    sources.addAfter(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, source);
                } else {
                    addBeforeDefaults(sources, source);
                }
                this.logger.debug("Mapped Mooncake environment variables onto " + mapped.keySet());
            }
        }
        String configPath = environment.getProperty("mooncake.config-path");
        if (configPath != null && !configPath.isBlank()) {
            Path path = Path.of(configPath.trim());
            MooncakeConfigFile file;
            try {
                file = MooncakeConfigFile.load(path);
            } catch (MooncakeException ex) {
                throw new InvalidMooncakeSettingException("Mooncake config file '" + path + "'", ex);
            }
            addBeforeDefaults(sources, new OriginTrackedMapPropertySource(FILE_SOURCE, mapFile(file), true));
            if (!file.ignoredKeys().isEmpty()) {
                this.logger.warn("Mooncake config file '" + path + "': ignoring keys " + file.ignoredKeys()
                        + " (not Mooncake settings; known keys: " + MooncakeConfigFile.knownKeys() + ")");
            }
        }
    }

    /** The {@code MOONCAKE_*} and {@code MC_*} variables of {@code env} as {@code mooncake.*} properties. */
    Map<String, Object> mapEnvironment(Map<String, String> env) {
        Map<String, Object> map = new LinkedHashMap<>();
        MooncakeEnvironment mooncake;
        try {
            mooncake = MooncakeEnvironment.from(env);
        } catch (MooncakeException ex) {
            throw new InvalidMooncakeSettingException("environment variables", ex);
        }
        mooncake.values().forEach((setting, value) -> {
            String property = PROPERTIES.get(setting);
            if (property != null) {
                map.put(property, OriginTrackedValue.of(value, new SystemEnvironmentOrigin(setting.environmentVariable())));
            } else {
                this.logger.debug("Environment variable " + setting.environmentVariable()
                        + " is a Mooncake Store setting; no Store client is configured, so it is not used");
            }
        });
        for (McVariable variable : MC_VARIABLES) {
            variable.addTo(map, env);
        }
        return map;
    }

    private static Map<String, Object> mapFile(MooncakeConfigFile file) {
        Map<String, Object> map = new LinkedHashMap<>();
        file.values().forEach((setting, value) -> {
            String property = PROPERTIES.get(setting);
            if (property != null) {
                map.put(property, OriginTrackedValue.of(value, new ConfigFileOrigin(file.source(), setting.jsonKey())));
            }
        });
        return map;
    }

    private static void addBeforeDefaults(MutablePropertySources sources, PropertySource<?> source) {
        if (sources.contains("defaultProperties")) {
            sources.addBefore("defaultProperties", source);
        } else {
            sources.addLast(source);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, String> systemEnvironment(ConfigurableEnvironment environment) {
        PropertySource<?> source = environment.getPropertySources()
                .get(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
        if (source != null && source.getSource() instanceof Map<?, ?> raw) {
            Map<String, String> env = new HashMap<>();
            ((Map<String, Object>) raw).forEach((k, v) -> {
                if (v != null) {
                    env.put(k, v.toString());
                }
            });
            return env;
        }
        return System.getenv();
    }

    /** One {@code MC_*} variable: its names (first preferred), its property and the engine field it sets. */
    private record McVariable(List<String> names, String property, Function<EngineConfig, Object> field,
            List<String> parsedTogether) {

        McVariable(List<String> names, String property, Function<EngineConfig, Object> field) {
            this(names, property, field, List.of());
        }

        void addTo(Map<String, Object> map, Map<String, String> env) {
            for (String name : this.names) {
                String value = env.get(name);
                if (value != null && !value.isBlank()) {
                    Map<String, String> subset = new HashMap<>();
                    subset.put(name, value);
                    for (String other : this.parsedTogether) {
                        if (env.get(other) != null) {
                            subset.putIfAbsent(other, env.get(other));
                        }
                    }
                    Object parsed;
                    try {
                        parsed = this.field.apply(EngineConfig.builder().environment(subset).build());
                    } catch (MooncakeException ex) {
                        throw new InvalidMooncakeSettingException("environment variables", ex);
                    }
                    if (parsed != null) {
                        map.put(this.property, OriginTrackedValue.of(text(parsed), new SystemEnvironmentOrigin(name)));
                    }
                    return;
                }
            }
        }

        private static String text(Object value) {
            return (value instanceof Duration d) ? d.toMillis() + "ms" : value.toString();
        }
    }

    /** A value's origin in the Mooncake JSON file. */
    record ConfigFileOrigin(String file, String key) implements Origin {

        @Override
        public String toString() {
            return "Mooncake config file '" + this.file + "' key \"" + this.key + "\"";
        }
    }
}

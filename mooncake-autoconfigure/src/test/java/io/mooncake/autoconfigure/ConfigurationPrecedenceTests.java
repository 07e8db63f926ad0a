package io.mooncake.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.config.EngineConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * One test per row of the precedence table in docs/configuration.md, through a real
 * {@link SpringApplication} (config data and the environment post-processor run as in production;
 * the system environment is replaced, the engine is a mock).
 *
 * <ol>
 * <li>command-line arguments and system properties</li>
 * <li>environment variables: MOONCAKE_* (exact names), MC_*, and Spring's MOONCAKE_SOME_PROPERTY</li>
 * <li>application.yml / application.properties</li>
 * <li>the Mooncake JSON file (MOONCAKE_CONFIG_PATH or mooncake.config-path)</li>
 * <li>defaults</li>
 * </ol>
 */
class ConfigurationPrecedenceTests {

    @TempDir
    Path dir;

    @Test
    void row1CommandLineArgumentBeatsEnvironmentVariableYamlAndFile() throws IOException {
        EngineConfig config = run(Map.of("MOONCAKE_LOCAL_HOSTNAME", "from-env",
                "MOONCAKE_CONFIG_PATH", jsonFile("{\"local_hostname\": \"from-file\"}")),
                "--mooncake.local-hostname=from-command-line");
        assertThat(config.localHostname()).isEqualTo("from-command-line");
    }

    @Test
    void cxlPropertiesOverrideTheReferenceVariablesTheEngineReads() {
        EngineConfig config = run(Map.of("MC_CXL_DEV_PATH", "/dev/dax0.0", "MC_CXL_DEV_SIZE", "1024"),
                "--mooncake.cxl.device-path=/dev/dax1.0", "--mooncake.cxl.device-size=2GB");
        assertThat(config.environment()).containsEntry("MC_CXL_DEV_PATH", "/dev/dax1.0")
                .containsEntry("MC_CXL_DEV_SIZE", Long.toString(2L << 30));
        EngineConfig fromEnv = run(Map.of("MC_CXL_DEV_PATH", "/dev/dax0.0"));
        assertThat(fromEnv.environment()).containsEntry("MC_CXL_DEV_PATH", "/dev/dax0.0");
    }

    @Test
    void row1SystemPropertyBeatsEnvironmentVariable() {
        String key = "mooncake.device-name";
        System.setProperty(key, "from-system-property");
        try {
            assertThat(run(Map.of("MOONCAKE_DEVICE", "from-env")).deviceNames()).containsExactly("from-system-property");
        } finally {
            System.clearProperty(key);
        }
    }

    @Test
    void row2MooncakeVariableBeatsYamlAndFile() throws IOException {
        EngineConfig config = run(Map.of("MOONCAKE_DEVICE", "from-env",
                "MOONCAKE_CONFIG_PATH", jsonFile("{\"device_name\": \"from-file\"}")));
        assertThat(config.deviceNames()).containsExactly("from-env");
    }

    @Test
    void row2McVariableBeatsYaml() {
        EngineConfig config = run(Map.of("MC_TCP_SLICE_SIZE", "65536", "MC_TCP_LANES_PER_PEER", "9"));
        assertThat(config.sliceSize()).isEqualTo(65536);
        assertThat(config.connectionsPerPeer()).isEqualTo(9);
    }

    @Test
    void row2TheSharedSecretComesFromItsVariableAndNeverShows() {
        EngineConfig config = run(Map.of("MOONCAKE_AUTH_SECRET", "from-env-secret-0123456789"));
        assertThat(config.authSecret()).isNotNull();
        assertThat(config.toString()).contains("auth=on").doesNotContain("from-env-secret");
        assertThat(run(Map.of()).authSecret()).isNull();
    }

    @Test
    void row2SpringRelaxedVariableBeatsTheReferenceName() {
        EngineConfig config = run(Map.of("MOONCAKE_DEVICE_NAME", "spring-name", "MOONCAKE_DEVICE", "reference-name"));
        assertThat(config.deviceNames()).containsExactly("spring-name");
    }

    @Test
    void row3YamlBeatsTheJsonFile() throws IOException {
        EngineConfig config = run(Map.of("MOONCAKE_CONFIG_PATH",
                jsonFile("{\"local_hostname\": \"from-file\", \"device_name\": \"from-file\"}")));
        assertThat(config.localHostname()).isEqualTo("from-yaml");
        assertThat(config.deviceNames()).containsExactly("from-yaml");
        assertThat(config.sliceSize()).isEqualTo(128 << 10);
    }

    @Test
    void row4JsonFileBeatsDefaults() throws IOException {
        ConfigurableApplicationContext context = start(Map.of("MOONCAKE_CONFIG_PATH",
                jsonFile("{\"protocol\": \"RDMA\", \"master_server_address\": \"10.0.0.1:50051\", "
                        + "\"global_segment_size\": \"1MB\"}")));
        try (context) {
            EngineConfig config = context.getBean(EngineConfig.class);
            assertThat(config.protocols()).containsExactly("rdma");
            assertThat(context.getBean(MooncakeMasterServer.class).address()).isEqualTo("10.0.0.1:50051");
            assertThat(context.getBean(MooncakeProperties.class).getGlobalSegmentSize().toBytes()).isEqualTo(1 << 20);
        }
    }

    @Test
    void row4JsonFileNamedInYamlIsRead() throws IOException {
        String file = jsonFile("{\"protocol\": \"efa\"}");
        assertThat(run(Map.of(), "--spring.config.additional-location=" + yamlFile("mooncake.config-path: " + file))
            .protocols()).containsExactly("efa");
    }

    @Test
    void row5DefaultsApplyWhenNothingIsSet() {
        EngineConfig config = run(Map.of());
        assertThat(config.protocols()).containsExactly("tcp");
        assertThat(config.handshakePort()).isZero();
        assertThat(config.transferTimeout()).isEqualTo(EngineConfig.DEFAULT_TRANSFER_TIMEOUT);
    }

    @Test
    void theStartupLineNamesEachEffectiveSettingsOriginAndWhatItOverrides() throws IOException {
        try (ConfigurableApplicationContext context = start(Map.of("MOONCAKE_DEVICE", "from-env",
                "MOONCAKE_CONFIG_PATH", jsonFile("{\"protocol\": \"efa\"}")))) {
            String line = EffectiveSettings.line(context.getEnvironment(), context.getBean(EngineConfig.class), null);
            assertThat(line).contains("protocol=efa (Mooncake config file '")
                .contains("' key \"protocol\")")
                .contains("device-name=from-env (System Environment Property \"MOONCAKE_DEVICE\", overriding "
                        + "'from-yaml' from class path resource [precedence/application.yml] - 4:16)")
                .contains("metadata-server=P2PHANDSHAKE (class path resource [precedence/application.yml] - 5:20)");
            assertThat(PropertyOrigins.fix(context.getEnvironment(), "mooncake.device-name", "mlx5_0"))
                .startsWith("set environment variable MOONCAKE_DEVICE=mlx5_0, or unset it (it overrides class path "
                        + "resource [precedence/application.yml]");
            assertThat(PropertyOrigins.fix(context.getEnvironment(), "mooncake.protocol", "tcp"))
                .startsWith("set \"protocol\": \"tcp\" in Mooncake config file '");
        }
    }

    private EngineConfig run(Map<String, String> env, String... args) {
        try (ConfigurableApplicationContext context = start(env, args)) {
            return context.getBean(EngineConfig.class);
        }
    }

    private ConfigurableApplicationContext start(Map<String, String> env, String... args) {
        SpringApplication application = new SpringApplication(MockEngineConfiguration.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        application.setEnvironment(TestEnvironments.withSystemEnvironment(new HashMap<>(env)));
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--spring.config.location=classpath:precedence/application.yml");
        all.add("--spring.main.banner-mode=off");
        return application.run(all.toArray(String[]::new));
    }

    private String jsonFile(String json) throws IOException {
        Path file = Files.createTempFile(this.dir, "mooncake", ".json");
        Files.writeString(file, json);
        return file.toString();
    }

    private String yamlFile(String yaml) throws IOException {
        Path file = Files.createTempFile(this.dir, "extra", ".yml");
        Files.writeString(file, yaml);
        return "file:" + file;
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(MooncakeAutoConfiguration.class)
    static class MockEngineConfiguration {

        @Bean
        MooncakeEngine transferEngine() {
            MooncakeEngine engine = mock(MooncakeEngine.class);
            given(engine.allocateBuffer(anyLong(), anyString())).willReturn(mock(LocalBuffer.class));
            return engine;
        }
    }
}

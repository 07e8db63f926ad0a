package io.mooncake.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.Protocol;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.config.EngineConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.FileSystemResource;

/** Every file in config-examples/ binds, validates and yields the engine configuration it documents. */
class ConfigExamplesTests {

    static final Path EXAMPLES = Path.of("..", "config-examples");

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MooncakeAutoConfiguration.class))
        .withBean(MooncakeEngine.class, MooncakeAutoConfigurationTests::mockEngine);

    static Stream<Path> yamlFiles() throws IOException {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            return files.filter((f) -> f.toString().endsWith(".yml")).sorted().toList().stream();
        }
    }

    @Test
    void thereIsAnExampleForEveryProtocolAndTheOtherForms() throws IOException {
        List<String> names = yamlFiles().map((f) -> f.getFileName().toString()).toList();
        for (Protocol protocol : Protocol.values()) {
            assertThat(names).contains("application-" + protocol.id() + ".yml");
        }
        assertThat(names).contains("application-combination.yml");
        assertThat(EXAMPLES.resolve("mooncake.json")).isRegularFile();
        assertThat(EXAMPLES.resolve("mooncake.env")).isRegularFile();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("yamlFiles")
    void yamlExampleBindsAndValidates(Path file) throws IOException {
        List<PropertySource<?>> sources = new YamlPropertySourceLoader().load(file.toString(),
                new FileSystemResource(file));
        String name = file.getFileName().toString();
        String protocol = name.substring("application-".length(), name.length() - ".yml".length());
        this.contextRunner
            .withInitializer((context) -> sources.forEach((s) -> context.getEnvironment().getPropertySources().addLast(s)))
            .run((context) -> {
                assertThat(context).hasNotFailed();
                EngineConfig config = context.getBean(EngineConfig.class);
                if (protocol.equals("combination")) {
                    assertThat(config.protocols()).containsExactly("rdma", "nvmeof");
                    assertThat(context.getBean(MooncakeMasterServer.class).port()).isEqualTo(50051);
                } else {
                    assertThat(config.protocols()).containsExactly(protocol);
                }
                assertThat(config.localHostname()).isNotBlank();
            });
    }

    @Test
    void tcpExampleCarriesItsSizes() throws IOException {
        Path file = EXAMPLES.resolve("application-tcp.yml");
        List<PropertySource<?>> sources = new YamlPropertySourceLoader().load("tcp", new FileSystemResource(file));
        this.contextRunner
            .withInitializer((context) -> sources.forEach((s) -> context.getEnvironment().getPropertySources().addLast(s)))
            .run((context) -> {
                assertThat(context.getBean(MooncakeGlobalSegment.class).size()).isEqualTo(1L << 30);
                assertThat(context.getBean(MooncakeLocalBufferPool.class).size()).isEqualTo(256L << 20);
                assertThat(context.getBean(EngineConfig.class).handshakePort()).isEqualTo(12001);
            });
    }

    @Test
    void jsonExampleBindsThroughThePostProcessor() {
        String path = EXAMPLES.resolve("mooncake.json").toString();
        this.contextRunner.withInitializer((context) -> {
            context.getEnvironment().getPropertySources()
                .addFirst(new MapPropertySource("test", Map.of("mooncake.config-path", path)));
            new MooncakeEnvironmentPostProcessor(TestEnvironments.LOGS).postProcessEnvironment(context.getEnvironment(),
                    new SpringApplication());
        }).run((context) -> {
            assertThat(context).hasNotFailed();
            EngineConfig config = context.getBean(EngineConfig.class);
            assertThat(config.protocols()).containsExactly("tcp");
            assertThat(config.localHostname()).isEqualTo("10.0.0.5");
            assertThat(context.getBean(MooncakeMasterServer.class).address()).isEqualTo("10.0.0.1:50051");
            assertThat(context.getBean(MooncakeGlobalSegment.class).size()).isEqualTo(3L << 30);
            assertThat(context.getBean(MooncakeLocalBufferPool.class).size()).isEqualTo(1L << 30);
        });
    }

    @Test
    void envFileExampleBindsThroughThePostProcessor() throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(EXAMPLES.resolve("mooncake.env"))) {
            String trimmed = line.trim();
            if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
                String[] kv = trimmed.split("=", 2);
                env.put(kv[0], kv[1]);
            }
        }
        assertThat(env.keySet()).contains("MOONCAKE_PROTOCOL", "MOONCAKE_DEVICE", "MOONCAKE_MASTER",
                "MOONCAKE_TE_META_DATA_SERVER", "MOONCAKE_LOCAL_HOSTNAME", "MOONCAKE_GLOBAL_SEGMENT_SIZE",
                "MOONCAKE_LOCAL_BUFFER_SIZE");
        this.contextRunner
            .withInitializer((context) -> context.getEnvironment().getPropertySources()
                .addFirst(TestEnvironments.mappedEnvironment(env)))
            .run((context) -> {
                assertThat(context).hasNotFailed();
                EngineConfig config = context.getBean(EngineConfig.class);
                assertThat(config.protocols()).containsExactly("tcp");
                assertThat(config.metadataServer()).isEqualTo("P2PHANDSHAKE");
                assertThat(config.localHostname()).isEqualTo("10.0.0.5");
                assertThat(config.connectionsPerPeer()).isEqualTo(4);
                assertThat(config.transferTimeout()).isEqualTo(Duration.ofSeconds(30));
                assertThat(context.getBean(MooncakeGlobalSegment.class).size()).isEqualTo(3L << 30);
                assertThat(context.getBean(MooncakeMasterServer.class).host()).isEqualTo("10.0.0.1");
            });
    }

}

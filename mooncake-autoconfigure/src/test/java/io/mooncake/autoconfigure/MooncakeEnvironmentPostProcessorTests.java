package io.mooncake.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.OriginTrackedMapPropertySource;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.support.SpringFactoriesLoader;

class MooncakeEnvironmentPostProcessorTests {

    private final MooncakeEnvironmentPostProcessor processor = new MooncakeEnvironmentPostProcessor(
            TestEnvironments.LOGS);

    @TempDir
    Path dir;

    @Test
    void mapsTheExactMooncakeVariablesWithTheirOrigin() {
        StandardEnvironment environment = process(Map.of("MOONCAKE_PROTOCOL", "RDMA", "MOONCAKE_DEVICE", "mlx5_0",
                "MOONCAKE_MASTER", "10.0.0.1:50051", "MOONCAKE_TE_META_DATA_SERVER", "etcd://10.0.0.1:2379",
                "MOONCAKE_LOCAL_HOSTNAME", "10.0.0.5", "MOONCAKE_GLOBAL_SEGMENT_SIZE", "3g",
                "MOONCAKE_LOCAL_BUFFER_SIZE", "1.5GB"));
        PropertySource<?> mapped = environment.getPropertySources().get(MooncakeEnvironmentPostProcessor.ENVIRONMENT_SOURCE);
        assertThat(mapped.getProperty("mooncake.protocol")).isEqualTo("rdma");
        assertThat(mapped.getProperty("mooncake.device-name")).isEqualTo("mlx5_0");
        assertThat(mapped.getProperty("mooncake.master-server-address")).isEqualTo("10.0.0.1:50051");
        assertThat(mapped.getProperty("mooncake.metadata-server")).isEqualTo("etcd://10.0.0.1:2379");
        assertThat(mapped.getProperty("mooncake.local-hostname")).isEqualTo("10.0.0.5");
        assertThat(mapped.getProperty("mooncake.global-segment-size")).isEqualTo("3221225472");
        assertThat(mapped.getProperty("mooncake.local-buffer-size")).isEqualTo("1610612736");
        // Spring's relaxed binding also sees MOONCAKE_PROTOCOL, unnormalised, one source earlier
        assertThat(environment.getProperty("mooncake.protocol")).isEqualTo("RDMA");
        assertThat(environment.getProperty("mooncake.device-name")).isEqualTo("mlx5_0");
        assertThat(PropertyOrigins.of(environment, "mooncake.device-name"))
            .isEqualTo("System Environment Property \"MOONCAKE_DEVICE\"");
    }

    @Test
    void environmentSourceSitsRightAfterTheSystemEnvironment() {
        StandardEnvironment environment = process(Map.of("MOONCAKE_PROTOCOL", "tcp"));
        List<String> names = environment.getPropertySources().stream().map(PropertySource::getName).toList();
        assertThat(names).containsSubsequence(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                MooncakeEnvironmentPostProcessor.ENVIRONMENT_SOURCE);
        assertThat(names.indexOf(MooncakeEnvironmentPostProcessor.ENVIRONMENT_SOURCE))
            .isEqualTo(names.indexOf(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME) + 1);
    }

    @Test
    void mapsTheMcVariablesTheEngineHonoursThroughTheEngineParser() {
        StandardEnvironment environment = process(Map.ofEntries(Map.entry("MC_MIN_RPC_PORT", "20000"),
                Map.entry("MC_MAX_RPC_PORT", "20100"), Map.entry("MC_TCP_BIND_ADDRESS", "10.0.0.5"),
                Map.entry("MC_HANDSHAKE_CONNECT_TIMEOUT", "9"), Map.entry("MC_HANDSHAKE_MAX_LENGTH", "2097152"),
                Map.entry("MC_TCP_PROTO", "1"), Map.entry("MC_METADATA_CLUSTER_ID", "blue"),
                Map.entry("MC_FORCE_TCP", "1"), Map.entry("MC_FORCE_HCA", "0"), Map.entry("MC_FORCE_MNNVL", "true"),
                Map.entry("MC_INTRANODE_NVLINK", "yes"), Map.entry("MC_TE_METADATA_REFRESH_INTERVAL_SECONDS", "30"),
                Map.entry("MC_TRANSFER_TIMEOUT", "2"), Map.entry("MC_TCP_MAX_CONNECTIONS_PER_PEER", "6"),
                Map.entry("MC_TCP_SLICE_SIZE", "131072")));
        assertThat(environment.getProperty("mooncake.rpc-port-range.min")).isEqualTo("20000");
        assertThat(environment.getProperty("mooncake.rpc-port-range.max")).isEqualTo("20100");
        assertThat(environment.getProperty("mooncake.bind-address")).isEqualTo("10.0.0.5");
        assertThat(environment.getProperty("mooncake.connect-timeout")).isEqualTo("9000ms");
        assertThat(environment.getProperty("mooncake.handshake-max-length")).isEqualTo("2097152");
        assertThat(environment.getProperty("mooncake.tcp-proto-version")).isEqualTo("1");
        assertThat(environment.getProperty("mooncake.cluster-id")).isEqualTo("blue");
        assertThat(environment.getProperty("mooncake.force-tcp")).isEqualTo("true");
        assertThat(environment.getProperty("mooncake.force-hca")).isEqualTo("false");
        assertThat(environment.getProperty("mooncake.force-mnnvl")).isEqualTo("true");
        assertThat(environment.getProperty("mooncake.intranode-nvlink")).isEqualTo("true");
        assertThat(environment.getProperty("mooncake.metadata-refresh-interval")).isEqualTo("30000ms");
        // the engine raises MC_TRANSFER_TIMEOUT to its minimum of 5 seconds, as the reference does
        assertThat(environment.getProperty("mooncake.transfer-timeout")).isEqualTo("5000ms");
        assertThat(environment.getProperty("mooncake.connections-per-peer")).isEqualTo("6");
        assertThat(environment.getProperty("mooncake.slice-size")).isEqualTo("131072");
        assertThat(PropertyOrigins.of(environment, "mooncake.connections-per-peer"))
            .isEqualTo("System Environment Property \"MC_TCP_MAX_CONNECTIONS_PER_PEER\"");
    }

    @Test
    void storeOnlyVariablesAreCheckedButNotMapped() {
        StandardEnvironment environment = process(Map.of("MOONCAKE_TENANT_ID", "a"));
        assertThat(environment.getPropertySources().contains(MooncakeEnvironmentPostProcessor.ENVIRONMENT_SOURCE))
            .isFalse();
        assertThatThrownBy(() -> process(Map.of("MOONCAKE_CLIENT_HTTP_PORT", "x")))
            .isInstanceOf(InvalidMooncakeSettingException.class)
            .hasMessageContaining("MOONCAKE_CLIENT_HTTP_PORT='x'");
    }

    @Test
    void badSizeVariableFailsNamingTheVariable() {
        assertThatThrownBy(() -> process(Map.of("MOONCAKE_GLOBAL_SEGMENT_SIZE", "3GiB")))
            .isInstanceOf(InvalidMooncakeSettingException.class)
            .hasMessage("Invalid Mooncake setting in environment variables: invalid size "
                    + "MOONCAKE_GLOBAL_SEGMENT_SIZE='3GiB': unit 'GiB' is not supported; use a number of bytes or a "
                    + "number with unit B, K/KB, M/MB, G/GB or T/TB (powers of 1024, case-insensitive, decimals "
                    + "allowed), e.g. 3GB or 512mb");
    }

    @Test
    void nonNumericMcVariableFailsNamingTheVariable() {
        assertThatThrownBy(() -> process(Map.of("MC_TCP_SLICE_SIZE", "64k")))
            .isInstanceOf(InvalidMooncakeSettingException.class)
            .hasMessageContaining("MC_TCP_SLICE_SIZE='64k' is not an integer");
    }

    @Test
    void jsonFileNamedByMooncakeConfigPathIsAddedLast() throws IOException {
        Path file = this.dir.resolve("mooncake.json");
        Files.writeString(file, "{\"protocol\": \"tcp\", \"global_segment_size\": \"3GB\", \"tenant_id\": \"x\", "
                + "\"extra\": 1}");
        StandardEnvironment environment = TestEnvironments.withSystemEnvironment(
                Map.of("MOONCAKE_CONFIG_PATH", file.toString()));
        environment.getPropertySources().addLast(new MapPropertySource("applicationConfig", Map.of()));
        this.processor.postProcessEnvironment(environment, new SpringApplication());
        List<String> names = environment.getPropertySources().stream().map(PropertySource::getName).toList();
        assertThat(names).last().isEqualTo(MooncakeEnvironmentPostProcessor.FILE_SOURCE);
        assertThat(environment.getProperty("mooncake.global-segment-size")).isEqualTo("3221225472");
        assertThat(PropertyOrigins.of(environment, "mooncake.global-segment-size"))
            .isEqualTo("Mooncake config file '" + file + "' key \"global_segment_size\"");
        OriginTrackedMapPropertySource source = (OriginTrackedMapPropertySource) environment.getPropertySources()
            .get(MooncakeEnvironmentPostProcessor.FILE_SOURCE);
        assertThat(source.getPropertyNames()).containsOnly("mooncake.protocol", "mooncake.global-segment-size");
    }

    @Test
    void jsonFileNamedByAPropertyIsRead() throws IOException {
        Path file = this.dir.resolve("m.json");
        Files.writeString(file, "{\"device_name\": \"eth0\"}");
        StandardEnvironment environment = TestEnvironments.withSystemEnvironment(Map.of());
        environment.getPropertySources()
            .addFirst(new MapPropertySource("test", Map.of("mooncake.config-path", file.toString())));
        this.processor.postProcessEnvironment(environment, new SpringApplication());
        assertThat(environment.getProperty("mooncake.device-name")).isEqualTo("eth0");
    }

    @Test
    void missingJsonFileFails() {
        Path missing = this.dir.resolve("nope.json");
        assertThatThrownBy(() -> process(Map.of("MOONCAKE_CONFIG_PATH", missing.toString())))
            .isInstanceOf(InvalidMooncakeSettingException.class)
            .hasMessageContaining("'" + missing + "' does not exist");
    }

    @Test
    void mappingCanBeSwitchedOff() {
        StandardEnvironment environment = TestEnvironments.withSystemEnvironment(
                Map.of("MOONCAKE_PROTOCOL", "rdma", "MOONCAKE_DEVICE", "mlx5_0"));
        environment.getPropertySources()
            .addFirst(new MapPropertySource("test", Map.of("mooncake.map-environment-variables", "false")));
        this.processor.postProcessEnvironment(environment, new SpringApplication());
        assertThat(environment.getPropertySources().contains(MooncakeEnvironmentPostProcessor.ENVIRONMENT_SOURCE))
            .isFalse();
        assertThat(environment.getProperty("mooncake.device-name")).isNull();
    }

    @Test
    void runsAfterConfigDataAndIsRegistered() {
        assertThat(this.processor.getOrder()).isGreaterThan(
                org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor.ORDER);
        assertThat(SpringFactoriesLoader.forDefaultResourceLocation()
            .load(EnvironmentPostProcessor.class,
                    SpringFactoriesLoader.ArgumentResolver.of(DeferredLogFactory.class, TestEnvironments.LOGS)))
            .hasAtLeastOneElementOfType(MooncakeEnvironmentPostProcessor.class);
    }

    private StandardEnvironment process(Map<String, String> env) {
        StandardEnvironment environment = TestEnvironments.withSystemEnvironment(env);
        this.processor.postProcessEnvironment(environment, new SpringApplication());
        return environment;
    }
}

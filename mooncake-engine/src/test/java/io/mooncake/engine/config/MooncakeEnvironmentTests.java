package io.mooncake.engine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.MooncakeException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MooncakeEnvironmentTests {

    @Test
    void readsTheExactVariableNames() {
        MooncakeEnvironment env = MooncakeEnvironment.from(Map.of(
                "MOONCAKE_PROTOCOL", "RDMA",
                "MOONCAKE_DEVICE", "mlx5_0,mlx5_1",
                "MOONCAKE_MASTER", "10.0.0.1:50051",
                "MOONCAKE_TE_META_DATA_SERVER", "etcd://10.0.0.1:2379",
                "MOONCAKE_LOCAL_HOSTNAME", "10.0.0.5",
                "MOONCAKE_GLOBAL_SEGMENT_SIZE", "3GB",
                "MOONCAKE_LOCAL_BUFFER_SIZE", "512mb",
                "MOONCAKE_CONFIG_PATH", "conf/mooncake.json",
                "UNRELATED", "x"));
        assertThat(env.values()).containsExactly(
                Map.entry(MooncakeSetting.LOCAL_HOSTNAME, "10.0.0.5"),
                Map.entry(MooncakeSetting.METADATA_SERVER, "etcd://10.0.0.1:2379"),
                Map.entry(MooncakeSetting.PROTOCOL, "rdma"),
                Map.entry(MooncakeSetting.DEVICE_NAME, "mlx5_0,mlx5_1"),
                Map.entry(MooncakeSetting.MASTER_SERVER_ADDRESS, "10.0.0.1:50051"),
                Map.entry(MooncakeSetting.GLOBAL_SEGMENT_SIZE, "3221225472"),
                Map.entry(MooncakeSetting.LOCAL_BUFFER_SIZE, "536870912"));
        assertThat(env.globalSegmentSize()).hasValue(3221225472L);
        assertThat(env.localBufferSize()).hasValue(536870912L);
        assertThat(env.configPath()).contains(Path.of("conf/mooncake.json"));
    }

    @Test
    void blankVariablesCountAsUnset() {
        MooncakeEnvironment env = MooncakeEnvironment.from(Map.of("MOONCAKE_PROTOCOL", " ", "MOONCAKE_CONFIG_PATH", ""));
        assertThat(env.values()).isEmpty();
        assertThat(env.configPath()).isEmpty();
        assertThat(env.globalSegmentSize()).isEmpty();
    }

    @Test
    void badSizeNamesTheVariable() {
        assertThatThrownBy(() -> MooncakeEnvironment.from(Map.of("MOONCAKE_LOCAL_BUFFER_SIZE", "1GiB")))
                .isInstanceOf(MooncakeException.class)
                .hasMessageContaining("MOONCAKE_LOCAL_BUFFER_SIZE='1GiB'")
                .hasMessageContaining("unit 'GiB' is not supported");
    }

    @Test
    void storeOnlyVariablesAreCheckedToo() {
        assertThatThrownBy(() -> MooncakeEnvironment.from(Map.of("MOONCAKE_CLIENT_HTTP_PORT", "http")))
                .isInstanceOf(MooncakeException.class)
                .hasMessageContaining("MOONCAKE_CLIENT_HTTP_PORT='http'");
        assertThat(MooncakeEnvironment.from(Map.of("MOONCAKE_OFFLOAD_ENABLED", "on")).get(MooncakeSetting.ENABLE_SSD_OFFLOAD))
                .contains("true");
    }

    @Test
    void appliesEngineFieldsToABuilder() {
        EngineConfig config = MooncakeEnvironment.from(Map.of("MOONCAKE_PROTOCOL", "tcp",
                "MOONCAKE_DEVICE", "eth0", "MOONCAKE_LOCAL_HOSTNAME", "node-a",
                "MOONCAKE_TE_META_DATA_SERVER", "http://meta:8080/metadata"))
                .applyTo(EngineConfig.builder()).build();
        assertThat(config.protocol()).isEqualTo("tcp");
        assertThat(config.deviceNames()).containsExactly("eth0");
        assertThat(config.localHostname()).isEqualTo("node-a");
        assertThat(config.metadataServer()).isEqualTo("http://meta:8080/metadata");
    }
}

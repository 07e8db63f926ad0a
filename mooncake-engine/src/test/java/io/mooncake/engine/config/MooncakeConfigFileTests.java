package io.mooncake.engine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MooncakeConfigFileTests {

    @TempDir
    Path dir;

    @Test
    void loadsEveryReferenceKey() throws IOException {
        Path file = dir.resolve("mooncake.json");
        Files.writeString(file, """
                {
                  "local_hostname": "10.0.0.5",
                  "metadata_server": "etcd://10.0.0.1:2379",
                  "protocol": "RDMA",
                  "device_name": "mlx5_0",
                  "master_server_address": "10.0.0.1:50051",
                  "global_segment_size": "3GB",
                  "local_buffer_size": 1073741824,
                  "enable_ssd_offload": "yes",
                  "ssd_offload_path": "/mnt/ssd",
                  "tenant_id": "team-a",
                  "enable_client_http_server": false,
                  "client_http_port": 9300,
                  "comment": "ignored"
                }
                """);
        MooncakeConfigFile config = MooncakeConfigFile.load(file);
        assertThat(config.source()).isEqualTo(file.toString());
        assertThat(config.values()).containsEntry(MooncakeSetting.LOCAL_HOSTNAME, "10.0.0.5")
                .containsEntry(MooncakeSetting.METADATA_SERVER, "etcd://10.0.0.1:2379")
                .containsEntry(MooncakeSetting.PROTOCOL, "rdma")
                .containsEntry(MooncakeSetting.DEVICE_NAME, "mlx5_0")
                .containsEntry(MooncakeSetting.MASTER_SERVER_ADDRESS, "10.0.0.1:50051")
                .containsEntry(MooncakeSetting.ENABLE_SSD_OFFLOAD, "true")
                .containsEntry(MooncakeSetting.SSD_OFFLOAD_PATH, "/mnt/ssd")
                .containsEntry(MooncakeSetting.TENANT_ID, "team-a")
                .containsEntry(MooncakeSetting.ENABLE_CLIENT_HTTP_SERVER, "false")
                .containsEntry(MooncakeSetting.CLIENT_HTTP_PORT, "9300");
        assertThat(config.globalSegmentSize()).hasValue(3L << 30);
        assertThat(config.localBufferSize()).hasValue(1L << 30);
        assertThat(config.ignoredKeys()).containsExactly("comment");
    }

    @Test
    void nullValuesCountAsAbsentAndMasterIsOptional() {
        MooncakeConfigFile config = MooncakeConfigFile.parse("{\"protocol\": null, \"local_buffer_size\": \"1.5g\"}", "t.json");
        assertThat(config.values()).containsExactly(Map.entry(MooncakeSetting.LOCAL_BUFFER_SIZE, "1610612736"));
        assertThat(config.get(MooncakeSetting.MASTER_SERVER_ADDRESS)).isEmpty();
    }

    @Test
    void badSizeNamesKeyAndFile() {
        assertThatThrownBy(() -> MooncakeConfigFile.parse("{\"global_segment_size\": \"3GiB\"}", "conf/m.json"))
                .isInstanceOf(MooncakeException.class)
                .hasMessageContaining("'global_segment_size' in Mooncake config file 'conf/m.json'='3GiB'")
                .hasMessageContaining("e.g. 3GB");
    }

    @Test
    void negativeNumberSizeIsRejected() {
        assertThatThrownBy(() -> MooncakeConfigFile.parse("{\"local_buffer_size\": -1}", "m.json"))
                .isInstanceOf(MooncakeException.class)
                .hasMessageContaining("sizes cannot be negative");
    }

    @Test
    void wronglyTypedValueSaysWhatWasExpected() {
        assertThatThrownBy(() -> MooncakeConfigFile.parse("{\"protocol\": 5}", "m.json"))
                .isInstanceOf(MooncakeException.class)
                .hasMessage("invalid value 5 for 'protocol' in Mooncake config file 'm.json'; expected a string");
        assertThatThrownBy(() -> MooncakeConfigFile.parse("{\"global_segment_size\": 1.5}", "m.json"))
                .hasMessageContaining("expected a whole number of bytes or a string such as \"3GB\"");
        assertThatThrownBy(() -> MooncakeConfigFile.parse("{\"enable_ssd_offload\": \"maybe\"}", "m.json"))
                .hasMessageContaining("enable_ssd_offload");
    }

    @Test
    void malformedJsonIsReported() {
        assertThatThrownBy(() -> MooncakeConfigFile.parse("{\"protocol\": ", "m.json"))
                .isInstanceOfSatisfying(MooncakeException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_JSON))
                .hasMessageContaining("Mooncake config file 'm.json' is not valid JSON");
        assertThatThrownBy(() -> MooncakeConfigFile.parse("[1]", "m.json"))
                .hasMessageContaining("must hold a JSON object");
    }

    @Test
    void missingFileSaysSo() {
        Path missing = dir.resolve("missing.json");
        assertThatThrownBy(() -> MooncakeConfigFile.load(missing))
                .isInstanceOf(MooncakeException.class)
                .hasMessage("Mooncake config file '" + missing + "' does not exist; fix the path or unset it");
    }

    @Test
    void appliesEngineFieldsToABuilder() {
        EngineConfig config = MooncakeConfigFile.parse(
                "{\"protocol\": \"tcp\", \"metadata_server\": \"P2PHANDSHAKE\", \"local_hostname\": \"h1\", "
                        + "\"device_name\": \"\"}", "m.json")
                .applyTo(EngineConfig.builder()).build();
        assertThat(config.protocol()).isEqualTo("tcp");
        assertThat(config.localHostname()).isEqualTo("h1");
        assertThat(config.deviceNames()).isEmpty();
    }

    @Test
    void aMisspelledKeyIsRejectedWithItsLineColumnAndTheClosestKnownKey() {
        assertThatThrownBy(() -> MooncakeConfigFile.parse("""
                {
                  "local_hostname": "10.0.0.5",
                  "protocoll": "rdma"
                }
                """, "/etc/mooncake.json"))
            .isInstanceOf(MooncakeException.class)
            .hasMessageContaining("unknown key \"protocoll\" in Mooncake config file '/etc/mooncake.json' at line 3, "
                    + "column 3; did you mean \"protocol\"?");
        assertThatThrownBy(() -> MooncakeConfigFile.parse("{\"Device-Name\": \"mlx5_0\"}", "f.json"))
            .hasMessageContaining("did you mean \"device_name\"");
    }

    @Test
    void keysFarFromAnyKnownOneAreIgnoredAndListed() {
        MooncakeConfigFile file = MooncakeConfigFile.parse("{\"comment\": \"x\", \"protocol\": \"tcp\"}", "f.json");
        assertThat(file.ignoredKeys()).containsExactly("comment");
        assertThat(MooncakeConfigFile.closestKey("comment")).isNull();
    }

    @Test
    void aTruncatedFileNamesTheLineAndColumn() {
        assertThatThrownBy(() -> MooncakeConfigFile.parse("{\n  \"protocol\": \"tcp\",\n  \"device_name\": \"ml",
                "/etc/mooncake.json"))
            .isInstanceOf(MooncakeException.class)
            .hasMessageContaining("Mooncake config file '/etc/mooncake.json' is not valid JSON at line 3, column");
    }
}

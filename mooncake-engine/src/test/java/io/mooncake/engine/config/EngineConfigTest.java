package io.mooncake.engine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Defaults and the MC_* variables the engine honours. */
class EngineConfigTest {

    @Test
    void documentedDefaults() {
        EngineConfig c = EngineConfig.builder().build();
        assertThat(c.metadataServer()).isEqualTo("P2PHANDSHAKE");
        assertThat(c.protocols()).containsExactly("tcp");
        assertThat(c.minRpcPort()).isEqualTo(15000);
        assertThat(c.maxRpcPort()).isEqualTo(17000);
        assertThat(c.transferTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.handshakeMaxLength()).isEqualTo(1 << 20);
        assertThat(c.tcpProtoVersion()).isEqualTo(2);
        assertThat(c.fallbackToTcp()).isTrue();
    }

    @Test
    void mcVariablesAreApplied() {
        EngineConfig c = EngineConfig.builder().environment(Map.of("MC_MIN_RPC_PORT", "20000", "MC_MAX_RPC_PORT",
                "21000", "MC_TCP_PROTO", "1", "MC_METADATA_CLUSTER_ID", "blue", "MC_FORCE_TCP", "yes",
                "MC_HANDSHAKE_CONNECT_TIMEOUT", "7", "MC_TRANSFER_TIMEOUT", "2", "MC_TCP_LANES_PER_PEER", "8",
                "MC_TCP_BIND_ADDRESS", "127.0.0.1")).build();
        assertThat(c.minRpcPort()).isEqualTo(20000);
        assertThat(c.maxRpcPort()).isEqualTo(21000);
        assertThat(c.tcpProtoVersion()).isEqualTo(1);
        assertThat(c.clusterId()).isEqualTo("blue");
        assertThat(c.forceTcp()).isTrue();
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(c.transferTimeout()).as("minimum 5 s, as the reference").isEqualTo(Duration.ofSeconds(5));
        assertThat(c.connectionsPerPeer()).isEqualTo(8);
        assertThat(c.bindAddress()).isEqualTo("127.0.0.1");
    }

    @Test
    void invalidPortRangeFallsBackToTheDefaultRange() {
        EngineConfig c = EngineConfig.builder().environment(Map.of("MC_MIN_RPC_PORT", "40000", "MC_MAX_RPC_PORT",
                "50000")).build();
        assertThat(c.minRpcPort()).isEqualTo(15000);
        assertThat(c.maxRpcPort()).isEqualTo(17000);
    }

    @Test
    void referenceBooleansTreatZeroFalseNoAsOff() {
        for (String off : List.of("0", "false", "NO", "")) {
            assertThat(EnvironmentVariables.flag(Map.of("MC_FORCE_TCP", off), "MC_FORCE_TCP")).isFalse();
        }
        assertThat(EnvironmentVariables.flag(Map.of("MC_FORCE_TCP", "1"), "MC_FORCE_TCP")).isTrue();
    }

    @Test
    void nonNumericVariableIsNamed() {
        assertThatThrownBy(() -> EngineConfig.builder().environment(Map.of("MC_TCP_SLICE_SIZE", "big")))
                .hasMessageContaining("MC_TCP_SLICE_SIZE").hasMessageContaining("big");
    }

    @Test
    void protocolListAndDeviceList() {
        EngineConfig c = EngineConfig.builder().protocol("RDMA, nvmeof").deviceName("mlx5_0, mlx5_1").build();
        assertThat(c.protocols()).containsExactly("rdma", "nvmeof");
        assertThat(c.deviceNames()).containsExactly("mlx5_0", "mlx5_1");
    }
}

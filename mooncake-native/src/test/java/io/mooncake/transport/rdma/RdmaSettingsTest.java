package io.mooncake.transport.rdma;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.InvalidConfigurationException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reference's RDMA variables: defaults, overrides and clear errors. */
class RdmaSettingsTest {

    @Test
    void defaultsAreTheReferences() {
        RdmaSettings s = RdmaSettings.fromEnvironment(Map.of());

        assertThat(s).isEqualTo(RdmaSettings.DEFAULTS);
        assertThat(s.port()).isEqualTo(1);
        assertThat(s.gidIndex()).isEqualTo(-1);
        assertThat(s.mtu()).isEqualTo(4096);
        assertThat(s.maxWr()).isEqualTo(256);
        assertThat(s.qpPerEndpoint()).isEqualTo(2);
        assertThat(s.sliceRetries()).isEqualTo(9);
        assertThat(s.railPauseSeconds()).isEqualTo(30);
    }

    @Test
    void variablesOverrideAndNcclGidIndexIsTheFallback() {
        RdmaSettings s = RdmaSettings.fromEnvironment(Map.of("MC_MTU", "1024", "NCCL_IB_GID_INDEX", "3",
                "MC_NUM_QP_PER_EP", "4", "MC_IB_TC", "106", "MC_IB_SL", "3", "MC_MAX_WR", "128"));
        assertThat(s.mtu()).isEqualTo(1024);
        assertThat(s.pathMtu(5)).as("MC_MTU caps the port's active MTU").isEqualTo(3);
        assertThat(s.pathMtu(2)).as("the port's active MTU caps MC_MTU").isEqualTo(2);
        assertThat(s.gidIndex()).isEqualTo(3);
        assertThat(s.qpPerEndpoint()).isEqualTo(4);
        assertThat(s.trafficClass()).isEqualTo(106);
        assertThat(RdmaSettings.fromEnvironment(Map.of("MC_GID_INDEX", "1", "NCCL_IB_GID_INDEX", "3")).gidIndex())
                .isEqualTo(1);
    }

    @Test
    void badValuesNameTheVariable() {
        assertThatThrownBy(() -> RdmaSettings.fromEnvironment(Map.of("MC_MTU", "1500")))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("MC_MTU")
                .hasMessageContaining("1500").hasMessageContaining("256, 512, 1024, 2048 or 4096");
        assertThatThrownBy(() -> RdmaSettings.fromEnvironment(Map.of("MC_NUM_QP_PER_EP", "zero")))
                .hasMessageContaining("MC_NUM_QP_PER_EP").hasMessageContaining("zero");
        assertThatThrownBy(() -> RdmaSettings.fromEnvironment(Map.of("MC_IB_SL", "16")))
                .hasMessageContaining("MC_IB_SL");
    }
}

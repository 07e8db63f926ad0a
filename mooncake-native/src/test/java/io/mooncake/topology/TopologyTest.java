package io.mooncake.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.MooncakeException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopologyTest {

    @Test
    void parsesTheReferenceExampleAndWritesItBackUnchanged() {
        String json = "{\"cpu:0\":[[\"mlx5_0\"],[\"mlx5_1\"]],\"cuda:0\":[[\"mlx5_0\"],[\"mlx5_1\"]]}";

        Topology t = Topology.parse(json, "test");

        assertThat(t.entry("cuda:0")).isEqualTo(new Topology.Entry(List.of("mlx5_0"), List.of("mlx5_1")));
        assertThat(t.devices()).containsExactly("mlx5_0", "mlx5_1");
        assertThat(t.toJson()).isEqualTo(json);
    }

    @Test
    void rejectsOtherShapesNamingTheKey() {
        assertThatThrownBy(() -> Topology.parse("{\"cpu:0\":[[\"mlx5_0\"]]}", "MC_CUSTOM_TOPO_JSON"))
                .isInstanceOf(MooncakeException.class)
                .hasMessageStartingWith("topology MC_CUSTOM_TOPO_JSON key 'cpu:0' must map to [[preferred...],"
                        + "[available...]]");
        assertThatThrownBy(() -> Topology.parse("{\"cpu:0\":[[1],[]]}", "x"))
                .hasMessageContaining("key 'cpu:0' lists 1, expected device names");
        assertThatThrownBy(() -> Topology.parse("[]", "x")).hasMessageContaining("must be a JSON object");
        assertThatThrownBy(() -> Topology.parse("{", "x")).hasMessageContaining("is not valid JSON");
    }

    @Test
    void pciDistanceCountsTheComponentsNotShared() {
        Path sw = Path.of("/sys/devices/pci0000:00/0000:00:01.0/0000:10:00.0");
        Path gpu = sw.resolve("0000:11:00.0/0000:12:00.0");
        Path sameSwitch = sw.resolve("0000:11:01.0/0000:13:00.0");
        Path otherRootPort = Path.of("/sys/devices/pci0000:00/0000:00:02.0/0000:20:00.0");

        assertThat(TopologyBuilder.distance(gpu, sameSwitch)).isEqualTo(4);
        assertThat(TopologyBuilder.distance(gpu, otherRootPort)).isEqualTo(6);
        assertThat(TopologyBuilder.distance(gpu, gpu)).isZero();
        assertThat(TopologyBuilder.distance(null, gpu)).isGreaterThan(1000);
    }

    @Test
    void autoDiscoveryAndEmptyListMeanEveryUsableDevice() {
        assertThat(NicSelection.isAuto(List.of())).isTrue();
        assertThat(NicSelection.isAuto(List.of("AUTO-DISCOVERY"))).isTrue();
        assertThat(NicSelection.isAuto(List.of("mlx5_0"))).isFalse();
    }
}

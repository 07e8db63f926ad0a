package io.mooncake.hosts;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.RuntimeQuery;
import io.mooncake.probe.Accelerator;
import io.mooncake.probe.MluProbe;
import io.mooncake.probe.ProbeResult;
import io.mooncake.probe.Scan;
import io.mooncake.testing.FakeAccess;
import io.mooncake.testing.FakeHost;
import io.mooncake.testing.FakeLibraries;
import io.mooncake.testing.Hosts;
import io.mooncake.transport.rdma.RdmaTransportProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Cambricon MLU370 node: two MLUs and two InfiniBand HCAs, one pair per socket behind one switch. */
class CambriconHostTest {

    @TempDir
    Path root;

    FakeAccess access = new FakeAccess();
    FakeLibraries libs;

    @BeforeEach
    void host() {
        FakeHost host = new FakeHost(root).numaNodes(2);
        host.mlu("pci0000:00/0000:00:01.0/0000:10:00.0/0000:11:00.0/0000:12:00.0", 0, 0);
        host.mlx5("mlx5_0", "pci0000:00/0000:00:01.0/0000:10:00.0/0000:11:01.0/0000:13:00.0", 0, 0).add();
        host.mlu("pci0000:80/0000:80:01.0/0000:90:00.0/0000:91:00.0/0000:92:00.0", 1, 1);
        host.mlx5("mlx5_1", "pci0000:80/0000:80:01.0/0000:90:00.0/0000:91:01.0/0000:93:00.0", 1, 1).add();
        libs = new FakeLibraries().libibverbs("mlx5_0", "mlx5_1").cndrv(RuntimeQuery.devices(2, List.of()));
    }

    Availability rdma(Map<String, String> env) {
        return new RdmaTransportProvider(libs, access).availability(Hosts.transportContext(
                Hosts.config(root, "rdma", "", env)));
    }

    @Test
    void mlusAreFoundButMluSupportIsOffByDefault() {
        Scan<Accelerator> scan = MluProbe.INSTANCE.scan(Hosts.context(root, libs, access, Map.of()));

        assertThat(scan.devices()).extracting(Accelerator::location).containsExactly("mlu:0", "mlu:1");
        assertThat(scan.result().cause()).isEqualTo(Cause.FEATURE_DISABLED);
        assertThat(scan.result().reason()).isEqualTo("Cambricon MLU support is off (MC_USE_MLU is not set)");
        assertThat(rdma(Map.of()).details().get("topology")).doesNotContain("mlu:");
    }

    @Test
    void withMluOnTheMatrixPairsEachMluWithItsHcaAndNeuwareHomeIsUsed() {
        Map<String, String> env = Map.of("MC_USE_MLU", "1", "NEUWARE_HOME", "/opt/neuware");
        ProbeResult mlu = MluProbe.INSTANCE.probe(Hosts.context(root, libs, access, env));

        assertThat(mlu.available()).as(mlu.describe()).isTrue();
        assertThat(mlu.details()).containsEntry("neuware", "NEUWARE_HOME=/opt/neuware");
        assertThat(libs.asked.get(0)).containsExactly("/opt/neuware/lib64/libcndrv.so",
                "/usr/local/neuware/lib64/libcndrv.so", "libcndrv.so");
        Availability a = rdma(env);
        assertThat(a.available()).as(a.describe()).isTrue();
        assertThat(a.details().get("topology")).isEqualTo("{\"cpu:0\":[[\"mlx5_0\"],[\"mlx5_1\"]],"
                + "\"cpu:1\":[[\"mlx5_1\"],[\"mlx5_0\"]],\"mlu:0\":[[\"mlx5_0\"],[\"mlx5_1\"]],"
                + "\"mlu:1\":[[\"mlx5_1\"],[\"mlx5_0\"]]}");
    }

    @Test
    void neuwareRootIsTheFallbackLocation() {
        libs = new FakeLibraries().libibverbs("mlx5_0", "mlx5_1");

        ProbeResult mlu = MluProbe.INSTANCE.probe(Hosts.context(root, libs, access,
                Map.of("MC_USE_MLU", "true", "NEUWARE_ROOT", "/usr/local/neuware-3")));

        assertThat(mlu.cause()).isEqualTo(Cause.NO_LIBRARY);
        assertThat(mlu.reason()).startsWith("/usr/local/neuware-3/lib64/libcndrv.so cannot be loaded");
        assertThat(mlu.fix()).contains("NEUWARE_HOME");
    }
}

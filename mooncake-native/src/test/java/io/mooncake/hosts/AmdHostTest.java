package io.mooncake.hosts;

import static io.mooncake.testing.Hosts.decision;
import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.RuntimeQuery;
import io.mooncake.probe.Accelerator;
import io.mooncake.probe.RdmaProbe;
import io.mooncake.probe.RocmProbe;
import io.mooncake.probe.Scan;
import io.mooncake.testing.FakeAccess;
import io.mooncake.testing.FakeHost;
import io.mooncake.testing.FakeLibraries;
import io.mooncake.testing.HipTestDouble;
import io.mooncake.testing.Hosts;
import io.mooncake.topology.Topology;
import io.mooncake.topology.TopologyDiscovery;
import io.mooncake.transport.hip.HipTransportProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An AMD MI300X node: two GPUs, two RoCE HCAs, one of each per socket behind one switch. */
class AmdHostTest {

    @TempDir
    Path root;

    FakeAccess access = new FakeAccess();
    FakeLibraries libs;

    @BeforeEach
    void host() {
        FakeHost host = new FakeHost(root).numaNodes(2);
        host.amdGpu("pci0000:00/0000:00:01.0/0000:10:00.0/0000:11:00.0/0000:12:00.0", 0, 128);
        host.mlx5("mlx5_0", "pci0000:00/0000:00:01.0/0000:10:00.0/0000:11:01.0/0000:13:00.0", 0, 0).roce().add();
        host.amdGpu("pci0000:80/0000:80:01.0/0000:90:00.0/0000:91:00.0/0000:92:00.0", 1, 129);
        host.mlx5("mlx5_1", "pci0000:80/0000:80:01.0/0000:90:00.0/0000:91:01.0/0000:93:00.0", 1, 1).roce().add();
        libs = new FakeLibraries().libibverbs("mlx5_0", "mlx5_1")
                .hip(RuntimeQuery.devices(2, List.of("0000:12:00.0", "0000:92:00.0")))
                .hipRuntime(new HipTestDouble.Gpus(2).process());
    }

    Availability hip(Map<String, String> env) {
        return new HipTransportProvider(libs, access).availability(Hosts.transportContext(
                Hosts.config(root, "hip", "", env)));
    }

    @Test
    void gpusAndRoceHcasAreFoundAndPairedInTheMatrix() {
        Scan<Accelerator> gpus = RocmProbe.INSTANCE.scan(Hosts.context(root, libs, access, Map.of()));
        assertThat(gpus.result().available()).as(gpus.result().describe()).isTrue();
        assertThat(gpus.devices()).extracting(Accelerator::location).containsExactly("hip:0", "hip:1");
        assertThat(gpus.devices()).extracting(Accelerator::deviceFile).containsExactly("/dev/dri/renderD128",
                "/dev/dri/renderD129");

        var ctx = Hosts.context(root, libs, access, Map.of());
        Topology t = TopologyDiscovery.discover(ctx, RdmaProbe.INSTANCE.scan(ctx).devices(), List.of()).topology();
        assertThat(t.toJson()).isEqualTo("{\"cpu:0\":[[\"mlx5_0\"],[\"mlx5_1\"]],\"cpu:1\":[[\"mlx5_1\"],[\"mlx5_0\"]],"
                + "\"hip:0\":[[\"mlx5_0\"],[\"mlx5_1\"]],\"hip:1\":[[\"mlx5_1\"],[\"mlx5_0\"]]}");
        assertThat(RdmaProbe.INSTANCE.probe(ctx).reason()).contains("mlx5_0 (RoCE, NUMA 0)");
    }

    @Test
    void rdmaAndHipBothRunWhenTheHipRuntimeSeesTheGpus() {
        SelectionReport report = Hosts.select(libs, access, Hosts.config(root, "rdma,hip", "", Map.of()));

        assertThat(decision(report, "rdma").availability().available()).isTrue();
        assertThat(decision(report, "hip").availability().available()).isTrue();
        assertThat(decision(report, "hip").availability().reason()).startsWith(
                "2 ROCm GPU(s): hip:0, hip:1; HIP test double").endsWith("sees 2 GPU(s)");
        assertThat(report.active()).contains("rdma", "hip", "tcp");
    }

    @Test
    void aHipRuntimeThatFailsAfterTheProbeIsInitFailedWithItsWords() {
        libs.hipRuntime(new HipTestDouble.Gpus(0).process());

        Availability a = hip(Map.of());

        assertThat(a.cause()).isEqualTo(Cause.INIT_FAILED);
        assertThat(a.reason()).contains("loaded but sees no AMD GPU: hipInit(0) failed: hipErrorInvalidDevice (101); "
                + "hipGetDeviceCount failed: hipErrorNoDevice (100)");
    }

    @Test
    void mcDisableHipIsFeatureDisabled() {
        Availability a = hip(Map.of("MC_DISABLE_HIP", "1"));

        assertThat(a.cause()).isEqualTo(Cause.FEATURE_DISABLED);
        assertThat(a.reason()).isEqualTo("MC_DISABLE_HIP is set");
    }

    @Test
    void missingHipRuntimeIsNoLibraryAndRocmPathIsSearchedFirst() {
        libs = new FakeLibraries().libibverbs("mlx5_0", "mlx5_1");

        Availability a = hip(Map.of("ROCM_PATH", "/opt/rocm-6.2.0"));

        assertThat(a.cause()).isEqualTo(Cause.NO_LIBRARY);
        assertThat(a.reason()).startsWith("/opt/rocm-6.2.0/lib/libamdhip64.so cannot be loaded");
        assertThat(libs.asked.get(0)).containsExactly("/opt/rocm-6.2.0/lib/libamdhip64.so",
                "/opt/rocm/lib/libamdhip64.so", "libamdhip64.so");
    }

    @Test
    void kfdThatCannotBeOpenedIsPermissionDenied() {
        access.deny("/dev/kfd");

        Availability a = hip(Map.of());

        assertThat(a.cause()).isEqualTo(Cause.PERMISSION_DENIED);
        assertThat(a.reason()).isEqualTo("cannot open /dev/kfd: permission denied");
        assertThat(a.fix()).startsWith("add this user to the render and video groups");
    }
}

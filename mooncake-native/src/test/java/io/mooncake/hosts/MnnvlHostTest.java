package io.mooncake.hosts;

import static io.mooncake.testing.Hosts.decision;
import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.nvml.Nvml;
import io.mooncake.probe.MnnvlProbe;
import io.mooncake.probe.Scan;
import io.mooncake.testing.FakeAccess;
import io.mooncake.testing.FakeHost;
import io.mooncake.testing.FakeLibraries;
import io.mooncake.testing.Hosts;
import io.mooncake.transport.nvlink.NvlinkTransportProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A GB200 NVL72 compute tray: four GPUs registered in one multi-node NVLink fabric, no RDMA HCA. */
class MnnvlHostTest {

    static final String CLUSTER = "5f3c2a1b00000000000000000000beef";

    @TempDir
    Path root;

    FakeHost host;
    FakeAccess access = new FakeAccess();
    FakeLibraries libs;

    @BeforeEach
    void host() {
        host = new FakeHost(root).numaNodes(2);
        for (int i = 0; i < 4; i++) {
            host.nvidiaGpu(String.format("pci000%d:00/000%d:00:00.0/000%d:01:00.0", 8 + i, 8 + i, 8 + i), i / 2, i);
        }
        host.file("dev/nvidia-caps-imex-channels/channel0", "");
        libs = new FakeLibraries().nvml(snapshot(Nvml.FabricState.COMPLETED, 0));
    }

    static Nvml.Snapshot snapshot(Nvml.FabricState state, int status) {
        List<Nvml.Gpu> gpus = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            gpus.add(new Nvml.Gpu(i, "NVIDIA GB200", String.format("000%d:01:00.0", 8 + i),
                    new Nvml.Fabric(state, status, CLUSTER, 7), List.of()));
        }
        return new Nvml.Snapshot(0, null, "580.65.06", gpus);
    }

    Availability nvlink() {
        return new NvlinkTransportProvider(libs, access).availability(Hosts.transportContext(
                Hosts.config(root, "nvlink", "", Map.of())));
    }

    @Test
    void everyGpuReportsItsCliqueInTheFabric() {
        Scan<MnnvlProbe.Member> scan = MnnvlProbe.INSTANCE.scan(Hosts.context(root, libs, access, Map.of()));

        assertThat(scan.result().available()).as(scan.result().describe()).isTrue();
        assertThat(scan.devices()).extracting(MnnvlProbe.Member::location).containsExactly("cuda:0", "cuda:1",
                "cuda:2", "cuda:3");
        assertThat(scan.devices()).allSatisfy(m -> {
            assertThat(m.cliqueId()).isEqualTo(7);
            assertThat(m.clusterUuid()).isEqualTo(CLUSTER);
        });
        assertThat(scan.result().details()).containsEntry("cuda:2", "cluster " + CLUSTER + ", clique 7");
    }

    @Test
    void nvlinkNeedsTheCudaDriverAndUsesFabricHandlesWhereItLoads() {
        assertThat(nvlink().cause()).isEqualTo(Cause.NO_LIBRARY);
        assertThat(nvlink().reason()).startsWith("nvlink needs the CUDA driver: libcuda.so.1 cannot be loaded");
        assertThat(nvlink().details().get("mnnvl")).startsWith("4 GPU(s) in a multi-node NVLink fabric: cuda:0 clique 7");

        // a test double standing for libcuda on the four GB200 GPUs, which support fabric handles
        libs.cuda(new io.mooncake.jna.cuda.Cuda(new io.mooncake.jna.cuda.FakeCudaDriver(4) {
            @Override
            public int cuDeviceGetAttribute(com.sun.jna.ptr.IntByReference value, int attribute, int device) {
                value.setValue(1);
                return 0;
            }
        }));
        assertThat(nvlink().available()).as(nvlink().describe()).isTrue();
        assertThat(nvlink().reason()).isEqualTo("4 GPU(s), multi-node NVLink fabric handles");
        libs.cuda(null);

        SelectionReport report = Hosts.select(libs, access, Hosts.config(root, "rdma", "", Map.of()));
        SelectionReport.Decision rdma = decision(report, "rdma");
        assertThat(rdma.outcome()).isEqualTo(SelectionReport.Outcome.FELL_BACK);
        assertThat(rdma.availability().cause()).isEqualTo(Cause.NO_DEVICE);
        assertThat(report.active()).containsExactly("tcp");
    }

    @Test
    void missingImexChannelIsFeatureDisabled() throws Exception {
        java.nio.file.Files.delete(root.resolve("dev/nvidia-caps-imex-channels/channel0"));

        Availability a = nvlink();

        assertThat(a.cause()).isEqualTo(Cause.FEATURE_DISABLED);
        assertThat(a.reason()).startsWith("/dev/nvidia-caps-imex-channels/channel0 does not exist: no IMEX channel");
        assertThat(a.fix()).contains("nvidia-imex");
    }

    @Test
    void unfinishedFabricRegistrationIsInitFailed() {
        libs.nvml(snapshot(Nvml.FabricState.IN_PROGRESS, 0));

        Availability a = nvlink();

        assertThat(a.cause()).isEqualTo(Cause.INIT_FAILED);
        assertThat(a.reason()).contains("cuda:0 IN_PROGRESS");
        assertThat(a.fix()).contains("nvidia-fabricmanager");
    }

    @Test
    void missingNvmlIsNoLibrary() {
        libs = new FakeLibraries();

        Availability a = nvlink();

        assertThat(a.cause()).isEqualTo(Cause.NO_LIBRARY);
        assertThat(a.reason()).startsWith("MNNVL needs usable CUDA GPUs: libnvidia-ml.so.1 cannot be loaded");
    }
}

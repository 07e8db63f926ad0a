package io.mooncake.hosts;

import static io.mooncake.testing.Hosts.decision;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.TransportUnavailableException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.nvml.Nvml;
import io.mooncake.probe.Accelerator;
import io.mooncake.probe.CudaProbe;
import io.mooncake.probe.Hca;
import io.mooncake.probe.NvlinkProbe;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.RdmaProbe;
import io.mooncake.probe.Scan;
import io.mooncake.testing.FakeAccess;
import io.mooncake.testing.FakeHost;
import io.mooncake.testing.FakeLibraries;
import io.mooncake.testing.Hosts;
import io.mooncake.topology.Topology;
import io.mooncake.topology.TopologyDiscovery;
import io.mooncake.transport.rdma.RdmaTransportProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 2-socket host (DGX H100-like): 8 ConnectX HCAs and 8 GPUs, each GPU sharing a PCIe switch
 * with one HCA; GPUs 0-3 and HCAs mlx5_0-3 on NUMA 0, the rest on NUMA 1; GPUs joined by NVSwitch.
 */
class TwoSocketEightHcaHostTest {

    @TempDir
    Path root;

    FakeLibraries libs;
    FakeAccess access = new FakeAccess();

    /** Builds the host; returns the GPU PCI addresses. */
    static List<String> build(FakeHost host) {
        host.numaNodes(2);
        List<String> gpus = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int socket = i / 4;
            int rc = socket == 0 ? 0x00 : 0x80;
            int base = rc + 0x10 * (1 + i % 4);
            String rootPort = String.format("pci0000:%02x/0000:%02x:%02x.0", rc, rc, 1 + i % 4);
            String up = String.format("%s/0000:%02x:00.0", rootPort, base);
            String gpu = String.format("%s/0000:%02x:00.0/0000:%02x:00.0", up, base + 1, base + 2);
            String hca = String.format("%s/0000:%02x:01.0/0000:%02x:00.0", up, base + 1, base + 3);
            host.nvidiaGpu(gpu, socket, i);
            host.mlx5("mlx5_" + i, hca, socket, i).add();
            gpus.add(String.format("0000:%02x:00.0", base + 2));
        }
        return gpus;
    }

    static Nvml.Snapshot nvml(List<String> buses) {
        List<Nvml.Gpu> gpus = new ArrayList<>();
        for (int i = 0; i < buses.size(); i++) {
            List<Nvml.NvLink> links = new ArrayList<>();
            for (int l = 0; l < 18; l++) {
                links.add(new Nvml.NvLink(l, true, String.format("0000:%02x:00.0", 0xf0 + l % 4)));
            }
            gpus.add(new Nvml.Gpu(i, "NVIDIA H100 80GB HBM3", buses.get(i), Nvml.Fabric.NONE, links));
        }
        return new Nvml.Snapshot(0, null, "580.65.06", gpus);
    }

    @BeforeEach
    void host() {
        List<String> buses = build(new FakeHost(root));
        libs = new FakeLibraries().libibverbs("mlx5_0", "mlx5_1", "mlx5_2", "mlx5_3", "mlx5_4", "mlx5_5", "mlx5_6", "mlx5_7")
                .nvml(nvml(buses));
    }

    ProbeContext ctx(Map<String, String> env) {
        return Hosts.context(root, libs, access, env);
    }

    @Test
    void probeFindsEightUsableHcasWithNumaAndPciAddress() {
        Scan<Hca> scan = RdmaProbe.INSTANCE.scan(ctx(Map.of()));

        assertThat(scan.result().available()).isTrue();
        assertThat(scan.result().reason()).startsWith("8 usable RDMA HCA(s): mlx5_0 (InfiniBand, NUMA 0)");
        assertThat(scan.devices()).extracting(Hca::name).containsExactly("mlx5_0", "mlx5_1", "mlx5_2", "mlx5_3",
                "mlx5_4", "mlx5_5", "mlx5_6", "mlx5_7");
        Hca h4 = scan.devices().get(4);
        assertThat(h4.numaNode()).isEqualTo(1);
        assertThat(h4.pciAddress()).isEqualTo("0000:93:00.0");
        assertThat(h4.driver()).isEqualTo("mlx5_core");
        assertThat(h4.uverbs()).isEqualTo("/dev/infiniband/uverbs4");
        assertThat(h4.ports()).singleElement().satisfies(p -> {
            assertThat(p.active()).isTrue();
            assertThat(p.linkLayer()).isEqualTo("InfiniBand");
            assertThat(p.rateGbps()).isEqualTo(200.0);
            assertThat(p.gids()).extracting(Hca.Gid::index).containsExactly(0);
        });
    }

    @Test
    void gpusAreIndexedInNvmlOrderWithTheirNumaNodes() {
        Scan<Accelerator> gpus = CudaProbe.INSTANCE.scan(ctx(Map.of()));

        assertThat(gpus.result().available()).as(gpus.result().describe()).isTrue();
        assertThat(gpus.devices()).extracting(Accelerator::location).containsExactly("cuda:0", "cuda:1", "cuda:2",
                "cuda:3", "cuda:4", "cuda:5", "cuda:6", "cuda:7");
        assertThat(gpus.devices()).extracting(Accelerator::numaNode).containsExactly(0, 0, 0, 0, 1, 1, 1, 1);
        assertThat(gpus.devices().get(5).deviceFile()).isEqualTo("/dev/nvidia5");
    }

    @Test
    void cudaVisibleDevicesRenumbersTheGpus() {
        Scan<Accelerator> gpus = CudaProbe.INSTANCE.scan(ctx(Map.of("CUDA_VISIBLE_DEVICES", "6,2")));

        assertThat(gpus.devices()).extracting(Accelerator::location).containsExactly("cuda:0", "cuda:1");
        assertThat(gpus.devices()).extracting(Accelerator::numaNode).containsExactly(1, 0);
        assertThat(gpus.devices().get(0).deviceFile()).isEqualTo("/dev/nvidia6");
    }

    @Test
    void matrixPrefersTheHcaOnEachGpusSwitchAndTheHcasOnEachNumaNode() {
        Scan<Hca> scan = RdmaProbe.INSTANCE.scan(ctx(Map.of()));
        Topology t = TopologyDiscovery.discover(ctx(Map.of()), scan.devices(), List.of()).topology();

        assertThat(t.entry("cpu:0")).isEqualTo(new Topology.Entry(List.of("mlx5_0", "mlx5_1", "mlx5_2", "mlx5_3"),
                List.of("mlx5_4", "mlx5_5", "mlx5_6", "mlx5_7")));
        assertThat(t.entry("cpu:1").preferred()).containsExactly("mlx5_4", "mlx5_5", "mlx5_6", "mlx5_7");
        for (int i = 0; i < 8; i++) {
            Topology.Entry e = t.entry("cuda:" + i);
            assertThat(e.preferred()).as("cuda:%d", i).containsExactly("mlx5_" + i);
            assertThat(e.available()).hasSize(7).doesNotContain("mlx5_" + i);
        }
        assertThat(t.matrix().keySet()).containsExactly("cpu:0", "cpu:1", "cuda:0", "cuda:1", "cuda:2", "cuda:3",
                "cuda:4", "cuda:5", "cuda:6", "cuda:7");
        assertThat(t.toJson()).startsWith("{\"cpu:0\":[[\"mlx5_0\",\"mlx5_1\",\"mlx5_2\",\"mlx5_3\"],[\"mlx5_4\",")
                .contains("\"cuda:3\":[[\"mlx5_3\"],[\"mlx5_0\",\"mlx5_1\",\"mlx5_2\",\"mlx5_4\"");
        assertThat(Topology.parse(t.toJson(), "round trip").matrix()).isEqualTo(t.matrix());
    }

    @Test
    void rdmaIsChosenWithTheDevicesAndMatrixFound() {
        SelectionReport report = Hosts.select(libs, access, Hosts.config(root, "rdma", "", Map.of()));

        assertThat(report.primary()).isEqualTo("rdma");
        assertThat(report.active()).contains("rdma", "tcp");
        SelectionReport.Decision rdma = decision(report, "rdma");
        assertThat(rdma.outcome()).isEqualTo(SelectionReport.Outcome.ACTIVE);
        assertThat(rdma.availability().available()).isTrue();
        assertThat(rdma.availability().reason()).startsWith("8 usable HCA(s), best first: [mlx5_0");
        assertThat(rdma.availability().details()).containsEntry("devices",
                "mlx5_0,mlx5_1,mlx5_2,mlx5_3,mlx5_4,mlx5_5,mlx5_6,mlx5_7");
        assertThat(rdma.availability().details().get("topology")).startsWith("{\"cpu:0\":");
    }

    @Test
    void withoutFallbackRdmaIsStillChosen() {
        EngineConfig config = Hosts.config(root, "rdma", "", Map.of()).mutate().fallbackToTcp(false).build();

        assertThat(Hosts.select(libs, access, config).primary()).isEqualTo("rdma");
    }

    @Test
    void theTransportStartsOnlyWhereLibibverbsOpensTheDevicesAndSaysWhyNot() {
        // the sysfs tree and the probe's libibverbs are fakes; the transport opens devices through the
        // real libibverbs, which finds none on this machine: start must fail naming each device, not pretend
        RdmaTransportProvider provider = new RdmaTransportProvider(libs, access);
        EngineConfig config = Hosts.config(root, "rdma", "mlx5_0", Map.of());
        io.mooncake.engine.transport.Transport t = provider.create(Hosts.transportContext(config));

        assertThatThrownBy(t::start).isInstanceOf(io.mooncake.engine.api.MooncakeException.class)
                .hasMessageStartingWith("no RDMA device could be opened: mlx5_0: ");
        t.close();
    }

    @Test
    void explicitDeviceListIsHonouredAndUnknownNamesAreReported() {
        Availability a = new RdmaTransportProvider(libs, access).availability(Hosts.transportContext(
                Hosts.config(root, "rdma", "mlx5_2,mlx5_9", Map.of())));

        assertThat(a.available()).isTrue();
        assertThat(a.details()).containsEntry("devices", "mlx5_2").containsEntry("device_name not found", "mlx5_9");
        assertThat(a.details().get("topology")).contains("\"cpu:0\":[[\"mlx5_2\"],[]]")
                .contains("\"cpu:1\":[[],[\"mlx5_2\"]]").contains("\"cuda:2\":[[\"mlx5_2\"],[]]");
    }

    @Test
    void deviceListNamingOnlyAbsentDevicesIsNoDeviceWithTheNamesPresent() {
        Availability a = new RdmaTransportProvider(libs, access).availability(Hosts.transportContext(
                Hosts.config(root, "rdma", "mlx5_9", Map.of())));

        assertThat(a.cause()).isEqualTo(Cause.NO_DEVICE);
        assertThat(a.reason()).isEqualTo("device_name lists [mlx5_9], which is not on this host (present: [mlx5_0, "
                + "mlx5_1, mlx5_2, mlx5_3, mlx5_4, mlx5_5, mlx5_6, mlx5_7])");
        assertThat(a.fix()).contains("auto-discovery").endsWith("set mooncake.protocol=tcp");
    }

    @Test
    void teFiltersNarrowTheDevices() {
        Availability a = new RdmaTransportProvider(libs, access).availability(Hosts.transportContext(
                Hosts.config(root, "rdma", "auto-discovery", Map.of("MC_TE_FILTERS", "mlx5_0, mlx5_4"))));

        assertThat(a.details()).containsEntry("devices", "mlx5_0,mlx5_4")
                .containsEntry("excluded by MC_TE_FILTERS", "mlx5_1, mlx5_2, mlx5_3, mlx5_5, mlx5_6, mlx5_7");
    }

    @Test
    void nvswitchConnectsEveryGpuPairAndNvlinkIntraNeedsTheCudaDriver() {
        Scan<NvlinkProbe.Pair> pairs = NvlinkProbe.INSTANCE.scan(ctx(Map.of()));

        assertThat(pairs.result().available()).isTrue();
        assertThat(pairs.devices()).hasSize(28).allMatch(NvlinkProbe.Pair::viaSwitch);
        SelectionReport report = Hosts.select(libs, access, Hosts.config(root, "rdma", "",
                Map.of("MC_INTRANODE_NVLINK", "1")));
        SelectionReport.Decision intra = decision(report, "nvlink_intra");
        assertThat(intra.outcome()).isEqualTo(SelectionReport.Outcome.FELL_BACK);
        assertThat(intra.availability().cause()).isEqualTo(Cause.NO_LIBRARY);
        assertThat(intra.availability().reason()).contains("libcuda.so.1 cannot be loaded");
        assertThat(decision(report, "rdma").outcome()).isEqualTo(SelectionReport.Outcome.OVERRIDDEN);

        // with a driver (a test double standing for libcuda and the eight GPUs this fake host has)
        libs.cuda(new io.mooncake.jna.cuda.Cuda(new io.mooncake.jna.cuda.FakeCudaDriver(8)));
        io.mooncake.engine.transport.Availability a = new io.mooncake.transport.nvlinkintra.NvlinkIntraTransportProvider(
                libs, access).availability(Hosts.transportContext(Hosts.config(root, "nvlink_intra", "", Map.of())));
        assertThat(a.available()).as(a.describe()).isTrue();
        assertThat(a.reason()).startsWith("8 GPU(s): CUDA IPC between processes of this host (NVLink: ");
    }

    @Test
    void forceMnnvlOnAHostWithoutAFabricSaysSo() {
        SelectionReport report = Hosts.select(libs, access, Hosts.config(root, "rdma", "",
                Map.of("MC_FORCE_MNNVL", "true")));

        SelectionReport.Decision nvlink = decision(report, "nvlink");
        assertThat(nvlink.outcome()).isEqualTo(SelectionReport.Outcome.FELL_BACK);
        assertThat(nvlink.availability().cause()).isEqualTo(Cause.NO_DEVICE);
        assertThat(nvlink.availability().reason()).startsWith("no GPU belongs to a multi-node NVLink fabric (cuda:0 "
                + "NOT_SUPPORTED");
        assertThat(report.active()).containsExactly("tcp");
    }
}

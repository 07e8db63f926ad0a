package io.mooncake.probe;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.testing.FakeAccess;
import io.mooncake.testing.FakeHost;
import io.mooncake.testing.FakeLibraries;
import io.mooncake.testing.Hosts;
import io.mooncake.transport.rdma.RdmaTransportProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Why an HCA is or is not usable, one cause at a time, on a one-socket host with two HCAs. */
class RdmaProbeTest {

    static final String HCA0 = "pci0000:00/0000:00:01.0/0000:01:00.0";
    static final String HCA1 = "pci0000:00/0000:00:02.0/0000:02:00.0";

    @TempDir
    Path root;

    FakeHost host;
    FakeAccess access = new FakeAccess();
    FakeLibraries libs = new FakeLibraries().libibverbs("mlx5_0", "mlx5_1");

    @BeforeEach
    void host() {
        host = new FakeHost(root).numaNodes(1);
    }

    ProbeResult probe() {
        return RdmaProbe.INSTANCE.probe(Hosts.context(root, libs, access, Map.of()));
    }

    @Test
    void uverbsThatCannotBeOpenedIsPermissionDeniedWithTheUdevFix() {
        host.mlx5("mlx5_0", HCA0, 0, 0).add();
        access.deny("/dev/infiniband/uverbs0");

        ProbeResult r = probe();

        assertThat(r.cause()).isEqualTo(Cause.PERMISSION_DENIED);
        assertThat(r.reason()).isEqualTo("no usable RDMA HCA: mlx5_0: cannot open /dev/infiniband/uverbs0: permission "
                + "denied");
        assertThat(r.fix()).contains("/dev/infiniband/uverbs*").contains("udev");
    }

    @Test
    void missingUverbsNodeIsNoDevice() {
        host.mlx5("mlx5_0", HCA0, 0, 0).noUverbsFile().add();

        assertThat(probe().cause()).isEqualTo(Cause.NO_DEVICE);
        assertThat(probe().reason()).contains("/dev/infiniband/uverbs0 does not exist");
    }

    @Test
    void portDownIsNoDeviceNamingThePortState() {
        host.mlx5("mlx5_0", HCA0, 0, 0).down().add();

        assertThat(probe().reason()).isEqualTo("no usable RDMA HCA: mlx5_0: no ACTIVE port (port 1 DOWN); check the "
                + "cable and, on InfiniBand, the subnet manager");
    }

    @Test
    void activePortWithoutGidIsNoDevice() {
        host.mlx5("mlx5_0", HCA0, 0, 0).roce().noGid().add();

        assertThat(probe().cause()).isEqualTo(Cause.NO_DEVICE);
        assertThat(probe().reason()).contains("port 1 is ACTIVE but its GID table is empty");
    }

    @Test
    void deviceNotListedByLibibverbsMeansItsProviderIsMissing() {
        host.mlx5("mlx5_0", HCA0, 0, 0).add();
        libs = new FakeLibraries().libibverbs();

        ProbeResult r = probe();

        assertThat(r.cause()).isEqualTo(Cause.NO_LIBRARY);
        assertThat(r.reason()).contains("its user-space provider (ibverbs-providers, e.g. libmlx5) is missing");
        assertThat(r.fix()).contains("ibverbs-providers");
    }

    @Test
    void missingLibibverbsIsNoLibrary() {
        host.mlx5("mlx5_0", HCA0, 0, 0).add();
        libs = new FakeLibraries();

        ProbeResult r = probe();

        assertThat(r.cause()).isEqualTo(Cause.NO_LIBRARY);
        assertThat(r.reason()).startsWith("libibverbs.so.1 cannot be loaded");
        assertThat(r.fix()).isEqualTo("install rdma-core's libibverbs1 and ibverbs-providers");
    }

    @Test
    void libibverbsErrnoIsReported() {
        host.mlx5("mlx5_0", HCA0, 0, 0).add();
        libs = new FakeLibraries().libibverbsFailing(38);

        assertThat(probe().reason()).contains("ibv_get_device_list failed with errno 38");
    }

    @Test
    void aDownHcaIsLeftOutOfTheMatrixAndTheUpOneIsUsed() {
        host.mlx5("mlx5_0", HCA0, 0, 0).down().add();
        host.mlx5("mlx5_1", HCA1, 0, 1).add();

        Availability a = new RdmaTransportProvider(libs, access).availability(Hosts.transportContext(
                Hosts.config(root, "rdma", "auto-discovery", Map.of())));

        assertThat(a.available()).as(a.describe()).isTrue();
        assertThat(a.details()).containsEntry("devices", "mlx5_1").containsEntry("topology",
                "{\"cpu:0\":[[\"mlx5_1\"],[]]}");
        assertThat(a.details().get("mlx5_0")).contains("unusable: no ACTIVE port");
    }

    @Test
    void namingAnUnusableDeviceSaysWhyItCannotBeUsed() {
        host.mlx5("mlx5_0", HCA0, 0, 0).down().add();
        host.mlx5("mlx5_1", HCA1, 0, 1).add();

        Availability a = new RdmaTransportProvider(libs, access).availability(Hosts.transportContext(
                Hosts.config(root, "rdma", "mlx5_0", Map.of())));

        assertThat(a.cause()).isEqualTo(Cause.NO_DEVICE);
        assertThat(a.reason()).startsWith("device_name lists unusable devices: mlx5_0 (no ACTIVE port");
        assertThat(a.fix()).startsWith("set mooncake.device-name to some of [mlx5_1] or to auto-discovery");
    }

    @Test
    void autoDiscoveryRanksTheFasterOfEquallyPlacedHcasFirst() {
        host.mlx5("mlx5_0", HCA0, 0, 0).rate("100 Gb/sec (4X EDR)").add();
        host.mlx5("mlx5_1", HCA1, 0, 1).rate("400 Gb/sec (4X NDR)").add();

        Availability a = new RdmaTransportProvider(libs, access).availability(Hosts.transportContext(
                Hosts.config(root, "rdma", "auto-discovery", Map.of())));

        assertThat(a.details()).containsEntry("devices", "mlx5_1,mlx5_0");
    }

    @Test
    void customTopologyFileReplacesDiscovery() throws Exception {
        host.mlx5("mlx5_0", HCA0, 0, 0).add();
        host.mlx5("mlx5_1", HCA1, 0, 1).add();
        Path file = root.resolve("topo.json");
        Files.writeString(file, "{\"cpu:0\":[[\"mlx5_1\"],[\"mlx5_0\"]],\"cuda:0\":[[\"mlx5_1\"],[]]}");

        Availability a = new RdmaTransportProvider(libs, access).availability(Hosts.transportContext(
                Hosts.config(root, "rdma", "", Map.of("MC_CUSTOM_TOPO_JSON", file.toString()))));

        assertThat(a.details()).containsEntry("topology", "{\"cpu:0\":[[\"mlx5_1\"],[\"mlx5_0\"]],"
                + "\"cuda:0\":[[\"mlx5_1\"],[]]}").containsEntry("devices", "mlx5_1,mlx5_0");
        assertThat(a.details().get("topology source")).startsWith("MC_CUSTOM_TOPO_JSON=");
    }

    @Test
    void malformedCustomTopologyIsReportedWithTheKey() {
        host.mlx5("mlx5_0", HCA0, 0, 0).add();

        Availability a = new RdmaTransportProvider(libs, access).availability(Hosts.transportContext(
                Hosts.config(root, "rdma", "", Map.of("MC_CUSTOM_TOPO_JSON", "{\"cpu:0\":[\"mlx5_0\"]}"))));

        assertThat(a.cause()).isEqualTo(Cause.INIT_FAILED);
        assertThat(a.reason()).startsWith("topology MC_CUSTOM_TOPO_JSON key 'cpu:0' must map to "
                + "[[preferred...],[available...]], got [\"mlx5_0\"]");
    }

    @Test
    void unreadableCustomTopologyFileIsNamed() {
        host.mlx5("mlx5_0", HCA0, 0, 0).add();
        String missing = root.resolve("nope.json").toString();

        Availability a = new RdmaTransportProvider(libs, access).availability(Hosts.transportContext(
                Hosts.config(root, "rdma", "", Map.of("MC_CUSTOM_TOPO_JSON", missing))));

        assertThat(a.reason()).startsWith("MC_CUSTOM_TOPO_JSON=" + missing + " cannot be read");
    }
}

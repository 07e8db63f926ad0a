package io.mooncake.hosts;

import static io.mooncake.testing.Hosts.decision;
import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.nvml.Nvml;
import io.mooncake.probe.EfaProbe;
import io.mooncake.probe.Hca;
import io.mooncake.probe.ProbeResult;
import io.mooncake.probe.RdmaProbe;
import io.mooncake.probe.Scan;
import io.mooncake.testing.FakeAccess;
import io.mooncake.testing.FakeHost;
import io.mooncake.testing.FakeLibraries;
import io.mooncake.testing.Hosts;
import io.mooncake.transport.efa.EfaTransportProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An AWS p5-like instance: two EFA devices and two GPUs, one pair per NUMA node, each pair behind one switch. */
class AwsEfaHostTest {

    @TempDir
    Path root;

    FakeAccess access = new FakeAccess();
    FakeLibraries libs;

    @BeforeEach
    void host() {
        FakeHost host = new FakeHost(root).numaNodes(2);
        host.efa("rdmap16s27", "pci0000:00/0000:00:01.0/0000:10:00.0/0000:11:00.0/0000:12:00.0", 0, 0).add();
        host.nvidiaGpu("pci0000:00/0000:00:01.0/0000:10:00.0/0000:11:01.0/0000:13:00.0", 0, 0);
        host.efa("rdmap144s27", "pci0000:80/0000:80:01.0/0000:90:00.0/0000:91:00.0/0000:92:00.0", 1, 1).add();
        host.nvidiaGpu("pci0000:80/0000:80:01.0/0000:90:00.0/0000:91:01.0/0000:93:00.0", 1, 1);
        libs = new FakeLibraries().libibverbs("rdmap16s27", "rdmap144s27").libfabric("rdmap16s27-rdm", "rdmap144s27-rdm")
                .nvml(new Nvml.Snapshot(0, null, "580.65.06", List.of(
                        new Nvml.Gpu(0, "NVIDIA H100", "0000:13:00.0", Nvml.Fabric.NONE, List.of()),
                        new Nvml.Gpu(1, "NVIDIA H100", "0000:93:00.0", Nvml.Fabric.NONE, List.of()))));
    }

    Availability efa(Map<String, String> env) {
        return new EfaTransportProvider(libs, access).availability(Hosts.transportContext(
                Hosts.config(root, "efa", "", env)));
    }

    @Test
    void efaDevicesAreFoundWithTheirLibfabricDomains() {
        Scan<Hca> scan = EfaProbe.INSTANCE.scan(Hosts.context(root, libs, access, Map.of()));

        assertThat(scan.result().available()).as(scan.result().describe()).isTrue();
        assertThat(scan.devices()).extracting(Hca::name).containsExactly("rdmap16s27", "rdmap144s27");
        assertThat(scan.devices()).allMatch(Hca::isEfa);
        assertThat(scan.result().details()).containsEntry("efa domains", "rdmap16s27-rdm, rdmap144s27-rdm");
    }

    @Test
    void efaIsAvailableWithATopologyPairingEachGpuWithItsAdapter() {
        Availability a = efa(Map.of());

        assertThat(a.available()).as(a.describe()).isTrue();
        assertThat(a.reason()).isEqualTo("2 usable EFA device(s): [rdmap16s27, rdmap144s27]");
        assertThat(a.details()).containsEntry("libfabric provider", "efa (default)");
        assertThat(a.details()).containsEntry("topology", "{\"cpu:0\":[[\"rdmap16s27\"],[\"rdmap144s27\"]],"
                + "\"cpu:1\":[[\"rdmap144s27\"],[\"rdmap16s27\"]],"
                + "\"cuda:0\":[[\"rdmap16s27\"],[\"rdmap144s27\"]],"
                + "\"cuda:1\":[[\"rdmap144s27\"],[\"rdmap16s27\"]]}");
    }

    @Test
    void rdmaOnAnEfaHostPointsToProtocolEfa() {
        ProbeResult r = RdmaProbe.INSTANCE.probe(Hosts.context(root, libs, access, Map.of()));

        assertThat(r.cause()).isEqualTo(Cause.NO_DEVICE);
        assertThat(r.reason()).contains("are EFA (rdmap16s27, rdmap144s27)");
        assertThat(r.fix()).isEqualTo("use protocol efa on AWS");
        SelectionReport report = Hosts.select(libs, access, Hosts.config(root, "rdma", "", Map.of()));
        assertThat(decision(report, "rdma").outcome()).isEqualTo(SelectionReport.Outcome.FELL_BACK);
        assertThat(report.active()).containsExactly("tcp");
    }

    @Test
    void libfabricWithoutTheEfaProviderIsNoLibrary() {
        libs.libfabric();

        Availability a = efa(Map.of());

        assertThat(a.cause()).isEqualTo(Cause.NO_LIBRARY);
        assertThat(a.reason()).isEqualTo("libfabric 1.22 has no usable 'efa' provider (fi_getinfo: No data available)");
        assertThat(a.fix()).contains("AWS EFA installer").endsWith("or set mooncake.protocol=tcp");
    }

    @Test
    void missingLibfabricIsNoLibrary() {
        libs = new FakeLibraries().libibverbs("rdmap16s27", "rdmap144s27");

        Availability a = efa(Map.of());

        assertThat(a.cause()).isEqualTo(Cause.NO_LIBRARY);
        assertThat(a.reason()).startsWith("libfabric.so.1 cannot be loaded: libfabric.so.1: cannot open shared object");
    }

    @Test
    void unreadableUverbsIsPermissionDenied() {
        access.deny("/dev/infiniband/uverbs0").deny("/dev/infiniband/uverbs1");

        Availability a = efa(Map.of());

        assertThat(a.cause()).isEqualTo(Cause.PERMISSION_DENIED);
        assertThat(a.reason()).contains("rdmap16s27: cannot open /dev/infiniband/uverbs0: permission denied");
    }
}

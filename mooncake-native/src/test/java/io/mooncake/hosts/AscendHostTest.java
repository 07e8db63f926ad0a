package io.mooncake.hosts;

import static io.mooncake.testing.Hosts.decision;
import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.RuntimeQuery;
import io.mooncake.probe.Accelerator;
import io.mooncake.probe.AscendProbe;
import io.mooncake.probe.Scan;
import io.mooncake.testing.FakeAccess;
import io.mooncake.testing.FakeHost;
import io.mooncake.testing.FakeLibraries;
import io.mooncake.testing.Hosts;
import io.mooncake.topology.TopologyDiscovery;
import io.mooncake.transport.ascend.AscendTransportProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An Ascend 910B node: two NPUs, one per NUMA node, CANN installed, no verbs HCA. */
class AscendHostTest {

    @TempDir
    Path root;

    FakeAccess access = new FakeAccess();
    FakeLibraries libs;
    Map<String, String> env = Map.of("ASCEND_HOME_PATH", "/usr/local/Ascend/ascend-toolkit/8.0");

    @BeforeEach
    void host() {
        FakeHost host = new FakeHost(root).numaNodes(2);
        host.ascendNpu("pci0000:00/0000:00:01.0/0000:01:00.0", 0, 0);
        host.ascendNpu("pci0000:80/0000:80:01.0/0000:81:00.0", 1, 1);
        libs = new FakeLibraries().ascendCl(RuntimeQuery.devices(2, List.of())).present("libhccl.so");
    }

    Availability ascend() {
        return new AscendTransportProvider(libs, access).availability(Hosts.transportContext(
                Hosts.config(root, "ascend", "", env)));
    }

    @Test
    void npusAreFoundWithNumaNodesAndBecomeMatrixLocations() {
        var ctx = Hosts.context(root, libs, access, env);
        Scan<Accelerator> npus = AscendProbe.INSTANCE.scan(ctx);

        assertThat(npus.result().available()).as(npus.result().describe()).isTrue();
        assertThat(npus.devices()).extracting(Accelerator::location).containsExactly("npu:0", "npu:1");
        assertThat(npus.devices()).extracting(Accelerator::numaNode).containsExactly(0, 1);
        assertThat(libs.asked.get(0)).startsWith("/usr/local/Ascend/ascend-toolkit/8.0/lib64/libascendcl.so");
        assertThat(TopologyDiscovery.discover(ctx, List.of(), List.of()).topology().toJson())
                .isEqualTo("{\"cpu:0\":[[],[]],\"cpu:1\":[[],[]],\"npu:0\":[[],[]],\"npu:1\":[[],[]]}");
    }

    @Test
    void ascendIsNotImplementedAndFallsBackToTcp() {
        assertThat(ascend().cause()).isEqualTo(Cause.NOT_IMPLEMENTED);
        assertThat(ascend().reason()).isEqualTo(
                "ascend data path is not implemented in this release (2 Ascend NPU(s): npu:0, npu:1): the reference "
                + "moves Ascend data through HCCL's internal transport-memory interface, which CANN does not publish");
        SelectionReport report = Hosts.select(libs, access, Hosts.config(root, "ascend", "", env));
        assertThat(decision(report, "ascend").outcome()).isEqualTo(SelectionReport.Outcome.FELL_BACK);
        assertThat(report.primary()).isEqualTo("tcp");
    }

    @Test
    void missingHcclIsNoLibrary() {
        libs = new FakeLibraries().ascendCl(RuntimeQuery.devices(2, List.of()));

        assertThat(ascend().cause()).isEqualTo(Cause.NO_LIBRARY);
        assertThat(ascend().reason()).startsWith("HCCL (/usr/local/Ascend/ascend-toolkit/8.0/lib64/libhccl.so) cannot "
                + "be loaded");
    }

    @Test
    void missingAscendClIsNoLibraryWithTheCannFix() {
        libs = new FakeLibraries().present("libhccl.so");

        assertThat(ascend().cause()).isEqualTo(Cause.NO_LIBRARY);
        assertThat(ascend().fix()).startsWith("install the CANN toolkit and source its set_env.sh");
    }

    @Test
    void davinciManagerThatCannotBeOpenedIsPermissionDenied() {
        access.deny("/dev/davinci_manager");

        assertThat(ascend().cause()).isEqualTo(Cause.PERMISSION_DENIED);
        assertThat(ascend().fix()).startsWith("add this user to the HwHiAiUser group");
    }
}

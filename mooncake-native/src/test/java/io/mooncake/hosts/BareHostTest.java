package io.mooncake.hosts;

import static io.mooncake.testing.Hosts.decision;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.TransportUnavailableException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.engine.transport.TransportProvider;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeKind;
import io.mooncake.probe.ProbeResult;
import io.mooncake.probe.Probes;
import io.mooncake.testing.FakeHost;
import io.mooncake.testing.Hosts;
import io.mooncake.transport.NativeTransports;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bare host like the build machine: one NUMA node, an Ethernet NIC, no accelerator; real libraries. */
class BareHostTest {

    @TempDir
    Path root;

    LibraryLoader libs = LibraryLoader.jna();

    @BeforeEach
    void host() {
        FakeHost host = new FakeHost(root).numaNodes(1);
        host.pci("pci0000:00/0000:00:03.0", 0x1af4, 0x1041, 0x020000, -1);
    }

    @Test
    void everyProbeSaysNoDeviceAndWhere() {
        Map<ProbeKind, ProbeResult> all = Probes.runAll(Hosts.context(root, libs, DeviceAccess.OPEN, Map.of()));

        assertThat(all).hasSize(ProbeKind.values().length);
        assertThat(all.values()).allSatisfy(r -> {
            assertThat(r.available()).isFalse();
            assertThat(r.cause()).as(r.kind().id()).isEqualTo(Cause.NO_DEVICE);
            assertThat(r.fix()).as(r.kind().id()).isNotBlank();
        });
        assertThat(all.get(ProbeKind.RDMA).reason()).isEqualTo("no device in sysfs class/infiniband ("
                + root.resolve("sys/class/infiniband") + " is empty or missing)");
        assertThat(all.get(ProbeKind.CUDA).reason()).contains("no vendor 0x10de");
    }

    @Test
    void everyNativeProtocolIsUnavailableWithCauseAndTheTcpFix() {
        EngineConfig config = Hosts.config(root, "rdma", "", Map.of());
        for (TransportProvider p : NativeTransports.providers(libs, DeviceAccess.OPEN)) {
            Availability a = p.availability(Hosts.transportContext(config));
            if (p.protocol().equals("nvmeof")) {
                // nvmeof moves data between memory and files or block devices: it runs on any host
                assertThat(a.available()).as(p.protocol()).isTrue();
                continue;
            }
            assertThat(a.available()).as(p.protocol()).isFalse();
            assertThat(a.cause()).as(p.protocol()).isEqualTo(Cause.NO_DEVICE);
            assertThat(a.fix()).as(p.protocol()).endsWith("set mooncake.protocol=tcp");
        }
    }

    @Test
    void rdmaFallsBackToTcpWithTheContractMessage() {
        SelectionReport report = Hosts.select(libs, DeviceAccess.OPEN, Hosts.config(root, "rdma", "", Map.of()));

        assertThat(report.primary()).isEqualTo("tcp");
        SelectionReport.Decision rdma = decision(report, "rdma");
        assertThat(rdma.outcome()).isEqualTo(SelectionReport.Outcome.FELL_BACK);
        assertThat(rdma.why()).startsWith("protocol 'rdma' unavailable (NO_DEVICE): no device in sysfs class/infiniband")
                .contains("install rdma-core or set mooncake.protocol=tcp; falling back to tcp");
    }

    @Test
    void withoutFallbackRdmaIsRefused() {
        EngineConfig config = Hosts.config(root, "rdma", "", Map.of()).mutate().fallbackToTcp(false).build();

        assertThatThrownBy(() -> Hosts.select(libs, DeviceAccess.OPEN, config))
                .isInstanceOf(TransportUnavailableException.class)
                .hasMessageStartingWith("protocol 'rdma' unavailable: no device in sysfs class/infiniband");
    }

    @Test
    void mcForceTcpOverridesEvenWhenNothingIsProbed() {
        SelectionReport report = Hosts.select(libs, DeviceAccess.OPEN, Hosts.config(root, "efa", "",
                Map.of("MC_FORCE_TCP", "1")));

        assertThat(decision(report, "efa").outcome()).isEqualTo(SelectionReport.Outcome.OVERRIDDEN);
        assertThat(report.active()).containsExactly("tcp");
    }
}

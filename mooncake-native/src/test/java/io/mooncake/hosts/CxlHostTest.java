package io.mooncake.hosts;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.probe.CxlProbe;
import io.mooncake.probe.Scan;
import io.mooncake.testing.FakeAccess;
import io.mooncake.testing.FakeHost;
import io.mooncake.testing.FakeLibraries;
import io.mooncake.testing.Hosts;
import io.mooncake.topology.TopologyDiscovery;
import io.mooncake.transport.cxl.CxlTransportProvider;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A host with 64 GiB of CXL memory exposed as device-DAX dax0.0 on CPU-less NUMA node 2. */
class CxlHostTest {

    static final long SIZE = 64L << 30;

    @TempDir
    Path root;

    FakeAccess access = new FakeAccess();
    FakeLibraries libs = new FakeLibraries();

    @BeforeEach
    void host() {
        FakeHost host = new FakeHost(root).numaNodes(3);
        host.dax("dax0.0", SIZE, 2);
        host.file("sys/bus/cxl/devices/mem0/ram/size", "0x1000000000");
        host.file("sys/bus/cxl/devices/mem0/numa_node", "2");
    }

    Availability cxl(Map<String, String> env) {
        return new CxlTransportProvider(libs, access).availability(Hosts.transportContext(
                Hosts.config(root, "cxl", "", env)));
    }

    @Test
    void daxDevicesAndCxlMemdevsAreListed() {
        Scan<CxlProbe.DaxDevice> scan = CxlProbe.INSTANCE.scan(Hosts.context(root, libs, access, Map.of()));

        assertThat(scan.devices()).containsExactly(new CxlProbe.DaxDevice("dax0.0", SIZE, 2, "/dev/dax0.0"));
        assertThat(scan.result().details()).containsEntry("cxl mem0", "ram 68719476736 bytes, pmem 0 bytes, NUMA 2");
        assertThat(TopologyDiscovery.numaNodes(Hosts.context(root, libs, access, Map.of()))).containsExactly(0, 1, 2);
    }

    @Test
    void withoutMcCxlDevPathCxlIsFeatureDisabledNamingTheDevice() {
        Availability a = cxl(Map.of());

        assertThat(a.cause()).isEqualTo(Cause.FEATURE_DISABLED);
        assertThat(a.reason()).isEqualTo("MC_CXL_DEV_PATH is not set, so no CXL device is shared (found /dev/dax0.0)");
        assertThat(a.fix()).isEqualTo("set MC_CXL_DEV_PATH=/dev/dax0.0 or set mooncake.protocol=tcp");
    }

    @Test
    void withTheDeviceNamedCxlIsNotImplementedAndSizedFromSysfs() {
        Availability a = cxl(Map.of("MC_CXL_DEV_PATH", "/dev/dax0.0"));

        assertThat(a.cause()).isEqualTo(Cause.NOT_IMPLEMENTED);
        assertThat(a.reason()).isEqualTo("cxl data path is not implemented in this release (CXL device /dev/dax0.0 "
                + "(68719476736 bytes, from sysfs))");
        SelectionReport report = Hosts.select(libs, access, Hosts.config(root, "cxl", "",
                Map.of("MC_CXL_DEV_PATH", "/dev/dax0.0")));
        assertThat(report.fellBack()).isTrue();
        assertThat(report.active()).containsExactly("tcp");
    }

    @Test
    void mcCxlDevSizeOverridesTheSysfsSize() {
        Availability a = cxl(Map.of("MC_CXL_DEV_PATH", "/dev/dax0.0", "MC_CXL_DEV_SIZE", "1073741824"));

        assertThat(a.details()).containsEntry("size", "1073741824");
        assertThat(a.reason()).contains("1073741824 bytes, from MC_CXL_DEV_SIZE");
    }

    @Test
    void badOrOversizedMcCxlDevSizeIsNamed() {
        Availability bad = cxl(Map.of("MC_CXL_DEV_PATH", "/dev/dax0.0", "MC_CXL_DEV_SIZE", "64GB"));
        Availability big = cxl(Map.of("MC_CXL_DEV_PATH", "/dev/dax0.0", "MC_CXL_DEV_SIZE", Long.toString(SIZE + 1)));

        assertThat(bad.cause()).isEqualTo(Cause.INIT_FAILED);
        assertThat(bad.reason()).isEqualTo("MC_CXL_DEV_SIZE='64GB' is not a positive byte count");
        assertThat(big.reason()).isEqualTo("MC_CXL_DEV_SIZE=68719476737 exceeds the size of dax0.0 (68719476736 bytes)");
    }

    @Test
    void aDevicePathThatDoesNotExistIsNoDevice() {
        Availability a = cxl(Map.of("MC_CXL_DEV_PATH", "/dev/dax9.0"));

        assertThat(a.cause()).isEqualTo(Cause.NO_DEVICE);
        assertThat(a.reason()).startsWith("/dev/dax9.0 does not exist");
        assertThat(a.fix()).contains("[/dev/dax0.0]");
    }
}

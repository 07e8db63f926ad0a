package io.mooncake.hosts;

import static org.assertj.core.api.Assertions.assertThat;

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
    void withTheDeviceNamedCxlIsAvailableAndSizedFromSysfs() {
        Availability a = cxl(Map.of("MC_CXL_DEV_PATH", "/dev/dax0.0"));

        assertThat(a.available()).as(a.describe()).isTrue();
        assertThat(a.reason()).isEqualTo("CXL device /dev/dax0.0 (68719476736 bytes, from sysfs); every engine of the "
                + "host maps it");
        assertThat(a.details()).containsEntry("size", Long.toString(SIZE));
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
        assertThat(big.reason()).isEqualTo("CXL device /dev/dax0.0 is 68719476736 bytes, smaller than the "
                + "68719476737 bytes requested (MC_CXL_DEV_SIZE)");
        assertThat(big.fix()).startsWith("set MC_CXL_DEV_SIZE to at most 68719476736 or unset it");
    }

    @Test
    void aDevicePathThatDoesNotExistIsNoDevice() {
        Availability a = cxl(Map.of("MC_CXL_DEV_PATH", "/dev/dax9.0"));

        assertThat(a.cause()).isEqualTo(Cause.NO_DEVICE);
        assertThat(a.reason()).startsWith("/dev/dax9.0 does not exist: MC_CXL_DEV_PATH names a device that is not "
                + "there (size from sysfs to map)");
        assertThat(a.fix()).contains("[/dev/dax0.0]");
    }
}

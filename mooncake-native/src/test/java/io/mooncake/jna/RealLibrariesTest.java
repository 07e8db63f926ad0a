package io.mooncake.jna;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.acl.JnaAscendCl;
import io.mooncake.jna.cndrv.JnaCndrv;
import io.mooncake.jna.fabric.Fabric;
import io.mooncake.jna.fabric.JnaFabric;
import io.mooncake.jna.hip.JnaHip;
import io.mooncake.jna.verbs.JnaVerbs;
import io.mooncake.jna.verbs.Verbs;
import io.mooncake.probe.EfaProbe;
import io.mooncake.probe.Hca;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.ProbeResult;
import io.mooncake.probe.RdmaProbe;
import io.mooncake.probe.Scan;
import io.mooncake.probe.Sysfs;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bindings against the real libibverbs and libfabric, which CI installs (Debian packages
 * libibverbs1, ibverbs-providers, libfabric1): these tests fail when the libraries are missing.
 * Only the tests that need RDMA or EFA hardware skip, printing the probe's reason.
 */
class RealLibrariesTest {

    static final String INSTALL = "install the Debian packages libibverbs1 ibverbs-providers libfabric1";

    static Verbs verbs() {
        Loaded<Verbs> v = JnaVerbs.load();
        assertThat(v.isLoaded()).as("libibverbs must load (%s): %s", INSTALL, v.failure()).isTrue();
        return v.library();
    }

    static Fabric fabric() {
        Loaded<Fabric> f = JnaFabric.load();
        assertThat(f.isLoaded()).as("libfabric must load (%s): %s", INSTALL, f.failure()).isTrue();
        return f.library();
    }

    static List<String> sysfsVerbsDevices() {
        return Sysfs.list(Path.of("/sys/class/infiniband")).stream().map(p -> p.getFileName().toString()).toList();
    }

    @Test
    void libibverbsListsExactlyTheDevicesOfSysfs() {
        Verbs.DeviceList list = verbs().devices();

        List<String> sysfs = sysfsVerbsDevices();
        if (sysfs.isEmpty()) {
            // no RDMA subsystem: libibverbs returns NULL with ENOSYS, or an empty list
            assertThat(list.devices()).isEmpty();
            assertThat(list.errno()).isIn(0, 38);
        } else {
            assertThat(list.names()).containsExactlyInAnyOrderElementsOf(sysfs);
            assertThat(list.devices()).allSatisfy(d -> assertThat(d.guidHex()).hasSize(16));
        }
    }

    @Test
    void rdmaProbeOnThisHostAgreesWithSysfs() {
        Scan<Hca> scan = RdmaProbe.INSTANCE.scan(ProbeContext.host());

        if (sysfsVerbsDevices().isEmpty()) {
            assertThat(scan.result().cause()).isEqualTo(Cause.NO_DEVICE);
            assertThat(scan.result().reason()).startsWith("no device in sysfs class/infiniband");
        } else {
            assertThat(scan.devices()).isNotEmpty();
        }
    }

    @Test
    void realHcaIsListedAndUsable() {
        ProbeResult r = RdmaProbe.INSTANCE.probe(ProbeContext.host());
        assumeTrue(r.available(), () -> "no usable RDMA HCA on this host: " + r.describe());

        assertThat(r.details().get("libibverbs")).startsWith("lists [");
    }

    @Test
    void libfabricTcpProviderAnswersFiGetinfo() {
        Fabric f = fabric();

        Fabric.Query q = f.getInfo("tcp", false);

        assertThat(f.version()).matches("1\\.\\d+");
        assertThat(q.rc()).as("fi_getinfo(tcp): %s", q.error()).isZero();
        assertThat(q.infos()).isNotEmpty().allSatisfy(i -> {
            assertThat(i.coreProvider()).isEqualTo("tcp");
            assertThat(i.domain()).isNotEmpty();
        });
    }

    @Test
    void libfabricEfaProviderFindsNothingWithoutEfaHardware() {
        Fabric f = fabric();
        ProbeResult efa = EfaProbe.INSTANCE.probe(ProbeContext.host());

        Fabric.Query q = f.getInfo("efa", true);

        if (efa.cause() == Cause.NO_DEVICE) {
            assertThat(q.rc()).isEqualTo(-61);
            assertThat(q.error()).isEqualTo("No data available");
            assertThat(q.infos()).isEmpty();
        } else {
            assertThat(q.infos()).isNotEmpty();
        }
    }

    @Test
    void realEfaIsUsable() {
        ProbeResult r = EfaProbe.INSTANCE.probe(ProbeContext.host());
        assumeTrue(r.available(), () -> "no usable EFA device on this host: " + r.describe());

        assertThat(r.details().get("efa domains")).endsWith("-rdm");
    }

    @Test
    void absentVendorRuntimesLoadAsFailuresNotExceptions() {
        Loaded<AcceleratorRuntime> hip = JnaHip.load(List.of("/nonexistent/libamdhip64.so"));
        Loaded<AcceleratorRuntime> acl = JnaAscendCl.load(List.of("/nonexistent/libascendcl.so"));
        Loaded<AcceleratorRuntime> cn = JnaCndrv.load(List.of("/nonexistent/libcndrv.so"));

        for (Loaded<?> l : List.of(hip, acl, cn)) {
            assertThat(l.isLoaded()).isFalse();
            assertThat(l.failure()).contains("/nonexistent/");
            assertThat(l.permissionDenied()).isFalse();
        }
        assertThat(JnaHip.load(List.of("/nonexistent/libamdhip64.so"))).isSameAs(hip);
    }

    @Test
    void presenceCheckFindsLibcAndNamesWhatIsMissing() {
        assertThat(NativeLoading.present(List.of("/nonexistent/libx.so", "libc.so.6")).library()).isEqualTo("libc.so.6");
        Loaded<String> missing = NativeLoading.present(List.of("libmooncake-does-not-exist.so"));
        assertThat(missing.isLoaded()).isFalse();
        assertThat(missing.name()).isEqualTo("libmooncake-does-not-exist.so");
        assertThat(missing.failure()).contains("libmooncake-does-not-exist.so");
    }

    @Test
    void pciBusIdsAreNormalisedToSysfsForm() {
        assertThat(RuntimeQuery.normalizePciBusId("00000000:3B:00.0")).isEqualTo("0000:3b:00.0");
        assertThat(RuntimeQuery.normalizePciBusId("0001:c1:00.0")).isEqualTo("0001:c1:00.0");
        assertThat(RuntimeQuery.normalizePciBusId("3:00.0")).isEqualTo("0003:00.0");
    }
}

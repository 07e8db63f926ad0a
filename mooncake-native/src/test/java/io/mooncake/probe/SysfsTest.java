package io.mooncake.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SysfsTest {

    @TempDir
    Path dir;

    @Test
    void namesWithNumbersSortNaturally() {
        List<String> names = new ArrayList<>(List.of("mlx5_10", "mlx5_2", "mlx5_1", "dax1.0", "dax0.10", "dax0.2"));
        names.sort(Sysfs.NATURAL);

        assertThat(names).containsExactly("dax0.2", "dax0.10", "dax1.0", "mlx5_1", "mlx5_2", "mlx5_10");
    }

    @Test
    void attributesParseAsDecimalOrHexAndMissingFilesFallBack() throws Exception {
        Files.writeString(dir.resolve("vendor"), "0x15b3\n");
        Files.writeString(dir.resolve("numa_node"), "-1\n");

        assertThat(Sysfs.readLong(dir.resolve("vendor"), 0)).isEqualTo(0x15b3);
        assertThat(Sysfs.numaNode(dir)).isEqualTo(-1);
        assertThat(Sysfs.readLong(dir.resolve("absent"), 7)).isEqualTo(7);
        assertThat(Sysfs.parseLong("64GB", -1)).isEqualTo(-1);
        assertThat(Sysfs.list(dir.resolve("absent"))).isEmpty();
    }

    @Test
    void realDeviceAccessOpensFilesAndReportsMissingOnes() throws Exception {
        Path dev = Files.writeString(dir.resolve("uverbs0"), "");

        assertThat(DeviceAccess.OPEN.check(dev).ok()).isTrue();
        assertThat(DeviceAccess.OPEN.check(dir.resolve("uverbs1")).status()).isEqualTo(DeviceAccess.Status.MISSING);
        assertThat(DeviceAccess.OPEN.check(dir).status()).isEqualTo(DeviceAccess.Status.FAILED);
    }

    @Test
    void probeResultKeepsAvailabilityAndCauseConsistent() {
        ProbeResult ok = ProbeResult.found(ProbeKind.CXL, "found", null);

        assertThat(ok.cause()).isEqualTo(io.mooncake.engine.transport.Availability.Cause.NONE);
        assertThat(ok.describe()).isEqualTo("found");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ProbeResult(ProbeKind.CXL, false,
                io.mooncake.engine.transport.Availability.Cause.NONE, "x", null, null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

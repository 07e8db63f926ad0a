package io.mooncake.transport.barex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.testing.FakeAccess;
import io.mooncake.testing.FakeHost;
import io.mooncake.testing.FakeLibraries;
import io.mooncake.testing.Hosts;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * barex on a fake host with two HCAs (sysfs tree in a temporary directory, fake libraries): the
 * provider never falls back in silence; it says what is missing (the library, or a way to call its
 * C++ API) and names bad ACCL_* variables.
 */
class BarexTransportProviderTest {

    @TempDir
    Path root;

    FakeLibraries libs;
    final FakeAccess access = new FakeAccess();

    @BeforeEach
    void host() {
        FakeHost host = new FakeHost(root);
        host.numaNodes(1);
        host.mlx5("mlx5_0", "pci0000:00/0000:00:01.0/0000:01:00.0", 0, 0).add();
        host.mlx5("mlx5_1", "pci0000:00/0000:00:02.0/0000:02:00.0", 0, 1).add();
        libs = new FakeLibraries().libibverbs("mlx5_0", "mlx5_1");
    }

    Availability availability(Map<String, String> env) {
        return new BarexTransportProvider(libs, access).availability(Hosts.transportContext(
                Hosts.config(root, "barex", "", env)));
    }

    @Test
    void withoutTheLibraryItSaysWhichOne() {
        Availability a = availability(Map.of());

        assertThat(a.cause()).isEqualTo(Cause.NO_LIBRARY);
        assertThat(a.reason()).contains("libaccl_barex.so");
        assertThat(a.fix()).contains("accl-barex");
    }

    @Test
    void withTheLibraryItExplainsWhyJavaCannotDriveItAndPointsToRdma() {
        libs.present("libaccl_barex.so");

        Availability a = availability(Map.of("ACCL_MIN_PORT", "18000"));

        assertThat(a.cause()).isEqualTo(Cause.NOT_IMPLEMENTED);
        assertThat(a.reason()).contains("C++ API").contains("no C shim").contains("[mlx5_0, mlx5_1]");
        assertThat(a.fix()).contains("mooncake.protocol=rdma");
        assertThat(a.details()).containsEntry("ACCL ports", "18000-35000");
    }

    @Test
    void useBarexZeroSwitchesItOffAndBadAcclVariablesAreNamed() {
        libs.present("libaccl_barex.so");

        assertThat(availability(Map.of("USE_BAREX", "0")).cause()).isEqualTo(Cause.FEATURE_DISABLED);
        Availability bad = availability(Map.of("ACCL_MAX_PORT", "99999"));
        assertThat(bad.cause()).isEqualTo(Cause.INIT_FAILED);
        assertThat(bad.reason()).contains("ACCL_MAX_PORT").contains("99999");
        assertThatThrownBy(() -> BarexSettings.fromEnvironment(Map.of("ACCL_MIN_PORT", "30000", "ACCL_MAX_PORT", "20000")))
                .hasMessageContaining("ACCL_MIN_PORT");
        assertThat(BarexSettings.fromEnvironment(Map.of("ACCL_LOCAL_DEVICE", "3", "ACCL_USE_CPU", "1")))
                .isEqualTo(new BarexSettings(17000, 35000, "", 3, true));
    }
}

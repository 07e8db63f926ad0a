package io.mooncake.jna.hip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.mooncake.jna.Loaded;
import io.mooncake.jna.RuntimeQuery;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The binding against the real {@code libamdhip64} that CI installs (Debian 12's ROCm 5.2,
 * {@code libamdhip64-5}) on a host without an AMD GPU: the "library present, no GPU" path that
 * users hit when ROCm is installed in an image but the container got no {@code /dev/kfd}. Every
 * call must answer with an exception naming the call and the runtime's error, never crash or hang.
 * On a host that has {@code /dev/kfd} these tests skip (the GPU tests run there instead).
 */
class JnaHipTest {

    static final String INSTALL = "apt-get install -y libamdhip64-5 libamdhip64-dev";

    static JnaHip hip() {
        Loaded<JnaHip> l = JnaHip.loadHip(List.of("libamdhip64.so", "libamdhip64.so.5"));
        assertThat(l.isLoaded()).as("libamdhip64 must load (%s): %s", INSTALL, l.failure()).isTrue();
        assumeThat(Files.exists(Path.of("/dev/kfd"))).as("this host has /dev/kfd (an AMD GPU driver): the no-GPU "
                + "path is not what it has; HipTransportGpuTest covers it").isFalse();
        return l.library();
    }

    @Test
    void runtimeVersionIsReadFromTheLibrary() {
        JnaHip hip = hip();
        assertThat(HipAbi.major(hip.runtimeVersion())).as("HIP %s", HipAbi.describeVersion(hip.runtimeVersion()))
                .isGreaterThanOrEqualTo(5);
        assertThat(hip.library()).startsWith("libamdhip64.so");
        assertThat(hip.toString()).startsWith("HIP runtime 5.");
    }

    @Test
    void withoutAGpuDeviceCountFailsNamingHipErrorNoDevice() {
        HipException e = org.junit.jupiter.api.Assertions.assertThrows(HipException.class, () -> hip().deviceCount());
        assertThat(e.errorName()).isEqualTo("hipErrorNoDevice");
        assertThat(e.status()).isEqualTo(HipAbi.ERROR_NO_DEVICE);
        assertThat(e.getMessage()).isEqualTo("hipGetDeviceCount failed: hipErrorNoDevice (100)");
        assertThat(e.code()).isEqualTo(io.mooncake.engine.api.ErrorCode.DEVICE_NOT_FOUND);
    }

    @Test
    void withoutAGpuTheProbeQueryReportsTheErrorAndTheRuntime() {
        RuntimeQuery q = hip().query();
        assertThat(q.ok()).isFalse();
        assertThat(q.status()).isEqualTo(HipAbi.ERROR_NO_DEVICE);
        assertThat(q.error()).startsWith("hipErrorNoDevice from hipGetDeviceCount (HIP runtime 5.")
                .contains("libamdhip64.so");
    }

    @Test
    void withoutAGpuEveryCallFailsNamingItselfAndTheError() {
        JnaHip hip = hip();
        assertThatThrownBy(hip::init).isInstanceOf(HipException.class).hasMessageStartingWith("hipInit(0) failed: hip");
        assertThatThrownBy(() -> hip.malloc(1 << 20)).isInstanceOf(HipException.class)
                .hasMessageStartingWith("hipMalloc(1048576 bytes) failed: hipError");
        assertThatThrownBy(() -> hip.hostMalloc(4096)).isInstanceOf(HipException.class)
                .hasMessageStartingWith("hipHostMalloc(4096 bytes) failed: hipError");
        assertThatThrownBy(() -> hip.setDevice(0)).isInstanceOf(HipException.class)
                .hasMessageStartingWith("hipSetDevice(0) failed: hipError");
        assertThatThrownBy(hip::streamCreate).isInstanceOf(HipException.class)
                .hasMessageStartingWith("hipStreamCreateWithFlags failed: hipError");
        assertThatThrownBy(() -> hip.ipcOpenMemHandle(new byte[64])).isInstanceOf(HipException.class)
                .hasMessageStartingWith("hipIpcOpenMemHandle failed: hipError");
        assertThatThrownBy(() -> hip.pointerAttributes(0x1000)).isInstanceOf(HipException.class)
                .hasMessageStartingWith("hipPointerGetAttributes(0x1000) failed: hipError");
        assertThatThrownBy(() -> hip.ipcOpenMemHandle(new byte[63])).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a hipIpcMemHandle_t has 64 bytes, not 63");
    }

    @Test
    void errorNamesComeFromTheRuntime() {
        JnaHip hip = hip();
        assertThat(hip.errorName(HipAbi.ERROR_NO_DEVICE)).isEqualTo("hipErrorNoDevice");
        assertThat(hip.errorName(HipAbi.ERROR_INVALID_VALUE)).isEqualTo("hipErrorInvalidValue");
        assertThat(hip.errorName(HipAbi.ERROR_NOT_READY)).isEqualTo("hipErrorNotReady");
    }
}

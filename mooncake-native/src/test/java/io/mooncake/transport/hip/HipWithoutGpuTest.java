package io.mooncake.transport.hip;

import io.mooncake.device.hip.HipDeviceMemory;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.TransportUnavailableException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.RocmProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The REAL "ROCm installed, no AMD GPU" path on this machine: Debian's {@code libamdhip64} is
 * installed (CI does it) and the host has no AMD GPU and no {@code /dev/kfd}. The provider, the
 * allocator and the engine must each say exactly that, in the runtime's words, and refuse; none
 * may hand out host memory for {@code hip:0}. Skips on a host that has an AMD GPU (the GPU tests
 * run there).
 */
class HipWithoutGpuTest {

    @BeforeAll
    static void thisHostHasNoAmdGpu() {
        assumeThat(Files.exists(Path.of("/dev/kfd"))).as("this host has /dev/kfd").isFalse();
        assumeThat(RocmProbe.INSTANCE.probe(ProbeContext.host()).cause())
                .as("this host has an AMD GPU on its PCI bus").isEqualTo(Availability.Cause.NO_DEVICE);
    }

    private static TransportContext context() {
        return TransportContext.standalone(EngineConfig.builder().protocol("hip").build(), "127.0.0.1:1", "127.0.0.1");
    }

    @Test
    void providerSaysThereIsNoGpuAndWhatTheInstalledRuntimeAnswered() {
        Availability a = new HipTransportProvider().availability(context());

        assertThat(a.available()).isFalse();
        assertThat(a.cause()).isEqualTo(Availability.Cause.NO_DEVICE);
        assertThat(a.reason()).startsWith("no AMD GPU in /sys/bus/pci/devices")
                .contains("; HIP runtime 5.").contains(" loaded but sees no AMD GPU: ")
                .contains("hipGetDeviceCount failed: hipErrorNoDevice (100)");
        assertThat(a.fix()).contains("--device=/dev/kfd").endsWith("set mooncake.protocol=tcp");
        assertThat(a.details()).containsKey("runtime");
    }

    @Test
    void providerRefusesToCreateTheTransportWithTheSameReason() {
        assertThatThrownBy(() -> new HipTransportProvider().create(context()))
                .isInstanceOf(TransportUnavailableException.class).hasMessageContaining("hipErrorNoDevice (100)");
    }

    @Test
    void theEngineRefusesHipMemoryNamingWhatIsMissingAndNeverHandsOutHostMemory() {
        try (MooncakeEngine engine = MooncakeEngine.start(Engines.loopback().build())) {
            assertThatThrownBy(() -> engine.allocateBuffer(1 << 20, "hip:0")).isInstanceOf(MooncakeException.class)
                    .hasMessageContaining("hip:0").hasMessageContaining("/dev/kfd does not exist");

            long host = NativeMemory.allocate(4096);
            try {
                assertThatThrownBy(() -> engine.registerLocalMemory(host, 4096, "hip:0"))
                        .isInstanceOf(MooncakeException.class).hasMessageContaining("'hip:0'")
                        .hasMessageContaining("no AMD GPU");
                assertThat(engine.registeredMemory()).isEmpty();
                engine.registerLocalMemory(host, 4096, "cpu:0");
                engine.unregisterLocalMemory(host);
            } finally {
                NativeMemory.free(host);
            }
        }
    }

    @Test
    void theAllocatorLoadsNoLibraryWithoutKfd() {
        HipDeviceMemory m = new HipDeviceMemory();
        assertThat(m.serves("hip:3")).isTrue();
        assertThat(m.serves("cuda:0")).isFalse();
        assertThat(m.available()).isFalse();
        assertThat(m.unavailableReason()).startsWith("no AMD GPU: /dev/kfd does not exist");
        assertThat(m.locate(0x1000)).isNull();
        assertThatThrownBy(() -> m.allocate(4096, "hip:0")).isInstanceOf(MooncakeException.class)
                .hasMessage("cannot allocate 4096 bytes on hip:0: " + m.unavailableReason());
        assertThatThrownBy(() -> m.allocate(4096, "hip:x")).isInstanceOf(MooncakeException.class)
                .hasMessageContaining("expected hip:<index>");
    }
}

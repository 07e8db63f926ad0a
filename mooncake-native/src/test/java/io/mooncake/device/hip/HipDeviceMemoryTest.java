package io.mooncake.device.hip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.memory.Allocation;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.testing.HipTestDouble;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link HipDeviceMemory} over the HIP TEST DOUBLE (stands for AMD GPUs, absent here): the
 * registration checks the engine relies on, allocation, pinned memory and copies.
 */
class HipDeviceMemoryTest {

    private final HipTestDouble.Gpus gpus = new HipTestDouble.Gpus(2);
    private final HipTestDouble hip = gpus.process();
    private final HipDeviceMemory memory = new HipDeviceMemory(() -> HipRuntime.of(hip));

    @AfterEach
    void close() {
        gpus.close();
    }

    @Test
    void allocatesZeroedMemoryOnTheNamedGpuAndLeavesTheCallersCurrentDevice() {
        hip.setDevice(0);
        try (Allocation a = memory.allocate(1 << 20, "hip:1")) {
            assertThat(a.kind()).isEqualTo(MemoryKind.DEVICE);
            assertThat(memory.locate(a.address())).isEqualTo("hip:1");
            assertThat(memory.locate(a.address() + (1 << 20) - 1)).isEqualTo("hip:1");
            assertThat(hip.currentDevice()).as("the calling thread's device").isZero();
            byte[] back = new byte[64];
            long host = NativeMemory.allocate(64);
            try {
                memory.copyToHost(host, a.address() + 4096, 64);
                for (int i = 0; i < 64; i++) {
                    back[i] = NativeMemory.getByte(host + i);
                }
            } finally {
                NativeMemory.free(host);
            }
            assertThat(back).containsOnly((byte) 0);
        }
        assertThatThrownBy(() -> memory.allocate(4096, "hip:2")).isInstanceOf(MooncakeException.class)
                .hasMessage("cannot allocate 4096 bytes on hip:2: the HIP runtime sees 2 GPU(s) (hip:0 to hip:1)");
    }

    @Test
    void registrationChecksNameWhatThePointerReallyIs() {
        hip.setDevice(1);
        long dev = hip.malloc(8192);
        long host = NativeMemory.allocate(4096);
        try {
            memory.checkDeviceRange(dev, 8192, "hip:1");
            memory.checkDeviceRange(dev + 100, 100, "hip:1");
            assertThatThrownBy(() -> memory.checkDeviceRange(dev, 8192, "hip:0")).isInstanceOf(MooncakeException.class)
                    .hasMessageContaining("was registered with location 'hip:0' but is hip:1");
            assertThatThrownBy(() -> memory.checkDeviceRange(host, 4096, "hip:0"))
                    .hasMessageContaining("but is not memory the HIP runtime knows (hipErrorInvalidValue): host memory");
            assertThatThrownBy(() -> memory.checkDeviceRange(dev, 8193, "hip:1"))
                    .hasMessageContaining("runs past the end of its device allocation");
            assertThat(memory.locate(host)).isNull();
        } finally {
            hip.free(dev);
            NativeMemory.free(host);
        }
    }

    @Test
    void pinnedMemoryIsHostMemoryAndCopiesGoBothWays() {
        try (Allocation pinned = memory.allocatePinned(4096); Allocation dev = memory.allocate(4096, "hip:0")) {
            assertThat(pinned.kind()).isEqualTo(MemoryKind.HOST);
            NativeMemory.fill(pinned.address(), 4096, (byte) 0x5A);
            memory.copyToDevice(dev.address(), pinned.address(), 4096);
            NativeMemory.fill(pinned.address(), 4096, (byte) 0);
            memory.copyToHost(pinned.address(), dev.address(), 4096);
            assertThat(NativeMemory.getByte(pinned.address() + 4095)).isEqualTo((byte) 0x5A);
        }
    }

    @Test
    void withoutGpusEveryAnswerSaysWhatTheRuntimeSaid() {
        HipDeviceMemory none = new HipDeviceMemory(() -> HipRuntime.of(new HipTestDouble.Gpus(0).process()));
        assertThat(none.available()).isFalse();
        assertThat(none.unavailableReason()).contains("loaded but sees no AMD GPU: hipInit(0) failed: "
                + "hipErrorInvalidDevice (101); hipGetDeviceCount failed: hipErrorNoDevice (100)");
        assertThatThrownBy(() -> none.allocatePinned(4096)).hasMessageContaining("hipErrorNoDevice (100)");
    }
}

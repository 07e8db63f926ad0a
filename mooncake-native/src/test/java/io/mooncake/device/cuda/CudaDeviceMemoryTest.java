package io.mooncake.device.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.memory.Allocation;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.cuda.Cuda;
import io.mooncake.jna.cuda.FakeCudaDriver;
import org.junit.jupiter.api.Test;

/**
 * The engine's CUDA memory module over {@link FakeCudaDriver}, a TEST DOUBLE standing for the
 * driver and GPUs absent on this machine: allocation kinds, the registration checks and their
 * messages, staging copies, and the reason given where the driver is missing. The real driver runs
 * in {@code CudaGpuTest}.
 */
class CudaDeviceMemoryTest {

    private final FakeCudaDriver driver = new FakeCudaDriver(2);
    private final Cuda cuda = new Cuda(driver);
    private final CudaDeviceMemory memory = new CudaDeviceMemory(() -> Loaded.of("libcuda.so.1", cuda));

    @Test
    void allocatesZeroedDeviceMemoryAndPinnedHostMemory() {
        try (Allocation d = memory.allocate(4096, "cuda:1"); Allocation p = memory.allocatePinned(8192)) {
            assertThat(d.kind()).isEqualTo(MemoryKind.DEVICE);
            assertThat(memory.locate(d.address() + 10)).isEqualTo("cuda:1");
            assertThat(p.kind()).isEqualTo(MemoryKind.HOST);
            assertThat(memory.locate(p.address())).as("pinned memory is host memory").isNull();
            NativeMemory.fill(p.address(), 4096, (byte) 9);
            memory.copyToDevice(d.address(), p.address(), 4096);
            memory.copyToHost(p.address() + 4096, d.address(), 4096);
            assertThat(NativeMemory.getByte(p.address() + 4096 + 4095)).isEqualTo((byte) 9);
        }
        assertThat(driver.liveAllocations()).isZero();
    }

    @Test
    void registrationChecksNameWhatThePointerReallyIs() {
        try (Allocation d = memory.allocate(4096, "cuda:0")) {
            memory.checkDeviceRange(d.address() + 100, 1000, "cuda:0");
            assertThatThrownBy(() -> memory.checkDeviceRange(d.address(), 4096, "cuda:1"))
                    .isInstanceOf(MooncakeException.class)
                    .hasMessageContaining("is cuda:0 device memory but was registered as cuda:1")
                    .hasMessageContaining("register it with location cuda:0");
            assertThatThrownBy(() -> memory.checkDeviceRange(d.address() + 100, 4096, "cuda:0"))
                    .hasMessageContaining("runs past its CUDA allocation").hasMessageContaining("at most 3996 bytes");
            long host = NativeMemory.allocate(64);
            assertThatThrownBy(() -> memory.checkDeviceRange(host, 64, "cuda:0"))
                    .hasMessageContaining("is host memory unknown to CUDA, not cuda:0 device memory");
            NativeMemory.free(host);
        }
        assertThatThrownBy(() -> memory.allocate(64, "cuda:2")).hasMessageContaining("names GPU 2 but the CUDA "
                + "driver sees 2 (cuda:0 to cuda:1)");
        assertThatThrownBy(() -> memory.allocate(64, "cuda:x")).hasMessageContaining("has no GPU number");
    }

    @Test
    void withoutTheDriverItIsUnavailableAndSaysWhy() {
        CudaDeviceMemory none = new CudaDeviceMemory(() -> Loaded.missing("libcuda.so.1",
                "libcuda.so.1: cannot open shared object file"));
        assertThat(none.available()).isFalse();
        assertThat(none.unavailableReason()).contains("libcuda.so.1 cannot be loaded").contains("NVIDIA driver");
        assertThat(none.serves("cuda:0")).isTrue();
        assertThat(none.locate(1234)).isNull();
        assertThatThrownBy(() -> none.allocate(64, "cuda:0")).hasMessageContaining("libcuda.so.1 cannot be loaded");
    }
}

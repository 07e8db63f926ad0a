package io.mooncake.jna.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.Structure;
import io.mooncake.engine.api.ErrorCode;
import org.junit.jupiter.api.Test;

/**
 * The CUDA facade over {@link FakeCudaDriver}, a TEST DOUBLE standing for the driver and GPU absent
 * on this machine: error reporting (every failure names the call, what it did and the driver's
 * error name), pointer attributes, IPC handles as hex. The real driver runs in {@code CudaGpuTest}.
 */
class CudaTest {

    private final FakeCudaDriver driver = new FakeCudaDriver(2);
    private final Cuda cuda = new Cuda(driver);

    @Test
    void everyFailureNamesTheCallTheErrorNameAndItsText() {
        driver.failNextAlloc = CudaAbi.CUDA_ERROR_OUT_OF_MEMORY;
        assertThatThrownBy(() -> cuda.alloc(1, 1L << 40))
                .isInstanceOf(CudaException.class)
                .hasMessage("cuMemAlloc (1099511627776 bytes on cuda:1) failed: CUDA_ERROR_OUT_OF_MEMORY (2): "
                        + "out of memory")
                .satisfies(e -> assertThat(((CudaException) e).code()).isEqualTo(ErrorCode.MEMORY));
        assertThatThrownBy(() -> cuda.bind(7)).hasMessageContaining("cuDeviceGet (cuda:7) failed: "
                + "CUDA_ERROR_INVALID_DEVICE (101)");
        assertThat(cuda.errorName(12345)).isEqualTo("CUresult 12345");
    }

    @Test
    void pointerAttributesTellDeviceFromHostMemory() {
        long d = cuda.alloc(1, 4096);
        Cuda.PointerInfo in = cuda.pointer(d + 100);
        assertThat(in.isDevice()).isTrue();
        assertThat(in.device()).isEqualTo(1);
        assertThat(in.rangeStart()).isEqualTo(d);
        assertThat(in.rangeSize()).isEqualTo(4096);
        assertThat(in.typeName()).isEqualTo("cuda:1 device memory");
        long pinned = cuda.hostAlloc(0, 64);
        assertThat(cuda.pointer(pinned).typeName()).isEqualTo("pinned host memory");
        assertThat(cuda.pointer(12345L).isUnknown()).isTrue();
        cuda.free(1, d);
        cuda.freeHost(0, pinned);
        assertThat(driver.liveAllocations()).isZero();
    }

    @Test
    void ipcHandlesTravelAsUppercaseHexOf64Bytes() {
        long d = cuda.alloc(0, 1 << 20);
        byte[] h = cuda.ipcHandle(0, d);
        String hex = Cuda.toHex(h);
        assertThat(hex).hasSize(128).matches("[0-9A-F]+");
        assertThat(Cuda.fromHex(hex, 64)).isEqualTo(h);
        assertThat(cuda.ipcOpen(0, Cuda.fromHex(hex, 64))).isEqualTo(d);
        assertThatThrownBy(() -> Cuda.fromHex("ABC", 64)).hasMessageContaining("expected 128 hex digits");
        assertThatThrownBy(() -> cuda.ipcHandle(0, d + 8)).hasMessageContaining("cuIpcGetMemHandle")
                .hasMessageContaining("CUDA_ERROR_INVALID_VALUE");
        cuda.free(0, d);
    }

    @Test
    void ipcHandleByValueIsSixtyFourBytesAsInCudaH() {
        assertThat(Structure.newInstance(CudaAbi.IpcMemHandle.class).size()).isEqualTo(CudaAbi.IPC_HANDLE_BYTES)
                .isEqualTo(64);
        assertThat(CudaAbi.FABRIC_HANDLE_BYTES).isEqualTo(64);
    }
}

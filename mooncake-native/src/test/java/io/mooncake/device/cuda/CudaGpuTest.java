package io.mooncake.device.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.RemoteBuffer;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.jna.cuda.Cuda;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real CUDA driver on a real GPU: allocation, pointer attributes, copies, IPC handles, error
 * names, registration checks in an engine, and the engine's pinned staging path carrying
 * {@code cuda:0} memory over tcp between two engines. Skips without a GPU (naming what is missing);
 * mandatory with {@code -Dmooncake.gpu.required=true}.
 */
@RequiresGpu
class CudaGpuTest {

    private static Cuda cuda;

    @BeforeAll
    static void gpu() {
        cuda = GpuTests.requireGpu();
    }

    @Test
    void allocatesCopiesAndNamesErrors() {
        long d = cuda.alloc(0, 1 << 20);
        try {
            Cuda.PointerInfo p = cuda.pointer(d + 4096);
            assertThat(p.isDevice()).isTrue();
            assertThat(p.device()).isZero();
            assertThat(p.rangeStart()).isEqualTo(d);
            assertThat(p.rangeSize()).isGreaterThanOrEqualTo(1 << 20);
            assertThat(cuda.pointer(NativeMemory.addressOf(ByteBuffer.allocateDirect(64))).isUnknown()).isTrue();
            byte[] handle = cuda.ipcHandle(0, d);
            assertThat(Cuda.toHex(handle)).hasSize(128).matches("[0-9A-F]+");
        } finally {
            cuda.free(0, d);
        }
        assertThatThrownBy(() -> cuda.alloc(0, 1L << 50)).hasMessageContaining("cuMemAlloc")
                .hasMessageContaining("CUDA_ERROR_OUT_OF_MEMORY");
    }

    @Test
    void engineRegistrationTellsDeviceFromHostMemory() {
        try (MooncakeEngine e = MooncakeEngine.start(config().build())) {
            long d = cuda.alloc(0, 1 << 20);
            try {
                long host = NativeMemory.addressOf(ByteBuffer.allocateDirect(4096));
                assertThatThrownBy(() -> e.registerLocalMemory(host, 4096, "cuda:0"))
                        .isInstanceOf(MooncakeException.class).hasMessageContaining("not cuda:0 device memory");
                assertThatThrownBy(() -> e.registerLocalMemory(d, 4096, "cpu:0"))
                        .hasMessageContaining("is cuda:0 device memory");
                e.registerLocalMemory(d, 1 << 20, "cuda:0");
                e.unregisterLocalMemory(d);
            } finally {
                cuda.free(0, d);
            }
        }
    }

    @Test
    void deviceMemoryCrossesTcpThroughThePinnedPool() {
        try (MooncakeEngine a = MooncakeEngine.start(config().build());
                MooncakeEngine b = MooncakeEngine.start(config().build())) {
            LocalBuffer device = a.allocateBuffer(16L << 20, "cuda:0");
            LocalBuffer host = b.allocateBuffer(16L << 20, "cpu:0");
            RemoteBuffer remote = a.openSegment(b.localSegmentName()).buffer(0);
            for (int length : new int[] {1, 4097, (1 << 20), (5 << 20) + 3}) {
                byte[] data = new byte[length];
                new Random(length).nextBytes(data);
                ByteBuffer staging = ByteBuffer.allocateDirect(length);
                staging.put(0, data);
                long s = NativeMemory.addressOf(staging);
                cuda.bind(0);
                CudaDeviceMemory dm = new CudaDeviceMemory();
                dm.copyToDevice(device.address(), s, length);

                BatchResult w = a.submit(List.of(TransferRequest.write(device, 0, remote, 128, length)))
                        .await(Duration.ofSeconds(60));
                assertThat(w.allCompleted()).as("%s", w).isTrue();
                byte[] atB = new byte[length];
                host.byteBuffer().get(128, atB);
                assertThat(atB).isEqualTo(data);

                BatchResult r = a.submit(List.of(TransferRequest.read(device, 8L << 20, remote, 128, length)))
                        .await(Duration.ofSeconds(60));
                assertThat(r.allCompleted()).as("%s", r).isTrue();
                ByteBuffer back = ByteBuffer.allocateDirect(length);
                dm.copyToHost(NativeMemory.addressOf(back), device.address() + (8L << 20), length);
                byte[] got = new byte[length];
                back.get(0, got);
                assertThat(got).isEqualTo(data);
            }
        }
    }

    private static EngineConfig.Builder config() {
        return EngineConfig.builder().localHostname("127.0.0.1").metadataServer("P2PHANDSHAKE").protocol("tcp")
                .disabledTransports("local,shm").transferTimeout(Duration.ofSeconds(30));
    }
}

package io.mooncake.transport.nvmeof;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.api.TransferStatus;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataStore;
import io.mooncake.engine.metadata.http.HttpMetadataServer;
import io.mooncake.engine.metadata.kv.SegmentDirectories;
import io.mooncake.engine.transport.contract.Pattern;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.cufile.CuFile;
import io.mooncake.jna.cufile.JnaCuFile;
import io.mooncake.transport.nvmeof.NvmeofSegment.NvmeofFile;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * GPUDirect Storage for real, on a machine with an NVIDIA GPU and libcufile (the lent GPU machine;
 * compatibility mode suffices, no nvidia-fs needed): an engine running {@code tcp,nvmeof} writes
 * CUDA memory ({@code cuMemAlloc}) into a file segment through cuFile and reads it back into other
 * CUDA memory; the bytes are checked on the file and after a copy back to the host. Skipped, saying
 * which library is missing, elsewhere; {@code -Dmooncake.test.requireGds=true} makes it mandatory.
 */
class NvmeofGdsHardwareTest {

    static final int MIB = 1 << 20;

    /** The few CUDA driver calls this test needs to own device memory (test only). */
    interface LibCuda extends Library {
        int cuInit(int flags);

        int cuDeviceGet(IntByReference device, int ordinal);

        int cuDevicePrimaryCtxRetain(PointerByReference ctx, int device);

        int cuCtxSetCurrent(Pointer ctx);

        int cuMemAlloc_v2(LongByReference dptr, long bytes);

        int cuMemFree_v2(long dptr);

        int cuMemcpyHtoD_v2(long dst, Pointer src, long bytes);

        int cuMemcpyDtoH_v2(Pointer dst, long src, long bytes);

        int cuMemsetD8_v2(long dst, byte value, long n);
    }

    static void ok(int rc, String call) {
        assertThat(rc).as("%s returned CUresult %d", call, rc).isZero();
    }

    @Test
    void cudaMemoryIsWrittenToAndReadFromAFileSegmentThroughCuFile() throws Exception {
        boolean required = Boolean.getBoolean("mooncake.test.requireGds");
        Loaded<CuFile> cufile = JnaCuFile.load();
        LibCuda cuda = null;
        String missing = null;
        try {
            cuda = Native.load("cuda", LibCuda.class);
        } catch (UnsatisfiedLinkError e) {
            missing = "libcuda (the NVIDIA driver) does not load: " + e.getMessage();
        }
        if (missing == null && !cufile.isLoaded()) {
            missing = "libcufile does not load: " + cufile.failure();
        }
        if (required) {
            assertThat(missing).as("mooncake.test.requireGds is set").isNull();
        }
        assumeThat(missing).as("GPUDirect Storage test skipped: %s", missing).isNull();

        ok(cuda.cuInit(0), "cuInit");
        IntByReference dev = new IntByReference();
        ok(cuda.cuDeviceGet(dev, 0), "cuDeviceGet");
        PointerByReference ctx = new PointerByReference();
        ok(cuda.cuDevicePrimaryCtxRetain(ctx, dev.getValue()), "cuDevicePrimaryCtxRetain");
        ok(cuda.cuCtxSetCurrent(ctx.getValue()), "cuCtxSetCurrent");
        long size = 8L * MIB;
        LongByReference src = new LongByReference();
        LongByReference dst = new LongByReference();
        ok(cuda.cuMemAlloc_v2(src, size), "cuMemAlloc");
        ok(cuda.cuMemAlloc_v2(dst, size), "cuMemAlloc");
        ByteBuffer host = ByteBuffer.allocateDirect((int) size);
        Pattern.fill(host, 0, size, 42);
        ok(cuda.cuMemcpyHtoD_v2(src.getValue(), new Pointer(NativeMemory.addressOf(host)), size), "cuMemcpyHtoD");
        ok(cuda.cuMemsetD8_v2(dst.getValue(), (byte) 0, size), "cuMemsetD8");

        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "mooncake-gds-");
        Path file = dir.resolve("gds.img");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(16L * MIB);
        }
        try (HttpMetadataServer server = HttpMetadataServer.builder().host("127.0.0.1").port(0).start();
                MooncakeEngine engine = MooncakeEngine.start(EngineConfig.builder().localHostname("127.0.0.1")
                        .metadataServer(server.url()).protocol("tcp,nvmeof").build())) {
            try (MetadataStore store = SegmentDirectories.openStore(MetadataConnection.parse(server.url()),
                    EngineConfig.builder().metadataServer(server.url()).build(),
                    SegmentDirectories.providers(getClass().getClassLoader()))) {
                store.put("mooncake/nvmeof/gds", new NvmeofSegment("nvmeof/gds", List.of(new NvmeofFile("/x",
                        16L * MIB, Map.of(engine.localSegmentName(), file.toString())))).encodeValue());
            }
            long seg = engine.openSegment("nvmeof/gds").id();
            engine.registerLocalMemory(src.getValue(), size, "cuda:0");
            engine.registerLocalMemory(dst.getValue(), size, "cuda:0");

            TransferStatus w = engine.submit(List.of(new TransferRequest(OpCode.WRITE, src.getValue(), seg, 4L * MIB,
                    size))).await(Duration.ofSeconds(60)).statuses().get(0);
            assertThat(w.state()).as("write: %s", w.failureReason()).isEqualTo(TransferState.COMPLETED);
            assertThat(Pattern.mismatch(ByteBuffer.wrap(Files.readAllBytes(file)), 4L * MIB, size, 42))
                    .as("the file after the write from CUDA memory").isNull();

            TransferStatus r = engine.submit(List.of(new TransferRequest(OpCode.READ, dst.getValue(), seg, 4L * MIB,
                    size))).await(Duration.ofSeconds(60)).statuses().get(0);
            assertThat(r.state()).as("read: %s", r.failureReason()).isEqualTo(TransferState.COMPLETED);
            ByteBuffer back = ByteBuffer.allocateDirect((int) size);
            ok(cuda.cuMemcpyDtoH_v2(new Pointer(NativeMemory.addressOf(back)), dst.getValue(), size), "cuMemcpyDtoH");
            assertThat(Pattern.mismatch(back, 0, size, 42)).as("CUDA memory after the read").isNull();
            assertThat(engine.transportStats().get("nvmeof")).containsEntry("gdsFiles", 1);
            engine.unregisterLocalMemory(src.getValue());
            engine.unregisterLocalMemory(dst.getValue());
        } finally {
            cuda.cuMemFree_v2(src.getValue());
            cuda.cuMemFree_v2(dst.getValue());
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }
}

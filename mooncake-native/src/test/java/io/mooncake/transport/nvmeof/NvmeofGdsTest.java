package io.mooncake.transport.nvmeof;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.api.TransferStatus;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataStore;
import io.mooncake.engine.metadata.http.HttpMetadataServer;
import io.mooncake.engine.metadata.kv.SegmentDirectories;
import io.mooncake.engine.transport.contract.Pattern;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.cufile.CuFile;
import io.mooncake.jna.cufile.CuFileException;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * GPUDirect Storage in the nvmeof transport. This machine has no GPU and no libcufile: the
 * missing-library refusal is tested for real, through an engine; the cuFile data path
 * ({@link GdsIo}) runs against {@link FakeCuFile}, a double standing for the library on hardware
 * absent here (the real one: NvmeofGdsHardwareTest on the GPU machine).
 */
class NvmeofGdsTest {

    static final int MIB = 1 << 20;

    @TempDir
    Path disk;

    @Test
    void cudaMemoryIsRefusedNamingLibcufileWhenTheLibraryIsMissing() throws Exception {
        Loaded<CuFile> real = JnaCuFile.load();
        assumeThat(real.isLoaded()).as("libcufile loads here (%s): the missing-library path does not apply",
                real.name()).isFalse();
        // The transport's answer for CUDA memory without libcufile, with the real (failed) load of the library.
        try (GdsIo gds = new GdsIo(real)) {
            assertThat(gds.refusal(cuda(ByteBuffer.allocateDirect(4096)))).contains("CUDA memory (cuda:0)")
                    .contains("GPUDirect Storage needs libcufile").contains("libcufile.so.0")
                    .contains("install NVIDIA GDS");
        }
    }

    @Test
    void onAHostWithoutTheCudaDriverCudaMemoryIsRefusedAtRegistrationNamingTheDriver() throws Exception {
        assumeThat(io.mooncake.probe.LibraryLoader.jna().cuda().isLoaded())
                .as("libcuda.so.1 loads here: registration of real device memory is the GPU machine's test").isFalse();
        Path file = disk.resolve("gds.img");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(MIB);
        }
        try (HttpMetadataServer server = HttpMetadataServer.builder().host("127.0.0.1").port(0).start();
                MooncakeEngine engine = MooncakeEngine.start(EngineConfig.builder().localHostname("127.0.0.1")
                        .metadataServer(server.url()).protocol("tcp,nvmeof").build())) {
            try (MetadataStore store = SegmentDirectories.openStore(MetadataConnection.parse(server.url()),
                    EngineConfig.builder().metadataServer(server.url()).build(),
                    SegmentDirectories.providers(getClass().getClassLoader()))) {
                store.put("mooncake/nvmeof/gds", new NvmeofSegment("nvmeof/gds", List.of(new NvmeofFile("/x",
                        MIB, Map.of(engine.localSegmentName(), file.toString())))).encodeValue());
            }
            engine.openSegment("nvmeof/gds");
            // host memory offered as cuda:0 on a host with no NVIDIA driver: refused before any transport sees it
            ByteBuffer host = ByteBuffer.allocateDirect(MIB);
            long address = io.mooncake.engine.memory.NativeMemory.addressOf(host);
            assertThatThrownBy(() -> engine.registerLocalMemory(address, MIB, "cuda:0"))
                    .hasMessageContaining("'cuda:0'").hasMessageContaining("libcuda.so.1")
                    .hasMessageContaining("install the NVIDIA driver");
        }
    }

    // ---- the cuFile data path against the double

    Region cuda(ByteBuffer memory) {
        return new Region(io.mooncake.engine.memory.NativeMemory.addressOf(memory), memory.capacity(), "cuda:0",
                false, this, MemoryKind.DEVICE);
    }

    @Test
    void writesAndReadsThroughCuFileAddressingTheRegisteredBufferByOffset() throws Exception {
        FakeCuFile fake = new FakeCuFile();
        Path file = disk.resolve("a.img");
        Files.write(file, new byte[2 * MIB]);
        ByteBuffer device = ByteBuffer.allocateDirect(4 * MIB);
        Region region = cuda(device);
        long base = region.address();
        Pattern.fill(device, 100, 3 * MIB, 7);
        try (GdsIo gds = new GdsIo(Loaded.of("libcufile.so.0", fake))) {
            assertThat(gds.refusal(region)).isNull();

            gds.transfer(true, file, 4096, region, base + 100, MIB);
            gds.transfer(true, file, 4096 + MIB, region, base + 100 + MIB, 512 * 1024);
            gds.transfer(false, file, 4096, region, base + 3 * MIB, MIB);

            assertThat(Pattern.mismatch(ByteBuffer.wrap(Files.readAllBytes(file)), 4096, MIB + 512 * 1024, 7)).isNull();
            assertThat(Pattern.mismatch(device, 3 * MIB, MIB, 7)).isNull();
            assertThat(fake.calls).as("driver opened once, buffer and file registered once").containsExactly("open",
                    "registerBuffer " + 4 * MIB, "register " + file);
            gds.unregistered(region);
            assertThat(fake.calls).endsWith("deregisterBuffer");
        }
        assertThat(fake.calls).endsWith("deregister " + file);
    }

    @Test
    void aFileShorterThanTheRangeEndsInAClearError() throws Exception {
        FakeCuFile fake = new FakeCuFile();
        Path file = disk.resolve("short.img");
        Files.write(file, new byte[4096]);
        ByteBuffer device = ByteBuffer.allocateDirect(MIB);
        try (GdsIo gds = new GdsIo(Loaded.of("libcufile.so.0", fake))) {
            Region region = cuda(device);
            assertThatThrownBy(() -> gds.transfer(false, file, 0, region, region.address(), 8192))
                    .hasMessageContaining("file " + file + " ended at 4096 bytes").hasMessageContaining("shorter");
        }
    }

    @Test
    void aDriverThatWillNotOpenFailsNamingTheErrorAndTheFix() {
        FakeCuFile fake = new FakeCuFile();
        fake.failOpenWith = 5010; // CU_FILE_NVFS_DRIVER_ERROR
        ByteBuffer device = ByteBuffer.allocateDirect(4096);
        try (GdsIo gds = new GdsIo(Loaded.of("libcufile.so.0", fake))) {
            Region region = cuda(device);
            assertThatThrownBy(() -> gds.transfer(false, disk.resolve("x"), 0, region, region.address(), 4096))
                    .isInstanceOf(CuFileException.class).hasMessageContaining("CU_FILE_NVFS_DRIVER_ERROR(5010)");
        }
    }

    @Test
    void otherDeviceMemoryIsRefusedAsNotCudaAndHostMemoryIsNotGdsBusiness() {
        try (GdsIo gds = new GdsIo(Loaded.of("libcufile.so.0", new FakeCuFile()))) {
            Region npu = new Region(4096, 4096, "npu:0", false, this, MemoryKind.DEVICE);
            Region host = new Region(4096, 4096, "cpu:0", false, this, MemoryKind.HOST);

            assertThat(gds.refusal(npu)).contains("device memory (npu:0)").contains("covers CUDA memory (cuda:N)");
            assertThat(gds.refusal(host)).isNull();
            assertThat(GdsIo.isCuda(host)).isFalse();
        }
    }

    @Test
    void aMissingLibraryIsNamedWithTheLinkersMessage() {
        try (GdsIo gds = new GdsIo(Loaded.missing("libcufile.so.0", "libcufile.so.0: cannot open shared object file"))) {
            Region region = new Region(4096, 4096, "cuda:1", false, this, MemoryKind.DEVICE);

            assertThat(gds.refusal(region)).contains("CUDA memory (cuda:1)")
                    .contains("libcufile.so.0: libcufile.so.0: cannot open shared object file");
        }
    }
}

package io.mooncake.transport.nvmeof;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.api.TransferStatus;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.metadata.http.HttpMetadataServer;
import io.mooncake.transport.nvmeof.NvmeofSegment.NvmeofFile;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nvmeof transport against real files: an HTTP metadata server holds the segment descriptors
 * (written with the operator tool's code), an engine running {@code tcp,nvmeof} reads and writes
 * them. Files on the build machine's disk (/tmp, ext4: direct I/O) and on /dev/shm (tmpfs: no
 * O_DIRECT, buffered I/O).
 */
class NvmeofTransportTest {

    static final int MIB = 1 << 20;

    @TempDir
    Path disk;

    HttpMetadataServer server;
    MooncakeEngine engine;
    Path shm;

    @BeforeEach
    void start() throws IOException {
        server = HttpMetadataServer.builder().host("127.0.0.1").port(0).start();
        engine = MooncakeEngine.start(EngineConfig.builder().localHostname("127.0.0.1").metadataServer(server.url())
                .protocol("tcp,nvmeof").transferTimeout(Duration.ofSeconds(30)).ioThreads(1).build());
        shm = Files.createTempFile(Path.of("/dev/shm"), "mooncake-nvmeof-test-", ".img");
    }

    @AfterEach
    void stop() throws IOException {
        engine.close();
        server.close();
        Files.deleteIfExists(shm);
    }

    Path file(Path p, long length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(length);
        }
        return p;
    }

    long register(String name, NvmeofFile... files) {
        try (var store = io.mooncake.engine.metadata.kv.SegmentDirectories.openStore(
                io.mooncake.engine.metadata.MetadataConnection.parse(server.url()),
                EngineConfig.builder().metadataServer(server.url()).build(),
                io.mooncake.engine.metadata.kv.SegmentDirectories.providers(getClass().getClassLoader()))) {
            NvmeofSegment s = new NvmeofSegment("nvmeof/" + name, List.of(files));
            store.put("mooncake/nvmeof/" + name, s.encodeValue());
        }
        return engine.openSegment("nvmeof/" + name).id();
    }

    NvmeofFile here(Path p, long length) {
        return new NvmeofFile("/exported" + p, length, Map.of(engine.localSegmentName(), p.toString(), "other:1",
                "/elsewhere"));
    }

    TransferStatus run(OpCode op, long source, long segment, long offset, long length) {
        BatchResult r = engine.submit(List.of(new TransferRequest(op, source, segment, offset, length)))
                .await(Duration.ofSeconds(60));
        return r.statuses().get(0);
    }

    @Test
    void writesAndReadsAcrossFileBoundariesWithDirectIoOnDiskAndBufferedIoOnTmpfs() throws IOException {
        Path a = file(disk.resolve("a.img"), MIB);
        Path b = file(shm, MIB);
        Path c = file(disk.resolve("c.img"), MIB + 100); // not a multiple of the block size: buffered I/O
        Path e = file(disk.resolve("e.img"), MIB - 100);
        long seg = register("mixed", here(a, MIB), here(b, MIB), here(c, MIB + 100), here(e, MIB - 100));
        LocalBuffer src = engine.allocateBuffer(4 * MIB, "cpu:0");
        LocalBuffer dst = engine.allocateBuffer(4 * MIB, "cpu:0");
        ByteBuffer s = src.byteBuffer();
        for (int i = 0; i < 4 * MIB; i++) {
            s.put(i, (byte) (i * 13 + 1));
        }
        long offset = MIB / 2 + 3; // unaligned, spanning a, b, c and into e
        long length = 3 * MIB + 4099;

        TransferStatus w = run(OpCode.WRITE, src.address() + 7, seg, offset, length);
        TransferStatus r = run(OpCode.READ, dst.address() + 5, seg, offset, length);

        assertThat(w.state()).as(String.valueOf(w.failureReason())).isEqualTo(TransferState.COMPLETED);
        assertThat(r.state()).as(String.valueOf(r.failureReason())).isEqualTo(TransferState.COMPLETED);
        byte[] all = new byte[4 * MIB];
        System.arraycopy(Files.readAllBytes(a), 0, all, 0, MIB);
        System.arraycopy(Files.readAllBytes(b), 0, all, MIB, MIB);
        System.arraycopy(Files.readAllBytes(c), 0, all, 2 * MIB, MIB + 100);
        System.arraycopy(Files.readAllBytes(e), 0, all, 3 * MIB + 100, MIB - 100);
        for (long i = 0; i < 4 * MIB; i++) {
            boolean inside = i >= offset && i < offset + length;
            byte expected = inside ? (byte) ((i - offset + 7) * 13 + 1) : 0;
            if (all[(int) i] != expected) {
                throw new AssertionError("segment byte " + i + (inside ? " (written)" : " (beside the range)")
                        + ": expected " + expected + ", found " + all[(int) i]);
            }
        }
        ByteBuffer d = dst.byteBuffer();
        for (int i = 0; i < length; i++) {
            if (d.get(5 + i) != (byte) ((i + 7) * 13 + 1)) {
                throw new AssertionError("read byte " + i + " differs");
            }
        }
        Map<String, Object> stats = engine.transportStats().get("nvmeof");
        // a: direct; c, e: buffered (lengths not block multiples); b on tmpfs: direct where the kernel has
        // O_DIRECT for tmpfs (Linux 6.6+), else buffered with the reason logged.
        assertThat((Long) stats.get("directIoFiles")).isBetween(1L, 2L);
        assertThat((Long) stats.get("directIoFiles") + (Long) stats.get("bufferedIoFiles")).isEqualTo(4L);
    }

    @Test
    void aFileShorterThanTheDescriptorSaysFailsNamingFileAndFix() throws IOException {
        Path a = file(disk.resolve("short.img"), MIB);
        long seg = register("short", here(a, 2 * MIB));
        LocalBuffer buf = engine.allocateBuffer(MIB, "cpu:0");

        TransferStatus st = run(OpCode.READ, buf.address(), seg, MIB, 4096);

        assertThat(st.state()).isEqualTo(TransferState.FAILED);
        assertThat(st.failureReason()).contains("file " + a).contains(MIB + " bytes on this node, shorter than the "
                + "descriptor says").contains("mooncake-nvmeof-register");
    }

    @Test
    void aPathMissingOnThisNodeFailsNamingTheNodeAndTheFix() throws IOException {
        Path a = file(disk.resolve("x.img"), MIB);
        long seg = register("elsewhere", new NvmeofFile("/exported/x.img", MIB, Map.of("other:1", a.toString())));
        long gone = register("gone", new NvmeofFile("/exported/y.img", MIB, Map.of(engine.localSegmentName(),
                disk.resolve("missing.img").toString())));
        LocalBuffer buf = engine.allocateBuffer(MIB, "cpu:0");

        TransferStatus noEntry = run(OpCode.READ, buf.address(), seg, 0, 4096);
        TransferStatus noFile = run(OpCode.WRITE, buf.address(), gone, 0, 4096);

        assertThat(noEntry.state()).isEqualTo(TransferState.FAILED);
        assertThat(noEntry.failureReason()).contains("has no local_path_map entry for this node '"
                + engine.localSegmentName() + "'").contains("[other:1]");
        assertThat(noFile.state()).isEqualTo(TransferState.FAILED);
        assertThat(noFile.failureReason()).contains(disk.resolve("missing.img") + " of nvmeof segment 'nvmeof/gone'")
                .contains("does not exist on this node").contains("nvme connect");
    }

    @Test
    void aRangeBeyondTheSegmentIsRefusedBeforeAnyIo() throws IOException {
        Path a = file(disk.resolve("z.img"), MIB);
        long seg = register("small", here(a, MIB));
        LocalBuffer buf = engine.allocateBuffer(MIB, "cpu:0");

        TransferStatus st = run(OpCode.READ, buf.address(), seg, MIB - 10, 20);

        assertThat(st.state()).isEqualTo(TransferState.FAILED);
        assertThat(st.failureReason()).contains("not inside any buffer");
    }
}

package io.mooncake.transport.nvmeof;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.api.TransferStatus;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataStore;
import io.mooncake.engine.metadata.http.HttpMetadataServer;
import io.mooncake.engine.metadata.kv.SegmentDirectories;
import io.mooncake.engine.transport.contract.Pattern;
import io.mooncake.transport.nvmeof.NvmeofSegment.NvmeofFile;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nvmeof transport against a block device, as an NVMe-oF namespace appears on an initiator
 * ({@code /dev/nvmeXnY}): a loop device ({@code losetup}) over a file on the build machine's disk,
 * opened with {@code O_DIRECT}. The segment is the loop device followed by a plain file, so one
 * request crosses from the device into the file. Needs root and {@code /dev/loop-control}; where the
 * machine has neither the test is skipped saying which, unless
 * {@code -Dmooncake.test.requireLoopDevice=true} makes it mandatory.
 */
class NvmeofLoopDeviceTest {

    static final int MIB = 1 << 20;
    static final long DEVICE_BYTES = 16L * MIB;

    @TempDir
    Path disk;

    HttpMetadataServer server;
    MooncakeEngine engine;
    Path backing;
    String device;

    @BeforeEach
    void attach() throws Exception {
        backing = disk.resolve("namespace.img");
        try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
            f.setLength(DEVICE_BYTES);
        }
        device = losetup(backing);
        server = HttpMetadataServer.builder().host("127.0.0.1").port(0).start();
        engine = MooncakeEngine.start(EngineConfig.builder().localHostname("127.0.0.1").metadataServer(server.url())
                .protocol("tcp,nvmeof").transferTimeout(Duration.ofSeconds(30)).build());
    }

    @AfterEach
    void detach() throws Exception {
        if (engine != null) {
            engine.close(); // closes the device before it is detached
        }
        if (server != null) {
            server.close();
        }
        if (device != null) {
            run("losetup", "-d", device);
        }
    }

    /** Attaches {@code file} to a free loop device, or skips saying why the machine cannot. */
    private static String losetup(Path file) throws Exception {
        boolean required = Boolean.getBoolean("mooncake.test.requireLoopDevice");
        String missing = null;
        if (!Files.exists(Path.of("/dev/loop-control"))) {
            missing = "/dev/loop-control does not exist (no loop driver, or a container without it)";
        } else if (!Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))) {
            missing = "the test does not run as root (losetup needs CAP_SYS_ADMIN)";
        }
        String out = null;
        if (missing == null) {
            ProcessBuilder pb = new ProcessBuilder("losetup", "--find", "--show", file.toString())
                    .redirectErrorStream(true);
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                p = null;
                missing = "losetup cannot be run (" + e.getMessage() + "; apt-get install mount)";
            }
            if (p != null) {
                out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    missing = "losetup --find --show " + file + " failed: " + out;
                }
            }
        }
        if (missing != null && required) {
            throw new AssertionError("mooncake.test.requireLoopDevice is set but " + missing);
        }
        assumeThat(missing).as("loop device test skipped: %s", missing).isNull();
        return out;
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0).as("%s: %s", String.join(" ", cmd), out)
                .isTrue();
    }

    private long register(String name, NvmeofFile... files) {
        try (MetadataStore store = SegmentDirectories.openStore(MetadataConnection.parse(server.url()),
                EngineConfig.builder().metadataServer(server.url()).build(),
                SegmentDirectories.providers(getClass().getClassLoader()))) {
            store.put("mooncake/nvmeof/" + name, new NvmeofSegment("nvmeof/" + name, List.of(files)).encodeValue());
        }
        return engine.openSegment("nvmeof/" + name).id();
    }

    private TransferStatus transfer(OpCode op, long source, long segment, long offset, long length) {
        return engine.submit(List.of(new TransferRequest(op, source, segment, offset, length)))
                .await(Duration.ofSeconds(60)).statuses().get(0);
    }

    @Test
    void writesAndReadsGoToTheBlockDeviceWithDirectIoAndCrossIntoTheNextFile() throws Exception {
        Path after = disk.resolve("after.img");
        try (RandomAccessFile f = new RandomAccessFile(after.toFile(), "rw")) {
            f.setLength(4L * MIB);
        }
        String node = engine.localSegmentName();
        long seg = register("loop", new NvmeofFile("/dev/nvme1n1", DEVICE_BYTES, Map.of(node, device)),
                new NvmeofFile("/data/after.img", 4L * MIB, Map.of(node, after.toString())));
        LocalBuffer src = engine.allocateBuffer(24L * MIB, "cpu:0");
        LocalBuffer dst = engine.allocateBuffer(24L * MIB, "cpu:0");
        long seed = 0x10095L;
        // aligned (whole blocks, no bounce edges), unaligned (read-modify-write of edge blocks), and one
        // range from inside the device into the file after it
        long[][] ranges = {{0, 4L * MIB}, {5L * MIB + 123, 3L * MIB + 4001}, {DEVICE_BYTES - MIB - 17, 2L * MIB + 40}};
        long at = 0;
        for (long[] r : ranges) {
            Pattern.fill(src.byteBuffer(), at, r[1], seed + r[0]);
            TransferStatus w = transfer(OpCode.WRITE, src.address() + at, seg, r[0], r[1]);
            assertThat(w.state()).as("write [%d, +%d): %s", r[0], r[1], w.failureReason())
                    .isEqualTo(TransferState.COMPLETED);
            at += r[1];
        }

        // the bytes are on the device's backing file (read there, not through the transport) and in the file
        try (FileChannel dev = FileChannel.open(Path.of(device), StandardOpenOption.READ);
                FileChannel tail = FileChannel.open(after, StandardOpenOption.READ)) {
            for (long[] r : ranges) {
                ByteBuffer b = ByteBuffer.allocate((int) r[1]);
                long onDevice = Math.min(r[1], DEVICE_BYTES - r[0]);
                b.limit((int) onDevice);
                while (b.hasRemaining() && dev.read(b, r[0] + b.position()) >= 0) {
                    // read on
                }
                b.limit((int) r[1]);
                while (b.hasRemaining() && tail.read(b, b.position() - onDevice) >= 0) {
                    // read on
                }
                assertThat(Pattern.mismatch(b, 0, r[1], seed + r[0])).as("segment [%d, +%d) on the device%s", r[0],
                        r[1], onDevice < r[1] ? " and the file after it" : "").isNull();
            }
        }
        at = 0;
        for (long[] r : ranges) {
            TransferStatus rd = transfer(OpCode.READ, dst.address() + at + 1, seg, r[0], r[1]);
            assertThat(rd.state()).as("read [%d, +%d): %s", r[0], r[1], rd.failureReason())
                    .isEqualTo(TransferState.COMPLETED);
            assertThat(Pattern.mismatch(dst.byteBuffer(), at + 1, r[1], seed + r[0])).as("read back [%d, +%d)", r[0],
                    r[1]).isNull();
            at += r[1];
        }
        Map<String, Object> stats = engine.transportStats().get("nvmeof");
        assertThat(stats).containsEntry("directIoFiles", 2L).containsEntry("bufferedIoFiles", 0L);
    }

    @Test
    void aDeviceSmallerThanTheDescriptorSaysFailsNamingTheDeviceItsSizeAndTheFix() {
        long seg = register("big", new NvmeofFile("/dev/nvme1n1", 2 * DEVICE_BYTES,
                Map.of(engine.localSegmentName(), device)));
        LocalBuffer buf = engine.allocateBuffer(MIB, "cpu:0");

        TransferStatus st = transfer(OpCode.READ, buf.address(), seg, 0, 4096);

        assertThat(st.state()).isEqualTo(TransferState.FAILED);
        assertThat(st.failureReason()).contains(device).contains(DEVICE_BYTES + " bytes on this node, shorter than "
                + "the descriptor says").contains("mooncake-nvmeof-register").contains("the device");
    }
}

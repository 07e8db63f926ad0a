package io.mooncake.engine.transport.shm;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.PeerInfo;
import io.mooncake.engine.api.RemoteBuffer;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.testsupport.Engines;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two engines in two processes of one host, both running every transport: they pick shared
 * memory on their own, move bytes through it (checked by the target over its own memory), fall
 * back to tcp where the peer's memory cannot be mapped, and stop using it when the peer dies.
 */
class ShmTransportTest {

    private static final long SEED = 0x5EED;

    @TempDir
    Path dir;

    @Test
    void twoProcessesOnOneHostPickShmOnTheirOwnAndMoveVerifiedBytes() throws Exception {
        try (Child child = Child.start(64 << 20, SEED, dir.toString());
                MooncakeEngine engine = start(dir)) {
            assertThat(child.transports).contains("shm");
            LocalBuffer local = engine.allocateBuffer(64 << 20, "cpu:0");
            SegmentHandle peer = engine.openSegment(child.segment);
            RemoteBuffer remote = peer.buffer(0);

            // READ: the child's seeded pattern arrives intact, sizes from 1 byte to 16 MiB.
            int[] sizes = {1, 7, 4096, 65535, 65537, (1 << 20) + 3, 16 << 20};
            long off = 0;
            List<TransferRequest> reads = new ArrayList<>();
            for (int s : sizes) {
                reads.add(TransferRequest.read(local, off, remote, off + 13, s));
                off += s + 4096;
            }
            assertThat(engine.submit(reads).await(Duration.ofSeconds(30)).allCompleted()).isTrue();
            ByteBuffer lb = local.byteBuffer();
            off = 0;
            for (int s : sizes) {
                for (int i = 0; i < s; i += Math.max(1, s / 997)) {
                    assertThat(lb.get((int) (off + i))).as("byte %d of a %d-byte read", i, s)
                            .isEqualTo(ShmTargetMain.pattern(SEED, off + 13 + i));
                }
                off += s + 4096;
            }

            // WRITE: the child checks its own memory.
            ShmTargetMain.fill(lb, 42);
            assertThat(engine.submit(List.of(TransferRequest.write(local, 100, remote, 1000, 3 << 20)))
                    .await(Duration.ofSeconds(30)).allCompleted()).isTrue();
            assertThat(child.crc(1000, 3 << 20)).isEqualTo(crc(lb, 100, 3 << 20));

            PeerInfo info = engine.peers().get(0);
            assertThat(info.transport()).isEqualTo("shm");
            assertThat(info.route()).contains("same host");
            assertThat(engine.stats().counters("shm", OpCode.READ).bytes()).isGreaterThan(16 << 20);
            assertThat(engine.stats().counters("shm", OpCode.WRITE).bytes()).isEqualTo(3 << 20);
            assertThat(engine.stats().counters("tcp", OpCode.WRITE).bytes()).isZero();
        }
    }

    @Test
    void sharedMemoryFilesAreOwnerOnlyAndRemovedWhenFreed() throws Exception {
        try (MooncakeEngine engine = start(dir)) {
            LocalBuffer b = engine.allocateBuffer(1 << 20, "cpu:0");
            List<Path> files = files();
            assertThat(files).hasSize(1);
            assertThat(Files.getPosixFilePermissions(files.get(0)))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            assertThat(engine.localDescriptor().buffers().get(0).extra()).containsKey("shm_file");
            b.close();
            assertThat(files()).isEmpty();
        }
    }

    @Test
    void peerWhoseMemoryCannotBeMappedIsReachedOverTcpWithTheReason(@TempDir Path other) throws Exception {
        // The child's files live in a directory this engine does not look in: as across containers.
        try (Child child = Child.start(8 << 20, SEED, other.toString());
                MooncakeEngine engine = start(dir)) {
            LocalBuffer local = engine.allocateBuffer(8 << 20, "cpu:0");
            SegmentHandle peer = engine.openSegment(child.segment);
            BatchResult r = engine.submit(List.of(TransferRequest.read(local, 0, peer.buffer(0), 0, 1 << 20)))
                    .await(Duration.ofSeconds(30));
            assertThat(r.allCompleted()).as("%s", r.statuses()).isTrue();
            assertThat(local.byteBuffer().get(777)).isEqualTo(ShmTargetMain.pattern(SEED, 777));
            assertThat(engine.stats().counters("tcp", OpCode.READ).bytes()).isEqualTo(1 << 20);
            assertThat(engine.stats().fallbacks()).containsKey("shm->tcp:NO_TRANSPORT");
            // Later requests skip shm for that memory at once.
            assertThat(engine.submit(List.of(TransferRequest.read(local, 0, peer.buffer(0), 0, 4096)))
                    .await(Duration.ofSeconds(30)).allCompleted()).isTrue();
            assertThat(engine.stats().fallbacks().get("shm->tcp:NO_TRANSPORT")).isEqualTo(1L);
            assertThat(engine.transportStats().get("shm")).containsEntry("unusableMappings", 1);
        }
    }

    @Test
    void memoryTheTargetRegisteredItselfGoesOverTcp() throws Exception {
        try (MooncakeEngine target = start(dir); MooncakeEngine engine = start(dir)) {
            LocalBuffer theirs = target.registerBuffer(ByteBuffer.allocateDirect(8192), "cpu:0", true);
            theirs.byteBuffer().put(5, (byte) 99);
            LocalBuffer local = engine.allocateBuffer(8192, "cpu:0");
            SegmentHandle peer = engine.openSegment(target.localSegmentName());
            // Same JVM: the in-process transport takes it (better than shm and tcp).
            assertThat(engine.submit(List.of(TransferRequest.read(local, 0, peer.buffer(0), 0, 8192)))
                    .await(Duration.ofSeconds(10)).allCompleted()).isTrue();
            assertThat(local.byteBuffer().get(5)).isEqualTo((byte) 99);
            assertThat(engine.stats().counters("local", OpCode.READ).bytes()).isEqualTo(8192);
        }
    }

    @Test
    void requestsToAPeerWhoseProcessDiedFailInsteadOfWritingIntoItsOrphanedMemory() throws Exception {
        try (MooncakeEngine engine = start(dir)) {
            LocalBuffer local = engine.allocateBuffer(1 << 20, "cpu:0");
            Child child = Child.start(1 << 20, SEED, dir.toString());
            SegmentHandle peer = engine.openSegment(child.segment);
            assertThat(engine.submit(List.of(TransferRequest.write(local, 0, peer.buffer(0), 0, 4096)))
                    .await(Duration.ofSeconds(10)).allCompleted()).isTrue();
            child.kill();
            Thread.sleep(100); // the owner check runs at most every 50 ms
            BatchResult r = engine.submit(List.of(TransferRequest.write(local, 0, peer.buffer(0), 0, 4096)))
                    .await(Duration.ofSeconds(30));
            assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.FAILED);
        }
    }

    private static MooncakeEngine start(Path shmDir) {
        EngineConfig config = Engines.allTransports().environment(Map.of("MC_SHM_DIR", shmDir.toString()))
                .build();
        return MooncakeEngine.start(config);
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("mooncake-")).toList();
        }
    }

    private static long crc(ByteBuffer b, int off, int len) {
        CRC32 c = new CRC32();
        c.update(b.duplicate().position(off).limit(off + len));
        return c.getValue();
    }

    /** {@link ShmTargetMain} in a child JVM. */
    private static final class Child implements AutoCloseable {
        final Process process;
        final BufferedReader out;
        final Writer in;
        final String segment;
        final String transports;

        private Child(Process process, BufferedReader out, String[] ready) {
            this.process = process;
            this.out = out;
            this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            this.segment = ready[0];
            this.transports = ready[3];
        }

        static Child start(long length, long seed, String shmDir) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin"
                    + File.separator + "java", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                    ShmTargetMain.class.getName(), String.valueOf(length), String.valueOf(seed), shmDir));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("READY ")) {
                    return new Child(p, out, line.substring(6).split(" "));
                }
            }
            p.destroyForcibly();
            throw new IOException("ShmTargetMain did not print READY");
        }

        long crc(int off, int len) throws IOException {
            in.write("crc " + off + " " + len + "\n");
            in.flush();
            String line = out.readLine();
            assertThat(line).startsWith("CRC ");
            return Long.parseLong(line.substring(4));
        }

        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws Exception {
            try {
                in.close();
            } catch (IOException ignored) {
                // already gone
            }
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

}

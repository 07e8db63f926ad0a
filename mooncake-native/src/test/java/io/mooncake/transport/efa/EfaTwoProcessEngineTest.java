package io.mooncake.transport.efa;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.testsupport.Engines;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole efa data path between two engines in two processes on libfabric's {@code tcp;ofi_rxm}
 * provider over loopback: descriptors with devices and keys, the efa_addr handshake, RMA writes and
 * reads through the engine's slicing, requests of many sizes, and a peer killed mid-batch.
 */
class EfaTwoProcessEngineTest {

    static final String PROVIDER = "tcp;ofi_rxm";
    static final int LEN = 32 << 20;

    Process child;
    String segment;
    long remoteAddr;

    @BeforeEach
    void startPeer() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin"
                + File.separator + "java", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                EfaEngineMain.class.getName(), PROVIDER, "lo", String.valueOf(LEN)));
        if (Runtime.version().feature() >= 22) {
            cmd.add(1, "--enable-native-access=ALL-UNNAMED");
        }
        child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.startsWith("READY ")) {
            // skip
        }
        assertThat(line).as("peer's READY line").isNotNull();
        String[] f = line.split(" ");
        segment = f[1];
        remoteAddr = Long.parseLong(f[2]);
        assertThat(f[4]).as("the peer publishes efa").isEqualTo("efa");
    }

    @AfterEach
    void stopPeer() throws Exception {
        child.getOutputStream().close();
        if (!child.waitFor(20, TimeUnit.SECONDS)) {
            child.destroyForcibly();
        }
    }

    static MooncakeEngine engine(Duration timeout) {
        System.setProperty(EfaSettings.PROVIDER_PROPERTY, PROVIDER);
        try {
            return MooncakeEngine.start(Engines.loopback().protocol("efa").deviceName("lo").transferTimeout(timeout)
                    .build());
        } finally {
            System.clearProperty(EfaSettings.PROVIDER_PROPERTY);
        }
    }

    @Test
    void writesAndReadsOfManySizesArriveByteForByteOverEfa() throws Exception {
        try (MooncakeEngine engine = engine(Duration.ofSeconds(30))) {
            assertThat(engine.selection().active()).contains("efa");
            LocalBuffer local = engine.allocateBuffer(LEN, "cpu:0");
            SegmentHandle peer = engine.openSegment(segment);
            SegmentDescriptor d = engine.localDescriptor();
            assertThat(d.protocol()).isEqualTo("efa");
            assertThat(d.devices()).singleElement().satisfies(dev -> {
                assertThat(dev.name()).isEqualTo("lo");
                assertThat(dev.lid()).isZero();
                assertThat(dev.gid()).matches("([0-9a-f]{2})+");
            });
            assertThat(d.buffers()).allSatisfy(b -> assertThat(b.rkey()).hasSize(1).doesNotContain(0L));

            // read the peer's pattern: sizes from 1 byte to 8 MiB, some unaligned
            long[] sizes = {1, 7, 4096, 65_537, 1 << 20, (8 << 20) + 3};
            List<TransferRequest> reads = new ArrayList<>();
            long off = 0;
            for (long s : sizes) {
                reads.add(new TransferRequest(OpCode.READ, local.address() + off, peer.id(), remoteAddr + off, s));
                off += s + 13;
            }
            BatchResult r = engine.submit(reads).await(Duration.ofSeconds(60));
            assertThat(r.statuses()).allSatisfy(s -> assertThat(s.state()).as(s.failureReason())
                    .isEqualTo(TransferState.COMPLETED));
            ByteBuffer lb = local.byteBuffer();
            off = 0;
            for (long s : sizes) {
                for (long i = 0; i < s; i++) {
                    if (lb.get((int) (off + i)) != EfaEngineMain.pattern(off + i, 3)) {
                        throw new AssertionError("read of " + s + " bytes: byte " + i + " differs");
                    }
                }
                off += s + 13;
            }

            // write a new pattern over the peer's first 16 MiB in 128 requests of 128 KiB, then read it back
            for (int i = 0; i < (16 << 20); i++) {
                lb.put(i, EfaEngineMain.pattern(i, 9));
            }
            List<TransferRequest> writes = new ArrayList<>();
            for (int i = 0; i < 128; i++) {
                long o = (long) i << 17;
                writes.add(new TransferRequest(OpCode.WRITE, local.address() + o, peer.id(), remoteAddr + o, 1 << 17));
            }
            assertThat(engine.submit(writes).await(Duration.ofSeconds(60)).allCompleted()).isTrue();
            BatchResult back = engine.submit(List.of(new TransferRequest(OpCode.READ, local.address() + (16 << 20),
                    peer.id(), remoteAddr, 16 << 20))).await(Duration.ofSeconds(60));
            assertThat(back.allCompleted()).as(back.statuses().get(0).failureReason()).isTrue();
            for (int i = 0; i < (16 << 20); i++) {
                if (lb.get((16 << 20) + i) != EfaEngineMain.pattern(i, 9)) {
                    throw new AssertionError("write then read: byte " + i + " differs");
                }
            }
            assertThat(engine.stats().counters("efa", OpCode.WRITE).bytes()).isEqualTo(16L << 20);
            assertThat(engine.stats().counters("efa", OpCode.READ).requests(TransferState.COMPLETED))
                    .isEqualTo(sizes.length + 1);
        }
    }

    @Test
    void aPeerKilledMidBatchFailsItsRequestsWithinTheDeadline() throws Exception {
        try (MooncakeEngine engine = engine(Duration.ofSeconds(10))) {
            LocalBuffer local = engine.allocateBuffer(LEN, "cpu:0");
            SegmentHandle peer = engine.openSegment(segment);
            // warm the connection
            assertThat(engine.submit(List.of(new TransferRequest(OpCode.WRITE, local.address(), peer.id(), remoteAddr,
                    4096))).await(Duration.ofSeconds(30)).allCompleted()).isTrue();
            List<TransferRequest> reqs = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                long o = (long) (i % 32) << 20;
                reqs.add(new TransferRequest(OpCode.WRITE, local.address() + o, peer.id(), remoteAddr + o, 1 << 20));
            }
            var batch = engine.submit(reqs);
            child.destroyForcibly();
            BatchResult result = batch.await(Duration.ofSeconds(60));

            assertThat(result.statuses()).allMatch(s -> s.state().isTerminal());
            assertThat(result.statuses()).anyMatch(s -> s.state() == TransferState.FAILED
                    || s.state() == TransferState.TIMEOUT);
        }
    }
}

package io.mooncake.engine.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.Batch;
import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.RemoteBuffer;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.testsupport.Engines;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Two engines in one JVM move data both ways over real loopback sockets. */
class TwoEngineTransferTest {

    private static final long SIZE = 80L << 20;
    private static MooncakeEngine a;
    private static MooncakeEngine b;
    private static LocalBuffer bufA;
    private static LocalBuffer bufB;
    private static SegmentHandle segB;
    private static SegmentHandle segA;

    @BeforeAll
    static void start() {
        a = Engines.start();
        b = Engines.start();
        bufA = a.allocateBuffer(SIZE, "cpu:0");
        bufB = b.allocateBuffer(SIZE, "cpu:0");
        segB = a.openSegment(b.localSegmentName());
        segA = b.openSegment(a.localSegmentName());
    }

    @AfterAll
    static void stop() {
        a.close();
        b.close();
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {1, 7, 4096, 65535, 65536, 65537, 1 << 20, (1 << 20) + 3, 16 << 20, 64 << 20})
    void writeThenReadBackFromPeerShouldCarryExactBytes(int length) {
        byte[] data = random(length, length);
        ByteBuffer local = bufA.byteBuffer();
        local.put(0, data);
        RemoteBuffer remote = segB.buffer(0);

        Batch w = a.submit(List.of(TransferRequest.write(bufA, 0, remote, 4096, length)));
        assertThat(w.await(Duration.ofSeconds(30)).allCompleted()).isTrue();
        byte[] atB = new byte[length];
        bufB.byteBuffer().get(4096, atB);
        assertThat(atB).isEqualTo(data);

        // Read it back into another place of A.
        long dst = 70L << 20 >= length ? (SIZE - length) : 0;
        Batch r = a.submit(List.of(TransferRequest.read(bufA, dst, remote, 4096, length)));
        BatchResult rr = r.await(Duration.ofSeconds(30));
        assertThat(rr.allCompleted()).as("%s", rr).isTrue();
        byte[] back = new byte[length];
        bufA.byteBuffer().get((int) dst, back);
        assertThat(back).isEqualTo(data);
    }

    @Test
    void peerWritesBackTheOtherWay() {
        byte[] data = random(3 << 20, 42);
        bufB.byteBuffer().put(0, data);
        b.transferSyncWrite(a.localSegmentName(), bufB.address(), segA.buffer(0).address() + 100, data.length);
        byte[] atA = new byte[data.length];
        bufA.byteBuffer().get(100, atA);
        assertThat(atA).isEqualTo(data);
    }

    @Test
    void batchOfManySmallRequestsAllComplete() {
        int n = 500;
        int block = 4096;
        byte[] data = random(n * block, 9);
        bufA.byteBuffer().put(0, data);
        List<TransferRequest> reqs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            reqs.add(TransferRequest.write(bufA, (long) i * block, segB.buffer(0), (long) i * block, block));
        }
        BatchResult res = a.submit(reqs).await(Duration.ofSeconds(30));
        assertThat(res.statuses()).hasSize(n).allMatch(s -> s.state() == TransferState.COMPLETED);
        byte[] atB = new byte[n * block];
        bufB.byteBuffer().get(0, atB);
        assertThat(atB).isEqualTo(data);
    }

    @Test
    void referenceStylePollingReachesCompleted() {
        long batch = a.allocateBatchId(2);
        a.submitTransfer(batch, List.of(
                new TransferRequest(OpCode.WRITE, bufA.address(), segB.id(), segB.buffer(0).address(), 1000),
                new TransferRequest(OpCode.READ, bufA.address() + 2000, segB.id(), segB.buffer(0).address(), 1000)));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!(a.getTransferStatus(batch, 0).state().isTerminal()
                && a.getTransferStatus(batch, 1).state().isTerminal()) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(a.getTransferStatus(batch, 0).state()).isEqualTo(TransferState.COMPLETED);
        assertThat(a.getTransferStatus(batch, 1).state()).isEqualTo(TransferState.COMPLETED);
        assertThat(a.getTransferStatus(batch, 1).transferredBytes()).isEqualTo(1000);
        a.freeBatchId(batch);
    }

    static byte[] random(int length, long seed) {
        byte[] d = new byte[length];
        new Random(seed).nextBytes(d);
        return d;
    }
}

package io.mooncake.engine.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.stats.TransferListener;
import io.mooncake.engine.testsupport.Engines;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The target side hears {@link TransferListener#onServed} for what peers read, wrote and were refused. */
class ServedTrafficTest {

    /** Counts what it hears. */
    static final class Served implements TransferListener {
        final AtomicLong readBytes = new AtomicLong();
        final AtomicLong reads = new AtomicLong();
        final AtomicLong writes = new AtomicLong();
        final AtomicLong writeBytes = new AtomicLong();
        final AtomicLong rejected = new AtomicLong();

        @Override
        public void onTransfer(String protocol, String peer, OpCode op, long bytes, TransferState outcome,
                long latencyNanos) {
        }

        @Override
        public void onServed(String protocol, OpCode op, long bytes, TransferState outcome) {
            assertThat(protocol).isEqualTo("tcp");
            if (outcome == TransferState.FAILED) {
                rejected.incrementAndGet();
            } else if (op == OpCode.READ) {
                reads.incrementAndGet();
                readBytes.addAndGet(bytes);
            } else {
                writes.incrementAndGet();
                writeBytes.addAndGet(bytes);
            }
        }
    }

    @Test
    void readsWritesAndRejectionsAreCountedOnTheTarget() {
        Served served = new Served();
        try (MooncakeEngine initiator = Engines.start();
                MooncakeEngine target = MooncakeEngine.start(Engines.loopback().build(), served)) {
            LocalBuffer local = initiator.allocateBuffer(1 << 20, "cpu:0");
            LocalBuffer remote = target.allocateBuffer(1 << 20, "cpu:0");
            SegmentHandle seg = initiator.openSegment(target.localSegmentName());
            int slice = initiator.config().sliceSize();

            assertThat(initiator.submit(List.of(TransferRequest.write(local, 0, seg.buffer(0), 0, 300_000)))
                .await(Duration.ofSeconds(20)).allCompleted()).isTrue();
            assertThat(initiator.submit(List.of(TransferRequest.read(local, 0, seg.buffer(0), 0, 200_000)))
                .await(Duration.ofSeconds(20)).allCompleted()).isTrue();

            // every slice is one request on the wire
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(served.readBytes.get()).isEqualTo(200_000);
                assertThat(served.reads.get()).isEqualTo((200_000 + slice - 1) / slice);
                assertThat(served.writes.get()).isEqualTo((300_000 + slice - 1) / slice);
                assertThat(served.writeBytes.get()).isEqualTo(300_000);
            });
            assertThat(served.rejected.get()).isZero();

            // the initiator still holds the old descriptor: its write reaches the wire and is refused
            target.unregisterLocalMemory(remote.address());
            initiator.submit(List.of(TransferRequest.write(local, 0, seg.buffer(0), 0, 4096)))
                .await(Duration.ofSeconds(20));
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(served.rejected.get()).isPositive());
        }
    }
}

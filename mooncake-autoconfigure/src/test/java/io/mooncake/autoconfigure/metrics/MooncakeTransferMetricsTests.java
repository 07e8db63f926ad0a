package io.mooncake.autoconfigure.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.stats.FailureKind;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MooncakeTransferMetricsTests {

    private final MeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void timersExistForEveryOpAndOutcomeOfBoundProtocolsBeforeAnyTraffic() {
        MooncakeTransferMetrics metrics = new MooncakeTransferMetrics(4);
        metrics.bindTo(this.registry, List.of("tcp", "local"));
        assertThat(this.registry.find("mooncake.transfer.requests").timers()).hasSize(16);
        assertThat(this.registry.find("mooncake.transfer.requests")
            .tags("protocol", "tcp", "op", "WRITE", "outcome", "TIMEOUT")
            .timer()).isNotNull();
        assertThat(this.registry.find("mooncake.transfer.peer.bytes").tag("peer", "other").counters()).hasSize(2);
    }

    @Test
    void requestsAreTimedByProtocolOpAndOutcome() {
        MooncakeTransferMetrics metrics = new MooncakeTransferMetrics(4);
        metrics.bindTo(this.registry, List.of("tcp"));
        metrics.onTransfer("tcp", "p1", OpCode.READ, 4096, TransferState.COMPLETED, FailureKind.NONE, 2_000_000);
        metrics.onTransfer("tcp", "p1", OpCode.READ, 4096, TransferState.FAILED, FailureKind.CONNECTION, 1_000_000);
        metrics.onTransfer("rdma", "p1", OpCode.WRITE, 1, TransferState.TIMEOUT, FailureKind.TIMEOUT, 5_000_000);
        Timer completed = this.registry.get("mooncake.transfer.requests")
            .tags("protocol", "tcp", "op", "READ", "outcome", "COMPLETED")
            .timer();
        assertThat(completed.count()).isEqualTo(1);
        assertThat(completed.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(2.0);
        assertThat(this.registry.get("mooncake.transfer.requests")
            .tags("protocol", "tcp", "op", "READ", "outcome", "FAILED")
            .timer()
            .count()).isEqualTo(1);
        assertThat(this.registry.get("mooncake.transfer.requests")
            .tags("protocol", "rdma", "op", "WRITE", "outcome", "TIMEOUT")
            .timer()
            .count()).as("a protocol first seen at run time gets its timers then").isEqualTo(1);
    }

    @Test
    void peersBeyondTheCapShareTheOtherSeriesAndOnlyCompletedBytesCount() {
        MooncakeTransferMetrics metrics = new MooncakeTransferMetrics(2);
        metrics.bindTo(this.registry, List.of("tcp"));
        for (String peer : List.of("a", "b", "c", "d", "a")) {
            metrics.onTransfer("tcp", peer, OpCode.WRITE, 100, TransferState.COMPLETED, FailureKind.NONE, 1);
        }
        metrics.onTransfer("tcp", "a", OpCode.WRITE, 100, TransferState.FAILED, FailureKind.PEER_REJECTED, 1);
        assertThat(peerBytes("a")).isEqualTo(200);
        assertThat(peerBytes("b")).isEqualTo(100);
        assertThat(peerBytes("other")).isEqualTo(200);
        assertThat(this.registry.find("mooncake.transfer.peer.bytes").tag("peer", "c").counter()).isNull();
    }

    @Test
    void zeroCapPutsEveryPeerUnderOther() {
        MooncakeTransferMetrics metrics = new MooncakeTransferMetrics(0);
        metrics.bindTo(this.registry, List.of("tcp"));
        metrics.onTransfer("tcp", "a", OpCode.READ, 10, TransferState.COMPLETED, 1);
        assertThat(this.registry.find("mooncake.transfer.peer.bytes").counters()).hasSize(2)
            .allSatisfy((c) -> assertThat(c.getId().getTag("peer")).isEqualTo("other"));
    }

    @Test
    void negativeCapIsRejectedWithThePropertyName() {
        assertThatIllegalArgumentException().isThrownBy(() -> new MooncakeTransferMetrics(-1))
            .withMessageContaining("mooncake.metrics.max-peer-series");
    }

    @Test
    void requestsBeforeBindingAreIgnored() {
        MooncakeTransferMetrics metrics = new MooncakeTransferMetrics(4);
        metrics.onTransfer("tcp", "a", OpCode.READ, 10, TransferState.COMPLETED, FailureKind.NONE, 1);
        metrics.bindTo(this.registry, List.of("tcp"));
        assertThat(this.registry.get("mooncake.transfer.requests")
            .tags("protocol", "tcp", "op", "READ", "outcome", "COMPLETED")
            .timer()
            .count()).isZero();
    }

    @Test
    void recordingDoesNotAllocate() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory
            .getThreadMXBean();
        MooncakeTransferMetrics metrics = new MooncakeTransferMetrics(2);
        metrics.bindTo(this.registry, List.of("tcp"));
        String[] peers = { "a", "b", "c" };
        Runnable burst = () -> {
            for (int i = 0; i < 200_000; i++) {
                metrics.onTransfer("tcp", peers[i % 3], (i & 1) == 0 ? OpCode.READ : OpCode.WRITE, 4096,
                        (i % 7 == 0) ? TransferState.FAILED : TransferState.COMPLETED,
                        (i % 7 == 0) ? FailureKind.CONNECTION : FailureKind.NONE, 50_000 + i);
            }
        };
        burst.run(); // warm-up: JIT, first-seen peers
        long before = threads.getCurrentThreadAllocatedBytes();
        burst.run();
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as("bytes allocated by 200k recordings").isLessThan(64 * 1024);
    }

    private double peerBytes(String peer) {
        return this.registry.get("mooncake.transfer.peer.bytes").tags("peer", peer, "op", "WRITE").counter().count();
    }
}

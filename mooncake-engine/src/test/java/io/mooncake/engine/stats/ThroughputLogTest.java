package io.mooncake.engine.stats;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferState;
import org.junit.jupiter.api.Test;

/** The MC_TE_METRIC line reports what moved in each interval. */
class ThroughputLogTest {

    @Test
    void lineReportsBytesAndRequestsOfTheIntervalOnly() {
        TransferStats stats = new TransferStats();
        ThroughputLog log = new ThroughputLog(stats);
        long t0 = System.nanoTime();
        log.next(t0);
        record(stats, OpCode.WRITE, 3_000_000, TransferState.COMPLETED);
        record(stats, OpCode.READ, 1_000_000, TransferState.COMPLETED);
        record(stats, OpCode.READ, 5_000, TransferState.FAILED);
        assertThat(log.next(t0 + 2_000_000_000L)).isEqualTo("Transfer engine throughput: 2.00 MB/s (read 0.50 MB/s, "
                + "write 1.50 MB/s), 2 requests completed, 1 failed or timed out, 0 in flight, over the last 2.0 s");
        assertThat(log.next(t0 + 3_000_000_000L)).startsWith("Transfer engine throughput: 0.00 MB/s")
                .contains("0 requests completed");
    }

    private static void record(TransferStats stats, OpCode op, long bytes, TransferState outcome) {
        stats.submitted();
        stats.onTransfer("tcp", "peer", op, bytes, outcome, 1000);
    }
}

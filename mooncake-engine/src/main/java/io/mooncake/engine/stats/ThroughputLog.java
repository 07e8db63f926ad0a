package io.mooncake.engine.stats;

import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferState;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference's {@code MC_TE_METRIC} line: every interval, one INFO line with the throughput and
 * request counts since the last line, for engines run without Micrometer. Not thread-safe: called
 * from the engine's timer thread only.
 */
public final class ThroughputLog {

    private static final Logger log = LoggerFactory.getLogger(ThroughputLog.class);

    private final TransferStats stats;
    private long lastNanos = System.nanoTime();
    private long lastRead;
    private long lastWrite;
    private long lastCompleted;
    private long lastFailed;

    public ThroughputLog(TransferStats stats) {
        this.stats = stats;
    }

    /** Logs the line for the interval that just ended. */
    public void tick() {
        log.info("{}", next(System.nanoTime()));
    }

    /** The line for the interval ending at {@code now}, and starts the next interval. */
    String next(long now) {
        long read = 0;
        long write = 0;
        long completed = 0;
        long failed = 0;
        for (Map.Entry<String, TransferStats.Counters[]> e : stats.snapshot().entrySet()) {
            TransferStats.Counters r = e.getValue()[OpCode.READ.ordinal()];
            TransferStats.Counters w = e.getValue()[OpCode.WRITE.ordinal()];
            read += r.bytes();
            write += w.bytes();
            for (TransferStats.Counters c : e.getValue()) {
                completed += c.requests(TransferState.COMPLETED);
                failed += c.requests(TransferState.FAILED) + c.requests(TransferState.TIMEOUT);
            }
        }
        double seconds = Math.max(1e-9, (now - lastNanos) / 1e9);
        String line = String.format(Locale.ROOT,
                "Transfer engine throughput: %.2f MB/s (read %.2f MB/s, write %.2f MB/s), %d requests completed, "
                        + "%d failed or timed out, %d in flight, over the last %.1f s",
                (read - lastRead + write - lastWrite) / 1e6 / seconds, (read - lastRead) / 1e6 / seconds,
                (write - lastWrite) / 1e6 / seconds, completed - lastCompleted, failed - lastFailed,
                stats.inFlight(), seconds);
        lastNanos = now;
        lastRead = read;
        lastWrite = write;
        lastCompleted = completed;
        lastFailed = failed;
        return line;
    }
}

package io.mooncake.autoconfigure.metrics;

import io.mooncake.engine.core.MooncakeEngine;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.stats.TransferListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Overhead of the Mooncake meters on the bench workload: the initiator side of
 * {@code bin/mooncake-bench} (threads submitting batches of blocks to a target started with
 * {@code bin/mooncake-bench --mode=target}), run in rounds that alternate between an engine with
 * {@link TransferListener#disabled()} and an engine with {@link MooncakeTransferMetrics} and
 * {@link MooncakeEngineMeterBinder} bound to a Prometheus registry that is scraped every second.
 * Prints throughput per round and the medians. Not a test: run it by hand (docs/observability.md).
 *
 * <p>Flags: --segment_id (required), --operation=write|read, --block_size, --batch_size,
 * --threads, --duration (seconds per round), --rounds (per mode), --local_server_name.
 */
public final class MetricsOverheadBench {

    private MetricsOverheadBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> flags = new HashMap<>(Map.of("operation", "write", "block_size", "4096", "batch_size",
                "128", "threads", "1", "duration", "5", "rounds", "5", "local_server_name", "127.0.0.1",
                "segment_id", ""));
        for (String a : args) {
            String[] kv = a.replaceFirst("^--", "").split("=", 2);
            flags.put(kv[0], kv.length > 1 ? kv[1] : "true");
        }
        if (flags.get("segment_id").isEmpty()) {
            throw new IllegalArgumentException("--segment_id is required: the segment the target printed");
        }
        int rounds = Integer.parseInt(flags.get("rounds"));
        double[] off = new double[rounds];
        double[] on = new double[rounds];
        run(flags, false); // warm-up, not counted
        for (int r = 0; r < rounds; r++) {
            off[r] = run(flags, false);
            on[r] = run(flags, true);
            System.out.printf(Locale.ROOT, "round %d: metrics off %.1f MB/s, on %.1f MB/s%n", r + 1, off[r] / 1e6,
                    on[r] / 1e6);
        }
        double mOff = median(off);
        double mOn = median(on);
        System.out.printf(Locale.ROOT, "median: metrics off %.1f MB/s, on %.1f MB/s, difference %+.2f%%%n", mOff / 1e6,
                mOn / 1e6, (mOn - mOff) / mOff * 100);
    }

    /** One round; returns bytes per second. */
    private static double run(Map<String, String> flags, boolean metrics) throws Exception {
        int threads = Integer.parseInt(flags.get("threads"));
        int batchSize = Integer.parseInt(flags.get("batch_size"));
        int block = Integer.parseInt(flags.get("block_size"));
        long durationNanos = (long) (Double.parseDouble(flags.get("duration")) * 1e9);
        OpCode op = flags.get("operation").equalsIgnoreCase("read") ? OpCode.READ : OpCode.WRITE;
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MooncakeTransferMetrics transfers = new MooncakeTransferMetrics(MooncakeMetricsProperties.DEFAULT_MAX_PEER_SERIES);
        EngineConfig config = EngineConfig.builder().environment(System.getenv())
            .localHostname(flags.get("local_server_name")).metadataServer("P2PHANDSHAKE").protocol("tcp").build();
        ScheduledExecutorService scraper = Executors.newSingleThreadScheduledExecutor();
        try (MooncakeEngine engine = MooncakeEngine.start(config, metrics ? transfers : TransferListener.disabled())) {
            if (metrics) {
                new MooncakeEngineMeterBinder(engine, transfers).bindTo(registry);
                scraper.scheduleAtFixedRate(registry::scrape, 1, 1, TimeUnit.SECONDS);
            }
            LocalBuffer buffer = engine.allocateBuffer((long) block * batchSize * threads, "cpu:0");
            SegmentHandle seg = engine.openSegment(flags.get("segment_id"));
            long remoteBase = seg.buffer(0).address();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong bytes = new AtomicLong();
            List<Thread> workers = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int tid = t;
                Thread w = new Thread(() -> {
                    List<TransferRequest> reqs = new ArrayList<>(batchSize);
                    for (int i = 0; i < batchSize; i++) {
                        long offset = (long) block * ((long) i * threads + tid);
                        reqs.add(new TransferRequest(op, buffer.address() + offset, seg.id(), remoteBase + offset, block));
                    }
                    while (running.get()) {
                        BatchResult r = engine.submit(reqs).await(Duration.ofSeconds(60));
                        if (!r.allCompleted()) {
                            throw new IllegalStateException("batch failed: " + r.firstFailure());
                        }
                        bytes.addAndGet((long) block * batchSize);
                    }
                });
                w.start();
                workers.add(w);
            }
            Thread.sleep(durationNanos / 1_000_000);
            running.set(false);
            for (Thread w : workers) {
                w.join();
            }
            return bytes.get() / ((System.nanoTime() - t0) / 1e9);
        }
        finally {
            scraper.shutdownNow();
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return (n % 2 == 1) ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}

package io.mooncake.engine.bench;

import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.config.TcpServerLimits;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.stats.TransferListener;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine's benchmark, with the reference {@code transfer_engine_bench}'s flags, defaults
 * where they apply, and result line, plus per-request latency percentiles and CPU time per GB.
 *
 * <p>Run a target, then an initiator naming the segment the target printed:
 * <pre>
 * bin/mooncake-bench --mode=target --local_server_name=127.0.0.1
 * bin/mooncake-bench --mode=initiator --segment_id=127.0.0.1:15123 --operation=write --block_size=1048576
 * </pre>
 * {@code --baseline=nio} runs the same workload over one plain NIO socket instead of the engine
 * (target and initiator both), for comparison in the same run; {@code --baseline=memcpy} (initiator
 * only) copies the same blocks between two local buffers of the same footprint with one thread per
 * worker, the ceiling of a same-host memory transport. With a {@code --protocol} other than tcp it
 * copies between two buffers of {@code --buffer_size} that an engine of that protocol allocates one
 * after the other, as a target and then an initiator do: the memory that protocol's transport copies
 * (inside the CXL device for cxl, {@code /dev/shm} files for shm), laid out as the transport finds it.
 * How fast a copy runs depends on the memory and on the distance between source and destination as
 * much as on the copier (measured on a VM: ranges 256 MiB apart copy at 60 % of the rate of ranges
 * 16 MiB apart, tmpfs and hugetlbfs alike), and the reference's memory transports are a memcpy of
 * exactly those bytes.
 *
 * <p>{@code --reset_on_peer_close=false} (target) ends a connection the peer closed first with a FIN
 * instead of a reset ({@code mooncake.tcp.reset-on-peer-close}), to measure what the reset saves a
 * connection-per-request initiator.
 *
 * <p>{@code --protocol=tcp} measures tcp alone (the same-host and same-process transports are
 * switched off); {@code --protocol=shm} runs tcp plus the same-host shared-memory transport, which
 * requests to a target on this host take. The initiator prints the route its requests take.
 *
 * <p>{@code --verify} proves a path end to end, with the effect of the reference's
 * {@code transfer_engine_validator}: each round fills the thread's blocks with a pattern derived
 * from {@code --seed}, the thread, the round and the block, WRITEs them to the target, zeroes them
 * locally, READs them back and compares every byte ({@code --operation} is ignored). A mismatch
 * prints {@code Detect data integrity problem} with the block, offset and bytes, and the bench
 * exits with status 1; otherwise each worker prints {@code Data validation passed}. Works against
 * any target this engine can open: ours, or a reference node.
 *
 * <p>{@code --local_location} and {@code --target_location} (default {@code cpu:0}) place the
 * initiator's and the target's buffers, e.g. {@code cuda:0} with mooncake-native on the class path:
 * over a transport that cannot touch device memory (tcp) the initiator's requests are staged
 * through the engine's pinned bounce pool, and a run against a {@code cpu:0} run gives the bounce
 * cost; over nvlink_intra or nvlink they go device to device.
 */
public final class TransferEngineBench {

    private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    static {
        DEFAULTS.put("mode", "initiator");
        DEFAULTS.put("operation", "read");
        DEFAULTS.put("protocol", "tcp");
        DEFAULTS.put("metadata_server", "P2PHANDSHAKE");
        DEFAULTS.put("local_server_name", hostname());
        DEFAULTS.put("segment_id", "");
        DEFAULTS.put("device_name", "");
        DEFAULTS.put("buffer_size", String.valueOf(1L << 30));
        DEFAULTS.put("block_size", "65536");
        DEFAULTS.put("batch_size", "128");
        DEFAULTS.put("threads", "12");
        DEFAULTS.put("duration", "10");
        DEFAULTS.put("report_unit", "GB");
        DEFAULTS.put("report_precision", "2");
        DEFAULTS.put("auto_discovery", "false");
        // Not in the reference:
        DEFAULTS.put("baseline", "none");
        DEFAULTS.put("warmup", "0");
        DEFAULTS.put("baseline_port", "17999");
        DEFAULTS.put("handshake_port", "0");
        DEFAULTS.put("io_threads", "0");
        DEFAULTS.put("connections_per_peer", "0");
        DEFAULTS.put("slice_size", "0");
        DEFAULTS.put("socket_buffer_size", "-1");
        DEFAULTS.put("reset_on_peer_close", "true");
        DEFAULTS.put("latency", "true");
        DEFAULTS.put("verify", "false");
        DEFAULTS.put("seed", "0");
        DEFAULTS.put("local_location", "cpu:0");
        DEFAULTS.put("target_location", "cpu:0");
    }

    private TransferEngineBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> flags = parse(args);
        String mode = flags.get("mode");
        boolean nio = flags.get("baseline").equals("nio");
        if (flags.get("baseline").equals("memcpy")) {
            if (!mode.equals("initiator")) {
                fail("--baseline=memcpy runs in the initiator only (it needs no target)");
            }
            memcpyInitiator(flags);
            return;
        }
        switch (mode) {
            case "target" -> {
                if (nio) {
                    nioTarget(flags);
                } else {
                    target(flags);
                }
            }
            case "initiator" -> {
                if (nio) {
                    nioInitiator(flags);
                } else {
                    initiator(flags);
                }
            }
            default -> fail("--mode must be initiator or target, got '" + mode + "'");
        }
    }

    private static EngineConfig config(Map<String, String> flags) {
        String protocol = flags.get("protocol");
        EngineConfig.Builder b = EngineConfig.builder().environment(System.getenv())
                .localHostname(flags.get("local_server_name")).metadataServer(flags.get("metadata_server"))
                .protocol(protocol.equals("shm") ? "tcp" : protocol).deviceName(flags.get("device_name"))
                .handshakePort(Integer.parseInt(flags.get("handshake_port")));
        if (System.getenv("MC_DISABLE_TRANSPORTS") == null) {
            if (protocol.equals("tcp")) {
                b.disabledTransports("shm,local"); // measure tcp itself, even between processes of one host
            } else if (protocol.equals("shm")) {
                b.disabledTransports("local");
            }
        }
        int io = Integer.parseInt(flags.get("io_threads"));
        if (io > 0) {
            b.ioThreads(io);
        }
        int conns = Integer.parseInt(flags.get("connections_per_peer"));
        if (conns > 0) {
            b.connectionsPerPeer(conns);
        }
        int slice = Integer.parseInt(flags.get("slice_size"));
        if (slice > 0) {
            b.sliceSize(slice);
        }
        int socketBuffer = Integer.parseInt(flags.get("socket_buffer_size"));
        if (socketBuffer >= 0) {
            b.socketBufferSize(socketBuffer);
        }
        String reset = flags.get("reset_on_peer_close");
        if (!reset.equals("true") && !reset.equals("false")) {
            fail("--reset_on_peer_close must be true or false, got '" + reset + "'");
        }
        b.tcpServerLimits(TcpServerLimits.DEFAULTS.withResetOnPeerClose(Boolean.parseBoolean(reset)));
        return b.build();
    }

    private static void target(Map<String, String> flags) throws InterruptedException {
        TransferEngine engine = MooncakeEngine.start(config(flags));
        long size = Long.parseLong(flags.get("buffer_size"));
        String location = flags.get("target_location");
        LocalBuffer buffer = engine.allocateBuffer(size, location);
        System.err.println("Target ready: segment " + engine.localSegmentName() + ", " + location + " buffer " + size
                + " bytes at 0x"
                + Long.toHexString(buffer.address()) + "; stop with Ctrl-C");
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.printf(Locale.ROOT, "Target CPU time: %.2f s%n", cpuSeconds());
            engine.close();
            done.countDown();
        }));
        done.await();
    }

    private static void initiator(Map<String, String> flags) throws Exception {
        String segment = flags.get("segment_id");
        if (segment.isEmpty()) {
            fail("--segment_id is required: the segment name the target printed (host:port)");
        }
        int threads = Integer.parseInt(flags.get("threads"));
        int batchSize = Integer.parseInt(flags.get("batch_size"));
        int block = Integer.parseInt(flags.get("block_size"));
        double duration = Double.parseDouble(flags.get("duration"));
        OpCode op = opcode(flags.get("operation"));
        long bufferSize = Math.max(Long.parseLong(flags.get("buffer_size")), (long) block * batchSize * threads);
        LatencyHistogram latency = new LatencyHistogram();
        LatencyHistogram batchLatency = new LatencyHistogram();
        boolean recordLatency = Boolean.parseBoolean(flags.get("latency"));
        TransferListener listener = recordLatency
                ? (protocol, peer, o, bytes, outcome, nanos) -> latency.record(nanos)
                : TransferListener.disabled();
        try (TransferEngine engine = MooncakeEngine.start(config(flags), listener)) {
            String location = flags.get("local_location");
            boolean device = !MemoryKind.ofLocation(location).isHostAccessible();
            if (device && Boolean.parseBoolean(flags.get("verify"))) {
                fail("--verify fills and checks the local buffer with the CPU; use a host --local_location");
            }
            LocalBuffer buffer = engine.allocateBuffer(bufferSize, location);
            if (device) {
                System.err.println("Local buffer: " + location + " device memory (a transport that cannot touch it, "
                        + "such as tcp, stages it through the engine's pinned bounce pool; compare with a cpu:0 run "
                        + "for the bounce cost)");
            }
            SegmentHandle seg = engine.openSegment(segment);
            if (seg.buffers().isEmpty()) {
                fail("segment " + segment + " publishes no buffer");
            }
            engine.peers().forEach(p -> System.err.println("Route to " + p.name() + ": " + p.transport() + " ("
                    + p.route() + ")"));
            long remoteBase = seg.buffer(0).address();
            long remoteLen = seg.buffer(0).length();
            if (remoteLen < (long) block * batchSize * threads) {
                fail("target buffer of " + remoteLen + " bytes is smaller than block_size*batch_size*threads");
            }
            boolean verify = Boolean.parseBoolean(flags.get("verify"));
            long seed = Long.parseLong(flags.get("seed"));
            if (verify && seed == 0) {
                seed = System.nanoTime();
            }
            if (verify) {
                System.err.println("Verify mode: write a seeded pattern, zero it locally, read it back, compare"
                        + " (seed " + seed + ")");
            }
            long runSeed = seed;
            double warmup = Double.parseDouble(flags.get("warmup"));
            WorkerFactory work = tid -> {
                if (verify) {
                    return new Verifier(engine, buffer.address(), seg.id(), remoteBase, tid, threads, batchSize, block,
                            runSeed);
                }
                List<TransferRequest> reqs = new ArrayList<>(batchSize);
                for (int i = 0; i < batchSize; i++) {
                    long off = (long) block * ((long) i * threads + tid);
                    reqs.add(new TransferRequest(op, buffer.address() + off, seg.id(), remoteBase + off, block));
                }
                return () -> {
                    BatchResult r = engine.submit(reqs).await(Duration.ofSeconds(60));
                    if (!r.allCompleted()) {
                        System.err.println("Batch failed: " + r.firstFailure());
                        return false;
                    }
                    return true;
                };
            };
            if (warmup > 0) {
                // --warmup: the same workload first, not counted (JIT-compiled paths, e.g. TLS ciphers)
                stopIfFailed(run(threads, warmup, new LatencyHistogram(), work), warmup);
            }
            Run run = run(threads, duration, batchLatency, work);
            stopIfFailed(run, duration);
            report(flags, run, batchSize, block, batchLatency, recordLatency ? latency : null);
            if (verify) {
                System.err.printf(Locale.ROOT, "Data validation passed: %d batches (each a write and a read back),"
                        + " %d bytes compared%n", run.batches(), run.batches() * batchSize * (long) block);
            }
        }
    }

    /**
     * One thread's verify rounds: fill, WRITE, zero, READ, compare. Each block's pattern depends
     * on the seed, thread, round and block, so a block written to or read from the wrong place,
     * a stale one, or one of another thread is caught.
     */
    private static final class Verifier implements Worker {
        private final TransferEngine engine;
        private final List<TransferRequest> writes = new ArrayList<>();
        private final List<TransferRequest> reads = new ArrayList<>();
        private final ByteBuffer[] blocks;
        private final long seed;
        private final int tid;
        private final int block;
        private long round;

        Verifier(TransferEngine engine, long localBase, long segment, long remoteBase, int tid, int threads,
                int batchSize, int block, long seed) {
            this.engine = engine;
            this.seed = seed;
            this.tid = tid;
            this.block = block;
            this.blocks = new ByteBuffer[batchSize];
            for (int i = 0; i < batchSize; i++) {
                long off = (long) block * ((long) i * threads + tid);
                writes.add(new TransferRequest(OpCode.WRITE, localBase + off, segment, remoteBase + off, block));
                reads.add(new TransferRequest(OpCode.READ, localBase + off, segment, remoteBase + off, block));
                blocks[i] = NativeMemory.view(localBase + off, block).order(ByteOrder.LITTLE_ENDIAN);
            }
        }

        @Override
        public boolean batch() {
            round++;
            for (int i = 0; i < blocks.length; i++) {
                fill(blocks[i], pattern(i));
            }
            if (!transfer(writes, "write")) {
                return false;
            }
            for (ByteBuffer b : blocks) {
                NativeMemory.fill(NativeMemory.addressOf(b), block, (byte) 0);
            }
            if (!transfer(reads, "read back")) {
                return false;
            }
            for (int i = 0; i < blocks.length; i++) {
                int bad = firstMismatch(blocks[i], pattern(i));
                if (bad >= 0) {
                    ByteBuffer expected = ByteBuffer.allocate(block).order(ByteOrder.LITTLE_ENDIAN);
                    fill(expected, pattern(i));
                    System.err.printf(Locale.ROOT, "Detect data integrity problem: worker %d, round %d, block %d"
                            + " (remote 0x%x), byte %d: expected 0x%02x, read back 0x%02x%n", tid, round, i,
                            writes.get(i).targetOffset(), bad, expected.get(bad), blocks[i].get(bad));
                    return false;
                }
            }
            return true;
        }

        private boolean transfer(List<TransferRequest> reqs, String what) {
            BatchResult r = engine.submit(reqs).await(Duration.ofSeconds(60));
            if (!r.allCompleted()) {
                System.err.println("Verify " + what + " failed in round " + round + ": " + r.firstFailure());
                return false;
            }
            return true;
        }

        private long pattern(int i) {
            return mix(seed ^ mix(((long) tid << 40) ^ (round << 20) ^ i));
        }

        private static void fill(ByteBuffer b, long base) {
            int n = b.capacity();
            int words = n >>> 3;
            for (int w = 0; w < words; w++) {
                b.putLong(w << 3, mix(base + w));
            }
            long last = mix(base + words);
            for (int k = words << 3; k < n; k++) {
                b.put(k, (byte) (last >>> ((k & 7) << 3)));
            }
        }

        /** The first byte that differs from the pattern, or -1. */
        private static int firstMismatch(ByteBuffer b, long base) {
            int n = b.capacity();
            int words = n >>> 3;
            for (int w = 0; w < words; w++) {
                if (b.getLong(w << 3) != mix(base + w)) {
                    long diff = b.getLong(w << 3) ^ mix(base + w);
                    return (w << 3) + Long.numberOfTrailingZeros(diff) / 8;
                }
            }
            long last = mix(base + words);
            for (int k = words << 3; k < n; k++) {
                if (b.get(k) != (byte) (last >>> ((k & 7) << 3))) {
                    return k;
                }
            }
            return -1;
        }

        /** SplitMix64's finaliser: consecutive inputs give unrelated outputs. */
        private static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
            z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
            return z ^ (z >>> 31);
        }
    }

    private static void nioTarget(Map<String, String> flags) throws Exception {
        int port = Integer.parseInt(flags.get("baseline_port"));
        long size = Math.min(Long.parseLong(flags.get("buffer_size")), Integer.MAX_VALUE - 8);
        NioBaseline.serve(port, (int) size);
        System.err.println("NIO baseline target ready on port " + port + "; stop with Ctrl-C");
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.printf(Locale.ROOT, "Target CPU time: %.2f s%n", cpuSeconds());
            done.countDown();
        }));
        done.await();
    }

    private static void nioInitiator(Map<String, String> flags) throws Exception {
        String host = flags.get("segment_id").isEmpty() ? "127.0.0.1" : flags.get("segment_id").split(":")[0];
        int port = Integer.parseInt(flags.get("baseline_port"));
        int threads = Integer.parseInt(flags.get("threads"));
        int batchSize = Integer.parseInt(flags.get("batch_size"));
        int block = Integer.parseInt(flags.get("block_size"));
        double duration = Double.parseDouble(flags.get("duration"));
        boolean write = opcode(flags.get("operation")) == OpCode.WRITE;
        int bufferSize = (int) Math.min(Integer.MAX_VALUE - 8,
                Math.max((long) block * batchSize, Math.min(Long.parseLong(flags.get("buffer_size")), 256L << 20)));
        LatencyHistogram latency = new LatencyHistogram();
        Run run = run(threads, duration, latency, tid -> {
            NioBaseline.Client c = new NioBaseline.Client(host, port, batchSize, bufferSize);
            return new Worker() {
                @Override
                public boolean batch() throws Exception {
                    c.batch(write, batchSize, block);
                    return true;
                }

                @Override
                public void close() throws java.io.IOException {
                    c.close();
                }
            };
        });
        stopIfFailed(run, duration);
        System.err.println("Baseline: plain Java NIO, one blocking socket per thread");
        report(flags, run, batchSize, block, latency, null);
    }

    private static void memcpyInitiator(Map<String, String> flags) throws Exception {
        int threads = Integer.parseInt(flags.get("threads"));
        int batchSize = Integer.parseInt(flags.get("batch_size"));
        int block = Integer.parseInt(flags.get("block_size"));
        double duration = Double.parseDouble(flags.get("duration"));
        boolean write = opcode(flags.get("operation")) == OpCode.WRITE;
        long footprint = (long) block * batchSize * threads;
        boolean engineMemory = !flags.get("protocol").equals("tcp");
        TransferEngine engine = null;
        long local;
        long remote;
        if (engineMemory) {
            engine = MooncakeEngine.start(config(flags));
            long size = Math.max(Long.parseLong(flags.get("buffer_size")), footprint);
            remote = engine.allocateBuffer(size, "cpu:0").address(); // where the target's buffer would be
            local = engine.allocateBuffer(size, "cpu:0").address(); // and the initiator's
        } else {
            local = io.mooncake.engine.memory.NativeMemory.allocate(footprint);
            remote = io.mooncake.engine.memory.NativeMemory.allocate(footprint);
        }
        io.mooncake.engine.memory.NativeMemory.fill(local, footprint, (byte) 1);
        io.mooncake.engine.memory.NativeMemory.fill(remote, footprint, (byte) 2);
        LatencyHistogram latency = new LatencyHistogram();
        try {
            Run run = run(threads, duration, latency, tid -> () -> {
                for (int i = 0; i < batchSize; i++) {
                    long off = (long) block * ((long) i * threads + tid);
                    if (write) {
                        io.mooncake.engine.memory.NativeMemory.copy(local + off, remote + off, block);
                    } else {
                        io.mooncake.engine.memory.NativeMemory.copy(remote + off, local + off, block);
                    }
                }
                return true;
            });
            System.err.println("Baseline: memcpy between two " + (engineMemory ? "buffers the " + flags.get("protocol")
                    + " engine allocated (0x" + Long.toHexString(local) + " and 0x" + Long.toHexString(remote) + ")"
                    : "local buffers") + ", one thread per worker");
            report(flags, run, batchSize, block, latency, null);
        } finally {
            if (engine != null) {
                engine.close();
            } else {
                io.mooncake.engine.memory.NativeMemory.free(local);
                io.mooncake.engine.memory.NativeMemory.free(remote);
            }
        }
    }

    /** One worker thread's batches. */
    private interface Worker extends AutoCloseable {
        /** Runs one batch; returns {@code false} (having said why) to stop the whole run. */
        boolean batch() throws Exception;

        @Override
        default void close() throws java.io.IOException {
        }
    }

    /** Creates the worker of thread {@code tid}. */
    private interface WorkerFactory {
        Worker create(int tid) throws Exception;
    }

    /** What a run measured. */
    private record Run(double elapsed, long batches, double cpuSeconds, boolean failed) {
    }

    /**
     * A run that a failed transfer ended is not measured: its figure would count the time after the
     * failure, and the bench exits with status 1 at once, saying so.
     */
    private static void stopIfFailed(Run run, double duration) {
        if (run.failed()) {
            System.err.printf(Locale.ROOT, "Bench stopped after %.2f s of %s: a transfer failed (above). No throughput"
                    + " is reported for an interrupted run; exiting with status 1%n", run.elapsed(),
                    duration + " s");
            System.exit(1);
        }
    }

    /**
     * Runs {@code threads} workers for {@code duration} seconds, timing every batch; the first
     * failure stops every worker at once.
     */
    private static Run run(int threads, double duration, LatencyHistogram batchLatency, WorkerFactory factory)
            throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicBoolean failed = new AtomicBoolean();
        AtomicLong batches = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        double cpu0 = cpuSeconds();
        long t0 = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            int tid = t;
            Thread w = new Thread(() -> {
                try (Worker worker = factory.create(tid)) {
                    while (running.get()) {
                        long s = System.nanoTime();
                        if (!worker.batch()) {
                            failed.set(true);
                            running.set(false);
                            stop.countDown();
                            break;
                        }
                        batchLatency.record(System.nanoTime() - s);
                        batches.incrementAndGet();
                    }
                } catch (Exception e) {
                    System.err.println("Worker " + tid + " failed: " + e);
                    failed.set(true);
                    running.set(false);
                    stop.countDown();
                }
                System.err.println("Worker " + tid + " stopped!");
            }, "bench-worker-" + t);
            workers.add(w);
            w.start();
        }
        stop.await((long) (duration * 1000), java.util.concurrent.TimeUnit.MILLISECONDS);
        running.set(false);
        for (Thread w : workers) {
            w.join();
        }
        return new Run((System.nanoTime() - t0) / 1e9, batches.get(), cpuSeconds() - cpu0, failed.get());
    }

    private static void report(Map<String, String> flags, Run run, int batchSize, int block,
            LatencyHistogram batchLatency, LatencyHistogram requestLatency) {
        double elapsed = run.elapsed();
        long batchCount = run.batches();
        double cpu = run.cpuSeconds();
        String unit = flags.get("report_unit");
        int precision = Integer.parseInt(flags.get("report_precision"));
        double bytes = (double) batchCount * batchSize * block;
        double throughput = bytes / elapsed / unitBytes(unit);
        String fmt = "%." + precision + "f";
        System.err.printf(Locale.ROOT, "Test completed: duration %.2f, batch count %d, throughput " + fmt + " %s/s%n",
                elapsed, batchCount, throughput, unit);
        System.err.printf(Locale.ROOT, "Requests per second: %.0f%n", batchCount * (double) batchSize / elapsed);
        printLatency("Batch latency (submit to completion seen by the caller)", batchLatency);
        printLatency("Request latency (submit to the request's end, measured by the engine)", requestLatency);
        System.err.printf(Locale.ROOT, "Initiator CPU time: %.2f s, %.3f CPU-seconds per GB moved%n", cpu,
                bytes > 0 ? cpu / (bytes / 1e9) : 0.0);
    }

    private static void printLatency(String what, LatencyHistogram h) {
        if (h != null && h.count() > 0) {
            System.err.printf(Locale.ROOT, "%s: p50 %.1f us, p99 %.1f us, p99.9 %.1f us (%d samples)%n", what,
                    h.percentile(0.50) / 1e3, h.percentile(0.99) / 1e3, h.percentile(0.999) / 1e3, h.count());
        }
    }

    static double unitBytes(String unit) {
        return switch (unit) {
            case "GB" -> 1e9;
            case "GiB" -> 1L << 30;
            case "Gb" -> 1.25e8;
            case "MB" -> 1e6;
            case "MiB" -> 1L << 20;
            case "Mb" -> 1.25e5;
            case "KB" -> 1e3;
            case "KiB" -> 1024;
            case "Kb" -> 125;
            default -> {
                fail("--report_unit must be one of GB GiB Gb MB MiB Mb KB KiB Kb, got '" + unit + "'");
                yield 1;
            }
        };
    }

    private static OpCode opcode(String operation) {
        return switch (operation) {
            case "read" -> OpCode.READ;
            case "write" -> OpCode.WRITE;
            default -> {
                fail("--operation must be read or write, got '" + operation + "'");
                yield OpCode.READ;
            }
        };
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> flags = new LinkedHashMap<>(DEFAULTS);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                fail("unexpected argument '" + a + "'; flags look like --name=value");
            }
            String name;
            String value;
            int eq = a.indexOf('=');
            if (eq > 0) {
                name = a.substring(2, eq);
                value = a.substring(eq + 1);
            } else {
                name = a.substring(2);
                value = i + 1 < args.length && !args[i + 1].startsWith("--") ? args[++i] : "true";
            }
            if (name.equals("help")) {
                System.err.println("Flags (default): ");
                DEFAULTS.forEach((k, v) -> System.err.println("  --" + k + " (" + v + ")"));
                System.exit(0);
            }
            if (!flags.containsKey(name)) {
                fail("unknown flag --" + name + "; known flags: " + DEFAULTS.keySet());
            }
            flags.put(name, value);
        }
        return flags;
    }

    private static double cpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime() / 1e9;
        }
        return 0;
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }

    private static void fail(String message) {
        System.err.println("transfer_engine_bench: " + message);
        System.exit(2);
    }
}

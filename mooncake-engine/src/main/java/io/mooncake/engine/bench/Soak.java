package io.mooncake.engine.bench;

import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.memory.NativeMemory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A soak of one node: whether its heap, direct memory, threads and file descriptors stay flat under
 * hours-like load compressed into minutes. Not a test (it asserts nothing about time); run it with
 * {@code bin/mooncake-soak} and read the table.
 *
 * <p>The node under test (this JVM) runs a target engine with one registered buffer and samples
 * itself every {@code --sample}: heap after a full GC (MXBean), direct memory (the {@code direct}
 * buffer pool), live threads, open file descriptors ({@code /proc/self/fd}) and RSS. A second JVM
 * ({@code --role=load}) drives it:
 * <ul>
 * <li>{@code --initiators} threads, each an engine of its own that it closes and starts again every
 *     {@code --reconnect} (new handshakes, new data connections), running without pause batches
 *     that alternate 32 x 4 KiB and 4 x 1 MiB: WRITE a pattern to its own slice of the target, READ
 *     it back, compare every byte;</li>
 * <li>an attacker opening connections to the handshake and data ports, sending a partial request or
 *     nothing, and abandoning them (at most 64 held; the oldest is closed).</li>
 * </ul>
 * The report compares the end with the first sample after the warm-up (a fifth of the run, at most
 * 60 s): a resource is "flat" when it grew by less than its tolerance. Exit status 0 when everything
 * is flat and no request failed or came back different, 1 otherwise.
 */
public final class Soak {

    private static final int SLOT = 8 << 20;

    private Soak() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("role", "node");
        flags.put("duration", "600s");
        flags.put("sample", "10s");
        flags.put("initiators", "4");
        flags.put("reconnect", "20s");
        flags.put("segment", "");
        flags.put("data_port", "0");
        for (String a : args) {
            int eq = a.indexOf('=');
            if (!a.startsWith("--") || eq < 0 || !flags.containsKey(a.substring(2, eq))) {
                System.err.println("mooncake-soak: unknown argument '" + a + "'; flags (default): " + flags);
                System.exit(2);
            }
            flags.put(a.substring(2, eq), a.substring(eq + 1));
        }
        if (flags.get("role").equals("load")) {
            load(flags);
        } else {
            node(flags);
        }
    }

    static Duration duration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        }
        if (t.endsWith("s")) {
            return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
        }
        if (t.endsWith("m")) {
            return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
        }
        if (t.endsWith("h")) {
            return Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
        }
        return Duration.ofSeconds(Long.parseLong(t));
    }

    private static EngineConfig.Builder loopback() {
        return EngineConfig.builder().localHostname("127.0.0.1").metadataServer("P2PHANDSHAKE").protocol("tcp")
                .bindAddress("127.0.0.1").disabledTransports("local,shm").transferTimeout(Duration.ofSeconds(30));
    }

    // ---- the node under test --------------------------------------------------------------------

    private record Sample(long seconds, long heapMiB, long directMiB, long directBuffers, long threads, long fds,
            long rssMiB) {
    }

    private static void node(Map<String, String> flags) throws Exception {
        Duration duration = duration(flags.get("duration"));
        Duration every = duration(flags.get("sample"));
        int initiators = Integer.parseInt(flags.get("initiators"));
        try (MooncakeEngine engine = MooncakeEngine.start(loopback().build())) {
            engine.allocateBuffer((long) initiators * SLOT, "cpu:0");
            int dataPort = engine.localDescriptor().tcpDataPort();
            System.out.printf(Locale.ROOT, "Soak: node %s (handshake port %d, data port %d), %d reconnecting"
                    + " initiators (every %s) and an attacker in a second JVM, for %s; sampling every %s%n",
                    engine.localSegmentName(), engine.rpcPort(), dataPort, initiators, flags.get("reconnect"),
                    flags.get("duration"), flags.get("sample"));
            System.out.printf(Locale.ROOT, "Machine: %d processors, load average %s%n",
                    Runtime.getRuntime().availableProcessors(), loadAverage());
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-cp",
                    System.getProperty("java.class.path"), Soak.class.getName(), "--role=load",
                    "--segment=" + engine.localSegmentName(), "--data_port=" + dataPort,
                    "--duration=" + duration.toMillis() + "ms", "--initiators=" + initiators,
                    "--reconnect=" + flags.get("reconnect")));
            Process load = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            List<String> loadReport = new ArrayList<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(load.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        synchronized (loadReport) {
                            loadReport.add(line);
                        }
                        System.out.println("  load: " + line);
                    }
                } catch (IOException e) {
                    System.err.println("reading the load JVM: " + e);
                }
            }, "soak-load-reader");
            reader.setDaemon(true);
            reader.start();

            List<Sample> samples = new ArrayList<>();
            long t0 = System.nanoTime();
            samples.add(sample(0));
            long end = t0 + duration.toNanos();
            while (System.nanoTime() < end && load.isAlive()) {
                long next = t0 + every.toNanos() * samples.size();
                long wait = Math.min(next, end) - System.nanoTime();
                if (wait > 0) {
                    load.waitFor(wait, TimeUnit.NANOSECONDS);
                }
                Sample s = sample(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0));
                samples.add(s);
                System.out.printf(Locale.ROOT, "  t=%4d s heap %4d MiB, direct %4d MiB (%d buffers), threads %3d,"
                        + " fds %4d, rss %4d MiB%n", s.seconds, s.heapMiB, s.directMiB, s.directBuffers, s.threads,
                        s.fds, s.rssMiB);
            }
            if (!load.waitFor(120, TimeUnit.SECONDS)) {
                System.out.println("load JVM did not end within 120 s of the run; killing it");
                load.destroyForcibly();
            }
            reader.join(5000);
            // the node after the load is gone: connections closed, buffers returned
            Thread.sleep(2000);
            samples.add(sample(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)));
            boolean ok = report(samples, duration, loadReport, load.exitValue());
            System.exit(ok ? 0 : 1);
        }
    }

    private static Sample sample(long seconds) throws IOException {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct = 0;
        long buffers = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                direct = pool.getMemoryUsed();
                buffers = pool.getCount();
            }
        }
        long fds;
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            fds = s.count();
        }
        long rss = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        return new Sample(seconds, heap >> 20, direct >> 20, buffers, ManagementFactory.getThreadMXBean().getThreadCount(),
                fds, rss);
    }

    private static boolean report(List<Sample> samples, Duration duration, List<String> loadReport, int loadExit) {
        long warmup = Math.min(60, duration.toSeconds() / 5);
        Sample start = samples.get(samples.size() - 1);
        for (Sample s : samples) {
            if (s.seconds >= warmup) {
                start = s;
                break;
            }
        }
        Sample last = samples.get(samples.size() - 2 >= 0 ? samples.size() - 2 : 0); // last one under load
        Sample after = samples.get(samples.size() - 1);
        System.out.printf(Locale.ROOT, "%nSoak report: %d samples over %d s; start = first sample after the %d s"
                + " warm-up (t=%d s), end = last sample under load (t=%d s), after = 2 s after the load ended%n",
                samples.size(), last.seconds, warmup, start.seconds, last.seconds);
        System.out.println("| resource | start | end | max | after | tolerance | verdict |");
        System.out.println("|---|---|---|---|---|---|---|");
        boolean flat = true;
        flat &= row("heap after full GC (MiB)", samples, start, last, after, Sample::heapMiB, 16, 0.10);
        flat &= row("direct memory (MiB)", samples, start, last, after, Sample::directMiB, 8, 0.10);
        flat &= row("direct buffers", samples, start, last, after, Sample::directBuffers, 64, 0.10);
        // the handshake listener's worker pool (at most 8) grows with handshakes and shrinks after 30 s idle
        flat &= row("threads", samples, start, last, after, Sample::threads, 8, 0.0);
        flat &= row("file descriptors", samples, start, last, after, Sample::fds, 80, 0.0);
        flat &= row("RSS (MiB)", samples, start, last, after, Sample::rssMiB, 64, 0.10);
        boolean loadOk = loadExit == 0;
        String summary;
        synchronized (loadReport) {
            summary = loadReport.stream().filter(l -> l.startsWith("LOAD ")).reduce((a, b) -> b).orElse("(no summary)");
        }
        System.out.println("Load: " + summary + " (exit " + loadExit + ")");
        System.out.printf(Locale.ROOT, "Machine load average at the end: %s%n", loadAverage());
        System.out.println("Verdict: " + (flat ? "flat" : "NOT flat") + (loadOk ? "" : "; the load saw failures"));
        return flat && loadOk;
    }

    private static boolean row(String name, List<Sample> samples, Sample start, Sample end, Sample after,
            java.util.function.ToLongFunction<Sample> f, long slack, double relative) {
        long max = samples.stream().mapToLong(f).max().orElse(0);
        long allowed = slack + (long) Math.ceil(f.applyAsLong(start) * relative);
        boolean flat = f.applyAsLong(end) - f.applyAsLong(start) <= allowed;
        System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %d | +%d | %s |%n", name, f.applyAsLong(start),
                f.applyAsLong(end), max, f.applyAsLong(after), allowed, flat ? "flat" : "GROWS");
        return flat;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    // ---- the load -------------------------------------------------------------------------------

    private static void load(Map<String, String> flags) throws Exception {
        String segment = flags.get("segment");
        int dataPort = Integer.parseInt(flags.get("data_port"));
        int handshakePort = Integer.parseInt(segment.substring(segment.lastIndexOf(':') + 1));
        long end = System.nanoTime() + duration(flags.get("duration")).toNanos();
        long reconnect = duration(flags.get("reconnect")).toNanos();
        int initiators = Integer.parseInt(flags.get("initiators"));
        AtomicLong requests = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong corrupt = new AtomicLong();
        AtomicLong engines = new AtomicLong();
        AtomicLong attacks = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < initiators; t++) {
            int tid = t;
            threads.add(new Thread(() -> initiator(segment, tid, end, reconnect, requests, bytes, failed, corrupt,
                    engines), "soak-initiator-" + t));
        }
        threads.add(new Thread(() -> attacker(handshakePort, dataPort, end, attacks), "soak-attacker"));
        for (Thread t : threads) {
            t.start();
        }
        long t0 = System.nanoTime();
        while (System.nanoTime() < end) {
            Thread.sleep(Math.max(1, Math.min(30_000, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))));
            System.out.printf(Locale.ROOT, "t=%d s: %d requests, %.1f GB, %d failed, %d corrupt, %d engines, %d"
                    + " abandoned connections%n", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0),
                    requests.get(), bytes.get() / 1e9, failed.get(), corrupt.get(), engines.get(), attacks.get());
        }
        for (Thread t : threads) {
            t.join(60_000);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "LOAD requests=%d bytes=%.1fGB rate=%.0fMB/s failed=%d corrupt=%d engines=%d"
                + " abandoned=%d%n", requests.get(), bytes.get() / 1e9, bytes.get() / secs / 1e6, failed.get(),
                corrupt.get(), engines.get(), attacks.get());
        System.out.flush();
        System.exit(failed.get() == 0 && corrupt.get() == 0 && requests.get() > 0 ? 0 : 1);
    }

    private static void initiator(String segment, int tid, long end, long reconnect, AtomicLong requests,
            AtomicLong bytes, AtomicLong failed, AtomicLong corrupt, AtomicLong engines) {
        long round = 0;
        while (System.nanoTime() < end) {
            long until = Math.min(end, System.nanoTime() + reconnect);
            try (MooncakeEngine engine = MooncakeEngine.start(loopback().build())) {
                engines.incrementAndGet();
                LocalBuffer local = engine.allocateBuffer(2L * SLOT, "cpu:0");
                SegmentHandle seg = engine.openSegment(segment);
                long remote = seg.buffer(0).address() + (long) tid * SLOT;
                long out = local.address();
                long in = local.address() + SLOT;
                while (System.nanoTime() < until) {
                    round++;
                    boolean small = (round & 1) == 0;
                    int block = small ? 4096 : 1 << 20;
                    int count = small ? 32 : 4;
                    long seed = ((long) tid << 48) ^ round;
                    ByteBuffer pattern = NativeMemory.view(out, block * count).order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < block * count; i += 8) {
                        pattern.putLong(i, seed * 0x9E3779B97F4A7C15L + i);
                    }
                    List<TransferRequest> writes = new ArrayList<>(count);
                    List<TransferRequest> reads = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                        long off = (long) i * block;
                        writes.add(new TransferRequest(OpCode.WRITE, out + off, seg.id(), remote + off, block));
                        reads.add(new TransferRequest(OpCode.READ, in + off, seg.id(), remote + off, block));
                    }
                    BatchResult w = engine.submit(writes).await(Duration.ofSeconds(60));
                    BatchResult r = w.allCompleted() ? engine.submit(reads).await(Duration.ofSeconds(60)) : w;
                    if (!w.allCompleted() || !r.allCompleted()) {
                        failed.incrementAndGet();
                        System.out.println("batch failed: " + (w.allCompleted() ? r : w).firstFailure());
                        continue;
                    }
                    requests.addAndGet(2L * count);
                    bytes.addAndGet(2L * count * block);
                    if (NativeMemory.view(in, block * count).mismatch(pattern.clear()) >= 0) {
                        corrupt.incrementAndGet();
                        System.out.println("read back differs from what was written: initiator " + tid + ", round "
                                + round);
                    }
                }
            } catch (RuntimeException e) {
                failed.incrementAndGet();
                System.out.println("initiator " + tid + " failed: " + e);
                sleep(1000);
            }
        }
    }

    /** Opens connections to both ports, sends a partial request or nothing, abandons them. */
    private static void attacker(int handshakePort, int dataPort, long end, AtomicLong attacks) {
        ArrayDeque<Socket> held = new ArrayDeque<>();
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        while (System.nanoTime() < end) {
            int port = rnd.nextBoolean() ? handshakePort : dataPort;
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                OutputStream o = s.getOutputStream();
                switch (rnd.nextInt(3)) {
                    case 0 -> o.write(new byte[] {(byte) 0xff, 0x00, 0x10}); // a few bytes of a prefix or header
                    case 1 -> o.write(new byte[rnd.nextInt(1, 40)]);
                    default -> {
                        // nothing: an idle connection
                    }
                }
                held.add(s);
                attacks.incrementAndGet();
            } catch (IOException e) {
                closeQuietly(s);
            }
            while (held.size() > 64) {
                closeQuietly(held.poll());
            }
            sleep(20);
        }
        while (!held.isEmpty()) {
            closeQuietly(held.poll());
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

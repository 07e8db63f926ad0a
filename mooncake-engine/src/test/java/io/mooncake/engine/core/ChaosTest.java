package io.mooncake.engine.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.api.Batch;
import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.api.TransferStatus;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.metadata.support.LocalEtcd;
import io.mooncake.engine.testsupport.ChildProcess;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.testsupport.TargetMain;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Chaos: one node (this JVM) moves data to and from three peers (their own JVMs) found through a
 * real etcd, while peers are SIGKILLed and restarted under the same name and etcd is stopped and
 * started again, in a loop for about 25 s. Then:
 * <ul>
 * <li>every request submitted ended COMPLETED, FAILED, TIMEOUT or CANCELED by itself, within its
 *     deadline (the batch future is awaited, never forced by {@code await});</li>
 * <li>the node still serves: a new engine reads and writes its memory, and it moves data to a peer;</li>
 * <li>no thread leaked: the node's threads return to what they were before the chaos;</li>
 * <li>nothing was written outside the node's registered region: it lies between two guard areas
 *     filled with a pattern, checked byte for byte at the end.</li>
 * </ul>
 */
class ChaosTest {

    @RegisterExtension
    static final LocalEtcd etcd = new LocalEtcd();

    private static final int MIB = 1 << 20;
    private static final int PEERS = 3;
    private static final Duration TRANSFER_TIMEOUT = Duration.ofSeconds(5);
    private static final Set<TransferState> ENDS = EnumSet.of(TransferState.COMPLETED, TransferState.FAILED,
            TransferState.TIMEOUT, TransferState.CANCELED);

    private final String run = Long.toHexString(System.nanoTime() & 0xffffffL);

    private EngineConfig.Builder config(String name) {
        return Engines.loopback().metadataServer(etcd.connectionString()).localHostname(name).bindAddress("127.0.0.1")
                .metadataTtl(Duration.ofSeconds(2)).clusterId("chaos-" + run).transferTimeout(TRANSFER_TIMEOUT)
                .connectTimeout(Duration.ofSeconds(2)).metadataRefreshInterval(Duration.ofSeconds(1));
    }

    private ChildProcess peer(int i) throws Exception {
        return ChildProcess.start(TargetMain.class, String.valueOf(MIB), "0", etcd.connectionString(), peerName(i),
                "chaos-" + run);
    }

    private String peerName(int i) {
        return "chaos-peer-" + i + "-" + run;
    }

    @Test
    void everyRequestEndsTheNodeKeepsServingAndNothingLeaksWhilePeersAndEtcdDie() throws Exception {
        long raw = NativeMemory.allocate(3L * MIB);
        NativeMemory.fill(raw, 3L * MIB, (byte) 0x5a);
        long region = raw + MIB;
        AtomicReferenceArray<ChildProcess> peers = new AtomicReferenceArray<>(PEERS);
        try (MooncakeEngine node = MooncakeEngine.start(config("chaos-node-" + run).build())) {
            node.registerLocalMemory(region, MIB, "cpu:0", true);
            for (int i = 0; i < PEERS; i++) {
                peers.set(i, peer(i));
            }
            // warm up: every peer reached once, so the clients and pools the node keeps exist
            for (int i = 0; i < PEERS; i++) {
                SegmentHandle seg = node.openSegment(peerName(i));
                node.transferSyncWrite(peerName(i), region, seg.buffer(0).address(), 4096);
            }
            int threadsBefore = engineThreads();

            AtomicBoolean chaos = new AtomicBoolean(true);
            Map<TransferState, AtomicLong> ends = new ConcurrentHashMap<>();
            AtomicLong submitErrors = new AtomicLong();
            List<String> problems = Collections.synchronizedList(new ArrayList<>());
            List<Thread> submitters = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int tid = t;
                Thread s = new Thread(() -> submitLoop(node, region + (long) tid * (MIB / 4), chaos, ends,
                        submitErrors, problems), "chaos-submitter-" + t);
                submitters.add(s);
                s.start();
            }

            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
            int kills = 0;
            int etcdRestarts = 0;
            while (System.nanoTime() < end) {
                int victim = ThreadLocalRandom.current().nextInt(PEERS);
                peers.get(victim).kill();
                kills++;
                if (kills % 3 == 0) {
                    etcd.stop();
                    etcdRestarts++;
                    Thread.sleep(1500);
                    etcd.start();
                }
                peers.set(victim, peer(victim));
                Thread.sleep(1000);
            }
            chaos.set(false);
            for (Thread s : submitters) {
                s.join(TimeUnit.SECONDS.toMillis(60));
                assertThat(s.isAlive()).as("submitter " + s.getName() + " stuck on a batch").isFalse();
            }

            System.out.printf("Chaos: %d peer kills, %d etcd restarts; requests ended %s; %d submissions refused"
                    + " on the caller's thread%n", kills, etcdRestarts, ends, submitErrors.get());
            assertThat(problems).as("requests that did not end by themselves, or ended in another state").isEmpty();
            long total = ends.values().stream().mapToLong(AtomicLong::get).sum();
            assertThat(total).as("requests that ended (%s; %d kills, %d etcd restarts, %d submit errors)", ends,
                    kills, etcdRestarts, submitErrors.get()).isGreaterThan(100);
            assertThat(ends.get(TransferState.COMPLETED)).as("some requests completed").isNotNull();

            // the node keeps serving: as a target (a new engine writes and reads its memory) ...
            try (MooncakeEngine probe = MooncakeEngine.start(config("chaos-probe-" + run).build())) {
                LocalBuffer buf = probe.allocateBuffer(MIB, "cpu:0");
                byte[] text = "after the chaos".getBytes();
                buf.byteBuffer().put(0, text);
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
                    SegmentHandle seg = probe.openSegment("chaos-node-" + run);
                    probe.transferSyncWrite("chaos-node-" + run, buf.address(), seg.buffer(0).address() + 4096,
                            text.length);
                });
                byte[] got = new byte[text.length];
                NativeMemory.view(region + 4096, text.length).get(got);
                assertThat(got).isEqualTo(text);
            }
            // ... and as an initiator, to a peer restarted during the chaos
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
                SegmentHandle seg = node.openSegment(peerName(0));
                node.transferSyncWrite(peerName(0), region, seg.buffer(0).address(), 64 * 1024);
                node.transferSyncRead(peerName(0), region + 128 * 1024, seg.buffer(0).address(), 64 * 1024);
            });

            // no thread leaked
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> assertThat(engineThreads()).as(threadNames()).isLessThanOrEqualTo(threadsBefore + 2));
        } finally {
            for (int i = 0; i < PEERS; i++) {
                if (peers.get(i) != null) {
                    peers.get(i).close();
                }
            }
            etcd.start();
        }
        // nothing written outside the registered region
        assertThat(firstDifference(raw, MIB)).as("guard before the region").isEqualTo(-1);
        assertThat(firstDifference(raw + 2L * MIB, MIB)).as("guard after the region").isEqualTo(-1);
        NativeMemory.free(raw);
    }

    private void submitLoop(MooncakeEngine node, long local, AtomicBoolean chaos, Map<TransferState, AtomicLong> ends,
            AtomicLong submitErrors, List<String> problems) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        while (chaos.get()) {
            String peer = peerName(rnd.nextInt(PEERS));
            Batch batch;
            try {
                SegmentHandle seg = node.openSegment(peer);
                List<TransferRequest> reqs = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    int len = rnd.nextBoolean() ? 4096 : 32 * 1024;
                    long off = (long) i * 32 * 1024;
                    reqs.add(new TransferRequest(rnd.nextBoolean() ? OpCode.READ : OpCode.WRITE, local + off, seg.id(),
                            seg.buffer(0).address() + off, len));
                }
                batch = node.submit(reqs);
            } catch (RuntimeException e) {
                // the peer or etcd is down: a clear error on the caller's thread is an acceptable outcome
                submitErrors.incrementAndGet();
                sleep(50);
                continue;
            }
            BatchResult r;
            try {
                // the batch's own deadline ends it; 15 s more is the bound for "never left hanging"
                r = batch.completion().get(TRANSFER_TIMEOUT.toSeconds() + 15, TimeUnit.SECONDS);
            } catch (Exception e) {
                problems.add("batch " + batch.id() + " did not end within its deadline: " + e);
                batch.cancel();
                continue;
            }
            for (TransferStatus s : r.statuses()) {
                if (!ENDS.contains(s.state())) {
                    problems.add("request ended " + s.state());
                }
                ends.computeIfAbsent(s.state(), k -> new AtomicLong()).incrementAndGet();
            }
        }
    }

    /**
     * The engine's threads, less the handshake workers: a pool of at most 8 that runs requests and
     * lets its threads go after 30 s idle, so it is bounded by construction.
     */
    private static int engineThreads() {
        return engineThreadNames().size();
    }

    private static String threadNames() {
        return engineThreadNames().toString();
    }

    private static List<String> engineThreadNames() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("mooncake-") && !n.matches("mooncake-handshake-\\d+")).sorted().toList();
    }

    private static long firstDifference(long address, int length) {
        for (int i = 0; i < length; i++) {
            if (NativeMemory.getByte(address + i) != 0x5a) {
                return i;
            }
        }
        return -1;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.mooncake.transport.rdma;

import static io.mooncake.jna.verbs.VerbsAbi.IBV_WR_RDMA_READ;
import static io.mooncake.jna.verbs.VerbsAbi.IBV_WR_RDMA_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.testing.verbs.InMemoryFabric;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rdma data path between two nodes on the in-memory verbs fabric: a test fixture standing in
 * for HCAs, which cannot exist on this machine. Bytes really move between the nodes' registered
 * native memory; NIC choice, striping, completion matching, retries on another NIC, NIC pauses,
 * handshake rejections, aborts, close and allocation per slice are checked; every slice must end
 * exactly once.
 */
class RdmaDataPathTest {

    static final long LEN = 32L << 20;
    static final Duration WAIT = Duration.ofSeconds(30);

    InMemoryFabric fabric;
    final Map<String, RdmaNode> cluster = new ConcurrentHashMap<>();
    final AtomicLong clock = new AtomicLong(1_000_000_000L);
    RdmaNode a;
    RdmaNode b;

    @BeforeEach
    void setUp() {
        fabric = new InMemoryFabric();
    }

    void twoNodes(RdmaSettings sa, RdmaSettings sb) {
        a = new RdmaNode("node-a:1", 1, fabric, cluster, sa, clock, LEN, "mlx5_0", "mlx5_1");
        b = new RdmaNode("node-b:2", 2, fabric, cluster, sb, clock, LEN, "mlx5_0", "mlx5_1");
    }

    @AfterEach
    void tearDown() {
        for (RdmaNode n : cluster.values()) {
            n.close();
        }
        assertThat(fabric.cqOverflows()).as("CQ overflows").isZero();
        fabric.close();
    }

    static void fill(long addr, long len, int seed) {
        for (long i = 0; i < len; i++) {
            NativeMemory.putByte(addr + i, (byte) (i * 31 + seed));
        }
    }

    static void assertSame(long x, long y, long len) {
        for (long i = 0; i < len; i++) {
            if (NativeMemory.getByte(x + i) != NativeMemory.getByte(y + i)) {
                throw new AssertionError("byte " + i + " differs");
            }
        }
    }

    SliceTracker run(RdmaNode from, int opcode, long localOffset, RdmaNode to, long remoteOffset, Slices slices) {
        SliceTracker t = new SliceTracker(slices.sliceCount());
        from.path.submit(from.request(t, opcode, localOffset, to, remoteOffset, slices));
        await().atMost(WAIT).until(t::ended);
        assertThat(t.duplicates.get()).as("slices ended twice").isZero();
        return t;
    }

    @Test
    void writesAndReadsOfEverySizeArriveIntact() {
        twoNodes(RdmaSettings.DEFAULTS, RdmaSettings.DEFAULTS);
        fill(a.buffer, 8 << 20, 1);
        long off = 0;
        for (long size : new long[] {1, 100, 4096, 65_537, 1 << 20, 8 << 20}) {
            SliceTracker w = run(a, IBV_WR_RDMA_WRITE, 0, b, off, Slices.uniform(size, 65_536));
            assertThat(w.failed.get()).as("failed: %s", w.reasons).isZero();
            assertSame(a.buffer, b.buffer + off, size);

            SliceTracker r = run(a, IBV_WR_RDMA_READ, 16L << 20, b, off, Slices.uniform(size, 65_536));
            assertThat(r.failed.get()).as("failed: %s", r.reasons).isZero();
            assertSame(a.buffer + (16L << 20), b.buffer + off, size);
            off += size + 7;
        }
    }

    @Test
    void largeRequestsAreStripedOverThePreferredNics() {
        twoNodes(RdmaSettings.DEFAULTS, RdmaSettings.DEFAULTS);
        fill(a.buffer, 4 << 20, 2);

        SliceTracker t = run(a, IBV_WR_RDMA_WRITE, 0, b, 0, Slices.uniform(4 << 20, 65_536));

        assertThat(t.completed.get()).isEqualTo(64);
        assertThat(fabric.executed(a.nics.get(0).gid().text())).isEqualTo(32);
        assertThat(fabric.executed(a.nics.get(1).gid().text())).isEqualTo(32);
        assertSame(a.buffer, b.buffer, 4 << 20);
    }

    @Test
    void aNicThatFailsIsPausedItsSlicesRetriedOnTheOtherAndItIsUsedAgainAfterThePause() {
        twoNodes(RdmaSettings.DEFAULTS, RdmaSettings.DEFAULTS);
        fill(a.buffer, 4 << 20, 3);
        String nic0 = a.nics.get(0).gid().text();
        fabric.linkDown(nic0, true);

        SliceTracker t = run(a, IBV_WR_RDMA_WRITE, 0, b, 0, Slices.uniform(4 << 20, 65_536));

        assertThat(t.failed.get()).as("failed: %s", t.reasons).isZero();
        assertSame(a.buffer, b.buffer, 4 << 20);
        assertThat(a.path.pauses()).isEqualTo(1);
        assertThat(a.path.retried()).isPositive();
        assertThat(a.nics.get(0).paused(clock.get())).isTrue();

        long before = fabric.executed(a.nics.get(1).gid().text());
        SliceTracker whilePaused = run(a, IBV_WR_RDMA_WRITE, 0, b, 0, Slices.uniform(1 << 20, 65_536));
        assertThat(whilePaused.failed.get()).isZero();
        assertThat(fabric.executed(a.nics.get(1).gid().text()) - before).as("all on the other NIC").isEqualTo(16);

        fabric.linkDown(nic0, false);
        clock.addAndGet(TimeUnit.SECONDS.toNanos(31)); // MC_RDMA_RAIL_PAUSE_SECONDS = 30 passed
        long nic0Before = fabric.executed(nic0);
        SliceTracker after = run(a, IBV_WR_RDMA_WRITE, 0, b, 0, Slices.uniform(1 << 20, 65_536));
        assertThat(after.failed.get()).as("failed: %s", after.reasons).isZero();
        assertThat(fabric.executed(nic0) - nic0Before).as("reconnected and used again").isPositive();
    }

    @Test
    void whenEveryNicFailsSlicesFailWithTheReasonAfterTheRetries() {
        twoNodes(RdmaSettings.DEFAULTS, RdmaSettings.DEFAULTS);
        fabric.linkDown(b.nics.get(0).gid().text(), true);
        fabric.linkDown(b.nics.get(1).gid().text(), true);

        SliceTracker t = run(a, IBV_WR_RDMA_WRITE, 0, b, 0, Slices.uniform(1 << 20, 65_536));

        assertThat(t.failed.get()).isEqualTo(16);
        assertThat(t.reasons).allSatisfy(r -> assertThat(r).containsAnyOf("status 12", "paused"));
    }

    @Test
    void anAccessErrorFailsTheSliceWithoutRetry() {
        twoNodes(RdmaSettings.DEFAULTS, RdmaSettings.DEFAULTS);
        // the range starts inside b's buffer and runs past its registered end: the peer's HCA refuses it
        SliceTracker t = run(a, IBV_WR_RDMA_WRITE, 0, b, LEN - 4096, Slices.uniform(8192, 8192));

        assertThat(t.failed.get()).isEqualTo(1);
        assertThat(t.reasons.peek()).contains("status 10").contains("access error");
        assertThat(a.path.retried()).isZero();
    }

    @Test
    void memoryRegisteredWithoutRemoteRightsCannotBeTouchedByAPeer() {
        twoNodes(RdmaSettings.DEFAULTS, RdmaSettings.DEFAULTS);
        long local = NativeMemory.allocate(4096);
        try {
            // what RdmaTransport does for a region that is not remote-accessible: LOCAL_WRITE only
            io.mooncake.jna.verbs.RdmaVerbs.MemoryRegion mr = b.nics.get(0).pd().register(local, 4096,
                    io.mooncake.jna.verbs.VerbsAbi.IBV_ACCESS_LOCAL_WRITE);
            SliceTracker t = new SliceTracker(1);
            io.mooncake.engine.metadata.BufferDescriptor guessed = RdmaDescriptors.buffer("cpu:0", local, 4096,
                    java.util.List.of((long) mr.lkey(), (long) mr.lkey()), java.util.List.of((long) mr.rkey(),
                            (long) mr.rkey()));
            a.path.submit(a.path.request(t, IBV_WR_RDMA_WRITE, a.buffer, "cpu:0", a.lkeys, b.descriptor, guessed, local,
                    Slices.uniform(4096, 4096)));
            await().atMost(WAIT).until(t::ended);

            assertThat(t.failed.get()).isEqualTo(1);
            assertThat(t.reasons.peek()).contains("access error");
            mr.close();
        } finally {
            NativeMemory.free(local);
        }
    }

    @Test
    void aRejectedHandshakeFailsTheSlicesWithThePeersReason() {
        RdmaSettings three = new RdmaSettings(1, -1, 4096, -1, -1, 0, 256, 4, 64, 3, 4096, 2, 1L << 40, true, 30);
        twoNodes(RdmaSettings.DEFAULTS, three);

        SliceTracker t = run(a, IBV_WR_RDMA_WRITE, 0, b, 0, Slices.uniform(256 << 10, 65_536));

        assertThat(t.failed.get()).isEqualTo(4);
        assertThat(t.reasons).allSatisfy(r -> assertThat(r).contains("rejected").contains("MC_NUM_QP_PER_EP"));
    }

    @Test
    void abortEndsUnpostedSlicesAndCloseEndsTheHungOnes() {
        twoNodes(RdmaSettings.DEFAULTS, RdmaSettings.DEFAULTS);
        // warm up the connections so slices are posted, then make the path swallow requests
        run(a, IBV_WR_RDMA_WRITE, 0, b, 0, Slices.uniform(1 << 20, 65_536));
        fabric.blackhole(b.nics.get(0).gid().text(), true);
        fabric.blackhole(b.nics.get(1).gid().text(), true);
        int count = 2048; // more than the two send queues hold (2 NICs x 2 QPs x 256)
        SliceTracker t = new SliceTracker(count);
        RdmaDataPath.Request r = a.request(t, IBV_WR_RDMA_WRITE, 0, b, 0, Slices.uniform((long) count * 4096, 4096));
        a.path.submit(r);
        await().atMost(WAIT).until(() -> a.path.nics().size() == 2 && fabric.completed() >= 16);

        a.path.abort(r);
        await().atMost(WAIT).until(() -> t.failed.get() >= count - 1024);
        assertThat(t.reasons).allSatisfy(x -> assertThat(x).isEqualTo("canceled"));
        assertThat(t.ended()).as("posted slices are still on the wire").isFalse();

        a.path.close();
        assertThat(t.ended()).isTrue();
        assertThat(t.duplicates.get()).isZero();
        assertThat(t.completed.get()).isZero();
    }

    @Test
    void theWorkerAllocatesNothingPerSlice() {
        twoNodes(RdmaSettings.DEFAULTS, RdmaSettings.DEFAULTS);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Runnable burst = () -> {
            for (int i = 0; i < 50; i++) {
                SliceTracker t = new SliceTracker(512);
                a.path.submit(a.request(t, IBV_WR_RDMA_WRITE, 0, b, 0, Slices.uniform(512 * 4096, 4096)));
                await().atMost(WAIT).pollInterval(Duration.ofMillis(1)).until(t::ended);
                assertThat(t.failed.get()).isZero();
            }
        };
        burst.run(); // warm-up: JIT, connections
        long[] ids = a.path.workerThreadIds();
        long before = allocated(threads, ids);
        burst.run(); // 25,600 slices
        long bytes = allocated(threads, ids) - before;

        assertThat(ids).hasSize(2);
        assertThat(bytes).as("bytes allocated by the initiator's NIC workers for 25,600 slices (50 requests)")
                .isLessThan(64 * 1024);
    }

    @Test
    void submittingCostsTheSameWhateverTheNumberOfSlices() {
        twoNodes(RdmaSettings.DEFAULTS, RdmaSettings.DEFAULTS);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        SliceTracker one = new SliceTracker(1);
        SliceTracker many = new SliceTracker(1024);
        Slices single = Slices.uniform(4096, 4096);
        Slices sliced = Slices.uniform(1024 * 4096, 4096);
        for (int i = 0; i < 20; i++) { // warm-up: JIT, connections
            SliceTracker t = new SliceTracker(1024);
            a.path.submit(a.request(t, IBV_WR_RDMA_WRITE, 0, b, 0, sliced));
            await().atMost(WAIT).until(t::ended);
        }
        RdmaDataPath.Request r1 = a.request(one, IBV_WR_RDMA_WRITE, 0, b, 0, single);
        RdmaDataPath.Request r2 = a.request(many, IBV_WR_RDMA_WRITE, 0, b, 0, sliced);

        long before = threads.getCurrentThreadAllocatedBytes();
        a.path.submit(r1);
        long forOne = threads.getCurrentThreadAllocatedBytes() - before;
        before = threads.getCurrentThreadAllocatedBytes();
        a.path.submit(r2);
        long forMany = threads.getCurrentThreadAllocatedBytes() - before;
        await().atMost(WAIT).until(() -> one.ended() && many.ended());

        assertThat(many.failed.get() + one.failed.get()).isZero();
        assertThat(forMany).as("submitting 1024 slices (%d bytes) vs 1 slice (%d bytes)", forMany, forOne)
                .isLessThanOrEqualTo(forOne + 512);
    }

    private static long allocated(com.sun.management.ThreadMXBean threads, long[] ids) {
        long sum = 0;
        for (long b : threads.getThreadAllocatedBytes(ids)) {
            sum += b;
        }
        return sum;
    }
}

package io.mooncake.engine.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.batch.TestTasks;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.Hold;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The copy thread of {@link CopyWorker}, with a {@code Copy} that records what it is handed. Bounds
 * on waits are generous: they only turn a lost slice or a lost wake-up into a failure.
 */
class CopyWorkerTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    /** A slice as the copy thread saw it. */
    private record Seen(TransferTask task, int device, long from, long to, int length, Hold hold, String thread) {
    }

    private final List<Seen> seen = new ArrayList<>(); // copy thread only until it is awaited
    private final AtomicInteger count = new AtomicInteger();
    private CopyWorker worker;

    @AfterEach
    void close() {
        if (worker != null) {
            worker.close();
        }
    }

    private CopyWorker recording(String name) {
        worker = CopyWorker.start(name, (task, device, from, to, length, hold) -> {
            seen.add(new Seen(task, device, from, to, length, hold, Thread.currentThread().getName()));
            count.incrementAndGet();
        });
        return worker;
    }

    /** A copy that, at the slice from address 0, says so and waits for {@code release}, so slices queue behind it. */
    private static CopyWorker.Copy stoppingAtZero(CountDownLatch busy, CountDownLatch release, CopyWorker.Copy then) {
        return (task, device, from, to, length, hold) -> {
            if (from == 0) {
                busy.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            then.copy(task, device, from, to, length, hold);
        };
    }

    private void awaitCount(int n) {
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(count.get()).isEqualTo(n));
    }

    @Test
    void handsEverySliceToTheCopyThreadInOrderWithItsFields() {
        CopyWorker w = recording("copy-order");
        TransferTask task = TestTasks.detached();
        Hold hold = () -> {
        };
        for (int i = 0; i < 1000; i++) {
            assertThat(w.offer(task, i % 7, 1000L + i, -1000L - i, i, i % 2 == 0 ? hold : null)).isTrue();
        }
        awaitCount(1000);
        for (int i = 0; i < 1000; i++) {
            assertThat(seen.get(i)).isEqualTo(
                    new Seen(task, i % 7, 1000L + i, -1000L - i, i, i % 2 == 0 ? hold : null, "copy-order"));
        }
    }

    @Test
    void growsWhileTheCopyThreadIsBusy() throws InterruptedException {
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Long> order = new ArrayList<>();
        worker = CopyWorker.start("copy-grow", stoppingAtZero(busy, release, (task, device, from, to, length, hold) -> {
            order.add(from);
            count.incrementAndGet();
        }));
        TransferTask task = TestTasks.detached();
        worker.offer(task, 0, 0, 0, 0, null);
        assertThat(busy.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        for (long i = 1; i <= 1000; i++) { // the ring starts at 64 and doubles four times meanwhile
            worker.offer(task, 0, i, 0, 0, null);
        }
        release.countDown();
        awaitCount(1001);
        for (int i = 0; i <= 1000; i++) {
            assertThat(order.get(i)).isEqualTo(i);
        }
    }

    @Test
    void takesFromConcurrentProducersEachInItsOrderAndEachOnce() throws InterruptedException {
        int producers = 4;
        int each = 20_000;
        long[] last = new long[producers];
        java.util.Arrays.fill(last, -1);
        AtomicInteger outOfOrder = new AtomicInteger();
        worker = CopyWorker.start("copy-mpsc", (task, device, from, to, length, hold) -> {
            if (from != last[device] + 1) {
                outOfOrder.incrementAndGet();
            }
            last[device] = from;
            count.incrementAndGet();
        });
        TransferTask task = TestTasks.detached();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int id = p;
            Thread t = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    worker.offer(task, id, i, 0, 0, null);
                    if (i % 1000 == 0) {
                        Thread.yield(); // let the copy thread drain and park now and then
                    }
                }
            }, "producer-" + p);
            t.start();
            threads.add(t);
        }
        go.countDown();
        for (Thread t : threads) {
            t.join(PATIENCE.toMillis());
        }
        awaitCount(producers * each);
        assertThat(outOfOrder.get()).isZero();
        for (int p = 0; p < producers; p++) {
            assertThat(last[p]).isEqualTo(each - 1);
        }
    }

    @Test
    void wakesTheParkedCopyThreadForEverySlice() {
        // One slice at a time, offered while the copy thread is on its way to park: the producer
        // spins (no sleep of its own to wake from) and waits a varying few spins before each offer,
        // so offers land before, during and after the thread's last look at its queue. A lost
        // wake-up leaves a slice uncopied: the bound below turns that into a failure.
        AtomicInteger copied = new AtomicInteger();
        worker = CopyWorker.start("copy-wake", (task, device, from, to, length, hold) -> copied.incrementAndGet());
        TransferTask task = TestTasks.detached();
        Random random = new Random(11);
        for (int i = 0; i < 50_000; i++) {
            for (int k = random.nextInt(200); k > 0; k--) {
                Thread.onSpinWait();
            }
            worker.offer(task, 0, i, 0, 0, null);
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (copied.get() <= i) {
                assertThat(System.nanoTime() - deadline).as("slice %d copied in time", i).isNegative();
                Thread.onSpinWait();
            }
        }
    }

    @Test
    void closeRefusesNewSlicesCopiesTheQueuedOnesAndEndsTheThread() throws InterruptedException {
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        worker = CopyWorker.start("copy-close",
                stoppingAtZero(busy, release, (task, device, from, to, length, hold) -> count.incrementAndGet()));
        TransferTask task = TestTasks.detached();
        worker.offer(task, 0, 0, 0, 0, null);
        assertThat(busy.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        for (int i = 1; i <= 100; i++) {
            assertThat(worker.offer(task, 0, i, 0, 0, null)).isTrue();
        }
        worker.close();
        assertThat(worker.offer(task, 0, 101, 0, 0, null)).as("offer after close").isFalse();
        release.countDown();
        awaitCount(101);
        await().atMost(PATIENCE).until(() -> !worker.thread().isAlive());
        assertThat(count.get()).isEqualTo(101);
    }

    @Test
    void anIdleThreadEndsOnClose() {
        CopyWorker w = recording("copy-idle");
        await().atMost(PATIENCE).until(() -> w.thread().getState() == Thread.State.WAITING); // parked
        w.close();
        await().atMost(PATIENCE).until(() -> !w.thread().isAlive());
    }

    @Test
    void keepsCopyingAfterACopyThrows() {
        worker = CopyWorker.start("copy-throws", (task, device, from, to, length, hold) -> {
            count.incrementAndGet();
            if (from == 1) {
                throw new IllegalStateException("boom (expected by the test)");
            }
        });
        TransferTask task = TestTasks.detached();
        worker.offer(task, 0, 1, 0, 0, null);
        worker.offer(task, 0, 2, 0, 0, null);
        awaitCount(2);
        assertThat(worker.thread().isAlive()).isTrue();
    }
}

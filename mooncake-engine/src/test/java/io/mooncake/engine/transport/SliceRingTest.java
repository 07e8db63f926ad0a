package io.mooncake.engine.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.batch.TestTasks;
import io.mooncake.engine.batch.TransferTask;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SliceRingTest {

    private static final int A = 0;
    private static final int B = 1;
    private static final int N = 0;

    /** What the ring should hold, slice by slice. */
    private record Entry(TransferTask task, String attachment, long a, long b, int n) {
    }

    private static void add(SliceRing<String> ring, ArrayDeque<Entry> model, TransferTask task, long v) {
        Entry e = new Entry(task, "h" + v, v, ~v, (int) v * 3);
        int s = ring.add(e.task, e.attachment);
        ring.setLong(s, A, e.a);
        ring.setLong(s, B, e.b);
        ring.setInt(s, N, e.n);
        model.addLast(e);
    }

    private static Entry takeFirst(SliceRing<String> ring) {
        int s = ring.first();
        Entry e = new Entry(ring.task(s), ring.attachment(s), ring.getLong(s, A), ring.getLong(s, B), ring.getInt(s, N));
        ring.removeFirst();
        return e;
    }

    private static void assertSame(SliceRing<String> ring, ArrayDeque<Entry> model) {
        assertThat(ring.size()).isEqualTo(model.size());
        assertThat(ring.isEmpty()).isEqualTo(model.isEmpty());
        // read everything out and put it back: the ring must answer the model in order
        int n = model.size();
        Iterator<Entry> expected = model.iterator();
        for (int k = 0; k < n; k++) {
            Entry e = takeFirst(ring);
            assertThat(e).as("slice %d of %d", k, n).isEqualTo(expected.next());
            int s = ring.add(e.task, e.attachment);
            ring.setLong(s, A, e.a);
            ring.setLong(s, B, e.b);
            ring.setInt(s, N, e.n);
        }
    }

    @Test
    void answersSlicesInTheOrderAdded() {
        SliceRing<String> ring = new SliceRing<>(2, 1, 16);
        ArrayDeque<Entry> model = new ArrayDeque<>();
        TransferTask[] tasks = TestTasks.detached(10);
        for (int i = 0; i < 10; i++) {
            add(ring, model, tasks[i], i + 1);
        }
        for (int i = 0; i < 10; i++) {
            assertThat(takeFirst(ring)).isEqualTo(model.removeFirst());
        }
        assertThat(ring.isEmpty()).isTrue();
    }

    @Test
    void wrapsAroundWithoutGrowing() {
        SliceRing<String> ring = new SliceRing<>(2, 1, 4);
        ArrayDeque<Entry> model = new ArrayDeque<>();
        TransferTask task = TestTasks.detached();
        long v = 0;
        for (int round = 0; round < 100; round++) {
            add(ring, model, task, ++v);
            add(ring, model, task, ++v);
            assertThat(takeFirst(ring)).isEqualTo(model.removeFirst());
            assertThat(takeFirst(ring)).isEqualTo(model.removeFirst());
        }
        add(ring, model, task, ++v);
        add(ring, model, task, ++v);
        add(ring, model, task, ++v);
        add(ring, model, task, ++v);
        assertThat(ring.capacity()).isEqualTo(4);
        assertSame(ring, model);
    }

    @Test
    void growsWhileSlicesAreQueuedAcrossTheEnd() {
        SliceRing<String> ring = new SliceRing<>(2, 1, 4);
        ArrayDeque<Entry> model = new ArrayDeque<>();
        TransferTask task = TestTasks.detached();
        for (int v = 1; v <= 3; v++) {
            add(ring, model, task, v);
        }
        takeFirst(ring);
        takeFirst(ring);
        model.removeFirst();
        model.removeFirst();
        // head is at slot 2: the next ones wrap, then the ring is full and doubles twice
        for (int v = 4; v <= 12; v++) {
            add(ring, model, task, v);
        }
        assertThat(ring.capacity()).isEqualTo(16);
        assertSame(ring, model);
    }

    @Test
    void removesTheSlicesOfOneTaskKeepingTheOthersInOrder() {
        SliceRing<String> ring = new SliceRing<>(2, 1, 8);
        ArrayDeque<Entry> model = new ArrayDeque<>();
        TransferTask keep = TestTasks.detached();
        TransferTask drop = TestTasks.detached();
        add(ring, model, keep, 1);
        add(ring, model, keep, 2);
        takeFirst(ring);
        takeFirst(ring);
        model.clear();
        for (int v = 1; v <= 8; v++) { // wraps
            add(ring, model, v % 3 == 0 ? keep : drop, v);
        }
        assertThat(ring.removeTask(drop)).isEqualTo(6);
        model.removeIf(e -> e.task == drop);
        assertSame(ring, model);
        assertThat(ring.removeTask(drop)).isZero();
        assertThat(ring.removeTask(keep)).isEqualTo(2);
        assertThat(ring.isEmpty()).isTrue();
    }

    @Test
    void matchesAQueueOverManyRandomOperations() {
        Random random = new Random(7);
        SliceRing<String> ring = new SliceRing<>(2, 1, 2);
        ArrayDeque<Entry> model = new ArrayDeque<>();
        TransferTask[] tasks = TestTasks.detached(5);
        for (int op = 0; op < 20_000; op++) {
            int r = random.nextInt(100);
            if (r < 55) {
                add(ring, model, tasks[random.nextInt(tasks.length)], op);
            } else if (r < 98) {
                if (!model.isEmpty()) {
                    assertThat(takeFirst(ring)).isEqualTo(model.removeFirst());
                }
            } else {
                TransferTask t = tasks[random.nextInt(tasks.length)];
                int expected = (int) model.stream().filter(e -> e.task == t).count();
                assertThat(ring.removeTask(t)).isEqualTo(expected);
                model.removeIf(e -> e.task == t);
            }
            assertThat(ring.size()).isEqualTo(model.size());
        }
        assertSame(ring, model);
    }

    @Test
    void refusesWhatIsNotThere() {
        SliceRing<String> ring = new SliceRing<>(2, 1, 5);
        assertThat(ring.capacity()).isEqualTo(8);
        assertThatThrownBy(ring::first).isInstanceOf(NoSuchElementException.class);
        assertThatThrownBy(ring::removeFirst).isInstanceOf(NoSuchElementException.class);
        int s = ring.add(TestTasks.detached(), null);
        assertThatThrownBy(() -> ring.setLong(s, 2, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> ring.getInt(s, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> new SliceRing<>(1, 1, 0)).hasMessageContaining("capacity");
        assertThatThrownBy(() -> new SliceRing<>(-1, 1, 4)).hasMessageContaining("longFields=-1");
    }
}

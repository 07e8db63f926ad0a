package io.mooncake.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** {@link MemoryWindow}: the right bytes, the right bounds, and no allocation per slice on either backend. */
class MemoryWindowTest {

    private static final long GIB = 1L << 30;

    /** The native address of a window's position. */
    private static long at(ByteBuffer b) {
        return NativeMemory.addressOf(b) + b.position();
    }

    @Test
    void everySliceOfARegionIsBoundedExactlyAndReadsAndWritesTheMemory() {
        int n = 4 << 20;
        long base = NativeMemory.allocate(n);
        try {
            NativeMemory.fill(base, n, (byte) 0);
            MemoryWindow w = new MemoryWindow();
            for (int off = 0, len = 1; off + len <= n; off += len, len = len * 3 % 70001 + 1) {
                ByteBuffer b = w.point(base + off, len);
                assertThat(b).isSameAs(w.buffer());
                assertThat(at(b)).isEqualTo(base + off);
                assertThat(b.remaining()).isEqualTo(len);
                assertThat(b.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
                b.put(b.limit() - 1, (byte) 1);
            }
            w.point(base, 8).putLong(0x1122334455667788L);
            assertThat(NativeMemory.getByte(base)).isEqualTo((byte) 0x88);
            // a region straddles at most one gigabyte boundary: at most two views, whatever the slices
            assertThat(w.viewsMade()).isLessThanOrEqualTo(NativeMemory.FOREIGN ? 2 : 0);
        } finally {
            NativeMemory.free(base);
        }
    }

    @Test
    void viewsAreReusedAcrossGigabytesAndReplacedRoundRobin() {
        // only addresses are computed here: nothing is read or written, so no memory is needed
        MemoryWindow w = new MemoryWindow();
        long origin = 64 * GIB;
        for (int round = 0; round < 3; round++) {
            for (int g = 0; g < MemoryWindow.VIEWS; g++) {
                long address = origin + g * 2 * GIB + 4096 * (round + 1); // a view spans almost 2 GiB
                ByteBuffer b = w.point(address, 1 << 20);
                assertThat(at(b)).isEqualTo(address);
                assertThat(b.remaining()).isEqualTo(1 << 20);
            }
        }
        long expected = NativeMemory.FOREIGN ? MemoryWindow.VIEWS : 0;
        assertThat(w.viewsMade()).as("one view per 2 GiB, made once").isEqualTo(expected);
        ByteBuffer next = w.point(origin + GIB + 8192, 1 << 20);
        assertThat(at(next)).isEqualTo(origin + GIB + 8192);
        assertThat(w.viewsMade()).as("the next gigabyte is in the same view").isEqualTo(expected);
        ByteBuffer far = w.point(origin + 2 * MemoryWindow.VIEWS * GIB, 64);
        assertThat(at(far)).isEqualTo(origin + 2 * MemoryWindow.VIEWS * GIB);
        ByteBuffer first = w.point(origin + 100, 64);
        assertThat(at(first)).as("after the first view was replaced").isEqualTo(origin + 100);
        ByteBuffer huge = w.point(origin + GIB - 4, NativeMemory.MAX_VIEW);
        assertThat(at(huge)).isEqualTo(origin + GIB - 4);
        assertThat(huge.remaining()).isEqualTo(NativeMemory.MAX_VIEW);
        ByteBuffer full = w.point(origin + 3 * GIB, (int) GIB);
        assertThat(at(full)).isEqualTo(origin + 3 * GIB);
        assertThat(full.remaining()).isEqualTo((int) GIB);
    }

    @Test
    void pointingAtSlicesAllocatesNothing() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemorySupported(),
                "this JVM cannot count a thread's allocations: allocation-freedom not checked");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) mx;
        int n = 8 << 20;
        long base = NativeMemory.allocate(n);
        try {
            MemoryWindow w = new MemoryWindow();
            long sum = 0;
            for (int round = 0; round < 2; round++) { // the first round makes the views
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 100_000; i++) {
                    int off = (int) ((i * 65_537L) % (n - 4096));
                    sum += w.point(base + off, 4096).remaining();
                }
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                if (round == 1) {
                    // allocating per slice would take at least 100,000 x 48 bytes
                    assertThat(allocated).as("bytes allocated while pointing at 100,000 slices").isLessThan(4096);
                }
            }
            assertThat(sum).isEqualTo(2L * 100_000 * 4096);
        } finally {
            NativeMemory.free(base);
        }
    }

    @Test
    void clearLeavesAnEmptyBuffer() {
        long base = NativeMemory.allocate(64);
        try {
            MemoryWindow w = new MemoryWindow();
            assertThat(w.buffer().remaining()).isZero();
            w.point(base, 64);
            w.clear();
            assertThat(w.buffer().remaining()).isZero();
            assertThat(w.buffer().capacity()).isZero();
        } finally {
            NativeMemory.free(base);
        }
    }
}

package io.mooncake.engine.transport.tcp;

import io.mooncake.engine.memory.MemoryWindow;
import io.mooncake.engine.memory.NativeMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;

/**
 * The staging memory of one I/O loop's inbound data connections: a bounded set of
 * {@link Staging} units (an input and an output direct buffer of {@value TcpWire#BUFFER_SIZE}
 * bytes each, and a {@link MemoryWindow}), lent to a connection only while it has work and given
 * back when it waits for its peer or closes.
 *
 * <p>Why: a connection-per-request initiator (the reference's default) opens thousands of
 * connections a second, and an attacker can open thousands and leave them idle. Accepting a
 * connection therefore allocates no direct memory; a connection holds a unit only between
 * reading a request and having answered it, so a loop usually needs one or two units whatever the
 * number of connections. Units are allocated on first need, kept for reuse (never freed to the
 * garbage collector while the loop runs), and never more than {@code maxUnits}: when all are lent,
 * a connection that needs one stops reading and waits in line ({@link #await}); the next unit
 * given back goes to the first in line. A waiting connection holds no unit, so waiting cannot
 * deadlock.
 *
 * <p>Confined to its loop's thread, except the counters, which other threads may read (stale by
 * a little) for statistics.
 */
final class StagingPool {

    /** What a connection waiting for a unit is told when it gets one (on its loop thread, later). */
    interface Waiter {
        /** Hands over {@code staging}; the waiter must use it or give it back. */
        void granted(Staging staging);

        /** Whether the waiter has gone (closed) and must not be handed anything. */
        boolean gone();
    }

    /** One lendable unit. Its buffers are little-endian; cleared before each loan. */
    static final class Staging {
        final ByteBuffer in;
        final ByteBuffer out;
        final long inAddress;
        final long outAddress;
        final MemoryWindow window = new MemoryWindow();
        /** {@code out} then the window, for gathering writes of a staged status and a direct body. */
        final ByteBuffer[] gather;

        Staging(int size) {
            in = ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
            out = ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
            inAddress = NativeMemory.addressOf(in);
            outAddress = NativeMemory.addressOf(out);
            gather = new ByteBuffer[] {out, window.buffer()};
        }
    }

    private final int unitSize;
    private final int maxUnits;
    private final Staging[] free;
    private int freeCount;
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private volatile int allocated;
    // plain fields: written on the loop thread only, read (possibly stale) for statistics
    private int lent;
    private long waits;

    /**
     * @param unitSize bytes of each of a unit's two buffers
     * @param maxUnits most units this pool ever allocates
     */
    StagingPool(int unitSize, int maxUnits) {
        if (maxUnits < 1) {
            throw new IllegalArgumentException("maxUnits must be at least 1, got " + maxUnits);
        }
        this.unitSize = unitSize;
        this.maxUnits = maxUnits;
        this.free = new Staging[maxUnits];
    }

    /** A unit, cleared, or {@code null} when all {@code maxUnits} are lent (then {@link #await}). */
    Staging take() {
        Staging s;
        if (freeCount > 0) {
            s = free[--freeCount];
            free[freeCount] = null;
        } else if (allocated < maxUnits) {
            s = new Staging(unitSize);
            allocated++;
        } else {
            return null;
        }
        lent++;
        s.in.clear();
        s.out.clear();
        return s;
    }

    /** Puts {@code waiter} in line for the next unit given back. */
    void await(Waiter waiter) {
        waits++;
        waiters.add(waiter);
    }

    /** Takes back a unit: hands it to the first waiter still there, or keeps it for reuse. */
    void give(Staging s) {
        s.window.clear();
        Waiter w;
        while ((w = waiters.poll()) != null) {
            if (!w.gone()) {
                s.in.clear();
                s.out.clear();
                w.granted(s);
                return;
            }
        }
        lent--;
        free[freeCount++] = s;
    }

    /** Units allocated so far (each {@code 2 * unitSize} bytes of direct memory). */
    int allocated() {
        return allocated;
    }

    /** Units lent out now. */
    int lent() {
        return lent;
    }

    /** How often a connection had to wait for a unit. */
    long waits() {
        return waits;
    }

    /** Bytes of direct memory this pool holds. */
    long allocatedBytes() {
        return 2L * unitSize * allocated;
    }
}

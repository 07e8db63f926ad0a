package io.mooncake.engine.transport;

/**
 * Whether the process that owns memory mapped here still runs, for transports that copy into a
 * peer's memory without the peer taking part (shared memory, CXL): a peer that died leaves its
 * mapping (or its device range) behind, and a write into it would report success to nobody, or
 * land in a range another process has claimed since. Checked at most every 50 ms per owner
 * ({@link ProcessHandle#isAlive()}); once dead, always dead. An owner not visible from this process
 * (another pid namespace) is not checked. Thread-safe.
 */
public final class OwnerLiveness {

    private static final long CHECK_NANOS = 50_000_000L;

    private final long pid;
    /** The owner when it is visible from here, else null: not checked. */
    private final ProcessHandle owner;
    private volatile long checkedAt = System.nanoTime();
    private volatile boolean alive = true;

    /** For the process {@code pid} on this host (same boot id: the caller checked). */
    public OwnerLiveness(long pid) {
        this.pid = pid;
        this.owner = ProcessHandle.of(pid).orElse(null);
    }

    /** The owner's pid. */
    public long pid() {
        return pid;
    }

    /** Whether the owner still runs (or cannot be seen from here). */
    public boolean alive() {
        if (owner == null || !alive) {
            return alive;
        }
        long now = System.nanoTime();
        if (now - checkedAt > CHECK_NANOS) {
            checkedAt = now;
            alive = owner.isAlive();
        }
        return alive;
    }
}

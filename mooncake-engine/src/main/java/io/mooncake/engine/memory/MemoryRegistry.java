package io.mooncake.engine.memory;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The registered local memory regions and every bounds check made against them.
 *
 * <p>Registration follows the reference's rules: a region may not overlap one already
 * registered ({@link ErrorCode#ADDRESS_OVERLAPPED}), length must be positive, address non-zero.
 * Lookups are lock-free binary searches over an immutable sorted snapshot, replaced on every
 * change; they allocate nothing. Thread-safe.
 */
public final class MemoryRegistry {

    private volatile Region[] regions = new Region[0];
    private final List<Consumer<Region>> onRegister = new CopyOnWriteArrayList<>();
    private final List<Consumer<Region>> onUnregister = new CopyOnWriteArrayList<>();

    /** Registers a region; throws when it is invalid or overlaps a registered one. */
    public Region register(long address, long length, String location, boolean remoteAccessible,
            Object owner) {
        return register(address, length, location, remoteAccessible, owner, MemoryKind.ofLocation(location));
    }

    /** Registers a region of the given kind; throws when it is invalid or overlaps a registered one. */
    public synchronized Region register(long address, long length, String location, boolean remoteAccessible,
            Object owner, MemoryKind kind) {
        if (address == 0) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "cannot register address 0 (null pointer)");
        }
        if (length <= 0) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                    "cannot register length " + length + " at 0x" + Long.toHexString(address) + "; length must be > 0");
        }
        if (address + length < address && address + length != 0) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "region at 0x" + Long.toHexString(address)
                    + " with length " + length + " wraps around the address space");
        }
        String loc = location == null || location.isBlank() ? "*" : location.trim();
        Region r = new Region(address, length, loc, remoteAccessible, owner, kind);
        Region[] cur = regions;
        int idx = insertionPoint(cur, address);
        if (idx > 0 && cur[idx - 1].end() > address) {
            throw overlap(r, cur[idx - 1]);
        }
        if (idx < cur.length && cur[idx].address() < r.end()) {
            throw overlap(r, cur[idx]);
        }
        Region[] next = new Region[cur.length + 1];
        System.arraycopy(cur, 0, next, 0, idx);
        next[idx] = r;
        System.arraycopy(cur, idx, next, idx + 1, cur.length - idx);
        regions = next;
        onRegister.forEach(l -> l.accept(r));
        return r;
    }

    /**
     * Unregisters the region starting at {@code address} and waits (at most {@code maxWait}) for the
     * transfers still using it; when this returns, the memory may be freed.
     *
     * @throws MooncakeException ADDRESS_NOT_REGISTERED when no region starts there; BATCH_BUSY when
     *     transfers still used it after {@code maxWait} (the region stays withdrawn; do not free it yet)
     */
    public Region unregister(long address, java.time.Duration maxWait) {
        Region r = remove(address);
        long deadline = System.nanoTime() + maxWait.toNanos();
        while (r.users.sum() > 0) {
            if (System.nanoTime() > deadline) {
                throw new MooncakeException(ErrorCode.BATCH_BUSY, r + " is withdrawn but still used by " + r.users.sum()
                        + " transfer(s) after " + maxWait.toMillis() + " ms; do not free it until they end");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MooncakeException(ErrorCode.BATCH_BUSY, "interrupted while waiting for transfers using "
                        + r + "; do not free it yet");
            }
        }
        return r;
    }

    /** {@link #unregister(long, java.time.Duration)} waiting at most 30 s. */
    public Region unregister(long address) {
        return unregister(address, java.time.Duration.ofSeconds(30));
    }

    /**
     * Begins a use of the region holding all of {@code [address, address + length)}, so it cannot
     * be unregistered (and freed) until {@link Region#release()}. Returns {@code null} when no
     * region holds the range, or, with {@code remoteOnly} (a peer's request), none that is
     * remote-accessible host-accessible memory. Allocation-free.
     */
    public Region acquire(long address, long length, boolean remoteOnly) {
        Region r = find(address, length);
        if (r == null || (remoteOnly && (!r.remoteAccessible() || !r.kind().isHostAccessible()))) {
            return null;
        }
        return hold(r);
    }

    /**
     * Like {@link #acquire acquire(address, length, true)} but also returns device memory: for
     * paths that look at the region's kind before touching it. {@code acquire(..., true)} never
     * returns device memory, so a host data path serving a peer (the tcp receiver) rejects a range
     * in a GPU buffer instead of dereferencing a device pointer.
     */
    public Region acquireAnyKind(long address, long length) {
        Region r = find(address, length);
        if (r == null || !r.remoteAccessible()) {
            return null;
        }
        return hold(r);
    }

    private static Region hold(Region r) {
        r.users.increment();
        if (!r.live) {
            r.users.decrement();
            return null;
        }
        return r;
    }

    private synchronized Region remove(long address) {
        Region[] cur = regions;
        int idx = indexOfStart(cur, address);
        if (idx < 0) {
            throw new MooncakeException(ErrorCode.ADDRESS_NOT_REGISTERED,
                    "no registered region starts at 0x" + Long.toHexString(address)
                            + "; pass the address given to registerLocalMemory");
        }
        Region r = cur[idx];
        Region[] next = new Region[cur.length - 1];
        System.arraycopy(cur, 0, next, 0, idx);
        System.arraycopy(cur, idx + 1, next, idx, cur.length - idx - 1);
        r.live = false;
        regions = next;
        onUnregister.forEach(l -> l.accept(r));
        return r;
    }

    /** The region holding all of {@code [address, address + length)}, or {@code null}. Allocation-free. */
    public Region find(long address, long length) {
        Region[] cur = regions;
        int lo = 0;
        int hi = cur.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Region r = cur[mid];
            if (address < r.address()) {
                hi = mid - 1;
            } else if (address >= r.end()) {
                lo = mid + 1;
            } else {
                return r.contains(address, length) ? r : null;
            }
        }
        return null;
    }

    /** The remote-accessible region holding all of the range, or {@code null}: what a peer may touch. */
    public Region findRemoteAccessible(long address, long length) {
        Region r = find(address, length);
        return r != null && r.remoteAccessible() ? r : null;
    }

    /** All regions, sorted by address. */
    public List<Region> regions() {
        return Arrays.asList(regions.clone());
    }

    /** Called after each registration, on the registering thread (transports register memory with NICs here). */
    public void addRegisterListener(Consumer<Region> listener) {
        onRegister.add(listener);
    }

    /** Called after each unregistration, on the unregistering thread. */
    public void addUnregisterListener(Consumer<Region> listener) {
        onUnregister.add(listener);
    }

    private static int insertionPoint(Region[] arr, long address) {
        int lo = 0;
        int hi = arr.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (arr[mid].address() < address) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static int indexOfStart(Region[] arr, long address) {
        int i = insertionPoint(arr, address);
        return i < arr.length && arr[i].address() == address ? i : -1;
    }

    private static MooncakeException overlap(Region wanted, Region existing) {
        return new MooncakeException(ErrorCode.ADDRESS_OVERLAPPED, "cannot register " + wanted
                + ": it overlaps already registered " + existing + "; unregister that one first or pick another range");
    }
}

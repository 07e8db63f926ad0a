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
    public synchronized Region register(long address, long length, String location, boolean remoteAccessible,
            Object owner) {
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
        Region r = new Region(address, length, loc, remoteAccessible, owner);
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

    /** Unregisters the region starting at {@code address}; returns it, or throws when none starts there. */
    public synchronized Region unregister(long address) {
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

package io.mooncake.engine.testsupport;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.memory.AbstractAllocation;
import io.mooncake.engine.memory.Allocation;
import io.mooncake.engine.memory.DeviceMemoryAccess;
import io.mooncake.engine.memory.MemoryAllocator;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.memory.NativeMemory;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TEST DOUBLE of a GPU module, standing for hardware absent on this machine (no GPU, no
 * libcuda): it serves the location prefix {@code gpu:} (which no real module uses), hands out
 * "device memory" that is really host memory from the C heap but is registered as
 * {@link MemoryKind#DEVICE}, so the engine treats it exactly like GPU memory (host paths never
 * touch it; requests are staged through the pinned pool, here plain host memory), and its copies
 * are memcpy. Counts copies and can hold them back ({@link #blockCopies()}) so tests can drive
 * deadlines and cancel. The real module is mooncake-native's CUDA one, tested on a GPU machine.
 * Registered through META-INF/services of the engine's tests; affects only {@code gpu:} locations
 * and the addresses it allocated.
 */
public final class HostBackedDeviceMemory implements DeviceMemoryAccess, MemoryAllocator {

    /** The one instance ServiceLoader makes per class loader is found through here. */
    private static final Map<Long, Long> ALLOCATED = new ConcurrentSkipListMap<>();
    public static final AtomicLong COPIES_TO_HOST = new AtomicLong();
    public static final AtomicLong COPIES_TO_DEVICE = new AtomicLong();
    public static final AtomicLong PINNED_ALLOCATIONS = new AtomicLong();
    private static volatile CountDownLatch gate;

    /** From now on every device copy waits until {@link #releaseCopies()}. */
    public static void blockCopies() {
        gate = new CountDownLatch(1);
    }

    /** Lets waiting and future copies run. */
    public static void releaseCopies() {
        CountDownLatch g = gate;
        gate = null;
        if (g != null) {
            g.countDown();
        }
    }

    @Override
    public String name() {
        return "host-backed test double of a GPU (gpu:N)";
    }

    @Override
    public boolean serves(String location) {
        return location != null && location.startsWith("gpu:");
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public String locate(long address) {
        Map.Entry<Long, Long> e = ((ConcurrentSkipListMap<Long, Long>) ALLOCATED).floorEntry(address);
        return e != null && address < e.getKey() + e.getValue() ? "gpu:0" : null;
    }

    @Override
    public void checkDeviceRange(long address, long length, String location) {
        if (locate(address) == null) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "0x" + Long.toHexString(address)
                    + " is host memory, not " + location + " device memory; register it with a cpu location");
        }
    }

    @Override
    public Allocation allocatePinned(long length) {
        PINNED_ALLOCATIONS.incrementAndGet();
        return allocation(length, MemoryKind.HOST, false);
    }

    @Override
    public Allocation allocate(long length, String location) {
        return allocation(length, MemoryKind.DEVICE, true);
    }

    private static Allocation allocation(long length, MemoryKind kind, boolean device) {
        long a = NativeMemory.allocate(length);
        NativeMemory.fill(a, length, (byte) 0);
        if (device) {
            ALLOCATED.put(a, length);
        }
        return AbstractAllocation.of(a, length, kind, device ? "test-double device memory" : "test-double pinned memory",
                () -> {
                    ALLOCATED.remove(a);
                    NativeMemory.free(a);
                });
    }

    @Override
    public void copyToHost(long host, long device, long length) {
        await();
        COPIES_TO_HOST.incrementAndGet();
        NativeMemory.copy(device, host, length);
    }

    @Override
    public void copyToDevice(long device, long host, long length) {
        await();
        COPIES_TO_DEVICE.incrementAndGet();
        NativeMemory.copy(host, device, length);
    }

    private static void await() {
        CountDownLatch g = gate;
        if (g != null) {
            try {
                g.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

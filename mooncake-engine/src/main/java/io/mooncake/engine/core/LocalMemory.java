package io.mooncake.engine.core;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.memory.Allocation;
import io.mooncake.engine.memory.DeviceMemoryAccess;
import io.mooncake.engine.memory.MemoryAllocator;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.memory.MemoryRegistry;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.memory.Region;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This engine's side of memory: registration through the transports (which may attach per-region
 * data or refuse), engine-allocated buffers from the allocator that serves their location, and
 * republishing the descriptor after every change (once per batch registration). Thread-safe.
 */
final class LocalMemory {

    private static final Logger log = LoggerFactory.getLogger(LocalMemory.class);

    private final MemoryRegistry registry;
    private final Duration unregisterWait;
    private final Transports transports;
    private final Runnable republish;
    private final List<MemoryAllocator> allocators = new CopyOnWriteArrayList<>();
    private final List<DeviceMemoryAccess> devices = new CopyOnWriteArrayList<>();
    private volatile MemoryAllocator hostAllocator = MemoryAllocator.host();
    private final Map<Long, Allocation> managed = new ConcurrentHashMap<>();
    private final Map<Long, EngineBuffer> engineBuffers = new ConcurrentHashMap<>();
    private final AtomicInteger batchRegistration = new AtomicInteger();

    LocalMemory(MemoryRegistry registry, Duration unregisterWait, Transports transports, Runnable republish,
            ClassLoader loader) {
        this.registry = registry;
        this.unregisterWait = unregisterWait;
        this.transports = transports;
        this.republish = republish;
        for (MemoryAllocator a : ServiceLoader.load(MemoryAllocator.class, loader)) {
            allocators.add(a);
        }
        for (DeviceMemoryAccess d : ServiceLoader.load(DeviceMemoryAccess.class, loader)) {
            devices.add(d);
        }
    }

    /** Adds a device module directly (tests, embedders without ServiceLoader). */
    void addDeviceAccess(DeviceMemoryAccess access) {
        devices.add(0, access);
    }

    /** The device module serving {@code location} ({@code cuda:0}), or {@code null}. */
    DeviceMemoryAccess deviceAccess(String location) {
        for (DeviceMemoryAccess d : devices) {
            if (d.serves(location)) {
                return d;
            }
        }
        return null;
    }

    /**
     * Refuses a caller-owned registration whose location contradicts the pointer: a host pointer
     * registered as {@code cuda:N} (or a pointer of another device), or a device pointer registered
     * as host memory, which a host path would dereference.
     */
    private void checkCallerPointer(long address, long length, String location, MemoryKind kind) {
        if (kind == MemoryKind.DEVICE) {
            DeviceMemoryAccess d = deviceAccess(location);
            if (d == null) {
                return; // no module for this vendor: transports refuse what they cannot carry
            }
            if (!d.available()) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "cannot register 0x"
                        + Long.toHexString(address) + " as '" + location + "' device memory: " + d.unavailableReason());
            }
            d.checkDeviceRange(address, length, location);
            return;
        }
        for (DeviceMemoryAccess d : devices) {
            if (!d.available()) {
                continue;
            }
            String actual = d.locate(address);
            if (actual != null) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "0x" + Long.toHexString(address)
                        + " is " + actual + " device memory (" + d.name() + ") but was registered with location '"
                        + location + "', which host paths would dereference; register it with location '"
                        + actual + "'");
            }
        }
    }

    MemoryRegistry registry() {
        return registry;
    }

    /**
     * A transport offers an allocator for engine-allocated host memory: the last offer wins, unless
     * the allocator in place has a higher {@link MemoryAllocator#precedence()}.
     */
    void offerHostAllocator(MemoryAllocator allocator) {
        MemoryAllocator current = hostAllocator;
        if (current != MemoryAllocator.host() && current.precedence() > allocator.precedence()) {
            log.info("Engine-allocated host memory stays with the {} allocator (the {} allocator was offered too)",
                    current.name(), allocator.name());
            return;
        }
        hostAllocator = allocator;
        log.info("Engine-allocated host memory comes from the {} allocator", allocator.name());
    }

    /**
     * A transport offers an allocator for device locations (nvlink: memory it can export as fabric
     * handles): it is asked before the device modules' own allocators.
     */
    void offerDeviceAllocator(MemoryAllocator allocator) {
        allocators.add(0, allocator);
        log.info("Engine-allocated device memory comes from the {} allocator where it serves the location",
                allocator.name());
    }

    // ---- registration

    Region register(long address, long length, String location, boolean remoteAccessible, Object owner,
            MemoryKind kind) {
        if (owner == null) {
            checkCallerPointer(address, length, location, kind);
        }
        Region r = registry.register(address, length, location, remoteAccessible, owner, kind);
        try {
            transports.registered(r);
        } catch (RuntimeException e) {
            registry.unregister(r.address(), unregisterWait);
            throw e;
        }
        if (batchRegistration.get() == 0) {
            republish.run();
        }
        return r;
    }

    void registerBatch(List<long[]> addressAndLength, String location) {
        List<Region> done = new ArrayList<>();
        batchRegistration.incrementAndGet();
        try {
            for (long[] al : addressAndLength) {
                if (al.length != 2) {
                    throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                            "each entry must be {address, length}; got " + al.length + " values");
                }
                done.add(register(al[0], al[1], location, true, null, MemoryKind.ofLocation(location)));
            }
        } catch (RuntimeException e) {
            for (Region r : done) {
                unregisterQuietly(r.address());
            }
            throw e;
        } finally {
            batchRegistration.decrementAndGet();
            republish.run();
        }
    }

    /** Unregisters the region starting at {@code address}, waiting for transfers that use it. */
    Region unregister(long address) {
        Region r = registry.unregister(address, unregisterWait);
        transports.unregistered(r);
        if (batchRegistration.get() == 0) {
            republish.run();
        }
        return r;
    }

    private void unregisterQuietly(long address) {
        try {
            unregister(address);
        } catch (MooncakeException e) {
            log.debug("undoing a registration: {}", e.getMessage());
        }
    }

    LocalBuffer registerBuffer(ByteBuffer direct, String location, boolean remoteAccessible) {
        if (direct == null || !direct.isDirect()) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                    "only direct buffers can be registered; use ByteBuffer.allocateDirect or allocateBuffer");
        }
        if (direct.isReadOnly() && remoteAccessible) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                    "a read-only buffer cannot be registered as remote-accessible: peers may write to it");
        }
        long address = NativeMemory.addressOf(direct);
        Region r = register(address, direct.capacity(), location, remoteAccessible, direct, MemoryKind.HOST);
        return new EngineBuffer(r, null);
    }

    // ---- engine-allocated memory

    private MemoryAllocator allocatorFor(String location) {
        MemoryKind kind = MemoryKind.ofLocation(location);
        if (kind.isHostAccessible()) {
            return hostAllocator;
        }
        for (MemoryAllocator a : allocators) {
            if (a.serves(location)) {
                return a;
            }
        }
        throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "no allocator serves location '" + location
                + "': device memory is allocated by the module of its vendor (mooncake-native with the vendor's "
                + "driver library); allocate it there and register it with registerLocalMemory, or use a host "
                + "location such as cpu:0");
    }

    private Allocation allocate(long length, String location) {
        if (length <= 0) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                    "invalid buffer length " + length + "; it must be > 0");
        }
        MemoryAllocator allocator = allocatorFor(location);
        try {
            return allocator.allocate(length, location);
        } catch (MooncakeException e) {
            if (allocator == MemoryAllocator.host() || !MemoryKind.ofLocation(location).isHostAccessible()) {
                throw e;
            }
            log.warn("The {} allocator could not give {} bytes ({}); using private host memory, which same-host "
                    + "peers reach over tcp", allocator.name(), length, e.getMessage());
            return MemoryAllocator.host().allocate(length, location);
        }
    }

    LocalBuffer allocateBuffer(long length, String location) {
        Allocation a = allocate(length, location);
        try {
            Region r = register(a.address(), a.length(), location, true, a, a.kind());
            EngineBuffer b = new EngineBuffer(r, a);
            engineBuffers.put(a.address(), b);
            return b;
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
    }

    long allocateManaged(long length) {
        Allocation a = allocate(length, "*");
        try {
            register(a.address(), a.length(), "*", true, a, a.kind());
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
        managed.put(a.address(), a);
        return a.address();
    }

    void freeManaged(long address, long length) {
        Allocation a = managed.get(address);
        if (a == null || a.length() != length) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "0x" + Long.toHexString(address) + " with length "
                    + length + " is not a buffer from allocateManagedBuffer"
                    + (a == null ? "" : " (its length is " + a.length() + ")"));
        }
        unregister(address);
        managed.remove(address);
        a.close();
    }

    /** Frees every engine-allocated buffer (engine shutdown, after the transports stopped). */
    void freeAll() {
        for (EngineBuffer b : new ArrayList<>(engineBuffers.values())) {
            b.close();
        }
        for (Map.Entry<Long, Allocation> m : new ArrayList<>(managed.entrySet())) {
            managed.remove(m.getKey());
            try {
                registry.unregister(m.getKey(), Duration.ZERO);
            } catch (MooncakeException e) {
                log.debug("managed buffer already unregistered: {}", e.getMessage());
            }
            m.getValue().close();
        }
    }

    /** A registered buffer; engine-allocated ones are freed on close. */
    private final class EngineBuffer implements LocalBuffer {
        private final Region region;
        private final Allocation allocation;
        private final AtomicBoolean released = new AtomicBoolean();

        EngineBuffer(Region region, Allocation allocation) {
            this.region = region;
            this.allocation = allocation;
        }

        @Override
        public long address() {
            return region.address();
        }

        @Override
        public long length() {
            return region.length();
        }

        @Override
        public String location() {
            return region.location();
        }

        @Override
        public boolean remoteAccessible() {
            return region.remoteAccessible();
        }

        @Override
        public ByteBuffer byteBuffer() {
            if (released.get()) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "buffer " + region + " was closed");
            }
            if (!region.kind().isHostAccessible()) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "buffer " + region
                        + " is device memory; the CPU cannot read it through a ByteBuffer");
            }
            if (region.owner() instanceof ByteBuffer b) {
                return b.duplicate().clear();
            }
            if (region.length() > Integer.MAX_VALUE) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "buffer of " + region.length()
                        + " bytes is larger than a ByteBuffer can address; use address() with raw requests");
            }
            return NativeMemory.view(region.address(), (int) region.length());
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                try {
                    unregister(region.address());
                } catch (MooncakeException e) {
                    if (e.code() == ErrorCode.BATCH_BUSY) {
                        log.error("Not freeing {}: {}", region, e.getMessage());
                        return; // leak rather than free memory a transfer may still touch
                    }
                    log.debug("buffer already unregistered: {}", e.getMessage());
                }
                if (allocation != null) {
                    engineBuffers.remove(region.address());
                    allocation.close();
                }
            }
        }
    }
}

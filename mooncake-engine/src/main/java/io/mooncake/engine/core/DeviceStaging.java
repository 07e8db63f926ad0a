package io.mooncake.engine.core;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.batch.CancelCause;
import io.mooncake.engine.batch.Staging;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.Allocation;
import io.mooncake.engine.memory.DeviceMemoryAccess;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.transport.Transport;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's pinned bounce pools, one per device module, made on the first request that needs
 * one: {@code mooncake.staging.units} units (default 8) of {@code mooncake.staging.unitBytes}
 * (default 4 MiB) of pinned host memory, registered local-only (so NIC transports can register it;
 * peers never see it), with {@code mooncake.staging.threads} staging threads (default 2).
 * Thread-safe.
 */
final class DeviceStaging implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DeviceStaging.class);

    private final int units = Integer.getInteger("mooncake.staging.units", 8);
    private final int unitBytes = Integer.getInteger("mooncake.staging.unitBytes", 4 << 20);
    private final int threads = Integer.getInteger("mooncake.staging.threads", 2);

    private final LocalMemory memory;
    private final Map<DeviceMemoryAccess, Pool> pools = new ConcurrentHashMap<>();
    private final Map<Transport, Staging.Path> paths = new ConcurrentHashMap<>();
    private volatile boolean closed;

    DeviceStaging(LocalMemory memory) {
        this.memory = memory;
    }

    private record Pool(Staging staging, Allocation slab, Region region) {
    }

    /**
     * The pool staging device memory of {@code local}'s location, or {@code null} when no device
     * module serves it (or it has no driver). Creates it on first use; a creation failure is
     * thrown (a MEMORY error naming the size).
     */
    Staging stagingFor(Region local) {
        if (local == null || local.kind() != MemoryKind.DEVICE || closed) {
            return null;
        }
        DeviceMemoryAccess d = memory.deviceAccess(local.location());
        if (d == null || !d.available()) {
            return null;
        }
        Pool p = pools.get(d);
        if (p == null) {
            synchronized (this) {
                p = pools.get(d);
                if (p == null && !closed) {
                    p = create(d);
                    pools.put(d, p);
                }
            }
        }
        return p == null ? null : p.staging();
    }

    private Pool create(DeviceMemoryAccess d) {
        long bytes = (long) units * unitBytes;
        Allocation slab = d.allocatePinned(bytes);
        Region r;
        try {
            r = memory.register(slab.address(), slab.length(), "*", false, slab, MemoryKind.HOST);
        } catch (RuntimeException e) {
            slab.close();
            throw e;
        }
        log.info("Device memory on host-only transports is staged through {} pinned units of {} bytes ({}), {} "
                + "staging threads", units, unitBytes, d.name(), threads);
        return new Pool(new Staging(d, memory.registry(), slab.address(), units, unitBytes, threads), slab, r);
    }

    /** The staging view of a transport (made once per transport). */
    Staging.Path path(Transport t) {
        Staging.Path p = paths.get(t);
        if (p == null) {
            p = paths.computeIfAbsent(t, TransportPath::new);
        }
        return p;
    }

    /** Stops the pools (after the transports closed: nothing is in flight) and frees the pinned memory. */
    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            for (Pool p : pools.values()) {
                p.staging().close();
                try {
                    memory.registry().unregister(p.region().address(), java.time.Duration.ZERO);
                } catch (MooncakeException e) {
                    log.debug("staging slab already unregistered: {}", e.getMessage());
                }
                p.slab().close();
            }
            pools.clear();
        }
    }

    /** The transport behind a staging path. */
    interface TransportPathView extends Staging.Path {
        Transport transport();
    }

    private record TransportPath(Transport transport) implements TransportPathView {
        @Override
        public String protocol() {
            return transport.protocol();
        }

        @Override
        public void submit(TransferTask task) {
            transport.submit(task);
        }

        @Override
        public void cancel(TransferTask task, CancelCause cause) {
            transport.cancel(task, cause);
        }
    }
}

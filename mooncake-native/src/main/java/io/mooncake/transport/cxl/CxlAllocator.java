package io.mooncake.transport.cxl;

import io.mooncake.engine.memory.Allocation;
import io.mooncake.engine.memory.MemoryAllocator;
import io.mooncake.engine.memory.MemoryKind;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Engine-allocated host memory inside the CXL device, so that it can be registered (the cxl
 * transport refuses remote-accessible memory outside the device, as the reference does) and
 * published by device offset. Its precedence is above shared memory's: the shm transport, which
 * starts after the requested one, does not take engine-allocated buffers away from the device.
 */
final class CxlAllocator implements MemoryAllocator {

    private final CxlDevice device;

    CxlAllocator(CxlDevice device) {
        this.device = device;
    }

    @Override
    public String name() {
        return "cxl (" + device.name() + ")";
    }

    @Override
    public boolean serves(String location) {
        return MemoryKind.ofLocation(location).isHostAccessible();
    }

    @Override
    public int precedence() {
        return 10;
    }

    @Override
    public Allocation allocate(long length, String location) {
        return device.allocate(length);
    }

    /** A range of the device claimed by this process (a POSIX record lock on it). */
    static final class CxlAllocation implements Allocation {
        private static final Logger log = LoggerFactory.getLogger(CxlAllocation.class);
        final CxlDevice device;
        final long offset;
        private final long length;
        private final FileLock lock;
        private final AtomicBoolean closed = new AtomicBoolean();

        CxlAllocation(CxlDevice device, long offset, long length, FileLock lock) {
            this.device = device;
            this.offset = offset;
            this.length = length;
            this.lock = lock;
        }

        @Override
        public long address() {
            return device.address() + offset;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public MemoryKind kind() {
            return MemoryKind.SHARED;
        }

        /** Gives the range back to every engine of the host; the mapping stays. */
        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            try {
                lock.release();
            } catch (IOException e) {
                log.debug("releasing the claim on {} + {} of {} failed", offset, length, device, e);
            }
            device.release();
        }

        @Override
        public String toString() {
            return device.name() + " [" + offset + ", +" + length + ")";
        }
    }
}

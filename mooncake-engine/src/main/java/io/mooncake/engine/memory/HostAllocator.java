package io.mooncake.engine.memory;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.util.concurrent.atomic.AtomicBoolean;

/** Private host memory through {@link NativeMemory}. Stateless; thread-safe. */
final class HostAllocator implements MemoryAllocator {

    static final HostAllocator INSTANCE = new HostAllocator();

    @Override
    public String name() {
        return "host";
    }

    @Override
    public boolean serves(String location) {
        return MemoryKind.ofLocation(location).isHostAccessible();
    }

    @Override
    public Allocation allocate(long length, String location) {
        long address;
        try {
            address = NativeMemory.allocate(length);
        } catch (OutOfMemoryError e) {
            throw new MooncakeException(ErrorCode.MEMORY, "cannot allocate " + length + " bytes of native memory: "
                    + e.getMessage() + "; lower the size or give the host more memory", e);
        }
        NativeMemory.fill(address, length, (byte) 0);
        return new HostAllocation(address, length);
    }

    private static final class HostAllocation implements Allocation {
        private final long address;
        private final long length;
        private final AtomicBoolean freed = new AtomicBoolean();

        HostAllocation(long address, long length) {
            this.address = address;
            this.length = length;
        }

        @Override
        public long address() {
            return address;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public MemoryKind kind() {
            return MemoryKind.HOST;
        }

        @Override
        public void close() {
            if (freed.compareAndSet(false, true)) {
                NativeMemory.free(address);
            }
        }

        @Override
        public String toString() {
            return "host memory at 0x" + Long.toHexString(address) + " (" + length + " bytes)";
        }
    }
}

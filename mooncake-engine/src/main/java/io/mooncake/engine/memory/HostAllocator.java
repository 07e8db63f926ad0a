package io.mooncake.engine.memory;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;

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
        return AbstractAllocation.of(address, length, MemoryKind.HOST, "host memory", () -> NativeMemory.free(address));
    }
}

package io.mooncake.engine.transport.shm;

import io.mooncake.engine.memory.Allocation;
import io.mooncake.engine.memory.MemoryAllocator;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.memory.SharedMapping;
import java.nio.file.Path;

/** Engine-allocated host memory in owner-only shared-memory files that same-host peers can map. */
final class SharedAllocator implements MemoryAllocator {

    private final Path directory;

    SharedAllocator(Path directory) {
        this.directory = directory;
    }

    @Override
    public String name() {
        return "shared (" + directory + ")";
    }

    @Override
    public boolean serves(String location) {
        return MemoryKind.ofLocation(location).isHostAccessible();
    }

    @Override
    public Allocation allocate(long length, String location) {
        return new SharedAllocation(SharedMapping.create(directory, length));
    }

    /** One shared mapping handed out whole. */
    static final class SharedAllocation implements Allocation {
        final SharedMapping mapping;

        SharedAllocation(SharedMapping mapping) {
            this.mapping = mapping;
        }

        @Override
        public long address() {
            return mapping.address();
        }

        @Override
        public long length() {
            return mapping.length();
        }

        @Override
        public MemoryKind kind() {
            return MemoryKind.SHARED;
        }

        @Override
        public void close() {
            mapping.close();
        }

        @Override
        public String toString() {
            return mapping.toString();
        }
    }
}

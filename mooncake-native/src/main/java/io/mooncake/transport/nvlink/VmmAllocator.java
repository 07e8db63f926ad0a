package io.mooncake.transport.nvlink;

import io.mooncake.device.cuda.CudaLocations;
import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.memory.AbstractAllocation;
import io.mooncake.engine.memory.Allocation;
import io.mooncake.engine.memory.MemoryAllocator;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.transport.HostIdentity;
import io.mooncake.jna.cuda.Cuda;
import io.mooncake.jna.cuda.CudaAbi;
import io.mooncake.jna.libc.Pidfd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cuda:N} memory for nvlink: CUDA virtual memory management ({@code cuMemCreate} of pinned
 * device memory exportable as a fabric handle or a POSIX file descriptor, {@code cuMemAddressReserve},
 * {@code cuMemMap}, {@code cuMemSetAccess} read-write for the owning GPU), sizes rounded up to
 * the recommended granularity. The exported handle is made once per allocation and kept (a file
 * descriptor stays open while the memory lives, so a peer can take it). Offered to the engine by the
 * nvlink transport; the engine asks it before the plain {@code cuMemAlloc} allocator.
 */
final class VmmAllocator implements MemoryAllocator {

    private static final Logger log = LoggerFactory.getLogger(VmmAllocator.class);

    private final Cuda cuda;
    private final VmmHandle.Kind kind;
    private final int devices;

    VmmAllocator(Cuda cuda, VmmHandle.Kind kind, int devices) {
        this.cuda = cuda;
        this.kind = kind;
        this.devices = devices;
    }

    static int handleTypes(VmmHandle.Kind kind) {
        return kind == VmmHandle.Kind.FABRIC ? CudaAbi.MEM_HANDLE_TYPE_FABRIC : CudaAbi.MEM_HANDLE_TYPE_POSIX_FD;
    }

    @Override
    public String name() {
        return "CUDA VMM (" + kind.wire + " handles)";
    }

    @Override
    public boolean serves(String location) {
        int o = CudaLocations.ordinalOf(location);
        return o >= 0 && o < devices;
    }

    @Override
    public Allocation allocate(long length, String location) {
        int ordinal = CudaLocations.ordinalOf(location);
        int types = handleTypes(kind);
        long g = cuda.granularity(ordinal, types);
        long size = (length + g - 1) / g * g;
        long handle = cuda.memCreate(ordinal, size, types);
        long ptr = 0;
        boolean mapped = false;
        try {
            ptr = cuda.reserve(size, g);
            cuda.map(ptr, size, handle);
            mapped = true;
            cuda.setAccess(ordinal, ptr, size);
            cuda.memset(ordinal, ptr, (byte) 0, size);
            VmmHandle exported = kind == VmmHandle.Kind.FABRIC ? VmmHandle.fabric(cuda.exportFabric(handle))
                    : VmmHandle.posixFd(HostIdentity.pid(), cuda.exportFd(handle), size);
            return new Vmm(ordinal, ptr, length, size, handle, exported);
        } catch (MooncakeException e) {
            long p = ptr;
            if (mapped) {
                quietly(() -> cuda.unmap(p, size));
            }
            if (p != 0) {
                quietly(() -> cuda.addressFree(p, size));
            }
            quietly(() -> cuda.memRelease(handle));
            throw new MooncakeException(e.code() == ErrorCode.TRANSPORT_UNAVAILABLE ? ErrorCode.MEMORY : e.code(),
                    "cannot allocate " + length + " bytes of exportable (" + kind.wire + ") " + location
                            + " memory for nvlink: " + e.getMessage(), e);
        }
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (MooncakeException e) {
            log.debug("cleanup: {}", e.getMessage());
        }
    }

    /** One VMM allocation and its exported handle. */
    final class Vmm extends AbstractAllocation {
        final int ordinal;
        final long size;
        final long handle;
        final VmmHandle exported;

        Vmm(int ordinal, long address, long length, long size, long handle, VmmHandle exported) {
            super(address, length, MemoryKind.DEVICE);
            this.ordinal = ordinal;
            this.size = size;
            this.handle = handle;
            this.exported = exported;
        }

        @Override
        protected void free() {
            quietly(() -> cuda.unmap(address(), size));
            quietly(() -> cuda.addressFree(address(), size));
            quietly(() -> cuda.memRelease(handle));
            if (exported.kind() == VmmHandle.Kind.POSIX_FD) {
                try {
                    Pidfd.Holder.INSTANCE.close(exported.fd());
                } catch (RuntimeException | LinkageError e) {
                    log.debug("closing exported fd {}: {}", exported.fd(), e.toString());
                }
            }
        }

        @Override
        public String toString() {
            return "CUDA VMM memory on cuda:" + ordinal + " at 0x" + Long.toHexString(address()) + " (" + size
                    + " bytes, " + exported.kind().wire + ")";
        }
    }
}

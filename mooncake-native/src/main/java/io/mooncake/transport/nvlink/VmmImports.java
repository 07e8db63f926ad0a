package io.mooncake.transport.nvlink;

import com.sun.jna.LastErrorException;
import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.device.cuda.PeerMapping;
import io.mooncake.device.cuda.PeerMappings;
import io.mooncake.jna.cuda.Cuda;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How nvlink maps peers' VMM allocations into this process (cached once per (peer, handle, local
 * device) by {@link PeerMappings}): {@code cuMemImportFromShareableHandle} (a fabric handle, or a
 * file descriptor taken from the owner with {@code pidfd_getfd}), {@code cuMemAddressReserve},
 * {@code cuMemMap}, {@code cuMemSetAccess}; unmapped once the peer is invalidated and the last copy
 * released it. Thread-safe.
 */
final class VmmImports implements PeerMappings.Opener<VmmImports.Mapping> {

    private static final Logger log = LoggerFactory.getLogger(VmmImports.class);

    /** Takes a descriptor of another process (pidfd_getfd in production). */
    @FunctionalInterface
    interface FdSource {
        int take(long pid, int fd);

        /** Closes a descriptor taken. */
        default void close(int fd) {
            io.mooncake.jna.libc.Pidfd.Holder.INSTANCE.close(fd);
        }
    }

    private final Cuda cuda;
    private final FdSource fds;

    VmmImports(Cuda cuda, FdSource fds) {
        this.cuda = cuda;
        this.fds = fds;
    }

    /** An imported allocation: its reservation in this process, the size mapped, the imported handle. */
    final class Mapping extends PeerMapping {
        final long size;
        final long handle;

        Mapping(PeerMapping.Key key, long base, long size, long handle) {
            super(key, base);
            this.size = size;
            this.handle = handle;
        }

        @Override
        protected void unmap() {
            try {
                cuda.unmap(base(), size);
                cuda.addressFree(base(), size);
                cuda.memRelease(handle);
            } catch (MooncakeException e) {
                log.warn("Unmapping the imported memory of {}: {}", key().segment(), e.getMessage());
            }
        }
    }

    /**
     * Imports and maps a peer allocation ({@code sizeHint}: bytes to map when the handle does not
     * carry its size, i.e. a fabric handle).
     */
    @Override
    public Mapping open(PeerMapping.Key key, long sizeHint) {
        VmmHandle h = VmmHandle.parse(key.handle());
        long handle;
        long size;
        int types = VmmAllocator.handleTypes(h.kind());
        long g = cuda.granularity(key.ordinal(), types);
        if (h.kind() == VmmHandle.Kind.FABRIC) {
            handle = cuda.importFabric(key.ordinal(), h.fabric());
            size = (sizeHint + g - 1) / g * g;
        } else {
            int local;
            try {
                local = fds.take(h.pid(), h.fd());
            } catch (LastErrorException e) {
                throw new MooncakeException(ErrorCode.TRANSPORT_UNAVAILABLE, takeFailure(h, e.getErrorCode()), e);
            }
            try {
                handle = cuda.importFd(key.ordinal(), local);
            } finally {
                fds.close(local);
            }
            size = h.size();
        }
        long ptr = 0;
        try {
            ptr = cuda.reserve(size, g);
            cuda.map(ptr, size, handle);
            cuda.setAccess(key.ordinal(), ptr, size);
        } catch (MooncakeException e) {
            if (ptr != 0) {
                try {
                    cuda.addressFree(ptr, size);
                } catch (MooncakeException ignored) {
                    // reported below
                }
            }
            cuda.memRelease(handle);
            throw e;
        }
        log.info("Imported a {} handle of {} on cuda:{}: {} bytes at 0x{}", h.kind().wire, key.segment(), key.ordinal(),
                size, Long.toHexString(ptr));
        return new Mapping(key, ptr, size, handle);
    }

    static String takeFailure(VmmHandle h, int errno) {
        String why = switch (errno) {
            case 1 -> "EPERM: pidfd_getfd needs ptrace access to the owner (the same user and "
                    + "kernel.yama.ptrace_scope=0, or CAP_SYS_PTRACE; in Kubernetes shareProcessNamespace and the "
                    + "SYS_PTRACE capability)";
            case 3 -> "ESRCH: no process " + h.pid() + " is visible here (it exited, or runs in another PID namespace: "
                    + "another container)";
            case 9 -> "EBADF: process " + h.pid() + " has no descriptor " + h.fd() + " any more (it freed the memory)";
            case 38 -> "ENOSYS: pidfd_getfd needs Linux 5.6 or later and a seccomp profile that allows it";
            default -> "errno " + errno;
        };
        return "cannot take the exported CUDA memory descriptor " + h.fd() + " of process " + h.pid() + ": " + why
                + "; without a multi-node NVLink fabric, nvlink shares memory between processes of one host this way";
    }
}

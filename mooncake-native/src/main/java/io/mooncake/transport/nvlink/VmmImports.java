package io.mooncake.transport.nvlink;

import com.sun.jna.LastErrorException;
import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.memory.Hold;
import io.mooncake.jna.cuda.Cuda;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Peers' VMM allocations imported into this process, once per (peer, handle, local device) and
 * cached: {@code cuMemImportFromShareableHandle} (a fabric handle, or a file descriptor taken from
 * the owner with {@code pidfd_getfd}), {@code cuMemAddressReserve}, {@code cuMemMap},
 * {@code cuMemSetAccess}. Held by every copy; on peer invalidation withdrawn and unmapped once the
 * last copy released it. Thread-safe.
 */
final class VmmImports implements AutoCloseable {

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

    record Key(String segment, String handle, int ordinal) {
    }

    private final Cuda cuda;
    private final FdSource fds;
    private final ConcurrentHashMap<Key, Mapping> open = new ConcurrentHashMap<>();

    VmmImports(Cuda cuda, FdSource fds) {
        this.cuda = cuda;
        this.fds = fds;
    }

    final class Mapping implements Hold {
        final Key key;
        final long base;
        final long size;
        final long handle;
        private final AtomicInteger users = new AtomicInteger(1);
        private volatile boolean withdrawn;

        Mapping(Key key, long base, long size, long handle) {
            this.key = key;
            this.base = base;
            this.size = size;
            this.handle = handle;
        }

        boolean acquire() {
            for (;;) {
                int u = users.get();
                if (u == 0) {
                    return false;
                }
                if (users.compareAndSet(u, u + 1)) {
                    return true;
                }
            }
        }

        @Override
        public void release() {
            if (users.decrementAndGet() == 0) {
                try {
                    cuda.unmap(base, size);
                    cuda.addressFree(base, size);
                    cuda.memRelease(handle);
                } catch (MooncakeException e) {
                    log.warn("Unmapping the imported memory of {}: {}", key.segment(), e.getMessage());
                }
            }
        }

        @Override
        public boolean valid() {
            return !withdrawn;
        }

        void withdraw() {
            if (!withdrawn) {
                withdrawn = true;
                release();
            }
        }
    }

    /**
     * The held mapping of a peer allocation ({@code sizeHint}: bytes to map when the handle does not
     * carry its size, i.e. a fabric handle).
     */
    Mapping acquire(String segment, String hex, int ordinal, long sizeHint) {
        Key key = new Key(segment, hex, ordinal);
        for (;;) {
            Mapping m = open.get(key);
            if (m == null) {
                m = importMapping(key, sizeHint);
            }
            if (m.acquire()) {
                return m;
            }
            open.remove(key, m);
        }
    }

    private synchronized Mapping importMapping(Key key, long sizeHint) {
        Mapping m = open.get(key);
        if (m != null) {
            return m;
        }
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
        m = new Mapping(key, ptr, size, handle);
        open.put(key, m);
        log.info("Imported a {} handle of {} on cuda:{}: {} bytes at 0x{}", h.kind().wire, key.segment(), key.ordinal(),
                size, Long.toHexString(ptr));
        return m;
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

    void invalidate(String segment) {
        List<Mapping> gone = new ArrayList<>();
        open.forEach((k, m) -> {
            if (k.segment().equals(segment) && open.remove(k, m)) {
                gone.add(m);
            }
        });
        gone.forEach(Mapping::withdraw);
    }

    int size() {
        return open.size();
    }

    @Override
    public void close() {
        List<Mapping> all = new ArrayList<>(open.values());
        open.clear();
        all.forEach(Mapping::withdraw);
    }
}

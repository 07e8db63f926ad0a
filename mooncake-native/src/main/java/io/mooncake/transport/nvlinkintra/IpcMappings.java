package io.mooncake.transport.nvlinkintra;

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
 * Peers' allocations opened with {@code cuIpcOpenMemHandle}, once per (peer, handle, local
 * device) and cached. A mapping is held by every copy that uses it; when the peer is invalidated
 * (it left, or re-registered its memory) its mappings are withdrawn and each is closed
 * ({@code cuIpcCloseMemHandle}) once its last copy released it. Thread-safe.
 */
final class IpcMappings implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IpcMappings.class);

    private final Cuda cuda;
    private final ConcurrentHashMap<Key, Mapping> open = new ConcurrentHashMap<>();

    record Key(String segment, String handle, int ordinal) {
    }

    IpcMappings(Cuda cuda) {
        this.cuda = cuda;
    }

    /** A mapping of one peer allocation: its base in this process, held by copies. */
    final class Mapping implements Hold {
        final Key key;
        final long base;
        private final AtomicInteger users = new AtomicInteger(1); // 1 = the cache's own reference
        private volatile boolean withdrawn;

        Mapping(Key key, long base) {
            this.key = key;
            this.base = base;
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
                    cuda.ipcClose(key.ordinal(), base);
                    log.debug("Closed the CUDA IPC mapping of {} at 0x{}", key.segment(), Long.toHexString(base));
                } catch (MooncakeException e) {
                    log.warn("Closing the CUDA IPC mapping of {}: {}", key.segment(), e.getMessage());
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
     * The held mapping of {@code handle} of {@code segment}, opened on first use in device
     * {@code ordinal}'s context. The caller releases it.
     *
     * @throws MooncakeException when the driver refuses the handle (named)
     */
    Mapping acquire(String segment, String hexHandle, int ordinal) {
        Key key = new Key(segment, hexHandle, ordinal);
        for (;;) {
            Mapping m = open.get(key);
            if (m == null) {
                m = openMapping(key);
            }
            if (m.acquire()) {
                return m;
            }
            open.remove(key, m); // withdrawn and closed meanwhile: open again
        }
    }

    private synchronized Mapping openMapping(Key key) {
        Mapping m = open.get(key);
        if (m != null) {
            return m;
        }
        byte[] handle = Cuda.fromHex(key.handle(), io.mooncake.jna.cuda.CudaAbi.IPC_HANDLE_BYTES);
        long base = cuda.ipcOpen(key.ordinal(), handle);
        m = new Mapping(key, base);
        open.put(key, m);
        log.info("Opened the CUDA IPC handle of a buffer of {} on cuda:{} at 0x{}", key.segment(), key.ordinal(),
                Long.toHexString(base));
        return m;
    }

    /** Withdraws every mapping of a peer (closed once no copy holds it). */
    void invalidate(String segment) {
        List<Mapping> gone = new ArrayList<>();
        open.forEach((k, m) -> {
            if (k.segment().equals(segment) && open.remove(k, m)) {
                gone.add(m);
            }
        });
        gone.forEach(Mapping::withdraw);
    }

    /** Mappings open now. */
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

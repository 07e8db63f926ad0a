package io.mooncake.device.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Peers' GPU allocations mapped into this process, once per (peer, handle, local device) and
 * cached; how a handle is opened is the {@link Opener}'s (CUDA IPC for nvlink_intra, VMM imports for
 * nvlink). Every copy holds the mapping it uses; when the peer is invalidated (it left, or
 * re-registered its memory) its mappings are withdrawn and each is unmapped once its last copy
 * released it. Thread-safe.
 *
 * @param <M> the mappings the opener makes
 */
public final class PeerMappings<M extends PeerMapping> implements AutoCloseable {

    /** Maps the peer allocation a key names into this process. */
    @FunctionalInterface
    public interface Opener<M extends PeerMapping> {
        /**
         * @param sizeHint bytes to map where the handle does not carry its size
         * @throws io.mooncake.engine.api.MooncakeException when the driver refuses the handle (named)
         */
        M open(PeerMapping.Key key, long sizeHint);
    }

    private final Opener<M> opener;
    private final ConcurrentHashMap<PeerMapping.Key, M> open = new ConcurrentHashMap<>();

    public PeerMappings(Opener<M> opener) {
        this.opener = opener;
    }

    /**
     * The held mapping of {@code handle} of {@code segment}, opened on first use in device
     * {@code ordinal}'s context. The caller releases it.
     *
     * @throws io.mooncake.engine.api.MooncakeException when the driver refuses the handle (named)
     */
    public M acquire(String segment, String handle, int ordinal, long sizeHint) {
        PeerMapping.Key key = new PeerMapping.Key(segment, handle, ordinal);
        for (;;) {
            M m = open.get(key);
            if (m == null) {
                m = openMapping(key, sizeHint);
            }
            if (m.acquire()) {
                return m;
            }
            open.remove(key, m); // withdrawn and unmapped meanwhile: open again
        }
    }

    private synchronized M openMapping(PeerMapping.Key key, long sizeHint) {
        M m = open.get(key);
        if (m != null) {
            return m;
        }
        m = opener.open(key, sizeHint);
        open.put(key, m);
        return m;
    }

    /** Withdraws every mapping of a peer (unmapped once no copy holds it). */
    public void invalidate(String segment) {
        List<M> gone = new ArrayList<>();
        open.forEach((k, m) -> {
            if (k.segment().equals(segment) && open.remove(k, m)) {
                gone.add(m);
            }
        });
        gone.forEach(PeerMapping::withdraw);
    }

    /** Mappings open now. */
    public int size() {
        return open.size();
    }

    @Override
    public void close() {
        List<M> all = new ArrayList<>(open.values());
        open.clear();
        all.forEach(PeerMapping::withdraw);
    }
}

package io.mooncake.engine.core;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.PeerInfo;
import io.mooncake.engine.api.RemoteBuffer;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.SegmentNotFoundException;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDirectory;
import io.mooncake.engine.transport.Transport;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The opened segments: ids, cached descriptors and routes. Id 0 is this engine's own segment.
 * Lookups by id are a volatile array read (no lock, no allocation); opening and refreshing take
 * a lock. A segment marked stale (its owner re-registered, a connection failed) is re-read on its
 * next use. Thread-safe.
 */
final class Segments {

    private static final Logger log = LoggerFactory.getLogger(Segments.class);
    static final long LOCAL_SEGMENT_ID = 0;

    /** An opened segment; {@code stale} makes the next use re-fetch its descriptor. */
    private static final class Entry {
        final Route route;
        volatile boolean stale;

        Entry(Route route) {
            this.route = route;
        }
    }

    private final ConcurrentHashMap<String, Long> ids = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private volatile Entry[] entries = new Entry[16];
    private long nextId = 1;
    private volatile Route local;
    private SegmentDirectory directory;
    private List<Transport> transports = List.of();
    private String localName;
    private String advertisedHost;

    void init(SegmentDirectory directory, List<Transport> transports, String localName, String advertisedHost) {
        this.directory = directory;
        this.transports = List.copyOf(transports);
        this.localName = localName;
        this.advertisedHost = advertisedHost;
    }

    /** The local descriptor changed: the route to this engine's own segment is recomputed. */
    void localChanged(SegmentDescriptor descriptor) {
        local = Route.of(new RemoteTarget(LOCAL_SEGMENT_ID, localName, descriptor, advertisedHost), transports);
    }

    /** Opens (or re-reads when stale) a segment by name. */
    SegmentHandle open(String name, Supplier<SegmentDescriptor> localDescriptor) {
        if (name.equals(localName)) {
            return handle(LOCAL_SEGMENT_ID, localDescriptor.get());
        }
        Long id = ids.get(name);
        if (id != null) {
            Entry e = entry(id);
            if (e != null) {
                return handle(id, fresh(id, e).target.descriptor());
            }
        }
        synchronized (lock) {
            id = ids.get(name);
            if (id == null) {
                id = nextId++;
            }
            Route r = resolve(id, name);
            store(id, new Entry(r));
            ids.put(name, id);
            return handle(id, r.target.descriptor());
        }
    }

    /**
     * The route to an open segment for a request (re-read first when stale); throws naming the
     * request when the id is not open.
     */
    Route routeFor(int index, long targetId) {
        if (targetId == LOCAL_SEGMENT_ID) {
            return local;
        }
        Entry e = entry(targetId);
        if (e == null) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "request " + index + ": segment id " + targetId
                    + " is not open; get one from openSegment");
        }
        try {
            return fresh(targetId, e);
        } catch (SegmentNotFoundException ex) {
            return e.route; // the request fails against the peer, with its reason
        }
    }

    /** The current route to a target (for a fallback attempt); never re-reads. */
    Route route(RemoteTarget target) {
        if (target.id() == LOCAL_SEGMENT_ID) {
            return local;
        }
        Entry e = entry(target.id());
        return e == null ? Route.of(target, transports) : e.route;
    }

    private Route resolve(long id, String name) {
        SegmentDescriptor d = directory.fetch(name);
        String host = directory.resolveRpc(name).ipOrHostName();
        log.debug("Opened segment {} (id {}): protocol {}, {} buffer(s), host {}", name, id, d.protocol(),
                d.buffers().size(), host);
        return Route.of(new RemoteTarget(id, name, d, host), transports);
    }

    /** The entry's route, re-fetched first when it was marked stale. */
    private Route fresh(long id, Entry e) {
        if (!e.stale) {
            return e.route;
        }
        synchronized (lock) {
            Entry cur = entry(id);
            if (cur != null && !cur.stale) {
                return cur.route;
            }
            Route r = resolve(id, e.route.target.segmentName());
            store(id, new Entry(r));
            return r;
        }
    }

    private void store(long id, Entry e) {
        Entry[] arr = entries;
        if (id >= arr.length) {
            arr = Arrays.copyOf(arr, (int) Math.max(arr.length * 2L, id + 1));
        } else {
            arr = arr.clone();
        }
        arr[(int) id] = e;
        entries = arr;
    }

    private Entry entry(long id) {
        Entry[] arr = entries;
        return id > 0 && id < arr.length ? arr[(int) id] : null;
    }

    /** Marks a peer's descriptor stale, so its next use re-reads it. */
    void markStale(String name) {
        Long id = ids.get(name);
        if (id != null) {
            Entry e = entry(id);
            if (e != null) {
                e.stale = true;
            }
        }
    }

    void close(long segmentId) {
        Entry e = entry(segmentId);
        if (e != null) {
            ids.remove(e.route.target.segmentName(), segmentId);
            e.stale = true;
        }
    }

    List<PeerInfo> peers() {
        List<PeerInfo> out = new ArrayList<>();
        for (Map.Entry<String, Long> m : ids.entrySet()) {
            Entry entry = entry(m.getValue());
            if (entry != null) {
                RemoteTarget t = entry.route.target;
                long bytes = 0;
                for (BufferDescriptor b : t.descriptor().buffers()) {
                    bytes += b.length();
                }
                Transport best = entry.route.best();
                out.add(new PeerInfo(t.id(), t.segmentName(), t.descriptor().protocol(), t.host(),
                        t.descriptor().buffers().size(), bytes, entry.stale, best == null ? null : best.protocol(),
                        entry.route.summary()));
            }
        }
        out.sort(Comparator.comparingLong(PeerInfo::id));
        return out;
    }

    static SegmentHandle handle(long id, SegmentDescriptor d) {
        List<RemoteBuffer> buffers = new ArrayList<>(d.buffers().size());
        for (BufferDescriptor b : d.buffers()) {
            buffers.add(new RemoteBuffer(id, d.name(), b.addr(), b.length(), b.name()));
        }
        return new SegmentHandle(id, d.name(), d.protocol(), buffers);
    }
}

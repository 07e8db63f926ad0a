package io.mooncake.engine.metadata.kv;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.SegmentNotFoundException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataKeys;
import io.mooncake.engine.metadata.MetadataStore;
import io.mooncake.engine.metadata.MetadataUnavailableException;
import io.mooncake.engine.metadata.RpcMeta;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.engine.metadata.SegmentDirectory;
import io.mooncake.engine.rpc.HandshakeClient;
import io.mooncake.engine.rpc.HandshakeType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * A {@link SegmentDirectory} over a key-value {@link MetadataStore} (etcd, Redis, HTTP), using the
 * reference's keys {@code mooncake/[<cluster>/]ram/<name>} and {@code .../rpc_meta/<name>}.
 *
 * <p>Writes as the reference does: {@code rpc_meta} once, when the node first publishes (again
 * only if its handshake address changes), and {@code ram} on every publish. Servers that refuse
 * to overwrite an {@code rpc_meta} key (the reference's Python server and mooncake_master answer
 * 400 "Duplicate rpc_meta key not allowed") therefore accept every buffer registration.
 *
 * <p>Restart under the same name: when {@code rpc_meta} already holds another address, the
 * directory asks the handshake listener there whether it is alive (a Probe request, as the
 * reference's own liveness check). A node that answers keeps its name and this one fails to
 * start with an error naming the key, the address and the fix; a key left by a process that no
 * longer answers (an unclean exit) is deleted and written anew, on every server including those
 * that refuse overwrites.
 *
 * <p>Differences from the reference, all on the safe side of the same wire format:
 * <ul>
 *   <li>{@link #publish} writes exactly the descriptor it is given; it never reads back and
 *       re-publishes what a dead process left under the same name.</li>
 *   <li>Peer descriptors and rpc_meta are cached; a change seen by the store's watch, or by the
 *       periodic refresh, drops the cached entries and tells the {@link #onPeerChanged}
 *       listeners. Vanished peers are evicted, not kept forever.</li>
 *   <li>The refresh runs every {@link EngineConfig#metadataRefreshInterval()}; when that is zero
 *       and the store cannot watch, it runs every {@link EngineConfig#metadataTtl()} so departed
 *       peers are still noticed.</li>
 *   <li>While the service is down, cached peers keep working; uncached lookups fail with a
 *       {@link SegmentNotFoundException} whose cause is a {@link MetadataUnavailableException}.</li>
 * </ul>
 *
 * <p>Thread-safe. Listeners run on the directory's single refresh thread
 * ({@code mooncake-metadata-refresh}); they must not block for long.
 */
public final class KvSegmentDirectory implements SegmentDirectory {

    private static final Logger log = LoggerFactory.getLogger(KvSegmentDirectory.class);

    private final MetadataStore store;
    private final MetadataKeys keys;
    private final boolean watching;
    private final Duration refreshInterval;
    private final ScheduledExecutorService refresher;
    private final ConcurrentHashMap<String, SegmentDescriptor> descriptors = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, RpcMeta> rpcMetas = new ConcurrentHashMap<>();
    /** Bumped on every invalidation of a name, so a lookup racing with it does not cache a stale value. */
    private final ConcurrentHashMap<String, Long> generations = new ConcurrentHashMap<>();
    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
    private final Set<String> localNames = ConcurrentHashMap.newKeySet();
    /** The rpc_meta this directory wrote per local name: written again only when it changes. */
    private final ConcurrentHashMap<String, RpcMeta> rpcWritten = new ConcurrentHashMap<>();
    private final Predicate<RpcMeta> ownerAnswers;
    private volatile boolean closed;

    /**
     * Wraps {@code store}; the directory owns it and closes it on {@link #close()}.
     *
     * @param store an open store
     * @param config gives the cluster id (key prefix), the refresh interval and the TTL
     */
    public KvSegmentDirectory(MetadataStore store, EngineConfig config) {
        this(store, MetadataKeys.forCluster(config.clusterId()), config.metadataRefreshInterval(),
                config.metadataTtl(), probe(new HandshakeClient(config.connectTimeout(), config.handshakeTimeout(),
                        config.handshakeMaxLength())));
    }

    /**
     * Wraps {@code store} with explicit keys and timing, for embedding and tests.
     *
     * @param refreshInterval period of re-reading cached peers; zero means "only if the store cannot watch"
     * @param ttl refresh period used when {@code refreshInterval} is zero and the store cannot watch
     */
    public KvSegmentDirectory(MetadataStore store, MetadataKeys keys, Duration refreshInterval, Duration ttl) {
        this(store, keys, refreshInterval, ttl, probe(new HandshakeClient(Duration.ofSeconds(2), Duration.ofSeconds(5),
                1 << 20)));
    }

    /**
     * Wraps {@code store} with explicit keys, timing and liveness check.
     *
     * @param ownerAnswers whether a node answers at a handshake address found in an existing
     *     {@code rpc_meta} of a name this node publishes (true: the name is taken)
     */
    public KvSegmentDirectory(MetadataStore store, MetadataKeys keys, Duration refreshInterval, Duration ttl,
            Predicate<RpcMeta> ownerAnswers) {
        this.store = Objects.requireNonNull(store, "store");
        this.ownerAnswers = Objects.requireNonNull(ownerAnswers, "ownerAnswers");
        this.keys = Objects.requireNonNull(keys, "keys");
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mooncake-metadata-refresh");
            t.setDaemon(true);
            return t;
        });
        boolean ramWatch = store.watch(keys.ramPrefix(), key -> onKeyChanged(keys.ramPrefix(), key));
        boolean rpcWatch = ramWatch && store.watch(keys.rpcMetaPrefix(), key -> onKeyChanged(keys.rpcMetaPrefix(), key));
        this.watching = ramWatch && rpcWatch;
        Duration period = refreshInterval;
        if (period.isZero() && !watching) {
            period = ttl;
        }
        this.refreshInterval = period;
        if (!period.isZero()) {
            long ms = Math.max(50, period.toMillis());
            refresher.scheduleWithFixedDelay(this::refreshAll, ms, ms, TimeUnit.MILLISECONDS);
        }
        log.info("Metadata directory on {}: keys under '{}', {}, refresh {}", store.describe(), keys.prefix(),
                watching ? "watching for changes" : "no change notifications",
                period.isZero() ? "off" : period.toMillis() + " ms");
    }

    /** The key layout in use. */
    public MetadataKeys keys() {
        return keys;
    }

    /** The underlying store. */
    public MetadataStore store() {
        return store;
    }

    /** Whether the store notifies changes (etcd), so the refresh can be off. */
    public boolean isWatching() {
        return watching;
    }

    /** The effective refresh period, {@link Duration#ZERO} when off. */
    public Duration refreshInterval() {
        return refreshInterval;
    }

    @Override
    public void publish(SegmentDescriptor local, RpcMeta rpcMeta) {
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(rpcMeta, "rpcMeta");
        checkOpen();
        String name = local.name();
        localNames.add(name);
        // rpc_meta first, as the reference's init does (a peer that sees the descriptor can reach
        // us), and only once: the reference never writes it again, and some servers refuse it
        synchronized (rpcWritten) {
            RpcMeta written = rpcWritten.get(name);
            if (!rpcMeta.equals(written)) {
                claimRpcMeta(name, rpcMeta, written);
                rpcWritten.put(name, rpcMeta);
            }
        }
        store.put(keys.ram(name), SegmentDescriptorCodec.encodeLine(local).getBytes(StandardCharsets.UTF_8));
        log.debug("Published segment '{}' ({} buffers, rpc {}:{}) to {}", name, local.buffers().size(),
                rpcMeta.ipOrHostName(), rpcMeta.rpcPort(), store.describe());
    }

    /**
     * Writes {@code mine} under {@code rpc_meta/<name>}: at once when the key is free or already
     * holds it; over our own earlier value; over a value whose node no longer answers (deleted
     * first, for servers that refuse overwrites); never over a live node's.
     */
    private void claimRpcMeta(String name, RpcMeta mine, RpcMeta ownEarlier) {
        String key = keys.rpcMeta(name);
        Optional<byte[]> existing = store.get(key);
        if (existing.isPresent()) {
            RpcMeta old = decodeRpcOrNull(existing.get());
            if (old.equals(mine)) {
                log.debug("'{}' at {} already holds {}:{}", key, store.describe(), mine.ipOrHostName(), mine.rpcPort());
                return;
            }
            if (!old.equals(ownEarlier)) {
                if (old.rpcPort() > 0 && ownerAnswers.test(old)) {
                    throw new MooncakeException(ErrorCode.METADATA, "segment name '" + name + "' is taken: key '" + key
                            + "' at metadata server " + store.describe() + " points at " + old.ipOrHostName() + ":"
                            + old.rpcPort() + ", where a Mooncake node answers; give this node another local hostname"
                            + " (mooncake.local-hostname / MOONCAKE_LOCAL_HOSTNAME), or stop that node (if it is not"
                            + " the node named '" + name + "', delete the key)");
                }
                log.info("Segment name '{}' was left at {} by a node that no longer answers at {}:{} (it did not"
                        + " exit cleanly); replacing its rpc_meta", name, store.describe(), old.ipOrHostName(),
                        old.rpcPort());
            }
            store.delete(key);
        }
        try {
            store.put(key, mine.encodeLine().getBytes(StandardCharsets.UTF_8));
        } catch (MetadataUnavailableException e) {
            if (e.getMessage() != null && e.getMessage().contains("Duplicate")) {
                throw new MooncakeException(ErrorCode.METADATA, "segment name '" + name + "' was registered by"
                        + " another node while this one started: metadata server " + store.describe() + " refuses to"
                        + " overwrite '" + key + "' (its rule: one rpc_meta per name until deleted); start each node"
                        + " under its own local hostname", e);
            }
            throw e;
        }
    }

    @Override
    public SegmentDescriptor fetch(String segmentName) {
        return lookup(segmentName, descriptors, keys::ram, "descriptor", SegmentDescriptorCodec::decode);
    }

    @Override
    public RpcMeta resolveRpc(String segmentName) {
        if (segmentName.contains("/")) {
            // Externally written segments (nvmeof/<name>) have no node behind them, hence no rpc_meta.
            return new RpcMeta("", 0);
        }
        return lookup(segmentName, rpcMetas, keys::rpcMeta, "rpc_meta", RpcMeta::decode);
    }

    /** A cached value, or the value under its key read, decoded and cached (unless invalidated meanwhile). */
    private <V> V lookup(String segmentName, ConcurrentHashMap<String, V> cache, Function<String, String> keyOf,
            String what, Function<byte[], V> decoder) {
        checkName(segmentName);
        V cached = cache.get(segmentName);
        if (cached != null) {
            return cached;
        }
        checkOpen();
        String key = keyOf.apply(segmentName);
        // A change notified while reading means the value read may predate it: read again (a few
        // times), rather than hand the caller a value nobody will tell it is stale (it is not cached,
        // so no refresh looks at it again).
        for (int attempt = 1; ; attempt++) {
            long generation = generation(segmentName);
            byte[] value = read(segmentName, key, what);
            V decoded;
            try {
                decoded = decoder.apply(value);
            } catch (MooncakeException e) {
                throw new SegmentNotFoundException(segmentName, "segment '" + segmentName + "' has an unusable " + what
                        + " under key '" + key + "' at " + store.describe() + ": " + e.getMessage(), e);
            }
            if (cacheIfCurrent(cache, segmentName, generation, decoded) || attempt == 3) {
                return decoded;
            }
        }
    }

    @Override
    public void invalidate(String segmentName) {
        bumpGeneration(segmentName);
        boolean had = descriptors.remove(segmentName) != null;
        had |= rpcMetas.remove(segmentName) != null;
        if (had) {
            log.debug("Dropped cached metadata of segment '{}'", segmentName);
        }
    }

    @Override
    public void withdraw(String localSegmentName) {
        checkName(localSegmentName);
        localNames.remove(localSegmentName);
        if (rpcWritten.remove(localSegmentName) == null) {
            // Never registered (this node failed to start, e.g. because a live node holds the
            // name): the keys under that name are someone else's.
            log.debug("Segment '{}' was not registered by this node; nothing to withdraw", localSegmentName);
            return;
        }
        store.delete(keys.ram(localSegmentName));
        store.delete(keys.rpcMeta(localSegmentName));
        log.info("Withdrew segment '{}' from {}", localSegmentName, store.describe());
    }

    @Override
    public void onPeerChanged(Consumer<String> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public boolean isReachable() {
        return store.isReachable();
    }

    @Override
    public String describe() {
        return store.describe();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        refresher.shutdownNow();
        store.close();
    }

    // ---- lookups --------------------------------------------------------------------------------

    private byte[] read(String segmentName, String key, String what) {
        Optional<byte[]> value;
        try {
            value = store.get(key);
        } catch (MetadataUnavailableException e) {
            throw new SegmentNotFoundException(segmentName, "segment '" + segmentName + "' cannot be looked up: "
                    + e.getMessage(), e);
        }
        if (value.isEmpty()) {
            throw new SegmentNotFoundException(segmentName, "segment '" + segmentName + "' has no " + what
                    + " under key '" + key + "' at " + store.describe() + "; check that the peer is running and uses"
                    + " the same metadata server and MC_METADATA_CLUSTER_ID", null);
        }
        return value.get();
    }

    private long generation(String name) {
        return generations.getOrDefault(name, 0L);
    }

    private void bumpGeneration(String name) {
        generations.merge(name, 1L, Long::sum);
    }

    /** Caches {@code value} unless the name changed since {@code generation}; returns whether it did. */
    private <V> boolean cacheIfCurrent(ConcurrentHashMap<String, V> cache, String name, long generation, V value) {
        cache.put(name, value);
        if (generation(name) != generation) {
            // invalidated while we were reading: the value may predate the change
            cache.remove(name, value);
            return false;
        }
        return true;
    }

    // ---- change detection -----------------------------------------------------------------------

    private void onKeyChanged(String prefix, String key) {
        if (closed) {
            return;
        }
        if (key.equals(prefix)) {
            // the store lost its watch and re-established it: anything may have changed meanwhile
            log.info("Change notifications from {} were interrupted; re-reading all cached peers", store.describe());
            submit(this::refreshAll);
            return;
        }
        if (!key.startsWith(prefix)) {
            return;
        }
        String name = key.substring(prefix.length());
        if (localNames.contains(name)) {
            return;
        }
        bumpGeneration(name); // a lookup in flight must not cache what it read before this change
        if (isCached(name)) {
            submit(() -> refreshPeer(name));
        }
    }

    private void submit(Runnable task) {
        try {
            refresher.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    private boolean isCached(String name) {
        return descriptors.containsKey(name) || rpcMetas.containsKey(name);
    }

    private void refreshAll() {
        Set<String> names = new HashSet<>(descriptors.keySet());
        names.addAll(rpcMetas.keySet());
        for (String name : names) {
            if (closed || Thread.currentThread().isInterrupted()) {
                return;
            }
            refreshPeer(name);
        }
    }

    /** Re-reads one cached peer; on any difference drops its cached entries and tells the listeners. */
    private void refreshPeer(String name) {
        SegmentDescriptor cachedDescriptor = descriptors.get(name);
        RpcMeta cachedRpc = rpcMetas.get(name);
        if (cachedDescriptor == null && cachedRpc == null) {
            return;
        }
        String reason = null;
        try {
            if (cachedRpc != null) {
                Optional<byte[]> v = store.get(keys.rpcMeta(name));
                if (v.isEmpty()) {
                    reason = "its rpc_meta was removed";
                } else if (!decodeRpcOrNull(v.get()).equals(cachedRpc)) {
                    reason = "its rpc_meta changed (restarted?)";
                }
            }
            if (reason == null && cachedDescriptor != null) {
                Optional<byte[]> v = store.get(keys.ram(name));
                if (v.isEmpty()) {
                    reason = "its descriptor was removed";
                } else if (!cachedDescriptor.sameContent(decodeDescriptorOrNull(v.get()))) {
                    reason = "its descriptor changed";
                }
            }
        } catch (MetadataUnavailableException e) {
            log.debug("Cannot re-read segment '{}' while {} is unreachable; keeping the cached copy", name,
                    store.describe());
            return;
        } catch (RuntimeException e) {
            log.warn("Re-reading segment '{}' from {} failed; keeping the cached copy", name, store.describe(), e);
            return;
        }
        if (reason == null) {
            return;
        }
        invalidate(name);
        log.info("Segment '{}' changed at {}: {}; cached metadata dropped", name, store.describe(), reason);
        for (Consumer<String> l : listeners) {
            try {
                l.accept(name);
            } catch (RuntimeException e) {
                log.warn("Peer-change listener {} failed for segment '{}'", l, name, e);
            }
        }
    }

    /** Whether a Mooncake node answers a Probe at the address of {@code rpc}, as the reference checks liveness. */
    static Predicate<RpcMeta> probe(HandshakeClient client) {
        return rpc -> {
            try {
                client.call(rpc.ipOrHostName(), rpc.rpcPort(), HandshakeType.PROBE,
                        JsonNodeFactory.instance.objectNode());
                return true;
            } catch (MooncakeException e) {
                log.debug("No Mooncake node answers at {}:{}: {}", rpc.ipOrHostName(), rpc.rpcPort(), e.getMessage());
                return false;
            }
        };
    }

    private static RpcMeta decodeRpcOrNull(byte[] v) {
        try {
            return RpcMeta.decode(v);
        } catch (MooncakeException e) {
            return new RpcMeta("", -1);
        }
    }

    private static SegmentDescriptor decodeDescriptorOrNull(byte[] v) {
        try {
            return SegmentDescriptorCodec.decode(v);
        } catch (MooncakeException e) {
            return null;
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new MetadataUnavailableException("metadata directory on " + store.describe() + " is closed");
        }
    }

    private static void checkName(String name) {
        if (name == null || name.isBlank()) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "segment name is empty; pass the peer's "
                    + "segment name, host:port as it published it");
        }
    }
}

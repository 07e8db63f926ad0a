package io.mooncake.engine.metadata.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.mooncake.engine.metadata.MetadataStore;
import io.mooncake.engine.metadata.MetadataUnavailableException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link MetadataStore} on etcd v3 through jetcd: plain KV with every key attached to one lease
 * that this store keeps alive, so the keys of a process that dies vanish one TTL later.
 *
 * <p>Lifecycle: the lease is granted when the store opens (which also proves the cluster is
 * reachable) and renewed every third of the TTL. If the lease is lost (etcd was unreachable for
 * longer than the TTL), a new one is granted and every key this store still owns is PUT again;
 * a PUT that failed is retried the same way. {@link #close()} stops renewing, so the keys expire
 * after the TTL; {@link #delete} removes a key at once. The gRPC channel reconnects by itself, and
 * jetcd resumes watches from the last revision seen.
 *
 * <p>{@link #watch} reports each changed key; when a watch has to be re-created (compaction, a
 * cancelled stream), the listener is called with the prefix itself, meaning "anything under it may
 * have changed". Thread-safe; watch listeners run on jetcd's threads.
 */
public final class EtcdMetadataStore implements MetadataStore {

    private static final Logger log = LoggerFactory.getLogger(EtcdMetadataStore.class);

    private final String shown;
    private final String description;
    private final Duration timeout;
    private final long ttlSeconds;
    private final Client client;
    private final ScheduledExecutorService keeper;
    private final Map<String, byte[]> owned = new ConcurrentHashMap<>();
    private final Map<String, byte[]> unsynced = new ConcurrentHashMap<>();
    private final List<PrefixWatch> watches = new CopyOnWriteArrayList<>();
    private final Object leaseLock = new Object();
    /**
     * Held around each write of an owned key (put, delete, and each re-publication after a lost lease
     * or an outage) together with its check that the value is still the owned one: a re-publication
     * that read an older value must not land after a newer put (a restarted node's first, bufferless
     * descriptor would stay in etcd for good, its node believing its buffers published).
     */
    private final Object writeLock = new Object();
    /** Tests: runs in a re-publication between its check and its write (key given). */
    volatile java.util.function.Consumer<String> beforeRepublishing = k -> {
    };
    private volatile long leaseId;
    private volatile boolean reachable = true;
    private volatile boolean closed;
    /** Lease renewals failed in a row because etcd could not be reached (keeper thread only). */
    private long renewFailures;
    private long outageSince;

    /**
     * Connects and grants the lease.
     *
     * @param original the connection string as the user gave it, for messages
     * @param endpoints {@code host:port} of each etcd member
     * @param timeout connect and per-call timeout
     * @param ttl lease TTL, rounded up to whole seconds (etcd's unit), at least 1 s
     * @throws MetadataUnavailableException when no member answers within {@code timeout}
     */
    public EtcdMetadataStore(String original, List<String> endpoints, Duration timeout, Duration ttl) {
        this.shown = original;
        this.description = "etcd " + String.join(",", endpoints);
        this.timeout = timeout;
        this.ttlSeconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
        String[] urls = endpoints.stream().map(e -> "http://" + e).toArray(String[]::new);
        this.client = Client.builder().endpoints(urls).connectTimeout(timeout).keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(timeout).retryMaxDuration(timeout).build();
        this.keeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mooncake-etcd-lease");
            t.setDaemon(true);
            return t;
        });
        try {
            this.leaseId = await(client.getLeaseClient().grant(ttlSeconds), "grant a lease").getID();
        } catch (RuntimeException e) {
            keeper.shutdownNow();
            client.close();
            throw e;
        }
        long period = Math.max(200, ttlSeconds * 1000 / 3);
        keeper.scheduleWithFixedDelay(this::keepAlive, period, period, TimeUnit.MILLISECONDS);
        log.info("Connected to etcd {} (lease {} with TTL {} s)", endpoints, Long.toHexString(leaseId), ttlSeconds);
    }

    @Override
    public Optional<byte[]> get(String key) {
        GetResponse r = await(client.getKVClient().get(bytes(key)), "GET '" + key + "'");
        List<KeyValue> kvs = r.getKvs();
        return kvs.isEmpty() ? Optional.empty() : Optional.of(kvs.get(0).getValue().getBytes());
    }

    @Override
    public void put(String key, byte[] value) {
        byte[] v = value.clone();
        synchronized (writeLock) {
            owned.put(key, v);
            unsynced.put(key, v);
            putWithLease(key, v, leaseId);
            unsynced.remove(key, v);
        }
    }

    @Override
    public void delete(String key) {
        synchronized (writeLock) {
            owned.remove(key);
            unsynced.remove(key);
            await(client.getKVClient().delete(bytes(key)), "DELETE '" + key + "'");
        }
    }

    @Override
    public boolean watch(String prefix, Consumer<String> changedKey) {
        PrefixWatch w = new PrefixWatch(prefix, changedKey);
        watches.add(w);
        w.start();
        return true;
    }

    @Override
    public boolean isReachable() {
        return reachable;
    }

    @Override
    public String describe() {
        return description;
    }

    /** The lease this store's keys are attached to now. */
    public long leaseId() {
        return leaseId;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        keeper.shutdownNow();
        for (PrefixWatch w : watches) {
            w.close();
        }
        client.close();
    }

    // ---- lease ----------------------------------------------------------------------------------

    private void putWithLease(String key, byte[] value, long lease) {
        await(client.getKVClient().put(bytes(key), ByteSequence.from(value),
                PutOption.builder().withLeaseId(lease).build()), "PUT '" + key + "'");
    }

    private void keepAlive() {
        if (closed) {
            return;
        }
        try {
            String lost = null;
            try {
                LeaseKeepAliveResponse r = await(client.getLeaseClient().keepAliveOnce(leaseId), "renew the lease");
                if (r.getTTL() <= 0) {
                    lost = "etcd reports the lease expired";
                }
            } catch (MetadataUnavailableException e) {
                if (!isLeaseNotFound(e.getCause())) {
                    renewalFailed(e);
                    return; // unreachable: try again next period
                }
                lost = "etcd no longer knows the lease";
            }
            if (lost != null) {
                renewLease(lost);
            } else if (!unsynced.isEmpty()) {
                putUnsynced(leaseId);
            }
            renewalRecovered();
        } catch (MetadataUnavailableException e) {
            log.debug("Re-publishing at {} failed, will retry: {}", describe(), e.getMessage());
        } catch (RuntimeException e) {
            // never let the exception escape: it would cancel the periodic renewal
            log.warn("Lease renewal at {} failed unexpectedly", describe(), e);
        }
    }

    /** One WARN per outage, at its first failed renewal; the failures that follow are counted (DEBUG). */
    private void renewalFailed(MetadataUnavailableException e) {
        if (renewFailures++ == 0) {
            outageSince = System.nanoTime();
            log.warn("Lease renewal at {} failed: {}. This node's keys stay published until the lease's TTL of {} s"
                    + " runs out, and are re-published once etcd answers; retrying every {} ms (one line when it"
                    + " recovers)", describe(), e.getMessage(), ttlSeconds, Math.max(200, ttlSeconds * 1000 / 3));
        } else {
            log.debug("Lease renewal at {} failed again ({} in a row): {}", describe(), renewFailures, e.getMessage());
        }
    }

    private void renewalRecovered() {
        if (renewFailures > 0) {
            log.info("Lease renewal at {} recovered after {} failed attempts over {} s; lease {}", describe(),
                    renewFailures, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - outageSince),
                    Long.toHexString(leaseId));
            renewFailures = 0;
        }
    }

    private void renewLease(String why) {
        synchronized (leaseLock) {
            long fresh = await(client.getLeaseClient().grant(ttlSeconds), "grant a new lease").getID();
            leaseId = fresh;
            unsynced.putAll(owned);
            log.warn("Lease at {} was lost ({}); re-published {} keys under new lease {}", describe(), why,
                    owned.size(), Long.toHexString(fresh));
            putUnsynced(fresh);
        }
    }

    private void putUnsynced(long lease) {
        for (Map.Entry<String, byte[]> e : unsynced.entrySet()) {
            synchronized (writeLock) {
                if (owned.get(e.getKey()) != e.getValue()) {
                    unsynced.remove(e.getKey(), e.getValue()); // deleted or replaced meanwhile
                    continue;
                }
                beforeRepublishing.accept(e.getKey());
                putWithLease(e.getKey(), e.getValue(), lease);
                unsynced.remove(e.getKey(), e.getValue());
            }
        }
    }

    private static boolean isLeaseNotFound(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof EtcdException ee && ee.getErrorCode() == ErrorCode.NOT_FOUND) {
                return true;
            }
            String m = c.getMessage();
            if (m != null && m.contains("requested lease not found")) {
                return true;
            }
        }
        return false;
    }

    // ---- watch ----------------------------------------------------------------------------------

    /** One prefix watch and its restarts; restarts back off from 0.5 s to 8 s and WARN at most every 30 s. */
    private final class PrefixWatch {
        private final String prefix;
        private final Consumer<String> changedKey;
        private Watch.Watcher watcher;
        private int generation;
        private int failures;
        private long lastWarn;

        PrefixWatch(String prefix, Consumer<String> changedKey) {
            this.prefix = prefix;
            this.changedKey = changedKey;
        }

        synchronized void start() {
            if (closed) {
                return;
            }
            int gen = ++generation;
            watcher = client.getWatchClient().watch(bytes(prefix), WatchOption.builder().isPrefix(true).build(),
                    new Watch.Listener() {
                        @Override
                        public void onNext(WatchResponse response) {
                            synchronized (PrefixWatch.this) {
                                failures = 0;
                            }
                            for (WatchEvent ev : response.getEvents()) {
                                changedKey.accept(ev.getKeyValue().getKey().toString(StandardCharsets.UTF_8));
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            restart(gen, t.toString());
                        }

                        @Override
                        public void onCompleted() {
                            restart(gen, "completed by the server");
                        }
                    });
        }

        synchronized void close() {
            generation++; // callbacks of the closed watcher are ignored from now on
            if (watcher != null) {
                watcher.close();
                watcher = null;
            }
        }

        private synchronized void restart(int gen, String why) {
            if (closed || gen != generation) {
                return;
            }
            long now = System.nanoTime();
            if (lastWarn == 0 || now - lastWarn > TimeUnit.SECONDS.toNanos(30)) {
                lastWarn = now;
                log.warn("Watch on '{}' at {} ended ({}); re-creating it and re-reading cached peers", prefix,
                        describe(), why);
            } else {
                log.debug("Watch on '{}' at {} ended again ({})", prefix, describe(), why);
            }
            close();
            long delay = Math.min(8000, 500L << Math.min(failures, 4));
            failures++;
            try {
                keeper.schedule(() -> {
                    start();
                    changedKey.accept(prefix); // events may have been missed meanwhile
                }, delay, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed
            }
        }
    }

    // ---- calls ----------------------------------------------------------------------------------

    private <T> T await(CompletableFuture<T> f, String what) {
        try {
            T r = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            reachable = true;
            return r;
        } catch (TimeoutException e) {
            f.cancel(true);
            reachable = false;
            throw new MetadataUnavailableException("metadata server '" + shown + "' cannot be reached within "
                    + seconds(timeout) + " (" + what + "); check the address or use P2PHANDSHAKE", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            if (!isLeaseNotFound(c)) {
                reachable = false;
            }
            throw new MetadataUnavailableException("metadata server '" + shown + "' failed to " + what + ": " + c
                    + "; check the address or use P2PHANDSHAKE", c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new MetadataUnavailableException("interrupted while waiting for metadata server '" + shown
                    + "' to " + what, e);
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }
}

package io.mooncake.engine.metadata.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.mooncake.engine.metadata.MetadataStore;
import io.mooncake.engine.metadata.MetadataUnavailableException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link MetadataStore} on Redis through Lettuce: {@code GET}, {@code SET ... PX <ttl>} and
 * {@code DEL}, after {@code AUTH} ({@code MC_REDIS_USERNAME}/{@code MC_REDIS_PASSWORD}) and
 * {@code SELECT} ({@code MC_REDIS_DB_INDEX}).
 *
 * <p>Every key this store puts carries an expiry of one TTL and is SET again every third of the
 * TTL, so a crashed process's keys vanish while a live one's survive, even a Redis restart that
 * lost them. {@link #close()} stops refreshing; {@link #delete} removes at once. Lettuce
 * reconnects by itself (re-authenticating and re-selecting the database); while disconnected,
 * calls fail at once instead of queueing. Thread-safe.
 */
public final class RedisMetadataStore implements MetadataStore {

    private static final Logger log = LoggerFactory.getLogger(RedisMetadataStore.class);

    /** Credentials and database, as read from the reference's environment variables. */
    public record Settings(String username, String password, int database) {

        /** Reads {@code MC_REDIS_USERNAME}, {@code MC_REDIS_PASSWORD} and {@code MC_REDIS_DB_INDEX} (0-255). */
        public static Settings fromEnvironment(Map<String, String> env) {
            String user = blankToNull(env.get("MC_REDIS_USERNAME"));
            String password = blankToNull(env.get("MC_REDIS_PASSWORD"));
            int db = 0;
            String raw = env.get("MC_REDIS_DB_INDEX");
            if (raw != null && !raw.isBlank()) {
                try {
                    int v = Integer.parseInt(raw.trim());
                    if (v >= 0 && v <= 255) {
                        db = v;
                    } else {
                        log.warn("MC_REDIS_DB_INDEX={} is outside 0..255; using database 0", raw);
                    }
                } catch (NumberFormatException e) {
                    log.warn("MC_REDIS_DB_INDEX='{}' is not a number; using database 0", raw);
                }
            }
            return new Settings(user, password, db);
        }

        private static String blankToNull(String s) {
            return s == null || s.isEmpty() ? null : s;
        }
    }

    private final String shown;
    private final String description;
    private final Duration timeout;
    private final long ttlMillis;
    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final ScheduledExecutorService refresher;
    private final Map<String, byte[]> owned = new ConcurrentHashMap<>();
    /**
     * Held around put, delete and the refresh of the owned keys, so that a refresh that read an older
     * value cannot land after a newer put (or bring back a deleted key) (as in EtcdMetadataStore).
     */
    private final Object writeLock = new Object();
    private volatile boolean reachable = true;
    private volatile boolean closed;

    /**
     * Connects, authenticates and selects the database.
     *
     * @param original the connection string as given, for messages
     * @param hostPort {@code host:port} ({@code [v6]:port} accepted)
     * @param settings credentials and database
     * @param timeout connect and per-call timeout
     * @param ttl expiry of every key; refreshed every third of it
     * @throws MetadataUnavailableException when Redis cannot be reached or rejects the credentials
     */
    public RedisMetadataStore(String original, String hostPort, Settings settings, Duration timeout, Duration ttl) {
        this.timeout = timeout;
        this.ttlMillis = Math.max(100, ttl.toMillis());
        int colon = hostPort.lastIndexOf(':');
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = Integer.parseInt(hostPort.substring(colon + 1));
        this.shown = original + (settings.database() == 0 ? "" : " db " + settings.database());
        this.description = "redis " + hostPort + (settings.database() == 0 ? "" : " db " + settings.database());
        RedisURI.Builder uri = RedisURI.Builder.redis(host, port).withDatabase(settings.database())
                .withTimeout(timeout);
        if (settings.password() != null) {
            if (settings.username() != null) {
                uri.withAuthentication(settings.username(), settings.password());
            } else {
                uri.withPassword(settings.password());
            }
        } else if (settings.username() != null) {
            log.warn("MC_REDIS_USERNAME is set but MC_REDIS_PASSWORD is not; connecting to {} without AUTH", original);
        }
        this.client = RedisClient.create(uri.build());
        client.setOptions(ClientOptions.builder().autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
                .timeoutOptions(TimeoutOptions.enabled(timeout)).build());
        try {
            this.connection = client.connect(ByteArrayCodec.INSTANCE);
        } catch (RuntimeException e) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            throw connectFailure(original, settings, e);
        }
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mooncake-redis-refresh");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(50, ttlMillis / 3);
        refresher.scheduleWithFixedDelay(this::refreshOwned, period, period, TimeUnit.MILLISECONDS);
        log.info("Connected to Redis {} (database {}, {}; keys expire {} ms after the last refresh)", original,
                settings.database(), settings.password() == null ? "no AUTH"
                        : "AUTH as " + (settings.username() == null ? "default user" : settings.username()), ttlMillis);
    }

    @Override
    public Optional<byte[]> get(String key) {
        byte[] v = await(connection.async().get(bytes(key)), "GET '" + key + "'");
        return Optional.ofNullable(v);
    }

    @Override
    public void put(String key, byte[] value) {
        byte[] v = value.clone();
        synchronized (writeLock) {
            owned.put(key, v);
            await(connection.async().set(bytes(key), v, SetArgs.Builder.px(ttlMillis)), "SET '" + key + "'");
        }
    }

    @Override
    public void delete(String key) {
        synchronized (writeLock) {
            owned.remove(key);
            await(connection.async().del(bytes(key)), "DEL '" + key + "'");
        }
    }

    @Override
    public boolean isReachable() {
        return reachable && connection.isOpen();
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        refresher.shutdownNow();
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    private void refreshOwned() {
        if (owned.isEmpty() || closed) {
            return;
        }
        try {
            synchronized (writeLock) {
                List<RedisFuture<String>> pending = new ArrayList<>();
                for (Map.Entry<String, byte[]> e : owned.entrySet()) {
                    pending.add(connection.async().set(bytes(e.getKey()), e.getValue(),
                            SetArgs.Builder.px(ttlMillis)));
                }
                for (RedisFuture<String> f : pending) {
                    await(f, "refresh owned keys");
                }
            }
        } catch (MetadataUnavailableException e) {
            log.debug("Refreshing keys at {} failed: {}", describe(), e.getMessage());
        } catch (RuntimeException e) {
            log.warn("Refreshing keys at {} failed unexpectedly", describe(), e);
        }
    }

    private <T> T await(RedisFuture<T> f, String what) {
        try {
            T r = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            reachable = true;
            return r;
        } catch (TimeoutException e) {
            f.cancel(true);
            reachable = false;
            throw new MetadataUnavailableException("metadata server '" + shown + "' cannot be reached within "
                    + timeout.toMillis() + " ms (" + what + "); check the address or use P2PHANDSHAKE", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            reachable = false;
            throw new MetadataUnavailableException("metadata server '" + shown + "' failed to " + what + ": "
                    + c.getMessage() + "; check the address or use P2PHANDSHAKE", c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new MetadataUnavailableException("interrupted while waiting for metadata server '" + shown
                    + "' to " + what, e);
        }
    }

    private static MetadataUnavailableException connectFailure(String original, Settings settings, RuntimeException e) {
        StringBuilder causes = new StringBuilder();
        for (Throwable c = e; c != null; c = c.getCause()) {
            causes.append(causes.length() == 0 ? "" : ": ").append(c.getMessage());
        }
        String text = causes.toString();
        String fix;
        if (text.contains("WRONGPASS") || text.contains("invalid password") || text.contains("invalid username")) {
            fix = "Redis rejected the credentials; check MC_REDIS_USERNAME and MC_REDIS_PASSWORD";
        } else if (text.contains("NOAUTH")) {
            fix = "Redis requires a password; set MC_REDIS_PASSWORD (and MC_REDIS_USERNAME for an ACL user)";
        } else if (text.contains("DB index is out of range") || text.contains("invalid DB index")) {
            fix = "MC_REDIS_DB_INDEX=" + settings.database() + " does not exist on this server; use a smaller index";
        } else {
            fix = "check the address (the port defaults to 12001 when none is given) or use P2PHANDSHAKE";
        }
        return new MetadataUnavailableException("metadata server '" + original + "' cannot be used: " + text + "; "
                + fix, e);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

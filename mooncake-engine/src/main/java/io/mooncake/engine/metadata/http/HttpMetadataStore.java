package io.mooncake.engine.metadata.http;

import io.mooncake.engine.metadata.MetadataStore;
import io.mooncake.engine.metadata.MetadataUnavailableException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link MetadataStore} client of an HTTP metadata server, speaking the reference's protocol:
 * {@code GET|PUT|DELETE <base>?key=<escaped key>}, PUT bodies are JSON sent with
 * {@code Content-Type: application/json}, only 200 is success (404 on GET means "no such key"),
 * 1.5 s connect and 3 s total timeouts.
 *
 * <p>Like the reference, PUT bodies carry no trailing newline (the newline that etcd and Redis
 * values end with is stripped). Unlike the reference, a base URL that already has a query gets
 * {@code &key=} rather than a second {@code ?}.
 *
 * <p>Keeping keys alive: a server that announces a TTL in {@value HttpMetadataServer#TTL_HEADER}
 * ({@link HttpMetadataServer} with a TTL) expires keys not PUT again in time, so this store re-PUTs
 * its keys every third of that TTL (or of {@code metadataTtl}, if shorter). Other servers never
 * expire keys, and some refuse a second PUT of an {@code rpc_meta} key (the reference's Python
 * server answers 400 {@code Duplicate rpc_meta key not allowed}): there the store only reads its
 * keys back at the same period and writes one again only if it is gone (the server restarted and
 * lost it), so it never writes what the reference would not. Thread-safe.
 */
public final class HttpMetadataStore implements MetadataStore {

    private static final Logger log = LoggerFactory.getLogger(HttpMetadataStore.class);

    /** The reference's connect timeout. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofMillis(1500);
    /** The reference's total timeout per request. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);

    private final String base;
    private final String shown;
    private final Duration ttl;
    private final HttpClient client;
    private final ScheduledExecutorService refresher;
    private final Map<String, byte[]> owned = new ConcurrentHashMap<>();
    /**
     * Held around put, delete and each key's refresh (with its check that the value is still the owned
     * one), so that a refresh cannot write an older value after a newer put, or bring back a deleted key
     * (as in EtcdMetadataStore).
     */
    private final Object writeLock = new Object();
    private volatile long serverTtlMillis;
    private volatile boolean reachable = true;
    private volatile boolean closed;

    /**
     * Creates a client; does no I/O.
     *
     * @param baseUrl the whole metadata URL, such as {@code http://10.0.0.1:8080/metadata}
     * @param ttl how long the server may keep a key without a refresh; keys are re-PUT every third of it
     */
    public HttpMetadataStore(String baseUrl, Duration ttl) {
        this.base = Objects.requireNonNull(baseUrl, "baseUrl");
        this.shown = withoutUserInfo(baseUrl);
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mooncake-http-metadata-refresh");
            t.setDaemon(true);
            return t;
        });
        scheduleRefresh();
    }

    /**
     * Checks that the server answers at all (any HTTP status counts); warns when the answer does not
     * look like a metadata server, such as etcd's port.
     *
     * @throws MetadataUnavailableException naming the URL and the fix
     */
    public void checkReachable() {
        HttpResponse<byte[]> r = send("GET", "mooncake/", null);
        String body = new String(r.body(), StandardCharsets.UTF_8);
        if (r.statusCode() == 404 && body.contains("404 page not found")) {
            log.warn("Metadata server '{}' answers like etcd's gateway, not like a Mooncake HTTP metadata server;"
                    + " use etcd://{} instead", shown, URI.create(base).getAuthority());
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        HttpResponse<byte[]> r = send("GET", key, null);
        if (r.statusCode() == 200) {
            return Optional.of(r.body());
        }
        if (r.statusCode() == 404) {
            return Optional.empty();
        }
        throw failure("GET", key, r);
    }

    @Override
    public void put(String key, byte[] value) {
        byte[] body = stripNewline(value);
        synchronized (writeLock) {
            owned.put(key, body);
            HttpResponse<byte[]> r = send("PUT", key, body);
            if (r.statusCode() != 200) {
                throw failure("PUT", key, r);
            }
        }
    }

    @Override
    public void delete(String key) {
        synchronized (writeLock) {
            owned.remove(key);
            HttpResponse<byte[]> r = send("DELETE", key, null);
            // the Python and master servers answer 404 for a missing key; that is what we wanted anyway
            if (r.statusCode() != 200 && r.statusCode() != 404) {
                throw failure("DELETE", key, r);
            }
        }
    }

    @Override
    public boolean isReachable() {
        return reachable;
    }

    @Override
    public String describe() {
        return shown;
    }

    @Override
    public void close() {
        closed = true;
        refresher.shutdownNow();
        // HttpClient has no close() before Java 21; its threads are daemons and idle out
    }

    /** The URL of one key, as sent. */
    String url(String key) {
        return base + (base.indexOf('?') >= 0 ? "&key=" : "?key=") + escape(key);
    }

    // ---- refresh --------------------------------------------------------------------------------

    private void scheduleRefresh() {
        if (closed) {
            return;
        }
        long ttlMs = ttl.toMillis();
        long server = serverTtlMillis;
        if (server > 0) {
            ttlMs = Math.min(ttlMs, server);
        }
        long delay = Math.max(100, ttlMs / 3);
        try {
            refresher.schedule(this::refreshOwned, delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed
        }
    }

    private void refreshOwned() {
        try {
            boolean expiring = serverTtlMillis > 0;
            for (Map.Entry<String, byte[]> e : owned.entrySet()) {
                if (closed) {
                    return;
                }
                String key = e.getKey();
                try {
                    synchronized (writeLock) {
                        if (owned.get(key) != e.getValue()) {
                            continue; // replaced or deleted meanwhile: that write is the one to keep
                        }
                        if (!expiring) {
                            // the server keeps keys: write one again only if it lost it (a restart)
                            HttpResponse<byte[]> g = send("GET", key, null);
                            if (g.statusCode() != 404) {
                                continue;
                            }
                            log.info("Metadata server '{}' lost '{}' (restarted?); writing it again", shown, key);
                        }
                        HttpResponse<byte[]> r = send("PUT", key, e.getValue());
                        if (r.statusCode() != 200) {
                            log.warn("Refreshing '{}' at '{}' failed: HTTP {} {}", key, shown, r.statusCode(),
                                    bodyText(r));
                        }
                    }
                } catch (MetadataUnavailableException ex) {
                    log.debug("Refreshing '{}' failed: {}", key, ex.getMessage());
                    break; // the server is down; try again next period
                }
            }
        } finally {
            scheduleRefresh();
        }
    }

    // ---- HTTP -----------------------------------------------------------------------------------

    private HttpResponse<byte[]> send(String method, String key, byte[] body) {
        if (closed) {
            throw new MetadataUnavailableException("metadata store " + describe() + " is closed");
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(key))).timeout(REQUEST_TIMEOUT);
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        CompletableFuture<HttpResponse<byte[]>> f = client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        try {
            HttpResponse<byte[]> r = f.get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            reachable = true;
            OptionalLong announced = r.headers().firstValueAsLong(HttpMetadataServer.TTL_HEADER);
            if (announced.isPresent()) {
                serverTtlMillis = announced.getAsLong();
            }
            return r;
        } catch (TimeoutException e) {
            f.cancel(true);
            throw unreachable(method, key, "no answer within " + REQUEST_TIMEOUT.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            throw unreachable(method, key, c instanceof IOException && c.getMessage() == null
                    ? c.getClass().getSimpleName() : String.valueOf(c.getMessage()), c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new MetadataUnavailableException(method + " " + key + " at metadata server '" + shown
                    + "' was interrupted", e);
        }
    }

    private MetadataUnavailableException unreachable(String method, String key, String why, Throwable cause) {
        reachable = false;
        return new MetadataUnavailableException("metadata server '" + shown + "' cannot be reached (" + method + " '"
                + key + "', connect timeout " + CONNECT_TIMEOUT.toMillis() + " ms, total "
                + REQUEST_TIMEOUT.toMillis() + " ms): " + why + "; check the address or use P2PHANDSHAKE", cause);
    }

    private MetadataUnavailableException failure(String method, String key, HttpResponse<byte[]> r) {
        String text = bodyText(r);
        String fix;
        if (r.statusCode() == 400 && text.contains("Duplicate")) {
            fix = "this server keeps one rpc_meta per name until it is deleted and refuses to overwrite it (the"
                    + " rule of the reference's Python server and mooncake_master): another node holds this name, so"
                    + " give each node its own local hostname, or delete the key";
        } else if (r.statusCode() == 404) {
            fix = "the URL path is probably wrong; reference servers serve /metadata";
        } else {
            fix = "check the server's log";
        }
        return new MetadataUnavailableException(method + " '" + key + "' at metadata server '" + shown
                + "' failed: HTTP " + r.statusCode() + (text.isEmpty() ? "" : " '" + text + "'") + "; " + fix);
    }

    private static String bodyText(HttpResponse<byte[]> r) {
        String s = new String(r.body(), StandardCharsets.UTF_8).strip();
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    /** Percent-encodes everything but RFC 3986 unreserved characters, as curl_easy_escape does. */
    static String escape(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(bytes.length * 3);
        for (byte by : bytes) {
            int c = by & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
                    || c == '_' || c == '~') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return sb.toString();
    }

    private static byte[] stripNewline(byte[] value) {
        int n = value.length;
        if (n > 0 && value[n - 1] == '\n') {
            return Arrays.copyOf(value, n - 1);
        }
        return value.clone();
    }

    private static String withoutUserInfo(String url) {
        try {
            URI u = URI.create(url);
            if (u.getRawUserInfo() == null) {
                return url;
            }
            return new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), u.getQuery(), null).toString();
        } catch (IllegalArgumentException | java.net.URISyntaxException e) {
            return url;
        }
    }
}

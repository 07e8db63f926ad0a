package io.mooncake.engine.metadata.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-memory HTTP metadata server speaking the reference's protocol, on the JDK's
 * {@code com.sun.net.httpserver}: {@code GET <path>?key=K} answers 200 with the value or 404
 * {@code metadata not found}; {@code PUT} stores the body and answers 200 {@code metadata updated};
 * {@code DELETE} removes the key and answers 200 (also when it was missing, like the reference's Go
 * example server); {@code GET /health} answers 200 {@code OK}. A request without {@code key} gets
 * 400, another method 405.
 *
 * <p>Unlike the reference's Python server and mooncake_master, a PUT over an existing
 * {@code rpc_meta} key is accepted: a node restarted under the same name gets a new RPC port and
 * must be able to re-register (reference issues #863, #2296).
 *
 * <p>With a TTL, a key not PUT again within the TTL is removed, so a crashed node's keys vanish;
 * {@link HttpMetadataStore} re-PUTs its keys for as long as it lives, and learns the TTL from the
 * {@value #TTL_HEADER} response header. Reference C++ clients never re-PUT, so keep the TTL off
 * (the default) when they use this server.
 *
 * <p>Start one with {@link #builder()}; it serves until {@link #close()}. Thread-safe. Requests
 * run on a small pool of daemon threads; expiry runs on one more.
 */
public final class HttpMetadataServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpMetadataServer.class);

    /** Response header carrying the server's TTL in milliseconds, present when a TTL is set. */
    public static final String TTL_HEADER = "X-Mooncake-Metadata-Ttl-Ms";
    /** The reference servers' path. */
    public static final String DEFAULT_PATH = "/metadata";
    /** The reference servers' port. */
    public static final int DEFAULT_PORT = 8080;
    /** Largest value accepted; a descriptor with thousands of buffers stays far below. */
    public static final int MAX_VALUE_BYTES = 64 << 20;

    private final HttpServer server;
    private final String path;
    private final Duration ttl;
    /** Monotonic nanoseconds for expiry: {@link System#nanoTime()}, or a test's clock. */
    private final LongSupplier clock;
    private final ExecutorService workers;
    private final ScheduledExecutorService sweeper;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final String url;

    private record Entry(byte[] value, long refreshedAt) {
    }

    private HttpMetadataServer(Builder b) throws IOException {
        this.path = b.path;
        this.ttl = b.ttl;
        this.clock = b.clock;
        InetAddress addr = InetAddress.getByName(b.host);
        this.server = HttpServer.create(new InetSocketAddress(addr, b.port), 64);
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(b.threads, r -> {
            Thread t = new Thread(r, "mooncake-http-metadata-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mooncake-http-metadata-expiry");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(workers);
        server.createContext("/", this::handle);
        server.start();
        String shownHost = addr.isAnyLocalAddress() ? InetAddress.getLoopbackAddress().getHostAddress()
                : addr.getHostAddress();
        if (shownHost.contains(":")) {
            shownHost = "[" + shownHost + "]";
        }
        this.url = "http://" + shownHost + ":" + port() + path;
        if (!ttl.isZero()) {
            long period = Math.max(50, ttl.toMillis() / 4);
            sweeper.scheduleWithFixedDelay(this::expire, period, period, TimeUnit.MILLISECONDS);
        }
        log.info("HTTP metadata server listening on {}:{}{} ({})", b.host, port(), path,
                ttl.isZero() ? "keys never expire" : "keys expire " + ttl.toMillis() + " ms after their last PUT");
    }

    /** A builder with the reference's defaults: {@code 0.0.0.0:8080}, path {@code /metadata}, no TTL. */
    public static Builder builder() {
        return new Builder();
    }

    /** The port the server listens on (the chosen one when built with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** A metadata URL clients can use, such as {@code http://127.0.0.1:8080/metadata} (loopback for a wildcard bind). */
    public String url() {
        return url;
    }

    /** The TTL, {@link Duration#ZERO} when keys never expire. */
    public Duration ttl() {
        return ttl;
    }

    /** Number of keys held now. */
    public int size() {
        return entries.size();
    }

    /** Stops listening and drops every key. */
    @Override
    public void close() {
        server.stop(0);
        sweeper.shutdownNow();
        workers.shutdownNow();
        entries.clear();
        log.info("HTTP metadata server on port {} stopped", server.getAddress().getPort());
    }

    // ---- requests -------------------------------------------------------------------------------

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String reqPath = ex.getRequestURI().getPath();
            if ("/health".equals(reqPath)) {
                reply(ex, 200, "OK");
                return;
            }
            if (!path.equals(reqPath)) {
                reply(ex, 404, "not found: this server serves " + path + " and /health");
                return;
            }
            String key = queryKey(ex.getRequestURI().getRawQuery());
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("PUT") && !method.equals("DELETE")) {
                ex.getResponseHeaders().set("Allow", "GET, PUT, DELETE");
                reply(ex, 405, "method not allowed");
                return;
            }
            if (key == null || key.isEmpty()) {
                reply(ex, 400, "missing key");
                return;
            }
            if (!ttl.isZero()) {
                ex.getResponseHeaders().set(TTL_HEADER, Long.toString(ttl.toMillis()));
            }
            switch (method) {
                case "GET" -> get(ex, key);
                case "PUT" -> put(ex, key);
                default -> delete(ex, key);
            }
        } catch (RuntimeException e) {
            log.warn("HTTP metadata request {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
            try {
                reply(ex, 500, "internal error: " + e);
            } catch (IOException | RuntimeException ignored) {
                // headers already sent
            }
        }
    }

    private void get(HttpExchange ex, String key) throws IOException {
        Entry e = entries.get(key);
        if (e == null || expired(e, clock.getAsLong())) {
            reply(ex, 404, "metadata not found");
            return;
        }
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, e.value.length == 0 ? -1 : e.value.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(e.value);
        }
    }

    private void put(HttpExchange ex, String key) throws IOException {
        byte[] body = readBody(ex.getRequestBody());
        if (body == null) {
            reply(ex, 413, "value larger than " + MAX_VALUE_BYTES + " bytes");
            return;
        }
        Entry previous = entries.put(key, new Entry(body, clock.getAsLong()));
        if (previous == null) {
            log.debug("PUT '{}' ({} bytes), new", key, body.length);
        } else if (Arrays.equals(previous.value, body)) {
            log.trace("PUT '{}' refreshed", key);
        } else if (key.contains("/rpc_meta/")) {
            log.info("Accepted re-registration of '{}': {} replaces {}", key, text(body), text(previous.value));
        } else {
            log.debug("PUT '{}' ({} bytes), replaced", key, body.length);
        }
        reply(ex, 200, "metadata updated");
    }

    private void delete(HttpExchange ex, String key) throws IOException {
        Entry removed = entries.remove(key);
        log.debug("DELETE '{}' ({})", key, removed == null ? "was missing" : "removed");
        reply(ex, 200, "metadata deleted");
    }

    // ---- expiry ---------------------------------------------------------------------------------

    private boolean expired(Entry e, long now) {
        return !ttl.isZero() && now - e.refreshedAt > ttl.toNanos();
    }

    /** Removes every key not refreshed within the TTL; runs on the expiry thread (and from tests). */
    void expire() {
        long now = clock.getAsLong();
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            if (expired(e.getValue(), now) && entries.remove(e.getKey(), e.getValue())) {
                log.info("Expired '{}': not refreshed within {} ms", e.getKey(), ttl.toMillis());
            }
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static String queryKey(String rawQuery) {
        if (rawQuery == null) {
            return null;
        }
        for (String part : rawQuery.split("&")) {
            if (part.startsWith("key=")) {
                return URLDecoder.decode(part.substring(4), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static byte[] readBody(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
            if (out.size() > MAX_VALUE_BYTES) {
                return null;
            }
        }
        return out.toByteArray();
    }

    private static void reply(HttpExchange ex, int status, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    private static String text(byte[] value) {
        String s = new String(value, StandardCharsets.UTF_8).strip();
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }

    /** Settings of an {@link HttpMetadataServer}; not thread-safe. */
    public static final class Builder {
        private String host = "0.0.0.0";
        private int port = DEFAULT_PORT;
        private String path = DEFAULT_PATH;
        private Duration ttl = Duration.ZERO;
        private int threads = 4;
        private LongSupplier clock = System::nanoTime;

        private Builder() {
        }

        /**
         * The monotonic nanosecond clock that ages keys, default {@link System#nanoTime()}: tests pass
         * one they advance themselves instead of sleeping through a TTL.
         */
        Builder nanoClock(LongSupplier v) {
            clock = Objects.requireNonNull(v, "clock");
            return this;
        }

        /** Address to bind, default {@code 0.0.0.0}. */
        public Builder host(String v) {
            host = Objects.requireNonNull(v, "host");
            return this;
        }

        /** Port to bind, default 8080; 0 picks a free one. */
        public Builder port(int v) {
            if (v < 0 || v > 65535) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "invalid port " + v + "; expected 0 (any free port) or 1..65535");
            }
            port = v;
            return this;
        }

        /** URL path served, default {@code /metadata}. */
        public Builder path(String v) {
            if (v == null || !v.startsWith("/")) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "invalid path '" + v + "'; expected one starting with /,"
                        + " such as /metadata");
            }
            path = v;
            return this;
        }

        /** Time after its last PUT that a key is removed; {@link Duration#ZERO} (default) keeps keys forever. */
        public Builder ttl(Duration v) {
            if (v == null || v.isNegative()) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "invalid ttl '" + v + "'; expected 0 (never expire) or positive");
            }
            ttl = v;
            return this;
        }

        /** Request threads, default 4. */
        public Builder threads(int v) {
            if (v < 1 || v > 256) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "invalid threads " + v + "; expected 1..256");
            }
            threads = v;
            return this;
        }

        /**
         * Binds and starts the server.
         *
         * @throws IOException when the address cannot be bound (port in use, unknown host)
         */
        public HttpMetadataServer start() throws IOException {
            return new HttpMetadataServer(this);
        }
    }
}

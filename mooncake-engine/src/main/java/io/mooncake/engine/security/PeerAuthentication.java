package io.mooncake.engine.security;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this engine's listeners demand the shared secret, and what happened to those that did
 * not prove it. One per engine, shared by the handshake server and the transports. Thread-safe.
 *
 * <p>Off (no secret): nothing is added to any connection, byte for byte what the reference sends.
 * On: every inbound handshake and data connection runs an {@link AuthExchange} before its first
 * request is read, within {@link #timeout()} in all and reading at most
 * {@value AuthExchange#MAX_MESSAGE} bytes, so an unauthenticated client holds a few dozen bytes of
 * heap for a few seconds at most; every outbound one proves the secret and checks the listener's
 * proof. A connection that fails is closed and counted ({@link #rejections()}, and the listener
 * given to {@link #of}: the engine's stats and the Micrometer counter
 * {@code mooncake.connections.rejected}), and logged once per port and reason, then at most
 * every 30 s with a count. The secret itself is never logged.
 */
public final class PeerAuthentication {

    private static final Logger log = LoggerFactory.getLogger(PeerAuthentication.class);

    /** Context of handshake (RPC) connections. */
    public static final String HANDSHAKE = "handshake";
    /** Context of tcp data connections. */
    public static final String TCP_DATA = "tcp-data";

    private static final long LOG_EVERY_NANOS = 30_000_000_000L;

    private final SharedSecret secret;
    private final Duration timeout;
    private final SecureRandom random;
    private final BiConsumer<String, String> onRejected;
    private final ConcurrentHashMap<String, Rejections> rejections = new ConcurrentHashMap<>();

    private static final class Rejections {
        final LongAdder count = new LongAdder();
        final AtomicLong lastLog = new AtomicLong();
        final AtomicLong loggedCount = new AtomicLong();
        volatile boolean logged;
    }

    private PeerAuthentication(SharedSecret secret, Duration timeout, BiConsumer<String, String> onRejected) {
        this.secret = secret;
        this.timeout = timeout;
        this.random = secret == null ? null : new SecureRandom();
        this.onRejected = onRejected;
    }

    /** No authentication: reference-compatible. */
    public static PeerAuthentication disabled() {
        return new PeerAuthentication(null, Duration.ofSeconds(5), (port, reason) -> {
        });
    }

    /**
     * @param secret the shared secret, {@code null} for none (off)
     * @param timeout the deadline of a whole exchange
     * @param onRejected told {@code (port, reason)} for each rejected inbound connection
     */
    public static PeerAuthentication of(SharedSecret secret, Duration timeout, BiConsumer<String, String> onRejected) {
        return new PeerAuthentication(secret, timeout, onRejected);
    }

    /** Whether connections must prove the shared secret. */
    public boolean enabled() {
        return secret != null;
    }

    /** Deadline of one whole exchange. */
    public Duration timeout() {
        return timeout;
    }

    /** A listener's side of a new exchange for a connection of {@code context}. */
    public AuthExchange serverExchange(String context) {
        return AuthExchange.server(requireSecret(), context, random);
    }

    /** A connecting side's new exchange for a connection of {@code context}. */
    public AuthExchange clientExchange(String context) {
        return AuthExchange.client(requireSecret(), context, random);
    }

    private SharedSecret requireSecret() {
        if (secret == null) {
            throw new IllegalStateException("authentication is off");
        }
        return secret;
    }

    /** One line for the startup log and Actuator. */
    public String describe() {
        return enabled()
                ? "on: every handshake and tcp data connection, inbound and outbound, proves the shared secret "
                        + "(mooncake.auth.secret) with an HMAC-SHA256 challenge-response before anything is served;"
                        + " peers without it are refused"
                : "off: anyone who reaches the handshake and data ports is served (reference-compatible); set "
                        + "mooncake.auth.secret (MOONCAKE_AUTH_SECRET) on every node to require a shared secret";
    }

    /**
     * Counts and logs an inbound connection that did not prove the secret.
     *
     * @param port {@link #HANDSHAKE} or {@link #TCP_DATA}
     * @param remote the peer's address, for the log
     */
    public void rejected(String port, String remote, AuthenticationException.Reason reason, String why) {
        String key = port + ":" + reason.name();
        Rejections r = rejections.computeIfAbsent(key, k -> new Rejections());
        r.count.increment();
        onRejected.accept(port, reason.name());
        long now = System.nanoTime();
        long last = r.lastLog.get();
        if (!r.logged || now - last > LOG_EVERY_NANOS) {
            if (r.lastLog.compareAndSet(last, now) || !r.logged) {
                r.logged = true;
                long total = r.count.sum();
                long since = total - r.loggedCount.getAndSet(total);
                log.warn("Refused a {} connection from {}: {} ({}; {} such refusal(s) since the last line, {} in all)",
                        port, remote, why, reason, since, total);
            }
        }
    }

    /** Rejected inbound connections so far. */
    public long rejections() {
        long n = 0;
        for (Rejections r : rejections.values()) {
            n += r.count.sum();
        }
        return n;
    }

    /** Rejected inbound connections by {@code port:REASON}. */
    public Map<String, Long> rejectionsByReason() {
        Map<String, Long> m = new TreeMap<>();
        rejections.forEach((k, v) -> m.put(k, v.count.sum()));
        return m;
    }

    /**
     * The listener's side on a blocking socket: challenges, checks the answer, sends its proof,
     * all within {@link #timeout()}. Returns whether the peer may be served; when not, the
     * rejection is counted and logged and the caller closes the socket.
     */
    public boolean admit(Socket s, String port) throws IOException {
        AuthExchange x = serverExchange(port);
        String remote = String.valueOf(s.getRemoteSocketAddress());
        int soTimeout = s.getSoTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            run(x, s, deadline);
            return true;
        } catch (AuthenticationException e) {
            rejected(port, remote, e.reason(), e.getMessage());
            return false;
        } catch (SocketTimeoutException e) {
            rejected(port, remote, AuthenticationException.Reason.NO_PROOF,
                    "no proof within " + timeout.toMillis() + " ms");
            return false;
        } catch (EOFException e) {
            rejected(port, remote, AuthenticationException.Reason.NO_PROOF, "it closed the connection before a proof");
            return false;
        } finally {
            if (!s.isClosed()) {
                s.setSoTimeout(soTimeout);
            }
        }
    }

    /**
     * The connecting side on a blocking socket, within {@link #timeout()}.
     *
     * @param peer the listener, for the message
     * @throws AuthenticationException when the listener does not prove the secret (or asks none)
     * @throws IOException on socket errors, timeouts included
     */
    public void prove(Socket s, String context, String peer) throws IOException {
        AuthExchange x = clientExchange(context);
        int soTimeout = s.getSoTimeout();
        try {
            run(x, s, System.nanoTime() + timeout.toNanos());
        } catch (AuthenticationException e) {
            throw new AuthenticationException(e.reason(), "peer " + peer + " did not authenticate: " + e.getMessage());
        } catch (EOFException e) {
            throw new AuthenticationException(AuthenticationException.Reason.NO_PROOF, "peer " + peer
                    + " closed the connection during authentication: its mooncake.auth.secret differs or it runs"
                    + " without one");
        } finally {
            if (!s.isClosed()) {
                s.setSoTimeout(soTimeout);
            }
        }
    }

    private static void run(AuthExchange x, Socket s, long deadline) throws IOException {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] buf = new byte[AuthExchange.MAX_MESSAGE];
        while (!x.done()) {
            ByteBuffer o = x.outbound();
            if (o.hasRemaining()) {
                out.write(o.array(), o.arrayOffset() + o.position(), o.remaining());
                out.flush();
                o.position(o.limit());
            }
            int need = x.expected();
            if (need == 0) {
                continue;
            }
            int got = 0;
            while (got < need) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SocketTimeoutException("authentication deadline passed");
                }
                s.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
                int n = in.read(buf, got, need - got);
                if (n < 0) {
                    throw new EOFException("closed after " + got + " of " + need + " bytes");
                }
                got += n;
            }
            x.receive(ByteBuffer.wrap(buf, 0, need));
        }
    }

    @Override
    public String toString() {
        return "PeerAuthentication[" + (enabled() ? "on" : "off") + "]";
    }
}

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
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.BiConsumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
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
    private final SSLContext tls;
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

    /** Closes sockets whose exchange outlives its deadline (the handshake port's blocking sockets). */
    private static final ScheduledThreadPoolExecutor WATCHDOG;

    static {
        WATCHDOG = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "mooncake-auth-deadline");
            t.setDaemon(true);
            return t;
        });
        WATCHDOG.setRemoveOnCancelPolicy(true);
    }

    private PeerAuthentication(SharedSecret secret, SSLContext tls, Duration timeout,
            BiConsumer<String, String> onRejected) {
        this.secret = secret;
        this.tls = tls;
        this.timeout = timeout;
        this.random = secret == null ? null : new SecureRandom();
        this.onRejected = onRejected;
    }

    /** No authentication: reference-compatible. */
    public static PeerAuthentication disabled() {
        return new PeerAuthentication(null, null, Duration.ofSeconds(5), (port, reason) -> {
        });
    }

    /**
     * @param secret the shared secret, {@code null} for none (off)
     * @param timeout the deadline of a whole exchange
     * @param onRejected told {@code (port, reason)} for each rejected inbound connection
     */
    public static PeerAuthentication of(SharedSecret secret, Duration timeout, BiConsumer<String, String> onRejected) {
        return new PeerAuthentication(secret, null, timeout, onRejected);
    }

    /**
     * @param secret the shared secret, {@code null} for none
     * @param tls the TLS context of the handshake and data connections (mutual: both sides present a
     *        certificate its peer trusts), {@code null} for plain connections
     * @param timeout the deadline of a connection's whole start (TLS handshake and exchange)
     * @param onRejected told {@code (port, reason)} for each rejected inbound connection
     */
    public static PeerAuthentication of(SharedSecret secret, SSLContext tls, Duration timeout,
            BiConsumer<String, String> onRejected) {
        return new PeerAuthentication(secret, tls, timeout, onRejected);
    }

    /** Whether connections must prove the shared secret. */
    public boolean enabled() {
        return secret != null;
    }

    /** Whether handshake and data connections run over TLS. */
    public boolean tls() {
        return tls != null;
    }

    /** Whether a connection has anything to do before it is served: TLS, the secret, or both. */
    public boolean guarded() {
        return secret != null || tls != null;
    }

    /** The listener's new exchange, or {@code null} when no secret is required. */
    public AuthExchange serverExchangeIfEnabled(String context) {
        return secret == null ? null : serverExchange(context);
    }

    /** The connecting side's new exchange, or {@code null} when no secret is required. */
    public AuthExchange clientExchangeIfEnabled(String context) {
        return secret == null ? null : clientExchange(context);
    }

    /**
     * A TLS channel over {@code ch}, or {@code null} without TLS.
     *
     * @param client whether this side connected
     */
    public TlsChannel tlsChannel(java.nio.channels.SocketChannel ch, boolean client, String host, int port) {
        return tls == null ? null : new TlsChannel(ch, engine(client, host, port));
    }

    private SSLEngine engine(boolean client, String host, int port) {
        SSLEngine e = host == null ? tls.createSSLEngine() : tls.createSSLEngine(host, port);
        configure(e.getSSLParameters(), client, e::setSSLParameters);
        e.setUseClientMode(client);
        if (!client) {
            e.setNeedClientAuth(true);
        }
        return e;
    }

    private static void configure(SSLParameters p, boolean client, java.util.function.Consumer<SSLParameters> set) {
        p.setProtocols(new String[] {"TLSv1.3"});
        if (!client) {
            p.setNeedClientAuth(true);
        }
        set.accept(p);
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
        String auth = enabled()
                ? "on: every handshake and tcp data connection, inbound and outbound, proves the shared secret "
                        + "(mooncake.auth.secret) with an HMAC-SHA256 challenge-response before anything is served;"
                        + " peers without it are refused"
                : "off: anyone who reaches the handshake and data ports is served (reference-compatible); set "
                        + "mooncake.auth.secret (MOONCAKE_AUTH_SECRET) on every node to require a shared secret";
        return auth + (tls != null ? "; TLS 1.3 on handshake and tcp data connections, both sides presenting a "
                + "certificate the other trusts (mooncake.tls)" : "; TLS off (mooncake.tls.enabled)");
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
     * The listener's side on a blocking socket: the TLS handshake (with TLS on), then the
     * challenge, the check of the answer and this node's proof, all within {@link #timeout()} (a
     * watchdog closes the socket at the deadline, however slowly the peer sends). Returns the
     * socket to serve (the TLS socket layered over {@code s} with TLS on), or {@code null} when the
     * peer may not be served: the rejection is counted and logged and the socket closed.
     */
    public Socket admit(Socket s, String port) throws IOException {
        String remote = String.valueOf(s.getRemoteSocketAddress());
        int soTimeout = s.getSoTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        java.util.concurrent.atomic.AtomicBoolean expired = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
            expired.set(true);
            closeQuietly(s);
        }, timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        Socket io = s;
        try {
            s.setSoTimeout((int) Math.max(1, timeout.toMillis()));
            if (tls != null) {
                io = layer(s, false);
                try {
                    ((SSLSocket) io).startHandshake();
                } catch (IOException e) {
                    if (expired.get()) {
                        throw new SocketTimeoutException("TLS handshake deadline passed");
                    }
                    rejected(port, remote, AuthenticationException.Reason.TLS_FAILED, "TLS handshake failed: "
                            + e.getMessage());
                    closeQuietly(io);
                    return null;
                }
            }
            if (secret != null) {
                run(serverExchange(port), io, deadline);
            }
            watchdog.cancel(false);
            if (expired.get()) {
                throw new SocketTimeoutException("deadline passed");
            }
            io.setSoTimeout(soTimeout);
            return io;
        } catch (AuthenticationException e) {
            rejected(port, remote, e.reason(), e.getMessage());
        } catch (SocketTimeoutException | java.net.SocketException e) {
            rejected(port, remote, AuthenticationException.Reason.NO_PROOF,
                    "no proof within " + timeout.toMillis() + " ms (" + e.getMessage() + ")");
        } catch (EOFException e) {
            rejected(port, remote, AuthenticationException.Reason.NO_PROOF, "it closed the connection before a proof");
        } finally {
            watchdog.cancel(false);
        }
        closeQuietly(io);
        return null;
    }

    /**
     * The connecting side on a blocking socket, within {@link #timeout()}: the TLS handshake (with
     * TLS on), then the exchange (with a secret). Returns the socket to use.
     *
     * @param peer the listener, for the message
     * @throws AuthenticationException when the listener does not prove the secret (or asks none)
     * @throws IOException on socket errors, timeouts and TLS failures included
     */
    public Socket prove(Socket s, String context, String peer) throws IOException {
        int soTimeout = s.getSoTimeout();
        Socket io = s;
        try {
            if (tls != null) {
                io = layer(s, true);
                try {
                    ((SSLSocket) io).startHandshake();
                } catch (javax.net.ssl.SSLException e) {
                    throw new AuthenticationException(AuthenticationException.Reason.TLS_FAILED, "TLS handshake with "
                            + peer + " failed: " + e.getMessage() + " (do both trust each other's certificate? see "
                            + "mooncake.tls)");
                }
            }
            if (secret != null) {
                run(clientExchange(context), io, System.nanoTime() + timeout.toNanos());
            }
            return io;
        } catch (AuthenticationException e) {
            throw new AuthenticationException(e.reason(), "peer " + peer + " did not authenticate: " + e.getMessage());
        } catch (EOFException e) {
            throw new AuthenticationException(AuthenticationException.Reason.NO_PROOF, "peer " + peer
                    + " closed the connection during authentication: its mooncake.auth.secret differs or it runs"
                    + " without one");
        } finally {
            if (!io.isClosed()) {
                io.setSoTimeout(soTimeout);
            }
        }
    }

    private SSLSocket layer(Socket s, boolean client) throws IOException {
        SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(s, s.getInetAddress().getHostAddress(),
                s.getPort(), true);
        configure(ssl.getSSLParameters(), client, ssl::setSSLParameters);
        ssl.setUseClientMode(client);
        if (!client) {
            ssl.setNeedClientAuth(true);
        }
        return ssl;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
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
        return "PeerAuthentication[" + (enabled() ? "on" : "off") + (tls != null ? ", tls" : "") + "]";
    }
}

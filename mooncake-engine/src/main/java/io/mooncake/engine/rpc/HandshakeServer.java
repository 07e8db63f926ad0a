package io.mooncake.engine.rpc;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.security.PeerAuthentication;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The handshake listener: one request per connection, answered with the request's type, then a
 * half-close. Unlike the reference (one connection at a time on one thread), connections are
 * served concurrently by a small pool, each bounded by a receive timeout, so a slow or silent
 * client cannot stall other peers.
 *
 * <p>A bad frame or bad JSON closes that connection without a reply, as the reference does.
 */
public final class HandshakeServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HandshakeServer.class);
    static final JsonMapper MAPPER = JsonMapper.builder().build();

    private final ServerSocket server;
    private final HandshakeHandler handler;
    private final int maxLength;
    private final int timeoutMillis;
    private final ExecutorService workers;
    private final Thread acceptor;
    private volatile boolean closed;
    private volatile PeerAuthentication authentication = PeerAuthentication.disabled();

    private HandshakeServer(ServerSocket server, HandshakeHandler handler, int maxLength, Duration timeout) {
        this.server = server;
        this.handler = handler;
        this.maxLength = maxLength;
        this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        AtomicInteger n = new AtomicInteger();
        // Eight threads that time out when idle: a pool that grows only once its queue is full
        // would let one silent client hold up every other peer.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(8, 8, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(1024),
                r -> {
                    Thread t = new Thread(r, "mooncake-handshake-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        this.workers = pool;
        this.acceptor = new Thread(this::acceptLoop, "mooncake-handshake-accept-" + server.getLocalPort());
        this.acceptor.setDaemon(true);
    }

    /**
     * Binds and starts serving.
     *
     * @param bindAddress address to bind, {@code null} for the wildcard address
     * @param port the port, or 0 to take a free one in [{@code minPort}, {@code maxPort}]
     */
    public static HandshakeServer start(String bindAddress, int port, int minPort, int maxPort, int backlog,
            HandshakeHandler handler, int maxLength, Duration timeout) {
        return start(bindAddress, port, minPort, maxPort, backlog, handler, maxLength, timeout,
                PeerAuthentication.disabled());
    }

    /**
     * Binds and starts serving; when {@code authentication} is on, every connection proves the
     * shared secret before its request is read.
     */
    public static HandshakeServer start(String bindAddress, int port, int minPort, int maxPort, int backlog,
            HandshakeHandler handler, int maxLength, Duration timeout, PeerAuthentication authentication) {
        ServerSocket s = PortBinder.bind(bindAddress, port, minPort, maxPort, (addr) -> {
            ServerSocket ss = new ServerSocket();
            ss.setReuseAddress(true);
            ss.bind(addr, backlog);
            return ss;
        }, "handshake");
        HandshakeServer hs = new HandshakeServer(s, handler, maxLength, timeout);
        hs.authentication = authentication;
        hs.acceptor.start();
        return hs;
    }

    /** The bound port. */
    public int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.warn("Handshake listener on port {} failed to accept: {}", port(), e.toString());
                }
                continue;
            }
            try {
                workers.execute(() -> serve(s));
            } catch (RejectedExecutionException e) {
                log.warn("Handshake server busy; dropping connection from {}", s.getRemoteSocketAddress());
                closeQuietly(s);
            }
        }
    }

    private void serve(Socket accepted) {
        Socket s = secured(accepted);
        if (s == null) {
            return;
        }
        try (s) {
            s.setSoTimeout(timeoutMillis);
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            HandshakeFrame request = HandshakeFrame.readFrom(in, maxLength);
            JsonNode body = MAPPER.readTree(request.json());
            if (body == null || !body.isObject()) {
                log.debug("Handshake from {}: body is not a JSON object; closing", s.getRemoteSocketAddress());
                return;
            }
            JsonNode reply = handler.handle(request.type(), body);
            String json = MAPPER.writeValueAsString(reply) + "\n";
            new HandshakeFrame(request.type(), json, request.legacy()).writeTo(s.getOutputStream());
            s.shutdownOutput();
            // Wait (bounded by the receive timeout) for the client's EOF, as the reference does.
            while (in.read() >= 0) {
                // discard
            }
        } catch (MooncakeException | JacksonException | IllegalArgumentException e) {
            log.debug("Handshake from {} rejected: {}", s.getRemoteSocketAddress(), e.getMessage());
        } catch (SocketException e) {
            log.trace("Handshake connection from {} ended: {}", s.getRemoteSocketAddress(), e.toString());
        } catch (IOException e) {
            log.debug("Handshake connection from {} failed: {}", s.getRemoteSocketAddress(), e.toString());
        } catch (RuntimeException e) {
            log.warn("Handshake handler failed for a request from {}", s.getRemoteSocketAddress(), e);
        }
    }

    /**
     * The socket to serve: {@code s} itself, or with TLS and/or a shared secret configured, the
     * socket after the TLS handshake and the peer's proof; {@code null} (and closed) when the peer
     * may not be served.
     */
    private Socket secured(Socket s) {
        PeerAuthentication auth = authentication;
        if (!auth.guarded()) {
            return s;
        }
        try {
            return auth.admit(s, PeerAuthentication.HANDSHAKE);
        } catch (IOException | RuntimeException e) {
            log.debug("Handshake connection from {} failed before it was admitted: {}", s.getRemoteSocketAddress(),
                    e.toString());
            closeQuietly(s);
            return null;
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            log.trace("closing handshake listener", e);
        }
        workers.shutdownNow();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}

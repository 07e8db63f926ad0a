package io.mooncake.engine.rpc;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.security.AuthExchange;
import io.mooncake.engine.security.AuthenticationException;
import io.mooncake.engine.security.PeerAuthentication;
import io.mooncake.engine.security.TlsChannel;
import io.mooncake.engine.stats.HandshakeDrop;
import io.mooncake.engine.stats.TransferListener;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The handshake listener: one request per connection, answered with the request's type, then a
 * half-close and a wait for the client's EOF, as the reference does.
 *
 * <p>How slow and hostile clients are kept from starving the others (issue 17, defect 2):
 * <ul>
 * <li>One I/O thread accepts and reads every connection without blocking (a selector); no thread
 *     ever waits on a client. Only a complete request goes to the small worker pool, which runs the
 *     {@link HandshakeHandler} and hands the reply back to the I/O thread to write.</li>
 * <li>Each connection has one deadline for the whole exchange (request, reply, the client's EOF):
 *     the handshake timeout from accept. A client that trickles a byte a second is closed when it passes.</li>
 * <li>At most {@link #DEFAULT_MAX_CONNECTIONS_PER_ADDRESS} connections per remote address and
 *     {@link #DEFAULT_MAX_CONNECTIONS} in all. A new connection beyond a limit is accepted and the
 *     <em>oldest connection still reading its request</em> (of that address, or overall) is closed:
 *     a real peer sends its whole request as soon as it connects and is served within
 *     milliseconds, so the oldest partial request is the likeliest attacker, and refusing the newest
 *     instead would let a few idle sockets on a shared address lock every peer behind it out.</li>
 * <li>A request body's buffer is taken, once its length prefix has arrived, from a budget of
 *     {@code max(64 MiB, 2 x max frame)} shared by all connections; a connection whose announced
 *     length does not fit waits (not read, its deadline running) until bytes are released. Idle
 *     connections hold 8 bytes each.</li>
 * <li>Nothing a connection does (an exception, an {@link Error} such as OutOfMemoryError) ends the
 *     I/O thread: the connection is closed and the loop goes on; a failing accept backs off.</li>
 * </ul>
 *
 * <p>The request-reading path is one method, {@code readRequest}: a check that must run
 * before any request byte is served (an authentication exchange, say) belongs as a state before it.
 * A bad frame or bad JSON closes that connection without a reply, as the reference does.
 */
public final class HandshakeServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HandshakeServer.class);
    static final JsonMapper MAPPER = JsonMapper.builder().build();

    /** Connections one remote address may hold open at a time. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 32;
    /** Connections the listener holds open at a time. */
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;
    private static final int WORKERS = 8;
    private static final long ACCEPT_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(30);

    private enum State {
        /**
         * Proving itself before anything is read as a request: the TLS handshake and/or the
         * shared-secret exchange ({@code mooncake.tls}, {@code mooncake.auth.secret}).
         */
        AUTH,
        /** Reading the 8-byte length prefix. */
        PREFIX,
        /** Waiting for budget to buffer the body. */
        WAITING,
        /** Reading the body. */
        BODY,
        /** The handler runs on a worker. */
        HANDLING,
        /** Writing the reply. */
        WRITING,
        /** Reply sent, output shut; waiting for the client's EOF. */
        DRAINING
    }

    /** One connection; touched by the I/O thread only, except {@link #reply}, handed over through a queue. */
    final class Conn {
        final SocketChannel channel;
        final InetAddress address;
        final long deadline;
        final ByteBuffer prefix = ByteBuffer.allocate(HandshakeFrame.PREFIX).order(ByteOrder.LITTLE_ENDIAN);
        SelectionKey key;
        State state = State.PREFIX;
        int length;
        ByteBuffer body;
        ByteBuffer reply;
        boolean closed;

        Conn(SocketChannel channel, InetAddress address, long deadline) {
            this.channel = channel;
            this.address = address;
            this.deadline = deadline;
            this.io = channel;
        }

        /** What requests and replies go through: the channel, or TLS over it. */
        ByteChannel io;
        TlsChannel tls;
        boolean tlsDone;
        AuthExchange exchange;
        ByteBuffer authIn;

        boolean readingRequest() {
            return state == State.AUTH || state == State.PREFIX || state == State.WAITING || state == State.BODY;
        }

        Object remote() {
            return address;
        }
    }

    private final ServerSocketChannel server;
    private final int port;
    private final HandshakeHandler handler;
    private final TransferListener listener;
    private final int maxLength;
    private final long timeoutNanos;
    private final int maxConnections;
    private final int maxPerAddress;
    private final Selector selector;
    private final ThreadPoolExecutor workers;
    private final Thread io;
    private final LinkedHashSet<Conn> connections = new LinkedHashSet<>(); // accept order = deadline order
    private final Map<InetAddress, ArrayDeque<Conn>> byAddress = new HashMap<>();
    private final ArrayDeque<Conn> waiting = new ArrayDeque<>();
    private final Queue<Conn> replies = new ConcurrentLinkedQueue<>();
    private final AtomicLong budget;
    private final LongAdder evicted = new LongAdder();
    private final LongAdder expired = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private long acceptPausedUntil;
    private long acceptFailures;
    private long lastWarn;
    private long warnedEvicted;
    private long warnedExpired;
    private volatile boolean closed;
    private final PeerAuthentication authentication;

    private HandshakeServer(ServerSocketChannel server, HandshakeHandler handler, int maxLength, Duration timeout,
            int maxConnections, int maxPerAddress, TransferListener listener, PeerAuthentication authentication)
            throws IOException {
        this.server = server;
        this.authentication = authentication;
        this.listener = listener;
        this.port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        this.handler = handler;
        this.maxLength = maxLength;
        this.timeoutNanos = timeout.toNanos();
        this.maxConnections = maxConnections;
        this.maxPerAddress = maxPerAddress;
        this.budget = new AtomicLong(Math.max(64L << 20, 2L * maxLength));
        this.selector = Selector.open();
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        AtomicInteger n = new AtomicInteger();
        // The workers only run the handler on complete requests: they never wait on a client.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(WORKERS, WORKERS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(maxConnections), r -> {
                    Thread t = new Thread(r, "mooncake-handshake-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        this.workers = pool;
        this.io = new Thread(this::ioLoop, "mooncake-handshake-io-" + port);
        this.io.setDaemon(true);
    }

    /**
     * Binds and starts serving.
     *
     * @param bindAddress address to bind, {@code null} for the wildcard address
     * @param port the port, or 0 to take a free one in [{@code minPort}, {@code maxPort}]
     * @param timeout deadline of one whole exchange, from accept to the client's EOF
     */
    public static HandshakeServer start(String bindAddress, int port, int minPort, int maxPort, int backlog,
            HandshakeHandler handler, int maxLength, Duration timeout) {
        return start(bindAddress, port, minPort, maxPort, backlog, handler, maxLength, timeout, DEFAULT_MAX_CONNECTIONS,
                DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, TransferListener.disabled(), PeerAuthentication.disabled());
    }

    /**
     * As {@link #start(String, int, int, int, int, HandshakeHandler, int, Duration)}, with the
     * connection limits, a listener told of every connection closed before it was answered, and
     * the peer authentication every connection passes before its request is read (TLS and/or the
     * shared-secret exchange, within the same deadline; {@link PeerAuthentication#disabled()} for none).
     */
    public static HandshakeServer start(String bindAddress, int port, int minPort, int maxPort, int backlog,
            HandshakeHandler handler, int maxLength, Duration timeout, int maxConnections, int maxPerAddress,
            TransferListener listener, PeerAuthentication authentication) {
        ServerSocketChannel s = PortBinder.bind(bindAddress, port, minPort, maxPort, addr -> {
            ServerSocketChannel ch = PortBinder.openServer(addr);
            try {
                ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                ch.bind(addr, backlog);
                return ch;
            } catch (IOException e) {
                ch.close();
                throw e;
            }
        }, "handshake");
        try {
            HandshakeServer hs = new HandshakeServer(s, handler, maxLength, timeout, maxConnections, maxPerAddress,
                    listener, authentication);
            hs.io.start();
            return hs;
        } catch (IOException e) {
            try {
                s.close();
            } catch (IOException ignored) {
                // nothing to do
            }
            throw new MooncakeException(ErrorCode.SOCKET,
                    "cannot start the handshake listener: " + e, e);
        }
    }

    /** The bound port. */
    public int port() {
        return port;
    }

    /** Connections closed to make room under a connection limit. */
    /** Bytes of the request-body budget not taken by bodies being read or handled now. */
    long bodyBudgetLeft() {
        return budget.get();
    }

    public long evictedConnections() {
        return evicted.sum();
    }

    /** Connections closed because their exchange passed its deadline. */
    public long expiredConnections() {
        return expired.sum();
    }

    /** Complete requests dropped because every worker was busy and the queue full. */
    public long refusedRequests() {
        return refused.sum();
    }

    // ---- the I/O thread -------------------------------------------------------------------------

    private void ioLoop() {
        while (!closed) {
            try {
                long now = System.nanoTime();
                expire(now);
                resumeWaiting();
                Conn r;
                while ((r = replies.poll()) != null) {
                    startWriting(r);
                }
                if (acceptPausedUntil != 0 && now - acceptPausedUntil >= 0) {
                    acceptPausedUntil = 0;
                    server.keyFor(selector).interestOps(SelectionKey.OP_ACCEPT);
                }
                long wait = 250;
                if (!connections.isEmpty()) {
                    long untilFirst = connections.iterator().next().deadline - now;
                    wait = Math.max(1, Math.min(wait, TimeUnit.NANOSECONDS.toMillis(untilFirst) + 1));
                }
                selector.select(wait);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (k.channel() == server) {
                        accept();
                    } else {
                        serve((Conn) k.attachment(), k);
                    }
                }
                warnIfUnderPressure();
            } catch (ClosedSelectorException e) {
                break;
            } catch (Throwable t) {
                // Never let the listener die: log, breathe, go on.
                log.warn("Handshake listener on port {} hit an unexpected error; continuing", port, t);
                sleepQuietly(10);
            }
        }
        shutdown();
    }

    private void accept() {
        while (true) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                acceptFailures++;
                if (acceptFailures == 1 || acceptFailures % 1000 == 0) {
                    log.warn("Handshake listener on port {} failed to accept ({} failures so far): {}; pausing"
                            + " accepts for 100 ms", port, acceptFailures, e.toString());
                }
                server.keyFor(selector).interestOps(0);
                acceptPausedUntil = System.nanoTime() + ACCEPT_BACKOFF_NANOS;
                return;
            }
            if (ch == null) {
                return;
            }
            if (acceptFailures > 0) {
                log.info("Handshake listener on port {} accepts again after {} failures", port, acceptFailures);
                acceptFailures = 0;
            }
            Conn c = null;
            try {
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                InetAddress address = ((InetSocketAddress) ch.getRemoteAddress()).getAddress();
                c = new Conn(ch, address, System.nanoTime() + timeoutNanos);
                ArrayDeque<Conn> same = byAddress.computeIfAbsent(address, a -> new ArrayDeque<>());
                if (same.size() >= maxPerAddress) {
                    evictOldest(same, "its address holds " + same.size() + " connections (limit " + maxPerAddress + ")");
                }
                if (connections.size() >= maxConnections) {
                    evictOldest(connections, "the listener holds " + connections.size() + " connections (limit "
                            + maxConnections + ")");
                }
                if (authentication.guarded()) {
                    c.state = State.AUTH;
                    c.tls = authentication.tlsChannel(ch, false, null, 0);
                    c.tlsDone = c.tls == null;
                    c.io = c.tls != null ? c.tls : ch;
                    c.exchange = authentication.serverExchangeIfEnabled(PeerAuthentication.HANDSHAKE);
                    if (c.exchange != null) {
                        c.authIn = ByteBuffer.allocate(AuthExchange.MAX_MESSAGE);
                        c.authIn.limit(c.exchange.expected());
                    }
                }
                c.key = ch.register(selector, SelectionKey.OP_READ, c);
                connections.add(c);
                byAddress.computeIfAbsent(address, a -> new ArrayDeque<>()).add(c); // an eviction may have emptied it
                if (c.state == State.AUTH) {
                    authenticate(c); // the challenge goes out at once
                }
            } catch (IOException | RuntimeException e) {
                log.debug("Handshake connection could not be set up: {}", e.toString());
                if (c != null) {
                    close(c);
                } else {
                    closeQuietly(ch);
                }
            }
        }
    }

    /** Closes the oldest connection of {@code among} that is still reading its request, if any. */
    private void evictOldest(Iterable<Conn> among, String why) {
        for (Conn c : among) {
            if (c.readingRequest() || c.state == State.DRAINING) {
                log.debug("Handshake connection from {} closed to make room: {}", c.remote(), why);
                evicted.increment();
                listener.onHandshakeDropped(HandshakeDrop.OVER_LIMIT);
                close(c);
                return;
            }
        }
    }

    private void serve(Conn c, SelectionKey k) {
        if (c == null || c.closed) {
            return;
        }
        try {
            if (!k.isValid()) {
                close(c);
            } else if (c.state == State.AUTH) {
                authenticate(c);
            } else if (c.readingRequest() && k.isReadable()) {
                readRequest(c);
            } else if (c.state == State.WRITING && k.isWritable()) {
                writeReply(c);
            } else if (c.state == State.DRAINING && k.isReadable()) {
                drain(c);
            }
        } catch (MooncakeException e) {
            log.debug("Handshake from {} rejected: {}", c.remote(), e.getMessage());
            close(c);
        } catch (IOException e) {
            log.debug("Handshake connection from {} failed: {}", c.remote(), e.toString());
            close(c);
        } catch (Throwable t) {
            // an Error on one connection (OutOfMemoryError, say) ends that connection, never the listener
            log.warn("Handshake connection from {} failed unexpectedly; closing it", c.remote(), t);
            close(c);
        }
    }

    /**
     * Advances TLS and the shared-secret exchange as far as the socket allows (the same steps as the
     * data port's start); once proven, the connection reads its request through {@link Conn#io}.
     * Nothing is buffered beyond {@link AuthExchange#MAX_MESSAGE} bytes before the proof.
     */
    private void authenticate(Conn c) throws IOException {
        try {
            if (!c.tlsDone) {
                int ops = c.tls.handshake();
                if (ops != 0) {
                    interest(c, ops);
                    return;
                }
                c.tlsDone = true;
            }
            AuthExchange x = c.exchange;
            while (x != null && !x.done()) {
                ByteBuffer out = x.outbound();
                if (out.hasRemaining()) {
                    c.io.write(out);
                    if (out.hasRemaining()) {
                        interest(c, SelectionKey.OP_WRITE);
                        return;
                    }
                    continue;
                }
                int n = c.io.read(c.authIn);
                if (n < 0) {
                    reject(c, AuthenticationException.Reason.NO_PROOF, "closed before proving the shared secret ("
                            + c.authIn.position() + " of " + c.authIn.limit() + " bytes of the exchange received)");
                    return;
                }
                if (c.authIn.hasRemaining()) {
                    interest(c, SelectionKey.OP_READ);
                    return;
                }
                c.authIn.flip();
                x.receive(c.authIn);
                c.authIn.clear();
                c.authIn.limit(Math.max(x.expected(), 0));
            }
        } catch (AuthenticationException e) {
            reject(c, e.reason(), e.getMessage());
            return;
        } catch (IOException | RuntimeException e) {
            reject(c, c.tlsDone ? AuthenticationException.Reason.NO_PROOF : AuthenticationException.Reason.TLS_FAILED,
                    (c.tlsDone ? "I/O error during authentication: " : "TLS handshake failed: ") + e.getMessage());
            return;
        }
        c.exchange = null;
        c.authIn = null;
        c.state = State.PREFIX;
        interest(c, SelectionKey.OP_READ);
        readRequest(c); // over TLS the request may already be decrypted and buffered: no readiness would show it
    }

    private static void interest(Conn c, int ops) {
        if (c.key.isValid() && c.key.interestOps() != ops) {
            c.key.interestOps(ops);
        }
    }

    private void reject(Conn c, AuthenticationException.Reason reason, String why) {
        authentication.rejected(PeerAuthentication.HANDSHAKE, String.valueOf(c.remote()), reason, why);
        close(c);
    }

    /**
     * Reads what has arrived of the request (length prefix, then body) without blocking; hands a
     * complete one to a worker. The only place request bytes are consumed.
     */
    private void readRequest(Conn c) throws IOException {
        if (c.state == State.PREFIX) {
            if (c.io.read(c.prefix) < 0) {
                log.trace("Handshake connection from {} closed before a request", c.remote());
                close(c);
                return;
            }
            if (c.prefix.hasRemaining()) {
                return;
            }
            c.length = HandshakeFrame.checkLength(c.prefix.getLong(0), maxLength);
            c.state = State.WAITING;
            if (!reserve(c)) {
                c.key.interestOps(0);
                waiting.add(c);
                return;
            }
        }
        if (c.state == State.BODY) {
            if (c.io.read(c.body) < 0) {
                throw new java.io.EOFException("handshake frame ended after " + c.body.position() + " of "
                        + c.length + " bytes");
            }
            if (!c.body.hasRemaining()) {
                dispatch(c);
            }
        }
    }

    private boolean reserve(Conn c) {
        long left;
        do {
            left = budget.get();
            if (left < c.length) {
                return false;
            }
        } while (!budget.compareAndSet(left, left - c.length));
        c.body = ByteBuffer.allocate(c.length);
        c.state = State.BODY;
        return true;
    }

    private void release(Conn c) {
        if (c.body != null) {
            budget.addAndGet(c.length);
            c.body = null;
            if (!waiting.isEmpty()) {
                selector.wakeup(); // resume a waiting connection on the next turn
            }
        }
    }

    private void resumeWaiting() throws IOException {
        while (!waiting.isEmpty()) {
            Conn c = waiting.peek();
            if (c.closed) {
                waiting.poll();
                continue;
            }
            if (!reserve(c)) {
                return;
            }
            waiting.poll();
            c.key.interestOps(SelectionKey.OP_READ);
            if (c.tls != null) {
                readRequest(c); // bytes already decrypted into the TLS channel would show no readiness
            }
        }
    }

    private void dispatch(Conn c) {
        c.state = State.HANDLING;
        c.key.interestOps(0);
        byte[] payload = c.body.array();
        try {
            workers.execute(() -> handle(c, payload));
        } catch (RejectedExecutionException e) {
            refused.increment();
            listener.onHandshakeDropped(HandshakeDrop.BUSY);
            log.debug("Handshake workers busy; closing the connection from {}", c.remote());
            close(c);
        }
    }

    /** On a worker: parse, answer, hand the reply to the I/O thread. */
    private void handle(Conn c, byte[] payload) {
        try {
            HandshakeFrame request = HandshakeFrame.decode(payload);
            JsonNode body = MAPPER.readTree(request.json());
            if (body == null || !body.isObject()) {
                log.debug("Handshake from {}: body is not a JSON object; closing", c.remote());
                c.reply = null;
            } else {
                JsonNode reply = handler.handle(request.type(), body);
                String json = MAPPER.writeValueAsString(reply) + "\n";
                c.reply = ByteBuffer.wrap(new HandshakeFrame(request.type(), json, request.legacy()).encode());
            }
        } catch (MooncakeException | JacksonException | IllegalArgumentException e) {
            log.debug("Handshake from {} rejected: {}", c.remote(), e.getMessage());
            c.reply = null;
        } catch (Throwable t) {
            log.warn("Handshake handler failed for a request from {}", c.remote(), t);
            c.reply = null;
        }
        replies.add(c);
        selector.wakeup();
    }

    private void startWriting(Conn c) throws IOException {
        release(c);
        if (c.closed) {
            return;
        }
        if (c.reply == null) {
            close(c);
            return;
        }
        c.state = State.WRITING;
        try {
            writeReply(c);
        } catch (IOException | RuntimeException e) {
            log.debug("Handshake reply to {} failed: {}", c.remote(), e.toString());
            close(c);
        }
    }

    private void writeReply(Conn c) throws IOException {
        c.io.write(c.reply);
        if (c.reply.hasRemaining()) {
            c.key.interestOps(SelectionKey.OP_WRITE);
            return;
        }
        c.reply = null;
        c.channel.shutdownOutput();
        // Wait (within the deadline) for the client's EOF, as the reference does.
        c.state = State.DRAINING;
        c.key.interestOps(SelectionKey.OP_READ);
    }

    private void drain(Conn c) throws IOException {
        ByteBuffer sink = ByteBuffer.allocate(256);
        int n;
        while ((n = c.io.read(sink)) > 0) {
            sink.clear();
        }
        if (n < 0) {
            close(c);
        }
    }

    private void expire(long now) {
        Iterator<Conn> it = connections.iterator();
        ArrayList<Conn> late = null;
        while (it.hasNext()) {
            Conn c = it.next();
            if (c.deadline - now > 0) {
                break;
            }
            if (late == null) {
                late = new ArrayList<>();
            }
            late.add(c);
        }
        if (late != null) {
            for (Conn c : late) {
                if (c.state == State.AUTH) {
                    reject(c, c.tlsDone ? AuthenticationException.Reason.NO_PROOF
                            : AuthenticationException.Reason.TLS_FAILED, (c.tlsDone ? "no proof" : "no TLS handshake")
                            + " within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
                    continue;
                }
                if (c.state != State.DRAINING) {
                    expired.increment();
                    listener.onHandshakeDropped(HandshakeDrop.DEADLINE);
                    log.debug("Handshake connection from {} passed its deadline ({} ms) while {}; closing",
                            c.remote(), TimeUnit.NANOSECONDS.toMillis(timeoutNanos), c.state);
                }
                close(c);
            }
        }
    }

    private void warnIfUnderPressure() {
        long now = System.nanoTime();
        if (lastWarn != 0 && now - lastWarn < WARN_EVERY_NANOS) {
            return;
        }
        long e = evicted.sum();
        long x = expired.sum();
        if (e != warnedEvicted || x != warnedExpired) {
            log.warn("Handshake listener on port {}: {} connections closed to stay under the connection limits and"
                    + " {} closed at the request deadline since the last report (totals {} and {}); slow or idle"
                    + " clients, or a peer opening connections it does not use", port, e - warnedEvicted,
                    x - warnedExpired, e, x);
            warnedEvicted = e;
            warnedExpired = x;
            lastWarn = now;
        }
    }

    private void close(Conn c) {
        if (c.closed) {
            return;
        }
        c.closed = true;
        connections.remove(c);
        ArrayDeque<Conn> same = byAddress.get(c.address);
        if (same != null) {
            same.remove(c);
            if (same.isEmpty()) {
                byAddress.remove(c.address);
            }
        }
        if (c.state != State.HANDLING) {
            release(c); // a worker still holds the body of a request being handled: released when it answers
        }
        if (c.key != null) {
            c.key.cancel();
        }
        closeQuietly(c.channel);
    }

    private void shutdown() {
        for (Conn c : new ArrayList<>(connections)) {
            close(c);
        }
        closeQuietly(server);
        try {
            selector.close();
        } catch (IOException e) {
            log.trace("closing the handshake selector", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        workers.shutdownNow();
        try {
            selector.wakeup();
        } catch (ClosedSelectorException ignored) {
            // already down
        }
        if (Thread.currentThread() != io) {
            try {
                io.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeQuietly(server);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.mooncake.engine.transport.tcp;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.stats.TransferListener;
import io.mooncake.engine.batch.CancelCause;
import io.mooncake.engine.batch.Deadlines;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.memory.MemoryRegistry;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.rpc.PortBinder;
import io.mooncake.engine.security.PeerAuthentication;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.transport.Reach;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.engine.config.TcpServerLimits;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tcp transport in pure Java NIO, wire-compatible with the reference's (24-byte headers,
 * v2 status frames), with persistent pipelined connections per peer, several I/O threads, and
 * requests cut into slices striped over a peer's connections.
 *
 * <p>Threading: {@link #submit} runs on the caller's thread and only queues; I/O threads do all
 * socket work and complete slices.
 */
public final class TcpTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(TcpTransport.class);

    private final EngineConfig config;
    private final MemoryRegistry registry;
    private final Deadlines deadlines;
    private final Consumer<String> peerFailureListener;
    private final TransferListener listener;
    private final PeerAuthentication authentication;
    private final String bindAddress;
    private IoLoop[] loops;
    private final AtomicInteger nextLoop = new AtomicInteger();
    private ServerSocketChannel server;
    private final Object peersLock = new Object();
    private volatile TcpPeer[] peers = new TcpPeer[16];
    private final Set<ServerConnection> serverConnections = ConcurrentHashMap.newKeySet();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder servedBytes = new LongAdder();
    private final LongAdder appliedWrites = new LongAdder();
    private final AtomicLong lastRejectionLog = new AtomicLong();
    private final TcpServerLimits limits;
    /** Open inbound connections per remote address (entries leave at zero). */
    private final ConcurrentHashMap<InetAddress, Integer> inboundPerAddress = new ConcurrentHashMap<>();
    private final AtomicInteger inboundCount = new AtomicInteger();
    private final LongAdder refusedConnections = new LongAdder();
    private final LongAdder idleClosed = new LongAdder();
    private final LongAdder stalledClosed = new LongAdder();
    private final LongAdder malformedRequests = new LongAdder();
    private final LongAdder acceptFailures = new LongAdder();
    private final AtomicLong lastRefusalLog = new AtomicLong();
    private final AtomicLong lastMalformedLog = new AtomicLong();
    /** How the listener accepts; tests put a failing one in (out of file descriptors). */
    private volatile Accepting accepting = ServerSocketChannel::accept;
    private IoLoop acceptLoop;

    /** Accepts one connection, {@code null} when none is pending. */
    interface Accepting {
        SocketChannel accept(ServerSocketChannel server) throws IOException;
    }
    private volatile boolean closed;

    public TcpTransport(TransportContext context) {
        this.config = context.config();
        this.registry = context.memory();
        this.deadlines = context.deadlines();
        this.peerFailureListener = context::peerFailed;
        this.listener = context.listener();
        this.authentication = context.authentication();
        this.bindAddress = context.bindAddress();
        this.limits = config.tcpServerLimits();
    }

    @Override
    public String protocol() {
        return "tcp";
    }

    @Override
    public void start() {
        try {
            loops = new IoLoop[config.ioThreads()];
            for (int i = 0; i < loops.length; i++) {
                loops[i] = new IoLoop("mooncake-tcp-io-" + i);
                loops[i].start();
            }
            server = PortBinder.bind(bindAddress, config.tcpDataPort(), config.minRpcPort(),
                    config.maxRpcPort(), addr -> {
                        ServerSocketChannel s = PortBinder.openServer(addr);
                        try {
                            s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                            if (config.socketBufferSize() > 0) {
                                s.setOption(StandardSocketOptions.SO_RCVBUF, config.socketBufferSize());
                            }
                            s.bind(addr, 512);
                            s.configureBlocking(false);
                            return s;
                        } catch (IOException e) {
                            s.close();
                            throw e;
                        }
                    }, "tcp data");
            acceptLoop = loops[0];
            acceptLoop.execute(() -> {
                try {
                    Acceptor acceptor = new Acceptor();
                    acceptor.key = acceptLoop.register(server, SelectionKey.OP_ACCEPT, acceptor);
                } catch (IOException e) {
                    log.error("Cannot listen for tcp data connections", e);
                }
            });
        } catch (IOException e) {
            close();
            throw new MooncakeException(ErrorCode.SOCKET, "cannot start the tcp transport: " + e, e);
        }
    }

    /** The bound data port. */
    public int dataPort() {
        return server.socket().getLocalPort();
    }

    @Override
    public SegmentDescriptor describe(SegmentDescriptor base) {
        return new SegmentDescriptor(base.name(), base.protocol(), dataPort(), 2, base.timestamp(), base.buffers(),
                base.devices(), base.priorityMatrix(), base.extra());
    }

    @Override
    public Reach reach(RemoteTarget target) {
        int port = target.descriptor().tcpDataPort();
        if (port <= 0) {
            return Reach.none("segment publishes no tcp data port (protocol '" + target.descriptor().protocol()
                    + "')");
        }
        return Reach.of(Reach.NETWORK, "tcp data port " + target.host() + ":" + port);
    }

    @Override
    public String unsupported(TransferTask task) {
        Region local = task.localRegion();
        if (local != null && !local.kind().isHostAccessible()) {
            return "tcp moves host memory only, and the local buffer is " + local.location()
                    + " device memory (register host memory, or run a GPU-capable transport)";
        }
        return null;
    }

    @Override
    public int sliceSize(RemoteTarget target) {
        return config.sliceSize();
    }

    @Override
    public void submit(TransferTask task) {
        RemoteTarget target = task.target();
        SegmentDescriptor d = target.descriptor();
        boolean v2 = d.tcpProtoVersion() >= 2 && config.tcpProtoVersion() >= 2;
        TcpPeer peer = peer(target, v2);
        boolean write = task.opCode() == OpCode.WRITE;
        long local = task.source();
        long remote = task.targetAddress();
        int count = task.sliceCount();
        for (int k = 0; k < count; k++) {
            long off = task.sliceOffset(k);
            peer.post(task, local + off, remote + off, task.sliceLength(k), write);
        }
    }

    private TcpPeer peer(RemoteTarget target, boolean v2) {
        int id = (int) target.id();
        TcpPeer[] arr = peers;
        TcpPeer p = id < arr.length ? arr[id] : null;
        if (p != null && p.matches(target.host(), target.descriptor().tcpDataPort(), v2)) {
            return p;
        }
        synchronized (peersLock) {
            arr = peers;
            p = id < arr.length ? arr[id] : null;
            if (p != null && p.matches(target.host(), target.descriptor().tcpDataPort(), v2)) {
                return p;
            }
            TcpPeer old = p;
            p = new TcpPeer(this, target.segmentName(), target.host(), target.descriptor().tcpDataPort(), v2,
                    config.connectionsPerPeer());
            TcpPeer[] next = id < arr.length ? arr.clone() : Arrays.copyOf(arr, Math.max(arr.length * 2, id + 1));
            next[id] = p;
            peers = next;
            if (old != null) {
                log.info("Peer {} moved to {}:{}; closing connections to its old address", target.segmentName(),
                        target.host(), target.descriptor().tcpDataPort());
                old.close("peer re-registered at another address");
            }
            return p;
        }
    }

    @Override
    public void cancel(TransferTask task, CancelCause cause) {
        if (cause != CancelCause.DEADLINE) {
            return; // slices not sent yet are skipped when their turn comes; replies of sent ones are ignored
        }
        int id = (int) task.target().id();
        TcpPeer[] arr = peers;
        TcpPeer p = id < arr.length ? arr[id] : null;
        if (p != null) {
            // The peer let a request pass its deadline after its bytes left: close the connections that
            // still wait for an answer for it, which ends every slice queued on them; new requests reconnect.
            p.closeConnectionsAwaiting(task, "request timed out after " + config.transferTimeout().toMillis()
                    + " ms without an answer from the peer");
        }
    }

    @Override
    public void peerInvalidated(String segmentName) {
        // Connections are checked against the target's address on every submit; nothing cached by name.
    }

    /** Tests: the inbound data connections open now. */
    java.util.Collection<ServerConnection> serverConnections() {
        return java.util.List.copyOf(serverConnections);
    }

    /** Tests: the I/O loop {@code i} (0 accepts the data connections). */
    IoLoop loop(int i) {
        return loops[i];
    }

    IoLoop nextLoop() {
        return loops[Math.floorMod(nextLoop.getAndIncrement(), loops.length)];
    }

    Deadlines deadlines() {
        return deadlines;
    }

    Duration connectTimeout() {
        return config.connectTimeout();
    }

    int socketBufferSize() {
        return config.socketBufferSize();
    }

    void peerConnectionFailed(TcpPeer peer) {
        if (!closed) {
            peerFailureListener.accept(peer.segmentName());
        }
    }

    void rejected(String remote, long addr, long size, boolean write) {
        rejected.increment();
        listener.onServed("tcp", write ? OpCode.WRITE : OpCode.READ, Math.max(size, 0), TransferState.FAILED);
        if (oncePerSecond(lastRejectionLog)) {
            // sizes are unsigned 64-bit on the wire: 2^63 and above are not negative
            log.warn("Rejected {} from {}: address 0x{} with size {} is not within a registered remote-accessible "
                    + "buffer ({} rejected so far)", write ? "WRITE" : "READ", remote, Long.toHexString(addr),
                    Long.toUnsignedString(size), rejected.sum());
        }
    }

    /** A request header with an opcode that is neither READ nor WRITE (with or without the v2 bit). */
    void malformed(String remote, int opcode, long size, long addr) {
        malformedRequests.increment();
        if (oncePerSecond(lastMalformedLog)) {
            log.warn("Closed the data connection from {}: unknown opcode 0x{} (size {}, address 0x{}); only 0x00/0x01 "
                    + "READ/WRITE, with bit 0x80 for v2, exist ({} malformed requests so far)", remote,
                    Integer.toHexString(opcode), Long.toUnsignedString(size), Long.toHexString(addr),
                    malformedRequests.sum());
        }
    }

    /** An inbound connection waited for its next request longer than the idle timeout. */
    void idleClosed() {
        idleClosed.increment();
    }

    /** An inbound request's body or reply made no progress for the body timeout. */
    void stalledClosed(String remote, String what) {
        stalledClosed.increment();
        log.warn("Closed the data connection from {}: {} made no progress for {} ms (mooncake.tcp.body-timeout); "
                + "the memory it used is released", remote, what, limits.bodyTimeout().toMillis());
    }

    TcpServerLimits limits() {
        return limits;
    }

    /**
     * Where a connection accepted on the accepting loop goes once it proves persistent (it sends a
     * second request): the loops in turn, the accepting one included.
     */
    IoLoop loopForPersistentConnection() {
        return nextLoop();
    }

    private static boolean oncePerSecond(AtomicLong lastLog) {
        long now = System.nanoTime();
        long last = lastLog.get();
        return (last == 0 || now - last > 1_000_000_000L) && lastLog.compareAndSet(last, now);
    }

    /** A READ was answered with {@code bytes} of registered memory. */
    void served(long bytes) {
        servedBytes.add(bytes);
        listener.onServed("tcp", OpCode.READ, bytes, TransferState.COMPLETED);
    }

    /** A WRITE's body is in registered memory; its length is not known to the caller. */
    void applied() {
        applied(0);
    }

    /** A WRITE of {@code bytes} is in registered memory (0 when the caller does not know the length). */
    void applied(long bytes) {
        appliedWrites.increment();
        listener.onServed("tcp", OpCode.WRITE, bytes, TransferState.COMPLETED);
    }

    /** Whether peers must prove the shared secret, and the rejection count. */
    PeerAuthentication authentication() {
        return authentication;
    }

    /**
     * When the engine requires the shared secret, runs the exchange on an accepted channel before
     * {@code c} serves anything and returns {@code true}: {@code c.admitted()} follows on the loop,
     * or the rejection is counted and {@code c} closed. Returns {@code false} when authentication is off.
     */
    boolean authenticating(ServerConnection c, SocketChannel ch, IoLoop loop) {
        if (!authentication.guarded()) {
            return false;
        }
        new SecureStart(ch, loop, authentication.tlsChannel(ch, false, null, 0),
                authentication.serverExchangeIfEnabled(PeerAuthentication.TCP_DATA), c::admitted,
                (reason, why) -> {
                    authentication.rejected(PeerAuthentication.TCP_DATA, c.remote(), reason, why);
                    c.close("not authenticated: " + why);
                }).begin(null, deadlines, authentication.timeout());
        return true;
    }

    void serverConnectionClosed(ServerConnection c) {
        if (serverConnections.remove(c)) {
            inboundCount.decrementAndGet();
            InetAddress a = c.address();
            if (a != null) {
                inboundPerAddress.computeIfPresent(a, (k, n) -> n <= 1 ? null : n - 1);
            }
        }
    }

    /** Tests: accept through {@code a} from now on (a failing one stands for running out of descriptors). */
    void acceptWith(Accepting a) {
        accepting = a;
    }

    @Override
    public Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dataPort", server == null ? 0 : dataPort());
        int open = 0;
        for (TcpPeer p : peers) {
            if (p != null) {
                open += p.openConnections();
            }
        }
        m.put("outboundConnections", open);
        m.put("inboundConnections", serverConnections.size());
        long stagingBytes = 0;
        long stagingWaits = 0;
        int stagingLent = 0;
        if (loops != null) {
            for (IoLoop l : loops) {
                stagingBytes += l.stagingPool().allocatedBytes();
                stagingWaits += l.stagingPool().waits();
                stagingLent += l.stagingPool().lent();
            }
        }
        m.put("inboundStagingBytes", stagingBytes);
        m.put("inboundStagingInUse", stagingLent);
        m.put("inboundStagingWaits", stagingWaits);
        m.put("rejectedRequests", rejected.sum());
        m.put("bindAddress", bindAddress == null ? "0.0.0.0 (all interfaces)" : bindAddress);
        m.put("authentication", authentication.enabled() ? "on" : "off");
        m.put("tls", authentication.tls() ? "on" : "off");
        m.put("malformedRequests", malformedRequests.sum());
        m.put("refusedConnections", refusedConnections.sum());
        m.put("idleClosedConnections", idleClosed.sum());
        m.put("stalledClosedConnections", stalledClosed.sum());
        m.put("acceptFailures", acceptFailures.sum());
        long contained = 0;
        if (loops != null) {
            for (IoLoop l : loops) {
                contained += l.containedFailures();
            }
        }
        m.put("ioLoopFailures", contained);
        m.put("appliedWrites", appliedWrites.sum());
        m.put("servedReadBytes", servedBytes.sum());
        return m;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (TcpPeer p : peers) {
            if (p != null) {
                p.close("engine closing");
            }
        }
        if (server != null) {
            try {
                server.close();
            } catch (IOException e) {
                log.trace("closing data listener", e);
            }
        }
        if (loops != null) {
            for (IoLoop l : loops) {
                if (l != null) {
                    l.shutdown();
                }
            }
        }
    }

    /**
     * Sets up one accepted data connection: socket options, the connection limits, then serves it
     * on the accepting loop at once (a connection-per-request initiator sends its request right
     * behind the connect, and no other thread need wake up for it). A connection that sends a
     * second request is persistent and moves to the loops in turn (see ServerConnection).
     * Call on the accepting loop.
     */
    private void setUpInboundConnection(SocketChannel ch) {
        SocketAddress remote;
        try {
            remote = ch.getRemoteAddress();
        } catch (IOException e) {
            closeQuietly(ch);
            return;
        }
        InetAddress address = remote instanceof InetSocketAddress isa ? isa.getAddress() : null;
        String refusal = admit(address);
        if (refusal != null) {
            refused(remote, refusal);
            closeQuietly(ch);
            return;
        }
        ServerConnection c;
        try {
            c = new ServerConnection(ch, registry, this, acceptLoop, address);
        } catch (Throwable t) { // out of memory: undo the admission, the loop contains the rest
            inboundCount.decrementAndGet();
            if (address != null) {
                inboundPerAddress.computeIfPresent(address, (k, v) -> v <= 1 ? null : v - 1);
            }
            closeQuietly(ch);
            throw t;
        }
        serverConnections.add(c);
        try {
            ch.configureBlocking(false);
            if (authentication.guarded()) {
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true); // TLS and the exchange write several times
            }
            // TCP_NODELAY otherwise, and SO_SNDBUF, are asked for once the connection needs them
            // (ServerConnection.noDelay, sizeSendBuffer)
            c.start();
        } catch (IOException e) {
            c.close("cannot configure the socket: " + e);
        } catch (Throwable t) {
            c.close("internal error: " + t);
            throw t;
        }
    }

    /** Counts a new connection against the limits; returns why it is refused, or {@code null}. */
    private String admit(InetAddress address) {
        if (inboundCount.incrementAndGet() > limits.maxConnections()) {
            inboundCount.decrementAndGet();
            return limits.maxConnections() + " inbound connections open (mooncake.tcp.max-inbound-connections)";
        }
        if (address != null) {
            int n = inboundPerAddress.merge(address, 1, Integer::sum);
            if (n > limits.maxConnectionsPerAddress()) {
                inboundPerAddress.computeIfPresent(address, (k, v) -> v <= 1 ? null : v - 1);
                inboundCount.decrementAndGet();
                return limits.maxConnectionsPerAddress() + " inbound connections open from this address "
                        + "(mooncake.tcp.max-inbound-connections-per-address)";
            }
        }
        return null;
    }

    private void refused(SocketAddress remote, String why) {
        refusedConnections.increment();
        if (oncePerSecond(lastRefusalLog)) {
            log.warn("Refused a data connection from {}: {} ({} refused so far)", remote, why,
                    refusedConnections.sum());
        }
    }

    /**
     * Accepts data connections. When accepting fails (out of file descriptors: EMFILE) the
     * listener stops asking for a while, 10 ms doubling up to 1 s, instead of spinning on a
     * connection it cannot take, and the failure is logged once with a count per 10 s.
     */
    private final class Acceptor implements IoLoop.Handler {
        private static final long MIN_BACKOFF_NANOS = 10_000_000L;
        private static final long MAX_BACKOFF_NANOS = 1_000_000_000L;
        SelectionKey key;
        private long backoff = MIN_BACKOFF_NANOS;
        private final RepeatedFailureLog failures = new RepeatedFailureLog("Accepting a tcp data connection", 10,
                java.util.concurrent.TimeUnit.SECONDS, System::nanoTime, log::warn);

        @Override
        public void ready(SelectionKey k) {
            for (int i = 0; i < 64; i++) {
                SocketChannel ch;
                try {
                    ch = accepting.accept(server);
                } catch (IOException e) {
                    acceptFailed(e);
                    return;
                }
                if (failures.streak() > 0) {
                    failures.succeeded();
                    backoff = MIN_BACKOFF_NANOS;
                }
                if (ch == null) {
                    return;
                }
                setUpInboundConnection(ch);
            }
        }

        private void acceptFailed(IOException e) {
            acceptFailures.increment();
            failures.failed(String.valueOf(e.getMessage() == null ? e : e.getMessage()));
            if (key != null && key.isValid()) {
                key.interestOps(0);
                long delay = backoff;
                backoff = Math.min(MAX_BACKOFF_NANOS, backoff * 2);
                acceptLoop.after(delay, () -> {
                    if (key.isValid()) {
                        key.interestOps(SelectionKey.OP_ACCEPT);
                    }
                });
            }
        }

        @Override
        public void failed(Throwable t) {
            // the listener is not a connection: keep it, back off as for a failed accept
            acceptFailed(new IOException(t.toString()));
        }

        @Override
        public void closeFromLoop(String reason) {
            try {
                server.close();
            } catch (IOException e) {
                log.trace("closing data listener", e);
            }
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}

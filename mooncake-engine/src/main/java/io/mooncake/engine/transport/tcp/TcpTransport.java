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
import java.io.IOException;
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
    private volatile boolean closed;

    public TcpTransport(TransportContext context) {
        this.config = context.config();
        this.registry = context.memory();
        this.deadlines = context.deadlines();
        this.peerFailureListener = context::peerFailed;
        this.listener = context.listener();
        this.authentication = context.authentication();
        this.bindAddress = context.bindAddress();
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
                        ServerSocketChannel s = ServerSocketChannel.open();
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
            IoLoop acceptLoop = loops[0];
            acceptLoop.execute(() -> {
                try {
                    acceptLoop.register(server, SelectionKey.OP_ACCEPT, new Acceptor());
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
        long now = System.nanoTime();
        long last = lastRejectionLog.get();
        if (now - last > 1_000_000_000L && lastRejectionLog.compareAndSet(last, now)) {
            log.warn("Rejected {} from {}: address 0x{} with size {} is not within a registered remote-accessible "
                    + "buffer ({} rejected so far)", write ? "WRITE" : "READ", remote, Long.toHexString(addr), size,
                    rejected.sum());
        }
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
        serverConnections.remove(c);
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

    /** Accepts data connections and hands each to an I/O loop. */
    private final class Acceptor implements IoLoop.Handler {
        @Override
        public void ready(SelectionKey key) {
            for (int i = 0; i < 64; i++) {
                SocketChannel ch;
                try {
                    ch = server.accept();
                } catch (IOException e) {
                    log.warn("Accepting a tcp data connection failed: {}", e.toString());
                    return;
                }
                if (ch == null) {
                    return;
                }
                try {
                    ch.configureBlocking(false);
                    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    if (config.socketBufferSize() > 0) {
                        ch.setOption(StandardSocketOptions.SO_SNDBUF, config.socketBufferSize());
                    }
                } catch (IOException e) {
                    log.debug("Configuring an accepted connection failed", e);
                    closeQuietly(ch);
                    continue;
                }
                IoLoop loop = nextLoop();
                ServerConnection c = new ServerConnection(ch, registry, TcpTransport.this, loop);
                serverConnections.add(c);
                if (loop.inLoop()) {
                    c.start();
                } else {
                    loop.execute(c::start);
                }
            }
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

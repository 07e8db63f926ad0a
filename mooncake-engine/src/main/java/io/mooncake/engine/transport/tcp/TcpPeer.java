package io.mooncake.engine.transport.tcp;

import io.mooncake.engine.batch.TransferTask;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The persistent connections to one peer's data port. Slices are spread over them round-robin;
 * a failed connection is replaced on the next slice that needs it. Thread-safe.
 */
final class TcpPeer {

    /** Resolves peers' host names off the submitting and I/O threads (DNS can take seconds). */
    private static final ExecutorService RESOLVER = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "mooncake-tcp-resolver");
        t.setDaemon(true);
        return t;
    });

    private final TcpTransport transport;
    private final String segmentName;
    private final String host;
    private final int port;
    private final boolean v2;
    private volatile InetSocketAddress address;
    private final ClientConnection[] connections;
    private int next;

    TcpPeer(TcpTransport transport, String segmentName, String host, int port, boolean v2, int connections) {
        this.transport = transport;
        this.segmentName = segmentName;
        this.host = host;
        this.port = port;
        this.v2 = v2;
        this.address = isLiteral(host) ? new InetSocketAddress(host, port) : InetSocketAddress.createUnresolved(host,
                port);
        this.connections = new ClientConnection[connections];
    }

    boolean matches(String h, int p, boolean version2) {
        return host.equals(h) && port == p && v2 == version2;
    }

    String segmentName() {
        return segmentName;
    }

    String describe() {
        return segmentName + " (" + host + ":" + port + ")";
    }

    long connectTimeoutMillis() {
        return transport.connectTimeout().toMillis();
    }

    /** Whether {@code host} is an IP address literal, which resolves without a DNS query. */
    static boolean isLiteral(String host) {
        return host.indexOf(':') >= 0 || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    /**
     * Calls {@code then} on a resolver thread with the peer's resolved address, or with the failure
     * message; never on the caller's thread when a DNS query is needed.
     */
    void resolve(java.util.function.BiConsumer<InetSocketAddress, String> then) {
        InetSocketAddress a = address;
        if (!a.isUnresolved()) {
            then.accept(a, null);
            return;
        }
        RESOLVER.execute(() -> {
            InetSocketAddress r;
            try {
                r = new InetSocketAddress(InetAddress.getByName(host), port);
            } catch (UnknownHostException | SecurityException e) {
                then.accept(null, "cannot resolve host '" + host + "' of peer " + segmentName + ": " + e.getMessage());
                return;
            }
            address = r;
            then.accept(r, null);
        });
    }

    /** Queues one slice on the next connection, opening one if needed. */
    void post(TransferTask task, long local, long remote, int length, boolean write) {
        for (int attempt = 0; attempt < 2; attempt++) {
            ClientConnection c = pick();
            if (c.enqueue(task, local, remote, length, write)) {
                return;
            }
        }
        task.sliceFailed("no usable data connection to " + describe());
    }

    private synchronized ClientConnection pick() {
        int i = next;
        next = i + 1 == connections.length ? 0 : i + 1;
        ClientConnection c = connections[i];
        if (c == null || c.isClosed()) {
            c = new ClientConnection(this, transport.nextLoop(), v2, transport.socketBufferSize());
            connections[i] = c;
            c.open();
            ClientConnection opened = c;
            transport.deadlines().schedule(opened::connectTimedOut, transport.connectTimeout());
        }
        return c;
    }

    /**
     * When the engine requires the shared secret, runs the exchange on a just-connected channel
     * (the connect deadline bounds it) and returns {@code true}: {@code onProven} or
     * {@code onFailed} follows on the loop. Returns {@code false} when authentication is off.
     */
    boolean authenticating(java.nio.channels.SocketChannel ch, java.nio.channels.SelectionKey key, IoLoop loop,
            java.util.function.Consumer<io.mooncake.engine.security.TlsChannel> onProven,
            java.util.function.Consumer<String> onFailed) {
        io.mooncake.engine.security.PeerAuthentication auth = transport.authentication();
        if (!auth.guarded()) {
            return false;
        }
        new SecureStart(ch, loop, auth.tlsChannel(ch, true, host, port),
                auth.clientExchangeIfEnabled(io.mooncake.engine.security.PeerAuthentication.TCP_DATA),
                onProven, (reason, why) -> onFailed.accept("data connection to " + describe()
                        + " not authenticated: " + why))
                .begin(key, transport.deadlines(), auth.timeout());
        return true;
    }

    void connectionFailed(ClientConnection c) {
        transport.peerConnectionFailed(this);
    }

    /** Open connections. */
    synchronized int openConnections() {
        int n = 0;
        for (ClientConnection c : connections) {
            if (c != null && !c.isClosed()) {
                n++;
            }
        }
        return n;
    }

    /** Closes the connections with slices of {@code task} sent and not yet answered. */
    synchronized void closeConnectionsAwaiting(TransferTask task, String reason) {
        for (ClientConnection c : connections) {
            if (c != null) {
                c.closeIfAwaiting(task, reason);
            }
        }
    }

    synchronized void close(String reason) {
        for (ClientConnection c : connections) {
            if (c != null) {
                c.close(reason);
            }
        }
    }
}

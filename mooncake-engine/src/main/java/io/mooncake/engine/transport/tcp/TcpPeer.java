package io.mooncake.engine.transport.tcp;

import io.mooncake.engine.batch.Deadlines;
import io.mooncake.engine.batch.TransferTask;
import java.net.InetSocketAddress;

/**
 * The persistent connections to one peer's data port. Slices are spread over them round-robin;
 * a failed connection is replaced on the next slice that needs it. Thread-safe.
 */
final class TcpPeer {

    private final TcpTransport transport;
    private final String segmentName;
    private final String host;
    private final int port;
    private final boolean v2;
    private final InetSocketAddress address;
    private final ClientConnection[] connections;
    private int next;

    TcpPeer(TcpTransport transport, String segmentName, String host, int port, boolean v2, int connections) {
        this.transport = transport;
        this.segmentName = segmentName;
        this.host = host;
        this.port = port;
        this.v2 = v2;
        this.address = new InetSocketAddress(host, port);
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

    /** Queues one slice on the next connection, opening one if needed. */
    void post(TransferTask task, long local, long remote, int length, boolean write) {
        if (address.isUnresolved()) {
            task.sliceFailed("cannot resolve host '" + host + "' of peer " + segmentName);
            return;
        }
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
            c = new ClientConnection(this, transport.nextLoop(), address, v2, transport.socketBufferSize());
            connections[i] = c;
            c.open();
            ClientConnection opened = c;
            transport.deadlines().schedule(opened::connectTimedOut, transport.connectTimeout());
        }
        return c;
    }

    Deadlines deadlines() {
        return transport.deadlines();
    }

    /** A request on this peer ended before its slices did: see {@link ClientConnection#watchForStall}. */
    synchronized void watchForStall(long limitNanos) {
        for (ClientConnection c : connections) {
            if (c != null && !c.isClosed()) {
                c.watchForStall(limitNanos);
            }
        }
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

    synchronized void close(String reason) {
        for (ClientConnection c : connections) {
            if (c != null) {
                c.close(reason);
            }
        }
    }
}

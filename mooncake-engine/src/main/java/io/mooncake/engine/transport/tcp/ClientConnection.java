package io.mooncake.engine.transport.tcp;

import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.MemoryWindow;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.rpc.PortBinder;
import io.mooncake.engine.stats.FailureKind;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The initiating side of one persistent data connection to a peer.
 *
 * <p>Submitting threads append slices to a ring (under a short lock, no allocation); the I/O
 * loop writes their headers and bodies back to back, without waiting for replies, and matches
 * replies to slices in order, since the receiver serves one connection's requests in order.
 * Small bodies are copied into a staging buffer so many requests leave in one system call;
 * large ones are written from, or read into, registered memory directly.
 *
 * <p>v2 peers acknowledge every request with a status frame; a WRITE completes only on that
 * acknowledgement. Toward v1 peers, each WRITE is followed by a one-byte READ of the same
 * address on the same connection: the receiver serves requests in order, so that read's reply
 * proves the write was applied, and a v1 WRITE is never reported COMPLETED on faith.
 *
 * <p>Threading: the connection belongs to one I/O loop, which does all reading. Writing is
 * guarded by a lock: a submitting thread that finds the connection idle writes its slices itself
 * (no wake-up of the loop on the latency path); otherwise it leaves them to the loop.
 *
 * <p>Any connection error fails every slice queued on the connection; the peer opens a new
 * connection for later slices.
 */
final class ClientConnection implements IoLoop.Handler {

    private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);

    private static final int INITIAL_RING = 256;

    /** Slices queued on the connection: plain arrays indexed by sequence number, replaced only to grow. */
    private static final class Ring {
        final TransferTask[] task;
        final long[] local;
        final long[] remote;
        final int[] length;
        final boolean[] write;
        /** Slices of tasks that had ended before their turn to be sent: never sent, no reply expected. */
        final boolean[] skipped;
        final int mask;

        Ring(int capacity) {
            task = new TransferTask[capacity];
            local = new long[capacity];
            remote = new long[capacity];
            length = new int[capacity];
            write = new boolean[capacity];
            skipped = new boolean[capacity];
            mask = capacity - 1;
        }
    }

    private final TcpPeer peer;
    private final IoLoop loop;
    private final boolean v2;
    private final int socketBufferSize;
    private final AtomicBoolean scheduled = new AtomicBoolean();

    private final Object lock = new Object();
    private volatile Ring ring = new Ring(INITIAL_RING);
    private volatile long tail;
    private volatile long acked;
    private volatile boolean closed;

    // Loop-confined state.
    private SocketChannel ch;
    /** Where requests are written and replies read: the socket, or its TLS channel. */
    private java.nio.channels.ReadableByteChannel rd;
    private java.nio.channels.GatheringByteChannel wr;
    private io.mooncake.engine.security.TlsChannel tls;
    private SelectionKey key;
    private volatile boolean connected;
    /** Whether the listener proved the shared secret, or none is required. */
    private boolean admitted;
    /**
     * Slices whose bytes have been (or are being) handed to the socket, counted before their first
     * byte is written; written under {@link #sendLock}, read by the loop when matching replies.
     */
    private volatile long sent;
    private long ackedLocal;
    private final ByteBuffer in = ByteBuffer.allocateDirect(TcpWire.BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer out = ByteBuffer.allocateDirect(TcpWire.BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final long inAddress = NativeMemory.addressOf(in);
    private final long outAddress = NativeMemory.addressOf(out);
    private final MemoryWindow sendWindow = new MemoryWindow();
    private final MemoryWindow recvWindow = new MemoryWindow();
    private final ByteBuffer[] gather = new ByteBuffer[] {out, sendWindow.buffer()};
    private boolean sendingBody;
    private long sendBodyAddress;
    private long sendBodyRemaining;
    private int sendWindowLength;
    private boolean pendingFence;
    private boolean statusSeen;
    private int bodyDone;
    private boolean receivingDirect;
    private int recvWindowLength;
    private volatile boolean writeBlocked;
    /**
     * Guards the send side (staging buffer, window, {@link #sent}): the loop and, when the connection
     * is idle, a submitting thread write through it, which saves an I/O-thread wake-up per request.
     */
    private final java.util.concurrent.locks.ReentrantLock sendLock = new java.util.concurrent.locks.ReentrantLock();

    ClientConnection(TcpPeer peer, IoLoop loop, boolean v2, int socketBufferSize) {
        this.peer = peer;
        this.loop = loop;
        this.v2 = v2;
        this.socketBufferSize = socketBufferSize;
    }

    boolean isClosed() {
        return closed;
    }

    /** Slices queued and not yet answered. */
    long queued() {
        return tail - acked;
    }

    /**
     * Resolves the peer (off this thread when DNS is needed) and starts the non-blocking connect on
     * the loop; {@link #connectTimedOut()} bounds both.
     */
    void open() {
        peer.resolve((address, failure) -> {
            if (failure != null) {
                loop.execute(() -> fail(failure));
            } else {
                connect(address);
            }
        });
    }

    private void connect(InetSocketAddress address) {
        loop.execute(() -> {
            if (closed) {
                return;
            }
            try {
                ch = PortBinder.openClient(address);
                rd = ch;
                wr = ch;
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                if (socketBufferSize > 0) {
                    ch.setOption(StandardSocketOptions.SO_SNDBUF, socketBufferSize);
                    ch.setOption(StandardSocketOptions.SO_RCVBUF, socketBufferSize);
                }
                if (ch.connect(address)) {
                    key = loop.register(ch, SelectionKey.OP_READ, this);
                    connected();
                } else {
                    key = loop.register(ch, SelectionKey.OP_CONNECT, this);
                }
            } catch (IOException | RuntimeException e) {
                fail("cannot connect to " + peer.describe() + ": " + e);
            }
        });
    }

    void connectTimedOut() {
        loop.execute(() -> {
            if (!connected && !closed) {
                fail("connect to " + peer.describe() + " timed out after " + peer.connectTimeoutMillis() + " ms");
            }
        });
    }

    /**
     * Queues a slice; returns {@code false} when the connection is closed (the caller picks another).
     * Called on submitting threads.
     */
    boolean enqueue(TransferTask task, long local, long remote, int length, boolean write) {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            long seq = tail;
            Ring r = ring;
            if (seq - acked >= r.task.length) {
                r = grow(r, seq);
            }
            int i = (int) seq & r.mask;
            r.task[i] = task;
            r.local[i] = local;
            r.remote[i] = remote;
            r.length[i] = length;
            r.write[i] = write;
            r.skipped[i] = false;
            tail = seq + 1;
        }
        // Small requests are written by the submitting thread when the connection is idle (no
        // wake-up of the loop on the latency path); large bodies are left to the loop, so that
        // submitting never costs the caller a large copy into the socket.
        boolean small = !write || length <= TcpWire.COPY_THRESHOLD;
        if (!small || !connected || writeBlocked || !sendLock.tryLock()) {
            scheduleLoop();
            return true;
        }
        try {
            send();
        } catch (IOException e) {
            String reason = "write to " + peer.describe() + " failed: " + e.getMessage();
            loop.execute(() -> fail(reason));
        } finally {
            sendLock.unlock();
        }
        if (sent < tail && !writeBlocked) {
            scheduleLoop(); // another thread queued meanwhile
        }
        return true;
    }

    private void scheduleLoop() {
        if (scheduled.compareAndSet(false, true)) {
            loop.schedule(this);
        }
    }

    /** Sends what is queued, on the loop thread. */
    private void drainOnLoop() throws IOException {
        if (!connected || closed) {
            return;
        }
        sendLock.lock();
        try {
            if (writeBlocked) {
                if (key.isValid()) {
                    key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                }
                return;
            }
            send();
        } finally {
            sendLock.unlock();
        }
    }

    private Ring grow(Ring old, long tailSeq) {
        Ring r = new Ring(old.task.length * 2);
        for (long s = acked; s < tailSeq; s++) {
            int o = (int) s & old.mask;
            int n = (int) s & r.mask;
            r.task[n] = old.task[o];
            r.local[n] = old.local[o];
            r.remote[n] = old.remote[o];
            r.length[n] = old.length[o];
            r.write[n] = old.write[o];
            r.skipped[n] = old.skipped[o];
        }
        ring = r;
        return r;
    }

    @Override
    public void scheduled() {
        scheduled.set(false);
        try {
            drainOnLoop();
        } catch (IOException e) {
            fail("write to " + peer.describe() + " failed: " + e.getMessage());
        }
    }

    @Override
    public void ready(SelectionKey k) {
        try {
            if (k.isConnectable()) {
                if (ch.finishConnect()) {
                    connected();
                }
                return;
            }
            if (k.isWritable()) {
                sendLock.lock();
                try {
                    writeBlocked = false;
                    k.interestOps(SelectionKey.OP_READ);
                    send();
                } finally {
                    sendLock.unlock();
                }
            }
            if (k.isValid() && k.isReadable()) {
                receive();
            }
        } catch (IOException e) {
            fail("connection to " + peer.describe() + " failed: " + e.getMessage());
        }
    }

    private void connected() throws IOException {
        if (!admitted && peer.authenticating(ch, key, loop, this::admitted, this::fail)) {
            return; // admitted() carries on once the listener and this node proved the shared secret
        }
        key.interestOps(SelectionKey.OP_READ);
        connected = true;
        log.debug("Data connection to {} established (protocol v{})", peer.describe(), v2 ? 2 : 1);
        drainOnLoop();
    }

    /**
     * TLS is up and/or both ends proved the shared secret: start sending, through {@code tls} when
     * not {@code null}. On the loop thread.
     */
    private void admitted(io.mooncake.engine.security.TlsChannel tls) {
        admitted = true;
        if (tls != null) {
            this.tls = tls;
            rd = tls;
            wr = tls;
        }
        try {
            connected();
        } catch (IOException e) {
            fail("connection to " + peer.describe() + " failed: " + e.getMessage());
        }
    }

    /** Writes queued slices until the queue is empty or the socket is full. Call holding {@link #sendLock}. */
    private void send() throws IOException {
        if (closed) {
            return; // failAll may have released the slices' memory
        }
        long t = tail;
        Ring r = ring;
        while (true) {
            if (sendingBody) {
                out.flip();
                wr.write(gather);
                out.compact();
                if (sendWindow.buffer().hasRemaining()) {
                    blockWrites();
                    return;
                }
                sendBodyAddress += sendWindowLength;
                sendBodyRemaining -= sendWindowLength;
                if (sendBodyRemaining > 0) {
                    openSendWindow();
                    continue;
                }
                sendingBody = false;
                pendingFence = !v2;
            }
            if (pendingFence) {
                if (out.remaining() < TcpWire.HEADER_SIZE && !flush()) {
                    blockWrites();
                    return;
                }
                putFence(r.remote[(int) (sent - 1) & r.mask]);
                pendingFence = false;
            }
            if (sent >= t) {
                break;
            }
            int i = (int) sent & r.mask;
            TransferTask queued = r.task[i];
            if (queued.isDone()) {
                // Ended (canceled, timed out) before its turn: never sent, so no reply to wait for.
                markSkipped(sent);
                sent++;
                queued.sliceFailed(FailureKind.CANCELED, "ended before it was sent");
                continue;
            }
            int len = r.length[i];
            boolean write = r.write[i];
            boolean small = write && len <= TcpWire.COPY_THRESHOLD;
            int need = TcpWire.HEADER_SIZE + (small ? len : 0) + (write && !v2 ? TcpWire.HEADER_SIZE : 0);
            if (out.remaining() < need && !flush()) {
                blockWrites();
                return;
            }
            putHeader(len, r.remote[i], write);
            if (!write) {
                sent++;
                continue;
            }
            if (small) {
                NativeMemory.copy(r.local[i], outAddress + out.position(), len);
                out.position(out.position() + len);
                sent++;
                if (!v2) {
                    putFence(r.remote[i]);
                }
                continue;
            }
            // Counted as sent before its first byte leaves: the loop may read the reply as soon as
            // the last byte is out, possibly before this (submitting) thread returns from the write.
            sent++;
            sendingBody = true;
            sendBodyAddress = r.local[i];
            sendBodyRemaining = len;
            openSendWindow();
        }
        if (!flush()) {
            blockWrites();
        }
    }

    /**
     * Marks a slice as never sent, in the ring that is current now: a submitting thread may have grown
     * the ring since {@link #send()} read it, and the loop matches replies against the current ring.
     * Under {@link #lock}, so a concurrent {@link #grow} copies the mark.
     */
    private void markSkipped(long seq) {
        synchronized (lock) {
            Ring r = ring;
            int i = (int) seq & r.mask;
            r.skipped[i] = true;
            r.task[i] = null;
        }
    }

    private void openSendWindow() {
        sendWindowLength = (int) Math.min(sendBodyRemaining, TcpWire.MAX_WINDOW);
        gather[1] = sendWindow.point(sendBodyAddress, sendWindowLength); // not always the same buffer: see MemoryWindow
    }

    private void putHeader(long size, long remote, boolean write) {
        out.putLong(size);
        out.putLong(remote);
        out.putLong((write ? TcpWire.OP_WRITE : TcpWire.OP_READ) | (v2 ? TcpWire.V2_FLAG : 0)); // opcode + 7 zero bytes
    }

    /** A one-byte v1 READ of an address just written: its reply proves the WRITE before it was applied. */
    private void putFence(long remote) {
        out.putLong(1);
        out.putLong(remote);
        out.putLong(TcpWire.OP_READ);
    }

    private boolean flush() throws IOException {
        if (out.position() == 0) {
            return true;
        }
        out.flip();
        wr.write(out);
        boolean all = !out.hasRemaining();
        out.compact();
        return all;
    }

    private void blockWrites() {
        writeBlocked = true;
        if (loop.inLoop()) {
            if (key.isValid()) {
                key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            }
        } else {
            scheduleLoop(); // the loop sets the interest (a blocked select would not see it)
        }
    }

    private void receive() throws IOException {
        boolean drained = false;
        for (int round = 0; round < 64; round++) {
            int n;
            if (receivingDirect) {
                n = rd.read(recvWindow.buffer());
                if (n > 0 && !recvWindow.buffer().hasRemaining()) {
                    receivingDirect = false;
                    bodyDone += recvWindowLength;
                    Ring r = ring;
                    int i = (int) ackedLocal & r.mask;
                    if (bodyDone == r.length[i]) {
                        completeHead(r, i);
                    }
                }
            } else {
                boolean statusOnly = nextIsLargeRead();
                if (statusOnly) {
                    // The next reply is a large READ body: take only its status frame here, so the body
                    // is read straight into registered memory.
                    in.limit(TcpWire.STATUS_SIZE);
                }
                n = rd.read(in);
                if (statusOnly) {
                    in.limit(in.capacity());
                }
                if (n > 0) {
                    in.flip();
                    try {
                        parse();
                    } finally {
                        in.compact();
                    }
                }
            }
            if (n < 0) {
                fail(ackedLocal < tail ? "peer " + peer.describe() + " closed the connection with "
                        + (tail - ackedLocal) + " request(s) outstanding" : null);
                return;
            }
            if (closed) {
                return;
            }
            if (n == 0) {
                drained = true;
                break;
            }
        }
        acked = ackedLocal;
        if (!drained && tls != null && tls.hasBufferedInput()) {
            // TLS may hold decrypted replies the socket no longer signals: read them on the loop's next turn
            loop.execute(this::receiveLater);
        }
        if (!writeBlocked && sent < tail) {
            drainOnLoop(); // slices queued meanwhile
        }
    }

    private void receiveLater() {
        if (closed) {
            return;
        }
        try {
            receive();
        } catch (IOException e) {
            fail("connection to " + peer.describe() + " failed: " + e.getMessage());
        }
    }

    private boolean nextIsLargeRead() {
        if (!v2 || statusSeen || in.position() != 0 || ackedLocal >= sent) {
            return false;
        }
        Ring r = ring;
        int i = (int) ackedLocal & r.mask;
        return !r.skipped[i] && !r.write[i] && r.length[i] >= TcpWire.COPY_THRESHOLD;
    }

    private void parse() {
        // Sent before ring: every slice counted as sent is in the ring read after it (a ring read
        // first may predate a growth and hold another sequence number in a slice's slot).
        long end = sent;
        Ring r = ring;
        while (ackedLocal < end) { // replies never precede their request
            int i = (int) ackedLocal & r.mask;
            if (r.skipped[i]) {
                ackedLocal++;
                continue;
            }
            boolean write = r.write[i];
            int len = r.length[i];
            if (v2 && !statusSeen) {
                if (in.remaining() < TcpWire.STATUS_SIZE) {
                    return;
                }
                long status = in.getLong();
                if (!TcpWire.hasMagic(status)) {
                    failAll("peer " + peer.describe() + " sent no MCTV status frame (0x" + Long.toHexString(status)
                            + "): it does not speak tcp protocol v2; set MC_TCP_PROTO=1 for legacy peers");
                    return;
                }
                if ((int) status != TcpWire.STATUS_OK) {
                    TransferTask task = r.task[i];
                    r.task[i] = null;
                    ackedLocal++;
                    task.sliceFailed(FailureKind.PEER_REJECTED, "peer " + peer.describe() + " rejected "
                            + (write ? "WRITE" : "READ") + " of "
                            + len + " bytes at 0x" + Long.toHexString(r.remote[i])
                            + ": not within a registered remote-accessible buffer (status " + (int) status + ")");
                    continue;
                }
                if (write) {
                    completeHead(r, i);
                    continue;
                }
                statusSeen = true;
                bodyDone = 0;
            }
            if (write) {
                // v1: the one-byte fence reply
                if (in.remaining() < 1) {
                    return;
                }
                in.get();
                completeHead(r, i);
                continue;
            }
            int avail = in.remaining();
            int k = Math.min(avail, len - bodyDone);
            if (k > 0) {
                NativeMemory.copy(inAddress + in.position(), r.local[i] + bodyDone, k);
                in.position(in.position() + k);
                bodyDone += k;
            }
            if (bodyDone == len) {
                completeHead(r, i);
                continue;
            }
            if (len - bodyDone >= TcpWire.COPY_THRESHOLD) {
                recvWindowLength = Math.min(len - bodyDone, TcpWire.MAX_WINDOW);
                recvWindow.point(r.local[i] + bodyDone, recvWindowLength);
                receivingDirect = true;
            }
            return;
        }
    }

    private void completeHead(Ring r, int i) {
        TransferTask task = r.task[i];
        r.task[i] = null;
        statusSeen = false;
        bodyDone = 0;
        ackedLocal++;
        task.sliceCompleted(r.length[i]);
    }

    private void fail(String reason) {
        failAll(reason == null ? "connection to " + peer.describe() + " closed" : reason);
    }

    private void failAll(String reason) {
        long end;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            end = tail;
        }
        // Wait out a submitting thread that may be writing from slice memory: once the slices fail,
        // that memory may be freed.
        sendLock.lock();
        sendLock.unlock();
        if (end > ackedLocal) {
            log.warn("Data connection to {} failed with {} slice(s) outstanding: {}", peer.describe(),
                    end - ackedLocal, reason);
        } else {
            log.debug("Data connection to {} closed: {}", peer.describe(), reason);
        }
        Ring r = ring;
        for (long s = ackedLocal; s < end; s++) {
            int i = (int) s & r.mask;
            TransferTask task = r.task[i];
            r.task[i] = null;
            if (task != null) {
                task.sliceFailed(reason);
            }
        }
        ackedLocal = end;
        acked = end;
        sendWindow.clear();
        recvWindow.clear();
        if (key != null) {
            key.cancel();
        }
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                log.trace("closing data connection", e);
            }
        }
        peer.connectionFailed(this);
    }

    @Override
    public void closeFromLoop(String reason) {
        failAll(reason);
    }

    /** Closes (on the loop) if a slice of {@code task} was sent and is not answered yet. */
    void closeIfAwaiting(TransferTask task, String reason) {
        loop.execute(() -> {
            Ring r = ring;
            long end = sent;
            for (long s = ackedLocal; s < end; s++) {
                if (r.task[(int) s & r.mask] == task) {
                    failAll(reason);
                    return;
                }
            }
        });
    }

    /** Closes from any thread; queued slices end FAILED. */
    void close(String reason) {
        loop.execute(() -> failAll(reason));
    }
}

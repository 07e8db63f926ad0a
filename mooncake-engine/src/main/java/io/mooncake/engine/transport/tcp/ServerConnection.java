package io.mooncake.engine.transport.tcp;

import io.mooncake.engine.memory.MemoryRegistry;
import io.mooncake.engine.memory.MemoryWindow;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.security.TlsChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving side of one data connection: reads successive request headers, checks each
 * against the registered remote-accessible memory, applies WRITE bodies and serves READ
 * bodies, and answers v2 requests with status frames.
 *
 * <p>Memory: accepting a connection allocates no direct memory. The connection borrows a
 * {@link StagingPool.Staging} unit (a 256 KiB input and output buffer and a memory window) from
 * its loop's pool when it has something to do, and gives it back as soon as it waits for its peer
 * with nothing left to send, keeping at most an incomplete header (under 24 bytes, on the heap).
 * A connection-per-request initiator therefore costs one loan per request, and idle connections
 * hold nothing. When the pool is exhausted the connection stops reading until a unit is free.
 *
 * <p>Small bodies are staged through the input buffer and copied once; large bodies are read
 * from or written to registered memory directly through the unit's {@code MemoryWindow}. Status
 * frames of pipelined requests are gathered and flushed together. A request outside every
 * registered remote-accessible buffer touches no memory: a v2 peer gets status 1, then the
 * connection closes (v1: closes silently, as the reference does).
 *
 * <p>Confined to its I/O loop thread.
 */
final class ServerConnection implements IoLoop.Handler, StagingPool.Waiter {

    private static final Logger log = LoggerFactory.getLogger(ServerConnection.class);

    private static final int HEADER = 0;
    private static final int WRITE_BODY = 1;
    private static final int READ_BODY = 2;
    private static final int CLOSING = 3;

    private final SocketChannel ch;
    /** Where requests are read from and answers written to: the socket, or its TLS channel. */
    private java.nio.channels.ReadableByteChannel rd;
    private java.nio.channels.GatheringByteChannel wr;
    private final MemoryRegistry registry;
    private final TcpTransport owner;
    private final InetAddress address;
    /** The loop serving this connection: the accepting one, then (if it proves persistent) one in turn. */
    private IoLoop loop;
    private StagingPool pool;
    /** Whether the connection stays on its loop for good (it served a request there, and moved or not). */
    private boolean settled;
    private boolean servedOne;
    private boolean sendBufferSized;
    /** Whether TCP_NODELAY is set (see {@link #beforeWrite}). */
    private boolean noDelay;
    /** Whether anything was written to the socket yet. */
    private boolean wroteOnce;
    /** The loop's clock when bytes last moved, for the idle and body deadlines. */
    private long lastProgress;
    private String remote;
    private SelectionKey key;

    /** The borrowed unit and its parts; all null while the connection holds none. */
    private StagingPool.Staging staging;
    private ByteBuffer in;
    private ByteBuffer out;
    private long inAddress;
    private long outAddress;
    private MemoryWindow window;
    private ByteBuffer[] gather;
    /** An incomplete header kept while no unit is held. */
    private byte[] partial;
    private int partialLength;
    private boolean waiting;
    private boolean queued;
    /** An answer waits for the end of the loop's turn ({@link #endOfTurn}). */
    private boolean deferred;

    private int phase = HEADER;
    private long bodyAddress;
    private long bodyRemaining;
    /** Size of the request whose body is being received, for the served-traffic count. */
    private long bodySize;
    private int windowLength;
    private boolean windowActive;
    private boolean v2;
    private boolean owedStatus;
    private boolean inputClosed;
    private boolean lastLarge;
    /** The region the current request uses, held until its body is done. */
    private Region current;
    private boolean closed;
    /** Whether the peer may be served: it proved the shared secret, or none is required. */
    private boolean admitted;

    ServerConnection(SocketChannel ch, MemoryRegistry registry, TcpTransport owner, IoLoop loop,
            InetAddress address) {
        this.ch = ch;
        this.rd = ch;
        this.wr = ch;
        this.registry = registry;
        this.owner = owner;
        this.loop = loop;
        this.pool = loop.stagingPool();
        this.address = address;
        this.noDelay = owner.authentication().guarded(); // then set at accept (TcpTransport)
    }

    /** Tests: whether the socket has TCP_NODELAY set now (any thread). */
    boolean socketNoDelay() throws IOException {
        return ch.getOption(java.net.StandardSocketOptions.TCP_NODELAY);
    }

    /** The peer's IP address ({@code null} when unknown), for the per-address limit. */
    InetAddress address() {
        return address;
    }

    /**
     * Registers with the loop. A freshly accepted connection is read when the selector reports
     * data; one that moved here with part of a request read is served at once. Call on the loop
     * thread.
     */
    void start() {
        if (!admitted && owner.authenticating(this, ch, loop)) {
            return; // owner calls admitted() once the peer proved the shared secret, or closes
        }
        if (closed) {
            return;
        }
        lastProgress = loop.now();
        try {
            key = loop.register(ch, SelectionKey.OP_READ, this);
        } catch (IOException e) {
            close("cannot register: " + e);
            return;
        }
        if (partialLength == 0 && !servedOne && !(rd instanceof TlsChannel tls && tls.hasBufferedInput())) {
            // Freshly accepted: its request is rarely there yet (the initiator connects first and
            // writes after), so a read now would mostly come back empty; the selector reports it.
            // (Not so over TLS when the request came with the handshake's last flight: it waits,
            // decrypted, in the TLS channel, where no readiness shows it.)
            return;
        }
        run(); // moved here with part of a request read: serve it
    }

    /**
     * The peer completed TLS and/or proved the shared secret: serve it, through {@code tls} when
     * not {@code null}. On the loop thread.
     */
    void admitted(TlsChannel tls) {
        admitted = true;
        if (tls != null) {
            rd = tls;
            wr = tls;
        }
        if (!closed) {
            start();
        }
    }

    /** The peer's address, for logs (looked up on first use only). */
    String remote() {
        if (remote == null) {
            try {
                remote = String.valueOf(ch.getRemoteAddress());
            } catch (IOException e) {
                remote = "?";
            }
        }
        return remote;
    }

    @Override
    public void ready(SelectionKey k) {
        run();
    }

    @Override
    public void scheduled() {
        queued = false;
        if (!closed) {
            run();
        }
    }

    private void run() {
        try {
            if (acquire()) {
                drive();
            }
        } catch (IOException e) {
            close("I/O error: " + e.getMessage());
        }
    }

    // ---- staging loans ------------------------------------------------------------------------

    /** Borrows a unit unless one is held; when none is free, stops reading and waits in line. */
    private boolean acquire() {
        if (staging != null) {
            return true;
        }
        if (waiting) {
            return false;
        }
        StagingPool.Staging s = pool.take();
        if (s == null) {
            waiting = true;
            interest(0);
            pool.await(this);
            log.debug("Data connection from {} waits for a staging buffer ({} lent)", remote(), pool.lent());
            return false;
        }
        use(s);
        return true;
    }

    @Override
    public void granted(StagingPool.Staging s) {
        waiting = false;
        use(s);
        reschedule();
    }

    @Override
    public boolean gone() {
        return closed;
    }

    private void use(StagingPool.Staging s) {
        staging = s;
        in = s.in;
        out = s.out;
        inAddress = s.inAddress;
        outAddress = s.outAddress;
        window = s.window;
        gather = s.gather;
        if (partialLength > 0) {
            in.put(partial, 0, partialLength);
            partialLength = 0;
        }
    }

    /**
     * Gives the unit back while the connection waits for its peer: nothing to send, at most an
     * incomplete header buffered (kept on the heap), a direct body read resumed from where it is.
     */
    private void release() {
        if (staging == null || hasPendingOutput() || in.position() >= TcpWire.HEADER_SIZE) {
            return;
        }
        if (windowActive) {
            // the window's position need not start at 0 (MemoryWindow): count what is left
            int done = windowLength - window.buffer().remaining();
            bodyAddress += done;
            bodyRemaining -= done;
            windowActive = false;
        }
        int n = in.position();
        if (n > 0) {
            if (partial == null) {
                partial = new byte[TcpWire.HEADER_SIZE];
            }
            in.flip();
            in.get(partial, 0, n);
            partialLength = n;
        }
        giveBack();
    }

    private void giveBack() {
        StagingPool.Staging s = staging;
        staging = null;
        in = null;
        out = null;
        window = null;
        gather = null;
        pool.give(s);
    }

    private void reschedule() {
        if (!queued) {
            queued = true;
            loop.schedule(this);
        }
    }

    /** Runs until the connection blocks on input or output. */
    private void drive() throws IOException {
        // Whether a read of this call came back short: the socket had no more then, so another read
        // would most likely find nothing (a system call for EAGAIN); the selector reports what comes.
        boolean drained = false;
        for (int round = 0; round < 64 && !closed; round++) {
            if (hasPendingOutput()) {
                if (!writePending()) {
                    interest(SelectionKey.OP_WRITE);
                    return;
                }
                if (owedStatus) {
                    out.putLong(TcpWire.statusFrame(TcpWire.STATUS_OK));
                    owedStatus = false;
                    continue;
                }
            }
            if (phase == CLOSING) {
                close("request rejected");
                return;
            }
            if (!process()) {
                continue; // output is pending, or the connection is closing: loop to write
            }
            if (!settled && servedOne && phase == HEADER && in.position() == 0 && hasPendingOutput()
                    && !inputClosed) {
                // A connection-per-request initiator's request is answered: send the answer at the end
                // of the loop's turn (endOfTurn), with the other answers of the turn, and then wait for the
                // close (or a second request) without first reading the socket empty.
                if (!deferred) {
                    deferred = true;
                    loop.defer(this);
                }
                return;
            }
            if (inputClosed) {
                close(phase == HEADER && in.position() == 0 ? null : "peer closed mid-request");
                return;
            }
            int n;
            if (drained) {
                n = 0;
            } else if (windowActive) {
                n = rd.read(window.buffer());
                if (n > 0 && !window.buffer().hasRemaining()) {
                    windowActive = false;
                    bodyAddress += windowLength;
                    bodyRemaining -= windowLength;
                    if (bodyRemaining == 0) {
                        writeCompleted();
                    } else if (bodyRemaining >= TcpWire.COPY_THRESHOLD) {
                        openWindow();
                    }
                }
            } else if ((lastLarge || servedOne && !settled) && phase == HEADER && in.position() == 0) {
                // After a large request the next one is likely large too: read just its header, so
                // its body can go straight to registered memory instead of through the staging buffer.
                // (And a connection that sends a second request moves with no more than a header read.)
                in.limit(TcpWire.HEADER_SIZE);
                n = rd.read(in);
                drained = in.hasRemaining() && rd == ch;
                in.limit(in.capacity());
                if (n > 0 && servedOne && !settled && !hasPendingOutput() && moveToItsLoop()) {
                    return;
                }
            } else {
                n = rd.read(in);
                drained = in.hasRemaining() && rd == ch; // (a TLS channel may hold more decrypted)
            }
            if (n > 0) {
                lastProgress = loop.now();
            }
            if (n < 0) {
                // Serve what was already received (a client may half-close after its last request).
                inputClosed = true;
                continue;
            }
            if (n == 0) {
                if (hasPendingOutput()) {
                    if (!writePending()) {
                        interest(SelectionKey.OP_WRITE);
                        return;
                    }
                    if (owedStatus || phase == CLOSING || phase == READ_BODY || in.position() > 0) {
                        continue;
                    }
                    // all sent, and the socket had nothing to read a moment ago: wait for it rather
                    // than ask again (one read system call less per request)
                }
                interest(SelectionKey.OP_READ);
                release();
                return;
            }
        }
        if (!closed) {
            // Fairness: give other connections a turn, then carry on from the loop's queue.
            interest(0);
            reschedule();
        }
    }

    /** The end of the loop's turn: sends the answer deferred in {@link #drive}, then waits for the peer. */
    @Override
    public void endOfTurn() {
        deferred = false;
        if (closed || staging == null) {
            return;
        }
        try {
            if (!writePending()) {
                interest(SelectionKey.OP_WRITE);
                return;
            }
            if (owedStatus) {
                drive();
                return;
            }
            interest(SelectionKey.OP_READ);
            release();
        } catch (IOException e) {
            close("I/O error: " + e.getMessage());
        }
    }

    private boolean hasPendingOutput() {
        return (out != null && out.position() > 0) || phase == READ_BODY || owedStatus;
    }

    /** Writes staged output and any direct READ body; returns whether everything went out. */
    private boolean writePending() throws IOException {
        while (phase == READ_BODY) {
            beforeWrite();
            out.flip();
            if (wr.write(gather) > 0) {
                lastProgress = loop.now();
            }
            out.compact();
            if (window.buffer().hasRemaining()) {
                return false;
            }
            bodyAddress += windowLength;
            bodyRemaining -= windowLength;
            if (bodyRemaining == 0) {
                phase = HEADER;
                releaseCurrent();
            } else {
                openWindow();
            }
        }
        if (out.position() > 0) {
            beforeWrite();
            out.flip();
            wr.write(out);
            boolean all = !out.hasRemaining();
            out.compact();
            return all;
        }
        return true;
    }

    /**
     * Parses buffered input. Returns {@code true} when it needs more input, {@code false} when
     * output must be written first (or the connection is closing).
     */
    private boolean process() {
        in.flip();
        try {
            while (true) {
                if (phase == WRITE_BODY) {
                    if (windowActive) {
                        return true;
                    }
                    int avail = in.remaining();
                    if (avail == 0) {
                        if (bodyRemaining >= TcpWire.COPY_THRESHOLD) {
                            openWindow();
                        }
                        return true;
                    }
                    int k = (int) Math.min(avail, bodyRemaining);
                    NativeMemory.copy(inAddress + in.position(), bodyAddress, k);
                    in.position(in.position() + k);
                    bodyAddress += k;
                    bodyRemaining -= k;
                    if (bodyRemaining > 0) {
                        continue;
                    }
                    if (!writeCompleted()) {
                        return false;
                    }
                    continue;
                }
                if (phase != HEADER) {
                    return false;
                }
                if (in.remaining() < TcpWire.HEADER_SIZE) {
                    return true;
                }
                int start = in.position();
                long size = in.getLong(start);
                long addr = in.getLong(start + 8);
                int op = in.get(start + 16) & 0xff;
                boolean isV2 = (op & TcpWire.V2_FLAG) != 0;
                int base = op & ~TcpWire.V2_FLAG;
                if (base != TcpWire.OP_READ && base != TcpWire.OP_WRITE) {
                    // The reference serves any other opcode as a READ; nothing but 0 and 1 is ever sent
                    // by a reference initiator, so anything else is a broken or hostile peer. (The 7
                    // padding bytes are NOT checked: the reference's initiator leaves them uninitialised.)
                    in.position(start + TcpWire.HEADER_SIZE);
                    owner.malformed(remote(), op, size, addr);
                    if (isV2) {
                        if (out.remaining() < TcpWire.STATUS_SIZE) {
                            out.clear();
                        }
                        out.putLong(TcpWire.statusFrame(TcpWire.STATUS_REJECTED));
                    }
                    phase = CLOSING;
                    return false;
                }
                boolean write = base == TcpWire.OP_WRITE;
                Region region = size <= 0 ? null : registry.acquire(addr, size, true);
                if (region == null) {
                    in.position(start + TcpWire.HEADER_SIZE);
                    owner.rejected(remote(), addr, size, write);
                    if (isV2) {
                        if (out.remaining() < TcpWire.STATUS_SIZE) {
                            out.clear(); // the connection closes anyway; the rejection is what matters
                        }
                        out.putLong(TcpWire.statusFrame(TcpWire.STATUS_REJECTED));
                    }
                    phase = CLOSING;
                    return false;
                }
                lastLarge = size >= TcpWire.COPY_THRESHOLD;
                servedOne = true;
                current = region;
                if (write) {
                    in.position(start + TcpWire.HEADER_SIZE);
                    v2 = isV2;
                    phase = WRITE_BODY;
                    bodyAddress = addr;
                    bodyRemaining = size;
                    bodySize = size;
                    continue;
                }
                boolean small = size <= TcpWire.COPY_THRESHOLD;
                int need = (isV2 ? TcpWire.STATUS_SIZE : 0) + (small ? (int) size : 0);
                if (out.remaining() < need) {
                    current = null;
                    region.release();
                    return false; // header stays unconsumed until the output drains
                }
                in.position(start + TcpWire.HEADER_SIZE);
                if (isV2) {
                    out.putLong(TcpWire.statusFrame(TcpWire.STATUS_OK));
                }
                if (small) {
                    NativeMemory.copy(addr, outAddress + out.position(), size);
                    current = null;
                    region.release();
                    out.position(out.position() + (int) size);
                    owner.served(size);
                    continue;
                }
                phase = READ_BODY;
                sizeSendBuffer();
                bodyAddress = addr;
                bodyRemaining = size;
                bodySize = size;
                owner.served(size);
                openWindow();
                return false;
            }
        } finally {
            in.compact();
        }
    }

    private void openWindow() {
        windowLength = (int) Math.min(bodyRemaining, TcpWire.MAX_WINDOW);
        gather[1] = window.point(bodyAddress, windowLength); // not always the same buffer: see MemoryWindow
        windowActive = phase == WRITE_BODY;
    }

    /** A WRITE body is fully in memory: acknowledge it (v2). Returns false when the status must wait for output room. */
    private boolean writeCompleted() {
        phase = HEADER;
        releaseCurrent();
        owner.applied(bodySize);
        if (!v2) {
            return true;
        }
        if (out.remaining() < TcpWire.STATUS_SIZE) {
            owedStatus = true;
            return false;
        }
        out.putLong(TcpWire.statusFrame(TcpWire.STATUS_OK));
        return true;
    }

    private void releaseCurrent() {
        Region r = current;
        if (r != null) {
            current = null;
            r.release();
        }
    }

    private void interest(int ops) {
        if (key.isValid() && key.interestOps() != ops) {
            key.interestOps(ops);
        }
    }

    /**
     * Moves a connection that proved persistent (a second request arrived on the accepting loop) to
     * the loop the transport picks, keeping the bytes read so far (at most a header) on the heap.
     * Returns whether it left this loop.
     */
    private boolean moveToItsLoop() {
        settled = true;
        sizeSendBuffer();
        IoLoop target = owner.loopForPersistentConnection();
        if (target == loop || queued || waiting) {
            return false;
        }
        int n = in.position();
        if (partial == null) {
            partial = new byte[TcpWire.HEADER_SIZE];
        }
        in.flip();
        in.get(partial, 0, n);
        partialLength = n;
        giveBack();
        key.cancel();
        key = null;
        loop = target;
        pool = target.stagingPool();
        target.execute(this::start);
        return true;
    }

    /**
     * Sets TCP_NODELAY before the connection's second write. Its first write is never held back by
     * Nagle's algorithm (nothing of the connection is unacknowledged yet, and the kernel sends the
     * tail of a write at once unless an earlier small segment is unacknowledged), so the one answer
     * a connection-per-request initiator gets needs no option, which saves a system call per request.
     * Every later write might queue behind an unacknowledged small segment: from the second write
     * on (a persistent connection, or an answer the socket took in pieces) the option is set.
     */
    private void beforeWrite() {
        if (noDelay) {
            return;
        }
        if (!wroteOnce) {
            wroteOnce = true;
            return;
        }
        setNoDelay();
    }

    private void setNoDelay() {
        noDelay = true;
        try {
            ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
        } catch (IOException e) {
            log.debug("Cannot set TCP_NODELAY on the data connection from {}: {}", remote(), e.toString());
        }
    }

    /**
     * Asks for the configured SO_SNDBUF, once: when the connection proves persistent or first sends
     * a large READ body. A connection-per-request initiator's connection never needs it, which saves
     * a system call per request.
     */
    private void sizeSendBuffer() {
        if (!sendBufferSized) {
            sendBufferSized = true;
            if (!noDelay) {
                setNoDelay();
            }
            int size = owner.socketBufferSize();
            if (size > 0) {
                try {
                    ch.setOption(java.net.StandardSocketOptions.SO_SNDBUF, size);
                } catch (IOException e) {
                    log.debug("Cannot size the send buffer of the data connection from {}: {}", remote(), e.toString());
                }
            }
        }
    }

    /**
     * The deadlines, once a second: a request whose body or reply has not moved for the body
     * timeout is abandoned (its region released), and a connection waiting for its next request
     * longer than the idle timeout is closed.
     */
    @Override
    public void tick(long now) {
        if (closed || waiting || key == null) {
            return;
        }
        long quiet = now - lastProgress;
        if (phase == WRITE_BODY || phase == READ_BODY || owedStatus || (out != null && out.position() > 0)) {
            if (quiet > owner.limits().bodyTimeout().toNanos()) {
                String what = phase == WRITE_BODY ? "a WRITE body (" + Long.toUnsignedString(bodyRemaining)
                        + " of " + Long.toUnsignedString(bodySize) + " bytes missing)"
                        : phase == READ_BODY ? "a READ reply (the peer does not read it)" : "a reply";
                owner.stalledClosed(remote(), what);
                close("no progress in " + what);
            }
            return;
        }
        long idle = owner.limits().idleTimeout().toNanos();
        if (idle > 0 && quiet > idle) {
            owner.idleClosed();
            close("idle for more than " + owner.limits().idleTimeout().toSeconds() + " s (mooncake.tcp.idle-timeout)");
        }
    }

    @Override
    public void closeFromLoop(String reason) {
        close(reason);
    }

    void close(String reason) {
        if (closed) {
            return;
        }
        closed = true;
        releaseCurrent();
        if (reason != null && log.isDebugEnabled()) {
            log.debug("Data connection from {} closed: {}", remote(), reason);
        }
        if (staging != null) {
            windowActive = false;
            giveBack();
        }
        if (!inputClosed) {
            // We close first (a rejected request, a limit, a deadline): send FIN before the close, so
            // that what was just written (a status frame) reaches the peer ahead of the reset that
            // unread input makes the close send. A peer that closed first costs no system call here.
            try {
                ch.shutdownOutput();
            } catch (IOException e) {
                log.trace("shutting down data connection output", e);
            }
        }
        if (reason == null && inputClosed && owner.limits().resetOnPeerClose()) {
            // The peer closed first, at a request boundary, with every answer written: end with a reset
            // rather than a FIN, so that its socket does not sit in TIME_WAIT (TcpServerLimits).
            try {
                ch.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
            } catch (IOException e) {
                log.trace("setting SO_LINGER 0", e);
            }
        }
        if (key != null) {
            key.cancel();
            loop.closeAfterDeregistration(ch);
        } else {
            try {
                ch.close();
            } catch (IOException e) {
                log.trace("closing data connection", e);
            }
        }
        owner.serverConnectionClosed(this);
    }
}

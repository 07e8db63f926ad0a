package io.mooncake.engine.security;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

/**
 * TLS over a non-blocking {@link SocketChannel}, with the channel's own read and write semantics,
 * so that a connection written for a plain socket runs unchanged over it:
 * <ul>
 * <li>{@link #read} returns decrypted bytes, 0
 * only when neither buffered plaintext nor a complete record is left and the socket has nothing
 * more, -1 at the end of the stream;</li>
 * <li>{@link #write} encrypts from the caller's buffers (gathering, one record at a time) and
 * returns how much it took. When encrypted bytes cannot all be handed to the socket, it reports the
 * last byte it took as not taken, so the caller still sees data left, waits for the socket to be
 * writable and calls again with that byte first: the call then flushes what is pending and skips
 * the byte (already encrypted). A caller must therefore present unsent bytes again, in order, as a
 * caller of a plain socket does.</li>
 * </ul>
 * {@link #handshake()} runs the TLS handshake without blocking. Reading and writing may happen on
 * two threads at once (one reader, one writer), as {@link SSLEngine} allows; a post-handshake
 * message that needs an answer (a TLS 1.3 key update) is answered by the next write.
 *
 * <p>Memory: until the handshake is complete, one record of ciphertext each way and no plaintext
 * buffers (about 33 KiB per connection: what a peer that never finishes the handshake holds); then
 * about 4 records of ciphertext in each direction and one record of plaintext each way, all on the
 * heap (about 170 KiB per connection).
 */
public final class TlsChannel implements ByteChannel, GatheringByteChannel {

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final SocketChannel ch;
    private final SSLEngine engine;
    private final int appSize;
    private final int packetSize;
    /** Ciphertext received, not yet decrypted (write mode). */
    private ByteBuffer netIn;
    /** Ciphertext to send (write mode). */
    private ByteBuffer netOut;
    /** Plaintext decrypted, not yet taken by the caller (read mode); empty until the handshake is done. */
    private ByteBuffer plainIn;
    /** Plaintext of the record being encrypted, copied from the caller's buffers; empty until then. */
    private ByteBuffer plainOut;
    /** Whether the buffers have their full size (see {@link #grow()}). */
    private boolean full;
    private final ByteBuffer[] one = new ByteBuffer[1];
    private int[] starts = new int[4];
    /** Bytes at the head of the caller's next write already encrypted (see the class comment). */
    private int heldBack;
    private boolean eof;
    private boolean begun;

    public TlsChannel(SocketChannel ch, SSLEngine engine) {
        this.ch = ch;
        this.engine = engine;
        this.appSize = engine.getSession().getApplicationBufferSize();
        this.packetSize = engine.getSession().getPacketBufferSize();
        // Heap buffers throughout: the JDK's AES-GCM intrinsics run on arrays; on direct buffers
        // JDK 17 hashes through a per-chunk copying path (GHASH.processBlocksDirect). The copies to
        // and from the caller's (direct) buffers cost a memcpy, small next to the cipher.
        // Sized for the handshake first (one record each way, no plaintext: the JDK checks the
        // plaintext room only once the session is negotiated); grown when it is complete, so that a
        // peer that connects and never finishes the handshake holds a fifth of a working connection.
        this.netIn = ByteBuffer.allocate(packetSize);
        this.netOut = ByteBuffer.allocate(packetSize);
        this.plainIn = ByteBuffer.allocate(0);
        this.plainOut = ByteBuffer.allocate(0);
    }

    /**
     * Gives the buffers their working size (4 records of ciphertext each way, one of plaintext), keeping
     * what they hold; once, when the handshake is complete (or a record needs the room earlier).
     */
    private void grow() {
        if (full) {
            return;
        }
        full = true;
        netIn = larger(netIn, packetSize * 4);
        netOut = larger(netOut, packetSize * 4);
        ByteBuffer p = ByteBuffer.allocate(appSize);
        p.put(plainIn);
        p.flip();
        plainIn = p;
        plainOut = ByteBuffer.allocate(Math.min(appSize, 16384));
    }

    /** A buffer of {@code capacity} holding what {@code b} (write mode) holds, in write mode. */
    private static ByteBuffer larger(ByteBuffer b, int capacity) {
        ByteBuffer n = ByteBuffer.allocate(capacity);
        b.flip();
        n.put(b);
        return n;
    }

    /** Buffer bytes this channel holds now (for tests and the memory figures above). */
    int bufferBytes() {
        return netIn.capacity() + netOut.capacity() + plainIn.capacity() + plainOut.capacity();
    }

    /** The TLS session's engine (peer certificates, protocol, cipher suite). */
    public SSLEngine engine() {
        return engine;
    }

    /**
     * Advances the handshake as far as the socket allows.
     *
     * @return 0 when it is complete, else the {@link SelectionKey} operation to wait for
     * @throws IOException when the peer closes or TLS fails (an untrusted certificate, no common protocol)
     */
    public int handshake() throws IOException {
        if (!begun) {
            begun = true;
            engine.beginHandshake();
        }
        while (true) {
            if (netOut.position() > 0 && !flushNet()) {
                return SelectionKey.OP_WRITE;
            }
            switch (engine.getHandshakeStatus()) {
                case NEED_TASK -> runTasks();
                case NEED_WRAP -> {
                    SSLEngineResult r = engine.wrap(EMPTY, netOut);
                    if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                        throw new SSLException("the TLS session was closed during the handshake");
                    }
                    if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                        if (netOut.position() == 0) {
                            if (full) {
                                throw new SSLException("TLS handshake record larger than " + netOut.capacity()
                                        + " bytes");
                            }
                            grow(); // nothing pending and still no room: the record needs the working size
                        } else if (!flushNet()) {
                            return SelectionKey.OP_WRITE;
                        }
                    }
                }
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                    netIn.flip();
                    plainIn.compact();
                    SSLEngineResult r;
                    try {
                        r = engine.unwrap(netIn, plainIn);
                    } finally {
                        plainIn.flip();
                        netIn.compact();
                    }
                    if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                        throw new SSLException("the peer closed the TLS session during the handshake");
                    }
                    if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                        if (full) {
                            throw new SSLException("TLS record larger than " + appSize + " bytes");
                        }
                        grow(); // a record that needs plaintext room before the handshake is over
                        continue;
                    }
                    if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                        int n = ch.read(netIn);
                        if (n < 0) {
                            throw new EOFException("the peer closed the connection during the TLS handshake");
                        }
                        if (n == 0) {
                            return SelectionKey.OP_READ;
                        }
                    }
                }
                default -> {
                    if (netOut.position() > 0 && !flushNet()) {
                        return SelectionKey.OP_WRITE;
                    }
                    grow();
                    return 0;
                }
            }
        }
    }

    /** The handshake's state, for messages. */
    public String state() {
        return "TLS " + engine.getHandshakeStatus() + ", " + netIn.position() + " bytes received and "
                + netOut.position() + " to send";
    }

    /** Whether decrypted or received bytes wait in this channel (the socket may have nothing left to select). */
    public boolean hasBufferedInput() {
        return plainIn.hasRemaining() || netIn.position() > 0;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        grow();
        int total = 0;
        while (dst.hasRemaining()) {
            if (plainIn.hasRemaining()) {
                int k = Math.min(plainIn.remaining(), dst.remaining());
                int lim = plainIn.limit();
                plainIn.limit(plainIn.position() + k);
                dst.put(plainIn);
                plainIn.limit(lim);
                total += k;
                continue;
            }
            if (netIn.position() > 0) {
                netIn.flip();
                SSLEngineResult r;
                try {
                    plainIn.clear();
                    try {
                        r = engine.unwrap(netIn, plainIn);
                    } finally {
                        plainIn.flip();
                    }
                } finally {
                    netIn.compact();
                }
                switch (r.getStatus()) {
                    case OK -> {
                        if (r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK) {
                            runTasks();
                        } else if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
                            // the engine waits to send something first (a post-handshake answer): the
                            // next write sends it; return rather than spin
                            return total;
                        }
                        continue;
                    }
                    case CLOSED -> {
                        eof = true;
                        return total > 0 ? total : -1;
                    }
                    case BUFFER_OVERFLOW -> throw new SSLException("TLS record larger than " + appSize + " bytes");
                    default -> {
                        // BUFFER_UNDERFLOW: an incomplete record; read more below
                    }
                }
            }
            if (eof) {
                return total > 0 ? total : -1;
            }
            if (!netIn.hasRemaining()) {
                throw new SSLException("TLS record larger than " + netIn.capacity() + " bytes");
            }
            int n = ch.read(netIn);
            if (n < 0) {
                eof = true;
                return total > 0 ? total : -1;
            }
            if (n == 0) {
                return total;
            }
        }
        return total;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        one[0] = src;
        try {
            return (int) write(one, 0, 1);
        } finally {
            one[0] = null;
        }
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return write(srcs, 0, srcs.length);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        grow();
        if (netOut.position() > 0 && !flushNet()) {
            return 0;
        }
        if (engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
            engine.wrap(EMPTY, netOut); // answers a post-handshake message (TLS 1.3 key update)
        }
        long consumed = 0;
        if (heldBack > 0) {
            consumed += skip(srcs, offset, length, heldBack);
            heldBack = 0;
        }
        if (starts.length < length) {
            starts = new int[length];
        }
        for (int i = 0; i < length; i++) {
            starts[i] = srcs[offset + i].position();
        }
        long taken = 0;
        while (remaining(srcs, offset, length) > 0) {
            if (netOut.remaining() < packetSize && !flushNet()) {
                break;
            }
            plainOut.clear();
            for (int i = offset; i < offset + length && plainOut.hasRemaining(); i++) {
                ByteBuffer b = srcs[i];
                int k = Math.min(b.remaining(), plainOut.remaining());
                if (k > 0) {
                    int lim = b.limit();
                    b.limit(b.position() + k);
                    plainOut.put(b);
                    b.limit(lim);
                }
            }
            plainOut.flip();
            int n = plainOut.remaining();
            SSLEngineResult r = engine.wrap(plainOut, netOut);
            if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                throw new SSLException("the TLS session is closed");
            }
            int left = plainOut.remaining(); // a record may take less than was copied: give the rest back
            if (left > 0) {
                unconsume(srcs, offset, length, left);
            }
            taken += n - left;
            if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW && !flushNet()) {
                break;
            }
        }
        if (!flushNet() && taken > 0) {
            unconsume(srcs, offset, length, 1);
            taken--;
            heldBack = 1;
        }
        return consumed + taken;
    }

    private static long remaining(ByteBuffer[] srcs, int offset, int length) {
        long n = 0;
        for (int i = offset; i < offset + length; i++) {
            n += srcs[i].remaining();
        }
        return n;
    }

    private static int skip(ByteBuffer[] srcs, int offset, int length, int count) throws IOException {
        int left = count;
        for (int i = offset; i < offset + length && left > 0; i++) {
            int k = Math.min(left, srcs[i].remaining());
            srcs[i].position(srcs[i].position() + k);
            left -= k;
        }
        if (left > 0) {
            throw new IOException("TLS write: the caller did not present the " + count + " byte(s) already sent");
        }
        return count;
    }

    /** Moves the positions of the caller's buffers back over the last {@code count} bytes taken by this call. */
    private void unconsume(ByteBuffer[] srcs, int offset, int length, int count) {
        int left = count;
        for (int i = length - 1; i >= 0 && left > 0; i--) {
            ByteBuffer b = srcs[offset + i];
            int k = Math.min(left, b.position() - starts[i]);
            if (k > 0) {
                b.position(b.position() - k);
                left -= k;
            }
        }
    }

    /** Writes pending ciphertext; returns whether all of it went out. */
    private boolean flushNet() throws IOException {
        if (netOut.position() == 0) {
            return true;
        }
        netOut.flip();
        try {
            ch.write(netOut);
        } finally {
            netOut.compact();
        }
        return netOut.position() == 0;
    }

    private void runTasks() {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }

    @Override
    public boolean isOpen() {
        return ch.isOpen();
    }

    /** Sends close_notify when the socket takes it at once, then closes the socket. */
    @Override
    public void close() throws IOException {
        try {
            engine.closeOutbound();
            if (netOut.position() == 0) {
                engine.wrap(EMPTY, netOut);
                flushNet();
            }
        } catch (IOException | RuntimeException e) {
            // closing anyway
        } finally {
            ch.close();
        }
    }
}

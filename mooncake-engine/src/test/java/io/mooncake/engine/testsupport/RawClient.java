package io.mooncake.engine.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** A raw blocking socket for sending hand-made bytes and reading what comes back. */
public final class RawClient implements AutoCloseable {

    private final Socket socket;

    public RawClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(5000);
        socket.setTcpNoDelay(true);
    }

    public RawClient send(byte[]... parts) throws IOException {
        for (byte[] p : parts) {
            socket.getOutputStream().write(p);
        }
        socket.getOutputStream().flush();
        return this;
    }

    /** Reads exactly {@code n} bytes (fails the test with a timeout if they do not come). */
    public byte[] read(int n) throws IOException {
        byte[] b = socket.getInputStream().readNBytes(n);
        if (b.length < n) {
            throw new IOException("connection closed after " + b.length + " of " + n + " bytes");
        }
        return b;
    }

    /** Reads until the peer closes (or {@code waitMillis} passes with nothing more), returning all bytes. */
    public byte[] readUntilClosed(int waitMillis) throws IOException {
        socket.setSoTimeout(waitMillis);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[65536];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (SocketTimeoutException e) {
            throw new IOException("peer did not close within " + waitMillis + " ms; got " + out.size() + " bytes");
        }
    }

    /**
     * On a new connection: sends {@code parts} (a listener that closes while they are written is fine),
     * then reads until it closes (15 s at most), a reset after its close included.
     */
    public static byte[] exchange(int port, byte[]... parts) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(15_000);
            try {
                for (byte[] p : parts) {
                    s.getOutputStream().write(p);
                }
            } catch (IOException e) {
                // closed while we wrote: fine
            }
            return drain(s.getInputStream());
        }
    }

    /** Reads {@code in} to its end; a reset (the listener closed with our bytes unread) ends it too. */
    public static byte[] drain(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
        } catch (java.net.SocketException e) {
            // a reset after the listener closed with our bytes unread
        }
        return out.toByteArray();
    }

    /** Whether nothing arrives within {@code waitMillis} and the connection stays open. */
    public boolean silentFor(int waitMillis) throws IOException {
        socket.setSoTimeout(waitMillis);
        try {
            socket.getInputStream().read();
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        }
    }

    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /** A tcp data header: size, address, opcode, 7 zero bytes. */
    public static byte[] header(long size, long address, int opcode) {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(size).putLong(address)
                .put((byte) opcode).array();
    }

    /** A handshake frame with a type byte. */
    public static byte[] frame(int type, String json) {
        byte[] body = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return ByteBuffer.allocate(9 + body.length).order(ByteOrder.LITTLE_ENDIAN).putLong(1 + body.length)
                .put((byte) type).put(body).array();
    }

    /** A legacy handshake frame without a type byte. */
    public static byte[] legacyFrame(String json) {
        byte[] body = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + body.length).order(ByteOrder.LITTLE_ENDIAN).putLong(body.length).put(body)
                .array();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}

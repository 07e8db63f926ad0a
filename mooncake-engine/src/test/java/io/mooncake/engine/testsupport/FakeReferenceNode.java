package io.mooncake.engine.testsupport;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for a reference (C++) tcp node, written from the wire captures: a handshake port
 * answering Metadata requests with a fixed descriptor, and a data port that records every
 * header and body it receives and answers like the reference (v1 or v2). Records raw bytes so
 * tests can check what our initiator sends.
 */
public final class FakeReferenceNode implements AutoCloseable {

    /** One request header as received. */
    public record Header(long size, long address, int opcode, byte[] padding) {
    }

    public final List<byte[]> handshakeRequests = new CopyOnWriteArrayList<>();
    public final List<Header> headers = new CopyOnWriteArrayList<>();
    public final List<byte[]> bodies = new CopyOnWriteArrayList<>();
    private final ServerSocket handshake;
    private final ServerSocket data;
    private final long bufferAddress;
    private final int bufferLength;
    private final int protoVersion;
    private final byte[] memory;
    private volatile boolean silent;
    private volatile boolean corruptReads;

    /** Makes the data port read requests but never answer (for timeout and cancel tests). */
    public FakeReferenceNode silent() {
        silent = true;
        return this;
    }

    /** Makes the data port flip the last bit of every READ body it sends (for data-check tests). */
    public FakeReferenceNode corruptReads() {
        corruptReads = true;
        return this;
    }

    public FakeReferenceNode(long bufferAddress, int bufferLength, int protoVersion) throws IOException {
        this.bufferAddress = bufferAddress;
        this.bufferLength = bufferLength;
        this.protoVersion = protoVersion;
        this.memory = new byte[bufferLength];
        handshake = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        data = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        daemon(this::serveHandshake);
        daemon(this::serveData);
    }

    public String segmentName() {
        return "127.0.0.1:" + handshake.getLocalPort();
    }

    /** The descriptor this node returns, in the reference's exact form. */
    public String descriptorJson() {
        String version = protoVersion >= 2 ? ",\"tcp_proto_version\":2" : "";
        return "{\"buffers\":[{\"addr\":" + bufferAddress + ",\"length\":" + bufferLength + ",\"name\":\""
                + segmentName() + "\"}],\"name\":\"" + segmentName() + "\",\"protocol\":\"tcp\",\"tcp_data_port\":"
                + data.getLocalPort() + version + ",\"timestamp\":\"2026-11-26 05:51:20.942685\"}\n";
    }

    public byte[] memory() {
        return memory;
    }

    private void serveHandshake() {
        while (!handshake.isClosed()) {
            try (Socket s = handshake.accept()) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                byte[] prefix = in.readNBytes(8);
                long len = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getLong();
                byte[] payload = in.readNBytes((int) len);
                byte[] all = new byte[8 + payload.length];
                System.arraycopy(prefix, 0, all, 0, 8);
                System.arraycopy(payload, 0, all, 8, payload.length);
                handshakeRequests.add(all);
                int type = payload[0];
                String reply = type == 1 ? descriptorJson() : type == 3 ? "{\"status\":\"success\"}\n"
                        : "{\"name\":\"\",\"notify_msg\":\"success\"}\n";
                byte[] body = reply.getBytes(StandardCharsets.UTF_8);
                OutputStream out = s.getOutputStream();
                out.write(ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN).putLong(1 + body.length)
                        .put((byte) type).array());
                out.write(body);
                out.flush();
                s.shutdownOutput();
                while (in.read() >= 0) {
                    // wait for the client's EOF
                }
            } catch (IOException e) {
                // next
            }
        }
    }

    private void serveData() {
        while (!data.isClosed()) {
            try {
                Socket s = data.accept();
                daemon(() -> serveConnection(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serveConnection(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (true) {
                byte[] h = in.readNBytes(24);
                if (h.length < 24) {
                    return;
                }
                ByteBuffer hb = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
                long size = hb.getLong(0);
                long addr = hb.getLong(8);
                int op = h[16] & 0xff;
                headers.add(new Header(size, addr, op, java.util.Arrays.copyOfRange(h, 17, 24)));
                if (silent) {
                    while (in.read() >= 0) {
                        // swallow everything, answer nothing
                    }
                    return;
                }
                boolean v2 = (op & 0x80) != 0;
                boolean write = (op & 0x7f) == 1;
                boolean inside = addr >= bufferAddress && addr + size <= bufferAddress + bufferLength && size > 0;
                if (!inside) {
                    if (v2) {
                        out.write(status(1));
                        out.flush();
                    }
                    return;
                }
                int off = (int) (addr - bufferAddress);
                if (write) {
                    byte[] body = in.readNBytes((int) size);
                    bodies.add(body);
                    System.arraycopy(body, 0, memory, off, body.length);
                    if (v2) {
                        out.write(status(0));
                    }
                } else {
                    if (v2) {
                        out.write(status(0));
                    }
                    if (corruptReads) {
                        byte[] copy = java.util.Arrays.copyOfRange(memory, off, off + (int) size);
                        copy[copy.length - 1] ^= 1;
                        out.write(copy);
                    } else {
                        out.write(memory, off, (int) size);
                    }
                }
                out.flush();
            }
        } catch (IOException e) {
            // connection ended
        }
    }

    private static byte[] status(int s) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong((0x4D435456L << 32) | s).array();
    }

    private static void daemon(Runnable r) {
        Thread t = new Thread(r, "fake-reference-node");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        handshake.close();
        data.close();
    }
}

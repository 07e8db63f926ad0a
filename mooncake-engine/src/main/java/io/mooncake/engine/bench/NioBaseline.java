package io.mooncake.engine.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The plain-Java baseline the bench compares the engine with: one blocking NIO socket, the same
 * 24-byte request header and 8-byte acknowledgement as the engine's v2 wire, no engine at all.
 * A batch is written in full (headers and bodies), then its replies are read.
 */
final class NioBaseline {

    private static final long OK = (0x4D435456L << 32);

    private NioBaseline() {
    }

    /** Serves baseline clients until the process ends: one thread per connection. */
    static ServerSocketChannel serve(int port, int bufferSize) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(new InetSocketAddress(port));
        Thread acceptor = new Thread(() -> {
            while (server.isOpen()) {
                try {
                    SocketChannel ch = server.accept();
                    Thread t = new Thread(() -> serveOne(ch, bufferSize), "nio-baseline-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "nio-baseline-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return server;
    }

    private static void serveOne(SocketChannel ch, int bufferSize) {
        try (ch) {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ByteBuffer header = ByteBuffer.allocateDirect(24).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer status = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer memory = ByteBuffer.allocateDirect(bufferSize);
            ByteBuffer[] reply = {status, null};
            while (true) {
                header.clear();
                if (!readFully(ch, header)) {
                    return;
                }
                long size = header.getLong(0);
                long addr = header.getLong(8);
                boolean write = (header.get(16) & 0x7f) == 1;
                ByteBuffer body = memory.duplicate();
                body.position((int) (addr % Math.max(1, bufferSize - size))).limit(body.position() + (int) size);
                status.clear();
                status.putLong(0, OK);
                if (write) {
                    if (!readFully(ch, body)) {
                        return;
                    }
                    while (status.hasRemaining()) {
                        ch.write(status);
                    }
                } else {
                    reply[1] = body;
                    while (body.hasRemaining()) {
                        ch.write(reply);
                    }
                }
            }
        } catch (IOException e) {
            // client went away
        }
    }

    private static boolean readFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                return false;
            }
        }
        return true;
    }

    /** One client connection of the baseline. */
    static final class Client implements AutoCloseable {
        private final SocketChannel ch;
        private final ByteBuffer headers;
        private final ByteBuffer acks;
        private final ByteBuffer memory;
        private final ByteBuffer[] gather = new ByteBuffer[2];

        Client(String host, int port, int batchSize, int bufferSize) throws IOException {
            ch = SocketChannel.open(new InetSocketAddress(host, port));
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            headers = ByteBuffer.allocateDirect(24).order(ByteOrder.LITTLE_ENDIAN);
            acks = ByteBuffer.allocateDirect(8 * batchSize).order(ByteOrder.LITTLE_ENDIAN);
            memory = ByteBuffer.allocateDirect(bufferSize);
        }

        /** Runs one batch of {@code batchSize} requests of {@code block} bytes. */
        void batch(boolean write, int batchSize, int block) throws IOException {
            for (int i = 0; i < batchSize; i++) {
                headers.clear();
                headers.putLong(block).putLong((long) i * block).putLong(write ? 0x81 : 0x80).flip();
                if (write) {
                    ByteBuffer body = memory.duplicate();
                    int off = (int) (((long) i * block) % (memory.capacity() - block + 1));
                    body.position(off).limit(off + block);
                    gather[0] = headers;
                    gather[1] = body;
                    while (body.hasRemaining()) {
                        ch.write(gather);
                    }
                } else {
                    while (headers.hasRemaining()) {
                        ch.write(headers);
                    }
                }
            }
            if (write) {
                acks.clear().limit(8 * batchSize);
                readFully(ch, acks);
            } else {
                for (int i = 0; i < batchSize; i++) {
                    acks.clear().limit(8);
                    readFully(ch, acks);
                    ByteBuffer body = memory.duplicate();
                    int off = (int) (((long) i * block) % (memory.capacity() - block + 1));
                    body.position(off).limit(off + block);
                    readFully(ch, body);
                }
            }
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}

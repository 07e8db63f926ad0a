package io.mooncake.engine.transport.tcp;

import io.mooncake.engine.batch.Deadlines;
import io.mooncake.engine.config.TcpServerLimits;
import io.mooncake.engine.memory.MemoryRegistry;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.transport.TransportContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A tcp transport of its own on loopback, serving a registered 1 MiB buffer, for tests that drive
 * its data port with raw sockets. Closing it closes the sockets it opened, then the transport.
 */
final class LoopbackTcpTarget implements AutoCloseable {

    final MemoryRegistry registry = new MemoryRegistry();
    final Deadlines deadlines;
    final TcpTransport transport;
    final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
    final long address = NativeMemory.addressOf(buffer);
    private final List<Socket> sockets = new ArrayList<>();

    LoopbackTcpTarget(String name, TcpServerLimits limits) {
        deadlines = new Deadlines(name);
        transport = new TcpTransport(TransportContext.of(Engines.loopback().tcpServerLimits(limits).build(), registry,
                "127.0.0.1:1", "127.0.0.1", deadlines, peer -> {
                }));
        transport.start();
        registry.register(address, buffer.capacity(), "cpu:0", true, this);
    }

    /** The 8 bytes of a status frame. */
    static byte[] status(int s) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(TcpWire.statusFrame(s)).array();
    }

    /** A client socket from {@code from} connected to the data port (closed with this target). */
    Socket connect(String from) throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", transport.dataPort()), 5000);
        s.setSoTimeout(20_000);
        s.setTcpNoDelay(true);
        return s;
    }

    @Override
    public void close() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        transport.close();
        deadlines.close();
    }
}

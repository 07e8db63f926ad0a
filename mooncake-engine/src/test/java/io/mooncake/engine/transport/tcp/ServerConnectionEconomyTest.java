package io.mooncake.engine.transport.tcp;

import static io.mooncake.engine.testsupport.RawClient.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.config.TcpServerLimits;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the data port saves per request for a connection-per-request initiator (the reference's
 * default), and that nothing it saves costs a persistent connection or a request that arrives in
 * pieces: answers deferred to the end of the loop's turn all go out, TCP_NODELAY is set from a
 * connection's second write on (or before a large READ body), a short read sends the connection
 * back to the selector without losing what arrives after it, and a peer that closes first after its
 * answer gets a reset (its socket skips TIME_WAIT) unless mooncake.tcp.reset-on-peer-close is off.
 * Real sockets on loopback.
 */
class ServerConnectionEconomyTest {

    private static final byte[] OK = LoopbackTcpTarget.status(TcpWire.STATUS_OK);

    private LoopbackTcpTarget target;
    private TcpTransport transport;
    private ByteBuffer buffer;
    private long address;

    @BeforeEach
    void start() throws IOException {
        start(TcpServerLimits.DEFAULTS);
    }

    private void start(TcpServerLimits limits) throws IOException {
        if (target != null) {
            target.close();
        }
        target = new LoopbackTcpTarget("economy-test", limits);
        transport = target.transport;
        buffer = target.buffer;
        address = target.address;
    }

    @AfterEach
    void stop() throws IOException {
        target.close();
    }

    private Socket connect() throws IOException {
        return target.connect("127.0.0.1");
    }

    private ServerConnection onlyServerConnection() {
        await().atMost(Duration.ofSeconds(10)).until(() -> transport.serverConnections().size() == 1);
        Collection<ServerConnection> all = transport.serverConnections();
        assertThat(all).hasSize(1);
        return all.iterator().next();
    }

    private void write16(Socket s, int offset, byte fill) throws IOException {
        byte[] body = new byte[16];
        java.util.Arrays.fill(body, fill);
        s.getOutputStream().write(header(16, address + offset, TcpWire.OP_WRITE | TcpWire.V2_FLAG));
        s.getOutputStream().write(body);
    }

    @Test
    void theOneAnswerOfAConnectionPerRequestGoesOutWithoutNoDelay() throws Exception {
        Socket s = connect();
        write16(s, 0, (byte) 7);
        assertThat(s.getInputStream().readNBytes(8)).isEqualTo(OK);
        // the first write of a connection is never held back by Nagle: no option, one system call less
        assertThat(onlyServerConnection().socketNoDelay()).isFalse();
        assertThat(buffer.get(15)).isEqualTo((byte) 7);
        s.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> transport.serverConnections().isEmpty());
    }

    @Test
    void aPersistentConnectionHasNoDelayFromItsSecondAnswerOn() throws Exception {
        Socket s = connect();
        write16(s, 0, (byte) 1);
        assertThat(s.getInputStream().readNBytes(8)).isEqualTo(OK);
        ServerConnection c = onlyServerConnection();
        for (int i = 2; i < 40; i++) {
            write16(s, 16 * i, (byte) i);
            assertThat(s.getInputStream().readNBytes(8)).isEqualTo(OK);
            assertThat(c.socketNoDelay()).isTrue();
            assertThat(buffer.get(16 * i + 15)).isEqualTo((byte) i);
        }
    }

    @Test
    void aLargeReadBodyGoesOutWithNoDelay() throws Exception {
        int size = 256 * 1024;
        for (int i = 0; i < size; i++) {
            buffer.put(i, (byte) (i * 31));
        }
        Socket s = connect();
        s.getOutputStream().write(header(size, address, TcpWire.OP_READ | TcpWire.V2_FLAG));
        InputStream in = s.getInputStream();
        assertThat(in.readNBytes(8)).isEqualTo(OK);
        byte[] body = in.readNBytes(size);
        for (int i = 0; i < size; i += 4099) {
            assertThat(body[i]).isEqualTo((byte) (i * 31));
        }
        assertThat(onlyServerConnection().socketNoDelay()).isTrue();
    }

    @Test
    void answersDeferredToTheEndOfATurnAllArrive() throws Exception {
        // many connection-per-request peers at once: their answers are sent together after the turn
        int n = 64;
        List<Socket> peers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Socket s = connect();
            peers.add(s);
        }
        for (int i = 0; i < n; i++) {
            write16(peers.get(i), 16 * i, (byte) (i + 1));
        }
        for (int i = 0; i < n; i++) {
            assertThat(peers.get(i).getInputStream().readNBytes(8)).as("answer %d", i).isEqualTo(OK);
            assertThat(buffer.get(16 * i + 15)).isEqualTo((byte) (i + 1));
            peers.get(i).close();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> transport.serverConnections().isEmpty());
    }

    @Test
    void aRequestArrivingInPiecesIsServedAfterEachShortRead() throws Exception {
        // header in two pieces, then the body in three, with pauses: every short read leaves the
        // connection to the selector, which must report each later piece
        Socket s = connect();
        OutputStream out = s.getOutputStream();
        byte[] h = header(4096, address + 8192, TcpWire.OP_WRITE | TcpWire.V2_FLAG);
        byte[] body = new byte[4096];
        java.util.Arrays.fill(body, (byte) 0x5a);
        out.write(h, 0, 10);
        Thread.sleep(30);
        out.write(h, 10, 14);
        Thread.sleep(30);
        out.write(body, 0, 1);
        Thread.sleep(30);
        out.write(body, 1, 2000);
        Thread.sleep(30);
        out.write(body, 2001, 4095 - 2000);
        assertThat(s.getInputStream().readNBytes(8)).isEqualTo(OK);
        for (int i = 0; i < 4096; i += 511) {
            assertThat(buffer.get(8192 + i)).isEqualTo((byte) 0x5a);
        }
        // and the same connection goes on serving (a second request after a pause)
        Thread.sleep(30);
        write16(s, 0, (byte) 9);
        assertThat(s.getInputStream().readNBytes(8)).isEqualTo(OK);
        assertThat(buffer.get(15)).isEqualTo((byte) 9);
    }

    /** Half-closes after its request and reads on: what the target ends the connection with shows. */
    private String endAfterHalfClose() throws IOException {
        Socket s = connect();
        write16(s, 32, (byte) 3);
        s.shutdownOutput();
        InputStream in = s.getInputStream();
        assertThat(in.readNBytes(8)).as("the answer arrives before the connection ends").isEqualTo(OK);
        assertThat(buffer.get(47)).isEqualTo((byte) 3);
        try {
            return in.read() < 0 ? "FIN" : "data";
        } catch (java.net.SocketException e) {
            return "reset: " + e.getMessage();
        }
    }

    @Test
    void aPeerThatClosesFirstGetsAResetSoItsSocketSkipsTimeWait() throws Exception {
        assertThat(endAfterHalfClose()).startsWith("reset");
        await().atMost(Duration.ofSeconds(10)).until(() -> transport.serverConnections().isEmpty());
    }

    @Test
    void withResetOnPeerCloseOffThePeerGetsAFin() throws Exception {
        start(TcpServerLimits.DEFAULTS.withResetOnPeerClose(false));
        assertThat(endAfterHalfClose()).isEqualTo("FIN");
    }

    @Test
    void aPeerClosingMidRequestGetsAFinNotAReset() throws Exception {
        // not at a request boundary: the reset is only for a peer whose requests were all answered
        Socket s = connect();
        s.getOutputStream().write(header(4096, address, TcpWire.OP_WRITE | TcpWire.V2_FLAG));
        s.getOutputStream().write(new byte[100]);
        s.shutdownOutput();
        assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
}

package io.mooncake.engine.transport.tcp;

import io.mooncake.engine.core.MooncakeEngine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.testsupport.RawClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What inbound data connections cost the target: no direct memory at accept or while idle (so a
 * connection-per-request initiator or a crowd of idle sockets cannot exhaust it), at most the
 * bounded staging pool while busy, and a connection that finds the pool lent out waits and is
 * served once a unit comes back.
 */
class InboundConnectionMemoryTest {

    private static final long UNIT_BYTES = 2L * TcpWire.BUFFER_SIZE;
    private static final int IO_THREADS = 2;

    private MooncakeEngine target;
    private LocalBuffer buffer;
    private int dataPort;
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void start() {
        // small socket buffers, so that a READ nobody reads blocks the target's output quickly
        target = MooncakeEngine.start(Engines.loopback().ioThreads(IO_THREADS).socketBufferSize(64 * 1024).build());
        buffer = target.allocateBuffer(4 << 20, "cpu:0");
        dataPort = target.localDescriptor().tcpDataPort();
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        target.close();
    }

    private Map<String, Object> stats() {
        return target.transportStats().get("tcp");
    }

    private Socket connect(int receiveBuffer) throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer);
        }
        s.connect(new InetSocketAddress("127.0.0.1", dataPort), 5000);
        s.setSoTimeout(20_000);
        s.setTcpNoDelay(true);
        sockets.add(s);
        return s;
    }

    private static byte[] status(Socket s) throws IOException {
        return s.getInputStream().readNBytes(8);
    }

    private static final byte[] OK = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
            .putLong(TcpWire.statusFrame(TcpWire.STATUS_OK)).array();

    @Test
    void idleAndHalfSentConnectionsHoldNoStagingMemoryAndFinishTheirRequestsLater() throws Exception {
        int n = 1000;
        byte[] header = RawClient.header(4096, buffer.address(), TcpWire.OP_WRITE | TcpWire.V2_FLAG);
        for (int i = 0; i < n; i++) {
            Socket s = connect(0);
            if (i % 2 == 0) {
                s.getOutputStream().write(header, 0, 10); // an incomplete header, then nothing
            }
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(
                () -> assertThat((Integer) stats().get("inboundConnections")).isEqualTo(n));

        // 1000 connections (before: 2 x 256 KiB each, 500 MiB); now at most a unit or two per loop
        assertThat((Long) stats().get("inboundStagingBytes")).isLessThanOrEqualTo(2 * IO_THREADS * UNIT_BYTES);

        // the half-sent headers were kept while their connections held no buffer: finish some
        byte[] body = new byte[4096];
        for (int i = 0; i < 20; i += 2) {
            Arrays.fill(body, (byte) i);
            Socket s = sockets.get(i);
            s.getOutputStream().write(header, 10, 14);
            s.getOutputStream().write(body);
            assertThat(status(s)).isEqualTo(OK);
            assertThat(buffer.byteBuffer().get(4095)).isEqualTo((byte) i);
        }
        assertThat((Long) stats().get("inboundStagingBytes")).isLessThanOrEqualTo(2 * IO_THREADS * UNIT_BYTES);
    }

    @Test
    void aLargeWriteWhoseBodyPausesGivesItsUnitBackAndResumesWhereItStopped() throws Exception {
        int size = 1 << 20;
        byte[] body = new byte[size];
        for (int i = 0; i < size; i++) {
            body[i] = (byte) (i * 31 + (i >>> 12));
        }
        Socket s = connect(0);
        s.getOutputStream().write(RawClient.header(size, buffer.address() + 4096, TcpWire.OP_WRITE | TcpWire.V2_FLAG));
        // part of the body goes through the staging buffer, the rest straight into the region
        int[] cuts = {100_000, 300_000, 300_001, 700_000, size};
        int from = 0;
        for (int cut : cuts) {
            s.getOutputStream().write(body, from, cut - from);
            from = cut;
            if (cut < size) {
                // the target drains what came and waits for more: it holds no unit meanwhile
                await().atMost(Duration.ofSeconds(20)).untilAsserted(
                        () -> assertThat((Integer) stats().get("inboundStagingInUse")).isZero());
            }
        }
        assertThat(status(s)).isEqualTo(OK);
        byte[] landed = new byte[size];
        buffer.byteBuffer().get(4096, landed);
        assertThat(landed).isEqualTo(body);
    }

    @Test
    void aConnectionFindingThePoolLentOutWaitsAndIsServedWhenAUnitComesBack() throws Exception {
        // new connections are served on the accepting loop until they send a second request: its pool
        int units = TcpWire.SERVER_STAGING_UNITS_PER_LOOP;
        // each holder asks for a 4 MiB READ and never reads: its connection keeps its unit
        byte[] read = RawClient.header(4 << 20, buffer.address(), TcpWire.OP_READ | TcpWire.V2_FLAG);
        List<Socket> holders = new ArrayList<>();
        for (int i = 0; i < units + IO_THREADS; i++) {
            Socket s = connect(4096);
            s.getOutputStream().write(read);
            holders.add(s);
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(
                () -> assertThat((Long) stats().get("inboundStagingWaits")).isPositive());
        assertThat((Long) stats().get("inboundStagingBytes")).isEqualTo(units * UNIT_BYTES);

        Socket writer = connect(0);
        byte[] body = new byte[4096];
        Arrays.fill(body, (byte) 7);
        writer.getOutputStream().write(RawClient.header(4096, buffer.address() + 8192,
                TcpWire.OP_WRITE | TcpWire.V2_FLAG));
        writer.getOutputStream().write(body);

        for (Socket s : holders) {
            s.close(); // units come back; the waiting connections are served in turn
        }
        assertThat(status(writer)).isEqualTo(OK);
        assertThat(buffer.byteBuffer().get(8192 + 4095)).isEqualTo((byte) 7);
        assertThat((Long) stats().get("inboundStagingBytes")).isEqualTo(units * UNIT_BYTES);
    }
}

package io.mooncake.engine.transport.tcp;

import io.mooncake.engine.core.MooncakeEngine;
import static io.mooncake.engine.testsupport.Hex.bytes;
import static io.mooncake.engine.testsupport.Hex.hex;
import static io.mooncake.engine.testsupport.RawClient.header;
import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.testsupport.RawClient;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Our node as a target, answering the requests of ../shared/reference/wire-captures.md (the
 * "Data port" table) with the layouts the reference answered.
 */
class ReferenceWireTargetTest {

    private static MooncakeEngine engine;
    private static LocalBuffer buffer;
    private static int dataPort;
    private static final int LEN = 1 << 20;

    @BeforeAll
    static void start() {
        engine = Engines.start();
        buffer = engine.allocateBuffer(LEN, "cpu:0");
        dataPort = engine.localDescriptor().tcpDataPort();
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    @BeforeEach
    void fill() {
        ByteBuffer b = buffer.byteBuffer();
        byte[] pattern = new byte[LEN];
        Arrays.fill(pattern, (byte) 'A');
        b.put(0, pattern);
    }

    private static byte[] snapshot() {
        byte[] all = new byte[LEN];
        buffer.byteBuffer().get(0, all);
        return all;
    }

    @Test
    void v2WriteInsideBufferGetsOkStatusFrameOnly() throws Exception {
        byte[] body = "0123456789abcdef".getBytes();
        try (RawClient c = new RawClient(dataPort)) {
            byte[] reply = c.send(header(16, buffer.address(), 0x81), body).read(8);
            assertThat(hex(reply)).isEqualTo("000000005654434d");
            assertThat(c.silentFor(200)).isTrue();
        }
        byte[] at = new byte[16];
        buffer.byteBuffer().get(0, at);
        assertThat(at).isEqualTo(body);
    }

    @Test
    void v2ReadGetsStatusFrameThenBody() throws Exception {
        try (RawClient c = new RawClient(dataPort)) {
            byte[] reply = c.send(header(16, buffer.address(), 0x80)).read(24);
            assertThat(hex(reply)).isEqualTo("000000005654434d" + "41".repeat(16));
        }
    }

    @Test
    void v2WriteCrossingTheEndGetsStatusOneThenCloseAndTouchesNothing() throws Exception {
        byte[] before = snapshot();
        try (RawClient c = new RawClient(dataPort)) {
            byte[] reply = c.send(header(16, buffer.address() + LEN - 8, 0x81), new byte[16]).readUntilClosed(3000);
            assertThat(hex(reply)).isEqualTo("010000005654434d");
        }
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void v2ReadOfUnregisteredAddressGetsStatusOneThenClose() throws Exception {
        try (RawClient c = new RawClient(dataPort)) {
            byte[] reply = c.send(header(16, 0x1000, 0x80)).readUntilClosed(3000);
            assertThat(hex(reply)).isEqualTo("010000005654434d");
        }
    }

    @Test
    void v1WriteGetsNoReplyButIsApplied() throws Exception {
        byte[] body = "CCCCCCCCCCCCCCCC".getBytes();
        try (RawClient c = new RawClient(dataPort)) {
            c.send(header(16, buffer.address() + 64, 0x01), body);
            assertThat(c.silentFor(300)).isTrue();
            // A v1 READ on the same connection is served after the write: it sees the new bytes.
            byte[] reply = c.send(header(16, buffer.address() + 64, 0x00)).read(16);
            assertThat(reply).isEqualTo(body);
        }
    }

    @Test
    void v1ReadGetsTheBodyOnly() throws Exception {
        try (RawClient c = new RawClient(dataPort)) {
            byte[] reply = c.send(header(16, buffer.address(), 0x00)).read(16);
            assertThat(hex(reply)).isEqualTo("41".repeat(16));
            assertThat(c.silentFor(200)).isTrue();
        }
    }

    @Test
    void v1ReadOfUnregisteredAddressClosesWithoutBytes() throws Exception {
        try (RawClient c = new RawClient(dataPort)) {
            byte[] reply = c.send(header(16, 0x1000, 0x00)).readUntilClosed(3000);
            assertThat(reply).isEmpty();
        }
    }

    @Test
    void successiveHeadersOnOneConnectionArePipelined() throws Exception {
        try (RawClient c = new RawClient(dataPort)) {
            byte[] w = "zzzzzzzzzzzzzzzz".getBytes();
            c.send(header(16, buffer.address() + 128, 0x81), w, header(16, buffer.address() + 128, 0x80),
                    header(4, buffer.address(), 0x80));
            byte[] reply = c.read(8 + 8 + 16 + 8 + 4);
            assertThat(hex(reply)).isEqualTo("000000005654434d" + "000000005654434d" + hex(w)
                    + "000000005654434d" + "41414141");
        }
    }

    @Test
    void capturedHeaderLayoutIsAccepted() throws Exception {
        // The capture's header bytes with the address replaced by our buffer's.
        byte[] captured = bytes("1000000000000000000080cce97f00008100000000000000");
        ByteBuffer h = ByteBuffer.wrap(captured).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        h.putLong(8, buffer.address());
        try (RawClient c = new RawClient(dataPort)) {
            assertThat(hex(c.send(captured, new byte[16]).read(8))).isEqualTo("000000005654434d");
        }
    }

    @Test
    void localOnlyMemoryIsNotReachableByPeers() throws Exception {
        ByteBuffer privateMemory = ByteBuffer.allocateDirect(4096);
        LocalBuffer local = engine.registerBuffer(privateMemory, "cpu:0", false);
        try (RawClient c = new RawClient(dataPort)) {
            byte[] reply = c.send(header(16, local.address(), 0x81), new byte[16]).readUntilClosed(3000);
            assertThat(hex(reply)).isEqualTo("010000005654434d");
        } finally {
            local.close();
        }
        assertThat(engine.localDescriptor().buffers()).noneMatch(b -> b.addr() == local.address());
    }
}

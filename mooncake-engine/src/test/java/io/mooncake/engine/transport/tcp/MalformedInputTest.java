package io.mooncake.engine.transport.tcp;

import io.mooncake.engine.core.MooncakeEngine;
import static io.mooncake.engine.testsupport.RawClient.frame;
import static io.mooncake.engine.testsupport.RawClient.header;
import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.testsupport.Hex;
import io.mooncake.engine.testsupport.RawClient;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Malformed or truncated frames close that connection; the servers keep working. */
class MalformedInputTest {

    private static MooncakeEngine engine;
    private static LocalBuffer buffer;

    @BeforeAll
    static void start() {
        engine = Engines.start();
        buffer = engine.allocateBuffer(4096, "cpu:0");
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    private static int dataPort() {
        return engine.localDescriptor().tcpDataPort();
    }

    private static void dataPortStillServes() throws Exception {
        try (RawClient c = new RawClient(dataPort())) {
            assertThat(Hex.hex(c.send(header(4, buffer.address(), 0x80)).read(8))).isEqualTo("000000005654434d");
        }
    }

    private static void handshakeStillServes() throws Exception {
        try (RawClient c = new RawClient(engine.rpcPort())) {
            assertThat(c.send(frame(3, "{}\n")).readUntilClosed(3000)[8]).isEqualTo((byte) 3);
        }
    }

    @Test
    void hugeSizeHeaderIsRejected() throws Exception {
        try (RawClient c = new RawClient(dataPort())) {
            byte[] reply = c.send(header(Long.MAX_VALUE, buffer.address(), 0x81)).readUntilClosed(3000);
            assertThat(Hex.hex(reply)).isEqualTo("010000005654434d");
        }
        dataPortStillServes();
    }

    @Test
    void negativeAndZeroSizesAreRejected() throws Exception {
        for (long size : new long[] {0, -16}) {
            try (RawClient c = new RawClient(dataPort())) {
                assertThat(Hex.hex(c.send(header(size, buffer.address(), 0x80)).readUntilClosed(3000)))
                        .isEqualTo("010000005654434d");
            }
        }
        dataPortStillServes();
    }

    @Test
    void truncatedHeaderThenCloseLeavesServerWorking() throws Exception {
        try (RawClient c = new RawClient(dataPort())) {
            c.send(new byte[] {1, 2, 3, 4, 5});
            c.shutdownOutput();
            assertThat(c.readUntilClosed(3000)).isEmpty();
        }
        dataPortStillServes();
    }

    @Test
    void truncatedWriteBodyIsNotAcknowledged() throws Exception {
        try (RawClient c = new RawClient(dataPort())) {
            c.send(header(64, buffer.address(), 0x81), new byte[10]);
            c.shutdownOutput();
            assertThat(c.readUntilClosed(3000)).isEmpty();
        }
        dataPortStillServes();
    }

    @Test
    void randomGarbageIsRejected() throws Exception {
        byte[] garbage = new byte[4096];
        new java.util.Random(7).nextBytes(garbage);
        try (RawClient c = new RawClient(dataPort())) {
            byte[] reply = c.send(garbage).readUntilClosed(3000);
            assertThat(reply.length).isLessThanOrEqualTo(8);
        }
        dataPortStillServes();
    }

    @ParameterizedTest
    @ValueSource(strings = {"zero-length", "oversized", "bad-json", "json-array", "truncated"})
    void badHandshakeFramesCloseWithoutReply(String kind) throws Exception {
        byte[] request = switch (kind) {
            case "zero-length" -> new byte[8];
            case "oversized" -> ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(200L << 20).array();
            case "bad-json" -> frame(1, "{not json");
            case "json-array" -> frame(3, "[1,2]");
            default -> java.util.Arrays.copyOf(frame(1, "{\"name\":\"x\"}"), 12);
        };
        try (RawClient c = new RawClient(engine.rpcPort())) {
            c.send(request);
            c.shutdownOutput();
            assertThat(c.readUntilClosed(8000)).isEmpty();
        }
        handshakeStillServes();
    }

    @Test
    void silentHandshakeClientDoesNotBlockOthers() throws Exception {
        try (RawClient idle = new RawClient(engine.rpcPort())) {
            idle.send(new byte[] {1});
            handshakeStillServes();
        }
    }
}

package io.mooncake.engine.fuzz;

import io.mooncake.engine.core.MooncakeEngine;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.testsupport.Hex;
import io.mooncake.engine.testsupport.RawClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Arbitrary bytes on the tcp data port: whatever a peer sends, memory that is registered but not
 * remote-accessible never changes, and the port keeps serving well-formed requests.
 *
 * <p>The fuzzer's bytes are sent with the address fields of headers it writes pointing near the
 * engine's buffers (the first 8 bytes of every 24 are kept as sizes, the next 8 are offset from a
 * real buffer), so inputs reach the bounds checks instead of only missing every region.
 */
class DataPortFuzzTest {

    private static MooncakeEngine engine;
    private static LocalBuffer remote;
    private static LocalBuffer hidden;
    private static byte[] hiddenBefore;

    @BeforeAll
    static void start() {
        engine = Engines.start();
        remote = engine.allocateBuffer(1 << 16, "cpu:0");
        hidden = engine.registerBuffer(ByteBuffer.allocateDirect(1 << 16), "cpu:0", false);
        hiddenBefore = new byte[1 << 16];
        Arrays.fill(hiddenBefore, (byte) 0x5a);
        hidden.byteBuffer().put(0, hiddenBefore);
    }

    @AfterAll
    static void stop() {
        if (engine != null) {
            engine.close();
        }
    }

    @FuzzTest(maxDuration = "60s")
    void arbitraryBytesNeverTouchPrivateMemoryAndThePortKeepsServing(byte[] data) throws IOException {
        // The test talks to its own engine on loopback, which the fuzzer's SSRF detector would flag.
        try (var allowed = com.code_intelligence.jazzer.api.BugDetectors.allowNetworkConnections(
                (host, port) -> host.equals("127.0.0.1") || host.equals("localhost"))) {
            exchange(data);
        }
    }

    private static void exchange(byte[] data) throws IOException {
        byte[] wire = aimAtBuffers(data);
        try (RawClient c = new RawClient(engine.localDescriptor().tcpDataPort())) {
            c.send(wire);
            c.shutdownOutput();
            c.readUntilClosed(5000);
        } catch (IOException e) {
            // the server may reset the connection while we write: fine
        }
        byte[] now = new byte[1 << 16];
        hidden.byteBuffer().get(0, now);
        assertThat(now).as("local-only memory").isEqualTo(hiddenBefore);
        try (RawClient ok = new RawClient(engine.localDescriptor().tcpDataPort())) {
            byte[] reply = ok.send(RawClient.header(4, remote.address(), 0x80)).read(8);
            assertThat(Hex.hex(reply)).isEqualTo("000000005654434d");
        }
    }

    /** Rewrites the address field of each 24-byte chunk to land near one of the two buffers. */
    private static byte[] aimAtBuffers(byte[] data) {
        byte[] wire = data.clone();
        ByteBuffer b = ByteBuffer.wrap(wire).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int at = 0; at + 16 <= wire.length; at += 24) {
            long fuzzed = b.getLong(at + 8);
            long base = (fuzzed & 1) == 0 ? remote.address() : hidden.address();
            b.putLong(at + 8, base + (fuzzed >> 1) % (1 << 17));
        }
        return wire;
    }
}

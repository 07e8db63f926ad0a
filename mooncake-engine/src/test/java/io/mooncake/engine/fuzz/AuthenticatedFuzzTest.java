package io.mooncake.engine.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.security.AuthExchange;
import io.mooncake.engine.security.AuthenticationException;
import io.mooncake.engine.security.SharedSecret;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.testsupport.Hex;
import io.mooncake.engine.testsupport.RawClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The data and handshake ports of an engine that requires the shared secret, under arbitrary bytes:
 * <ul>
 * <li>after a valid exchange (an authenticated peer sending garbage): memory that is registered but
 * not remote-accessible never changes, and the port keeps serving well-formed requests;</li>
 * <li>as the exchange itself (malformed, truncated, wrong proofs): nothing but the 40-byte challenge
 * ever comes back, no memory changes, and the ports keep serving authenticated peers;</li>
 * <li>the exchange's parser alone: whatever a peer sends, it fails with
 * {@link AuthenticationException} and never proves a peer without the secret.</li>
 * </ul>
 * Runs the seed inputs in {@code verify}; {@code JAZZER_FUZZ=1} fuzzes.
 */
class AuthenticatedFuzzTest {

    private static final String SECRET = "fuzz-cluster-secret-0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private static MooncakeEngine engine;
    private static LocalBuffer remote;
    private static LocalBuffer hidden;
    private static byte[] hiddenBefore;
    private static byte[] remoteBefore;

    @BeforeAll
    static void start() {
        engine = MooncakeEngine.start(Engines.loopback().authSecret(SECRET).build());
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
    void framesAfterAValidExchangeNeverTouchPrivateMemory(byte[] data) throws IOException {
        try (var allowed = loopbackOnly()) {
            byte[] wire = aimAtBuffers(data);
            try (Socket s = authenticated(engine.localDescriptor().tcpDataPort(), "tcp-data")) {
                s.getOutputStream().write(wire);
                s.shutdownOutput();
                RawClient.drain(s.getInputStream());
            } catch (IOException e) {
                // the server may reset the connection while we write: fine
            }
            assertPrivateMemoryUntouchedAndServing();
        }
    }

    @FuzzTest(maxDuration = "60s")
    void malformedExchangesGetNothingButTheChallenge(byte[] data) throws IOException {
        try (var allowed = loopbackOnly()) {
            remoteBefore = new byte[1 << 16];
            remote.byteBuffer().get(0, remoteBefore);
            boolean handshake = data.length > 0 && (data[0] & 1) == 1;
            int port = handshake ? engine.rpcPort() : engine.localDescriptor().tcpDataPort();
            byte[] reply;
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(15_000);
                try {
                    s.getOutputStream().write(data);
                    s.shutdownOutput();
                } catch (IOException e) {
                    // closed while we wrote
                }
                reply = RawClient.drain(s.getInputStream());
            }
            assertThat(reply).as("what a client without the secret receives").hasSize(AuthExchange.CHALLENGE_SIZE);
            byte[] now = new byte[1 << 16];
            remote.byteBuffer().get(0, now);
            assertThat(now).as("published memory").isEqualTo(remoteBefore);
            assertPrivateMemoryUntouchedAndServing();
        }
    }

    @FuzzTest(maxDuration = "30s")
    void theExchangeNeverProvesAPeerWithoutTheSecret(byte[] data) {
        SharedSecret secret = SharedSecret.of(SECRET, "test");
        byte[] response = Arrays.copyOf(data, AuthExchange.RESPONSE_SIZE);
        AuthExchange server = AuthExchange.server(secret, "tcp-data", RANDOM);
        try {
            server.receive(ByteBuffer.wrap(response));
            throw new AssertionError("a response made without the secret was accepted: " + Hex.hex(response));
        } catch (AuthenticationException expected) {
            assertThat(server.proven()).isFalse();
        }
        AuthExchange client = AuthExchange.client(secret, "tcp-data", RANDOM);
        byte[] challenge = Arrays.copyOf(data, AuthExchange.CHALLENGE_SIZE);
        try {
            client.receive(ByteBuffer.wrap(challenge));
            byte[] proof = Arrays.copyOfRange(data, Math.min(data.length, AuthExchange.CHALLENGE_SIZE),
                    Math.min(data.length, AuthExchange.CHALLENGE_SIZE) + AuthExchange.PROOF_SIZE);
            client.receive(ByteBuffer.wrap(Arrays.copyOf(proof, AuthExchange.PROOF_SIZE)));
            throw new AssertionError("a listener's proof made without the secret was accepted");
        } catch (AuthenticationException expected) {
            assertThat(client.proven()).isFalse();
        }
    }

    private static void assertPrivateMemoryUntouchedAndServing() throws IOException {
        byte[] now = new byte[1 << 16];
        hidden.byteBuffer().get(0, now);
        assertThat(now).as("local-only memory").isEqualTo(hiddenBefore);
        try (Socket ok = authenticated(engine.localDescriptor().tcpDataPort(), "tcp-data")) {
            ok.getOutputStream().write(RawClient.header(4, remote.address(), 0x80));
            byte[] reply = ok.getInputStream().readNBytes(8);
            assertThat(Hex.hex(reply)).isEqualTo("000000005654434d");
        }
    }

    /** A socket past a valid exchange, as a node with the secret would open it. */
    private static Socket authenticated(int port, String context) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(15_000);
        s.setTcpNoDelay(true);
        AuthExchange x = AuthExchange.client(SharedSecret.of(SECRET, "test"), context, RANDOM);
        InputStream in = s.getInputStream();
        x.receive(ByteBuffer.wrap(in.readNBytes(AuthExchange.CHALLENGE_SIZE)));
        ByteBuffer o = x.outbound();
        s.getOutputStream().write(o.array(), o.position(), o.remaining());
        x.receive(ByteBuffer.wrap(in.readNBytes(AuthExchange.PROOF_SIZE)));
        assertThat(x.proven()).isTrue();
        return s;
    }

    private static com.code_intelligence.jazzer.api.SilentCloseable loopbackOnly() {
        // The test talks to its own engine on loopback, which the fuzzer's SSRF detector would flag.
        return com.code_intelligence.jazzer.api.BugDetectors.allowNetworkConnections(
                (host, port) -> host.equals("127.0.0.1") || host.equals("localhost"));
    }

    /** Rewrites the address field of each 24-byte chunk to land near one of the two buffers. */
    private static byte[] aimAtBuffers(byte[] data) {
        byte[] wire = data.clone();
        ByteBuffer b = ByteBuffer.wrap(wire).order(ByteOrder.LITTLE_ENDIAN);
        for (int at = 0; at + 16 <= wire.length; at += 24) {
            long fuzzed = b.getLong(at + 8);
            long base = (fuzzed & 1) == 0 ? remote.address() : hidden.address();
            b.putLong(at + 8, base + (fuzzed >> 1) % (1 << 17));
        }
        return wire;
    }
}

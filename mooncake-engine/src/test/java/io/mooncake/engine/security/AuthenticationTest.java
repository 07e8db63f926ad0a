package io.mooncake.engine.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.testsupport.RawClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shared secret between real engines on loopback sockets: engines with the same secret move
 * data; peers without it, or with another, are refused on the handshake and the data port before
 * anything is served, and each refusal is counted; a raw-socket attacker reads and writes nothing.
 */
class AuthenticationTest {

    private static final String SECRET = "0123456789abcdef-cluster-secret";
    private static final int SIZE = 2 << 20;

    private static MooncakeEngine a;
    private static MooncakeEngine b;
    private static LocalBuffer bufA;
    private static LocalBuffer bufB;

    @BeforeAll
    static void start() {
        a = MooncakeEngine.start(Engines.loopback().authSecret(SECRET).build());
        b = MooncakeEngine.start(Engines.loopback().authSecret(SECRET).build());
        bufA = a.allocateBuffer(SIZE, "cpu:0");
        bufB = b.allocateBuffer(SIZE, "cpu:0");
    }

    @AfterAll
    static void stop() {
        a.close();
        b.close();
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {4096, 1 << 20})
    void enginesWithTheSameSecretTransfer(int length) {
        SegmentHandle seg = a.openSegment(b.localSegmentName());
        byte[] data = new byte[length];
        new Random(length).nextBytes(data);
        bufA.byteBuffer().put(0, data);
        BatchResult w = a.submit(List.of(TransferRequest.write(bufA, 0, seg.buffer(0), 0, length)))
                .await(Duration.ofSeconds(20));
        assertThat(w.allCompleted()).as("%s", w).isTrue();
        byte[] there = new byte[length];
        bufB.byteBuffer().get(0, there);
        assertThat(there).isEqualTo(data);
        BatchResult r = a.submit(List.of(TransferRequest.read(bufA, length, seg.buffer(0), 0, length)))
                .await(Duration.ofSeconds(20));
        assertThat(r.allCompleted()).as("%s", r).isTrue();
        byte[] back = new byte[length];
        bufA.byteBuffer().get(length, back);
        assertThat(back).isEqualTo(data);
        assertThat(a.authentication().enabled()).isTrue();
        assertThat(a.transportStats().get("tcp")).containsEntry("authentication", "on");
    }

    @Test
    void aPeerWithoutTheSecretIsRefusedOnTheHandshakePort() {
        long before = count(a, "handshake:NOT_AUTHENTICATING");
        try (MooncakeEngine c = MooncakeEngine.start(Engines.loopback().build())) {
            assertThatThrownBy(() -> c.openSegment(a.localSegmentName())).isInstanceOf(MooncakeException.class)
                    .hasMessageContaining("mooncake.auth.secret");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> count(a, "handshake:NOT_AUTHENTICATING") > before);
    }

    @Test
    void aPeerWithAnotherSecretIsRefusedOnTheHandshakePortAndCannotImpersonate() {
        long before = count(a, "handshake:WRONG_PROOF");
        try (MooncakeEngine c = MooncakeEngine.start(Engines.loopback().authSecret("another-secret-of-32-bytes-xxxx")
                .build())) {
            // c asks a: a refuses c's proof
            assertThatThrownBy(() -> c.openSegment(a.localSegmentName())).isInstanceOf(MooncakeException.class)
                    .hasMessageContaining("mooncake.auth.secret differs");
            await().atMost(Duration.ofSeconds(10)).until(() -> count(a, "handshake:WRONG_PROOF") > before);
            // a asks c: c (with the wrong secret) cannot pass as a member of a's cluster
            assertThatThrownBy(() -> a.openSegment(c.localSegmentName())).isInstanceOf(MooncakeException.class);
        }
    }

    @Test
    void aWrongProofOnTheDataPortIsRefusedAndCounted() throws IOException {
        long before = count(b, "tcp-data:WRONG_PROOF");
        AuthExchange x = AuthExchange.client(SharedSecret.of("not-the-cluster-secret-at-all", "test"), "tcp-data",
                new SecureRandom());
        try (Socket s = new Socket("127.0.0.1", b.localDescriptor().tcpDataPort())) {
            s.setSoTimeout(5000);
            InputStream in = s.getInputStream();
            x.receive(ByteBuffer.wrap(in.readNBytes(AuthExchange.CHALLENGE_SIZE)));
            ByteBuffer o = x.outbound();
            s.getOutputStream().write(o.array(), o.position(), o.remaining());
            assertThat(in.read()).as("the listener closes instead of proving itself").isEqualTo(-1);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> count(b, "tcp-data:WRONG_PROOF") > before);
    }

    @Test
    void aRawAttackerWithoutTheSecretCannotWriteOrReadAByte() throws IOException {
        int port = b.localDescriptor().tcpDataPort();
        byte[] marker = new byte[4096];
        Arrays.fill(marker, (byte) 0x5a);
        bufB.byteBuffer().put(SIZE - 4096, marker);
        long before = count(b, "tcp-data:NOT_AUTHENTICATING");
        // a v2 WRITE of 4 KiB into the published buffer, then a READ of it, as the reference would send them
        byte[] evil = new byte[4096];
        Arrays.fill(evil, (byte) 0x66);
        byte[] received = RawClient.exchange(port, RawClient.header(4096, bufB.address() + SIZE - 4096, 0x81), evil,
                RawClient.header(4096, bufB.address() + SIZE - 4096, 0x80));
        byte[] now = new byte[4096];
        bufB.byteBuffer().get(SIZE - 4096, now);
        assertThat(now).as("memory behind the data port").isEqualTo(marker);
        assertThat(received).as("all the attacker gets is the 40-byte challenge").hasSize(AuthExchange.CHALLENGE_SIZE);
        assertThat(new String(received, 0, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("MCA1");
        await().atMost(Duration.ofSeconds(10)).until(() -> count(b, "tcp-data:NOT_AUTHENTICATING") > before);
    }

    @Test
    void aSilentOrDrippingClientIsClosedWithinTheDeadlineAndCounted() throws Exception {
        long before = count(b, "tcp-data:NO_PROOF");
        long beforeHs = count(b, "handshake:NO_PROOF");
        try (Socket silent = new Socket("127.0.0.1", b.localDescriptor().tcpDataPort());
                Socket drip = new Socket("127.0.0.1", b.rpcPort())) {
            silent.setSoTimeout(15_000);
            drip.setSoTimeout(1000);
            long start = System.nanoTime();
            byte[] challenge = drip.getInputStream().readNBytes(AuthExchange.CHALLENGE_SIZE);
            assertThat(challenge).hasSize(AuthExchange.CHALLENGE_SIZE);
            // one byte every 200 ms: each read is quick, but the whole exchange has one deadline (2 s here)
            boolean closed = false;
            for (int i = 0; i < 100 && !closed; i++) {
                try {
                    drip.getOutputStream().write('M');
                    Thread.sleep(200);
                } catch (IOException e) {
                    closed = true;
                }
                if (!closed) {
                    try {
                        closed = drip.getInputStream().read() < 0;
                    } catch (java.net.SocketTimeoutException e) {
                        // still open
                    } catch (IOException e) {
                        closed = true;
                    }
                }
            }
            assertThat(closed).as("dripping client closed").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
            assertThat(RawClient.drain(silent.getInputStream())).hasSize(AuthExchange.CHALLENGE_SIZE);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> count(b, "tcp-data:NO_PROOF") > before
                && count(b, "handshake:NO_PROOF") > beforeHs);
    }

    @Test
    void theSecretStaysOutOfToStringAndShortSecretsAreRefused() {
        assertThat(a.config().toString()).doesNotContain(SECRET).contains("auth=on");
        assertThat(a.config().authSecret().toString()).doesNotContain(SECRET);
        assertThatThrownBy(() -> Engines.loopback().authSecret("short")).isInstanceOf(MooncakeException.class)
                .hasMessageContaining("mooncake.auth.secret").hasMessageContaining("openssl rand")
                .hasMessageNotContaining("short'");
    }

    private static long count(MooncakeEngine e, String key) {
        return e.stats().rejectedConnections().getOrDefault(key, 0L);
    }
}

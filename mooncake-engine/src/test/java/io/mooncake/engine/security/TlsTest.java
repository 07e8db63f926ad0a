package io.mooncake.engine.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.api.Batch;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TLS on the handshake and data connections between real engines: certificates made by the JDK's
 * keytool, one PKCS12 file per cluster (its own certificate is what it trusts). Engines of the
 * cluster move exact bytes at every size (small staged requests, large bodies straight to
 * registered memory, pipelined batches); a node with another certificate, a plain peer and a raw
 * socket are refused on both ports and counted.
 */
class TlsTest {

    private static final String PASSWORD = "changeit";
    private static final int SIZE = 80 << 20;

    @TempDir
    static Path dir;

    private static Path cluster;
    private static Path stranger;
    private static MooncakeEngine a;
    private static MooncakeEngine b;
    private static LocalBuffer bufA;
    private static LocalBuffer bufB;
    private static SegmentHandle segB;

    @BeforeAll
    static void start() throws Exception {
        cluster = keyStore("cluster");
        stranger = keyStore("stranger");
        a = MooncakeEngine.start(Engines.loopback().tls(TlsOptions.keyStore(cluster.toString(), PASSWORD, null, null))
                .build());
        b = MooncakeEngine.start(Engines.loopback().tls(TlsOptions.keyStore(cluster.toString(), PASSWORD, null, null))
                .build());
        bufA = a.allocateBuffer(SIZE, "cpu:0");
        bufB = b.allocateBuffer(SIZE, "cpu:0");
        segB = a.openSegment(b.localSegmentName());
    }

    @AfterAll
    static void stop() {
        a.close();
        b.close();
    }

    /** A PKCS12 key store with a fresh EC key and self-signed certificate, made by keytool. */
    static Path keyStore(String name) throws Exception {
        Path file = dir.resolve(name + ".p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                "-validity", "2", "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass", PASSWORD,
                "-keypass", PASSWORD).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("keytool: %s", out).isZero();
        return file;
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {1, 4096, 65535, 65536, 1 << 20, (1 << 20) + 3, 16 << 20, 40 << 20})
    void clusterMembersMoveExactBytesOverTls(int length) {
        byte[] data = new byte[length];
        new Random(length).nextBytes(data);
        bufA.byteBuffer().put(0, data);
        BatchResult w = a.submit(List.of(TransferRequest.write(bufA, 0, segB.buffer(0), 0, length)))
                .await(Duration.ofSeconds(60));
        assertThat(w.allCompleted()).as("%s", w).isTrue();
        byte[] there = new byte[length];
        bufB.byteBuffer().get(0, there);
        assertThat(there).isEqualTo(data);
        BatchResult r = a.submit(List.of(TransferRequest.read(bufA, SIZE / 2, segB.buffer(0), 0, length)))
                .await(Duration.ofSeconds(60));
        assertThat(r.allCompleted()).as("%s", r).isTrue();
        byte[] back = new byte[length];
        bufA.byteBuffer().get(SIZE / 2, back);
        assertThat(back).isEqualTo(data);
        assertThat(a.transportStats().get("tcp")).containsEntry("tls", "on");
    }

    @Test
    void pipelinedBatchesOfSmallReadsAndWritesAllComplete() {
        int n = 2000;
        int block = 4096;
        byte[] data = new byte[n * block];
        new Random(7).nextBytes(data);
        bufA.byteBuffer().put(0, data);
        List<TransferRequest> writes = new ArrayList<>();
        List<TransferRequest> reads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            writes.add(TransferRequest.write(bufA, (long) i * block, segB.buffer(0), (long) i * block, block));
            reads.add(TransferRequest.read(bufA, (long) SIZE / 2 + (long) i * block, segB.buffer(0), (long) i * block,
                    block));
        }
        Batch w = a.submit(writes);
        assertThat(w.await(Duration.ofSeconds(60)).allCompleted()).isTrue();
        Batch r = a.submit(reads);
        assertThat(r.await(Duration.ofSeconds(60)).allCompleted()).isTrue();
        byte[] back = new byte[n * block];
        bufA.byteBuffer().get(SIZE / 2, back);
        assertThat(back).isEqualTo(data);
    }

    @Test
    void tlsAndTheSharedSecretTogether() {
        String secret = "tls-and-secret-0123456789abcdef";
        TlsOptions tls = TlsOptions.keyStore(cluster.toString(), PASSWORD, null, null);
        try (MooncakeEngine c = MooncakeEngine.start(Engines.loopback().tls(tls).authSecret(secret).build());
                MooncakeEngine d = MooncakeEngine.start(Engines.loopback().tls(tls).authSecret(secret).build())) {
            LocalBuffer src = c.allocateBuffer(1 << 20, "cpu:0");
            d.allocateBuffer(1 << 20, "cpu:0");
            byte[] data = new byte[1 << 20];
            new Random(3).nextBytes(data);
            src.byteBuffer().put(0, data);
            SegmentHandle seg = c.openSegment(d.localSegmentName());
            assertThat(c.submit(List.of(TransferRequest.write(src, 0, seg.buffer(0), 0, data.length)))
                    .await(Duration.ofSeconds(30)).allCompleted()).isTrue();
            assertThat(c.authentication().describe()).contains("on: every handshake").contains("TLS 1.3 on");
        }
    }

    @Test
    void aNodeWithAnUntrustedCertificateIsRefusedAndCounted() {
        long before = count(b, "handshake:TLS_FAILED");
        try (MooncakeEngine c = MooncakeEngine.start(Engines.loopback()
                .tls(TlsOptions.keyStore(stranger.toString(), PASSWORD, null, null)).build())) {
            assertThatThrownBy(() -> c.openSegment(b.localSegmentName())).isInstanceOf(MooncakeException.class)
                    .hasMessageContaining("TLS handshake");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> count(b, "handshake:TLS_FAILED") > before);
    }

    @Test
    void plainPeersAndRawSocketsGetNothingFromEitherPort() throws IOException {
        long before = count(b, "tcp-data:TLS_FAILED") + count(b, "tcp-data:NO_PROOF");
        byte[] marker = new byte[4096];
        Arrays.fill(marker, (byte) 0x5a);
        bufB.byteBuffer().put(SIZE - 4096, marker);
        byte[] evil = new byte[4096];
        Arrays.fill(evil, (byte) 0x66);
        byte[] got = RawClient.exchange(b.localDescriptor().tcpDataPort(),
                RawClient.header(4096, bufB.address() + SIZE - 4096, 0x81), evil,
                RawClient.header(4096, bufB.address() + SIZE - 4096, 0x80));
        byte[] now = new byte[4096];
        bufB.byteBuffer().get(SIZE - 4096, now);
        assertThat(now).isEqualTo(marker);
        assertThat(got).as("a TLS alert at most, never memory").hasSizeLessThan(64);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> count(b, "tcp-data:TLS_FAILED") + count(b, "tcp-data:NO_PROOF") > before);
        try (MooncakeEngine plain = MooncakeEngine.start(Engines.loopback().build())) {
            assertThatThrownBy(() -> plain.openSegment(b.localSegmentName())).isInstanceOf(MooncakeException.class);
        }
    }

    @Test
    void aConnectionHoldsFullSizedBuffersOnlyOnceItsHandshakeIsDone() throws Exception {
        javax.net.ssl.SSLContext ctx = TlsOptions.keyStore(cluster.toString(), PASSWORD, null, null).createContext();
        try (java.nio.channels.ServerSocketChannel listener = java.nio.channels.ServerSocketChannel.open()) {
            listener.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(listener.getLocalAddress());
            java.nio.channels.SocketChannel s = listener.accept();
            c.configureBlocking(false);
            s.configureBlocking(false);
            javax.net.ssl.SSLEngine ce = ctx.createSSLEngine();
            ce.setUseClientMode(true);
            javax.net.ssl.SSLEngine se = ctx.createSSLEngine();
            se.setUseClientMode(false);
            se.setNeedClientAuth(true);
            try (TlsChannel client = new TlsChannel(c, ce); TlsChannel server = new TlsChannel(s, se)) {
                int packet = se.getSession().getPacketBufferSize();
                // what a peer that connects and never finishes the handshake makes this node hold
                assertThat(server.bufferBytes()).isEqualTo(2 * packet);
                long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
                int cs = -1;
                int ss = -1;
                while (cs != 0 || ss != 0) {
                    assertThat(System.nanoTime()).as("handshake within 30 s").isLessThan(until);
                    cs = client.handshake();
                    ss = server.handshake();
                    assertThat(server.bufferBytes()).isLessThanOrEqualTo(ss == 0 ? Integer.MAX_VALUE : 2 * packet);
                }
                assertThat(server.bufferBytes()).isGreaterThanOrEqualTo(8 * packet);
                // and the grown channel carries data both ways, records of every size
                byte[] payload = new byte[300_000];
                new java.util.Random(7).nextBytes(payload);
                assertThat(exchange(client, server, payload)).isEqualTo(payload);
                assertThat(exchange(server, client, payload)).isEqualTo(payload);
            }
        }
    }

    private static byte[] exchange(TlsChannel from, TlsChannel to, byte[] payload) throws IOException {
        java.nio.ByteBuffer out = java.nio.ByteBuffer.wrap(payload);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(payload.length);
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (in.hasRemaining()) {
            assertThat(System.nanoTime()).as("transfer within 30 s").isLessThan(until);
            if (out.hasRemaining()) {
                from.write(out);
            }
            if (to.read(in) < 0) {
                break;
            }
        }
        return in.array();
    }

    @Test
    void badKeyMaterialFailsNamingThePropertyAndTheFix() {
        assertThatThrownBy(() -> TlsOptions.keyStore(dir.resolve("missing.p12").toString(), PASSWORD, null, null)
                .createContext()).hasMessageContaining("mooncake.tls.key-store").hasMessageContaining("does not exist");
        assertThatThrownBy(() -> TlsOptions.keyStore(cluster.toString(), "wrong", null, null).createContext())
                .hasMessageContaining("mooncake.tls.key-store-password").hasMessageNotContaining("wrong ");
        assertThatThrownBy(() -> new TlsOptions(null, null, null, null, null, null, null).createContext())
                .hasMessageContaining("mooncake.tls.key-store").hasMessageContaining("mooncake.tls.certificate");
        assertThatThrownBy(() -> TlsOptions.pem(cluster.toString(), cluster.toString(), cluster.toString())
                .createContext()).hasMessageContaining("mooncake.tls.");
        assertThat(TlsOptions.keyStore(cluster.toString(), PASSWORD, null, null).toString()).doesNotContain(PASSWORD);
    }

    @Test
    void pemFilesWork() throws Exception {
        Path pem = dir.resolve("cluster-cert.pem");
        Path key = dir.resolve("cluster-key.pem");
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(cluster)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        java.util.Base64.Encoder enc = java.util.Base64.getMimeEncoder(64, "\n".getBytes());
        Files.writeString(pem, "-----BEGIN CERTIFICATE-----\n"
                + enc.encodeToString(ks.getCertificate("cluster").getEncoded()) + "\n-----END CERTIFICATE-----\n");
        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n"
                + enc.encodeToString(ks.getKey("cluster", PASSWORD.toCharArray()).getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        try (MooncakeEngine c = MooncakeEngine.start(Engines.loopback()
                .tls(TlsOptions.pem(pem.toString(), key.toString(), pem.toString())).build())) {
            assertThat(c.openSegment(b.localSegmentName())).isNotNull();
        }
    }

    private static long count(MooncakeEngine e, String key) {
        return e.stats().rejectedConnections().getOrDefault(key, 0L);
    }
}

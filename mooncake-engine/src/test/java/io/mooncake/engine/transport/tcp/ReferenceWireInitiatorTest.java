package io.mooncake.engine.transport.tcp;

import io.mooncake.engine.core.MooncakeEngine;
import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.testsupport.FakeReferenceNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What our initiator sends to a reference-shaped node has the captured layout. */
class ReferenceWireInitiatorTest {

    private static final long PEER_BASE = 140642135048192L;
    private MooncakeEngine engine;
    private LocalBuffer local;

    @BeforeEach
    void start() {
        engine = Engines.start();
        local = engine.allocateBuffer(1 << 20, "cpu:0");
    }

    @AfterEach
    void stop() {
        engine.close();
    }

    @Test
    void metadataRequestHasTheCapturedFrameLayout() throws Exception {
        try (FakeReferenceNode peer = new FakeReferenceNode(PEER_BASE, 4096, 2)) {
            SegmentHandle h = engine.openSegment(peer.segmentName());
            assertThat(h.buffers()).hasSize(1);
            assertThat(h.buffer(0).address()).isEqualTo(PEER_BASE);
            byte[] req = peer.handshakeRequests.get(0);
            long len = ByteBuffer.wrap(req, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertThat(len).isEqualTo(req.length - 8);
            assertThat(req[8]).as("type byte: Metadata").isEqualTo((byte) 1);
            String json = new String(req, 9, req.length - 9, StandardCharsets.UTF_8);
            assertThat(json).endsWith("}\n").startsWith("{\"buffers\":[");
            SegmentDescriptor ours = SegmentDescriptorCodec.decode(json);
            assertThat(ours.name()).isEqualTo(engine.localSegmentName());
        }
    }

    @Test
    void v2WriteSendsTheCapturedHeaderAndCompletesOnTheStatusFrame() throws Exception {
        try (FakeReferenceNode peer = new FakeReferenceNode(PEER_BASE, 4096, 2)) {
            byte[] data = "0123456789abcdef".getBytes();
            local.byteBuffer().put(0, data);
            engine.transferSyncWrite(peer.segmentName(), local.address(), PEER_BASE + 16, 16);
            FakeReferenceNode.Header h = peer.headers.get(0);
            assertThat(h.size()).isEqualTo(16);
            assertThat(h.address()).isEqualTo(PEER_BASE + 16);
            assertThat(h.opcode()).isEqualTo(0x81);
            assertThat(h.padding()).containsOnly(0);
            assertThat(peer.bodies.get(0)).isEqualTo(data);
        }
    }

    @Test
    void v2ReadSendsTheCapturedHeaderAndReceivesTheBody() throws Exception {
        try (FakeReferenceNode peer = new FakeReferenceNode(PEER_BASE, 4096, 2)) {
            System.arraycopy("hello, reference".getBytes(), 0, peer.memory(), 32, 16);
            engine.transferSyncRead(peer.segmentName(), local.address() + 100, PEER_BASE + 32, 16);
            assertThat(peer.headers.get(0).opcode()).isEqualTo(0x80);
            byte[] got = new byte[16];
            local.byteBuffer().get(100, got);
            assertThat(new String(got)).isEqualTo("hello, reference");
        }
    }

    @Test
    void v1PeerGetsV1HeadersAndEachWriteIsFencedByAOneByteRead() throws Exception {
        try (FakeReferenceNode peer = new FakeReferenceNode(PEER_BASE, 4096, 1)) {
            local.byteBuffer().put(0, "v1 write payload".getBytes());
            engine.transferSyncWrite(peer.segmentName(), local.address(), PEER_BASE, 16);
            assertThat(peer.headers).hasSize(2);
            assertThat(peer.headers.get(0).opcode()).isEqualTo(0x01);
            assertThat(peer.headers.get(1).opcode()).as("fence READ").isEqualTo(0x00);
            assertThat(peer.headers.get(1).size()).isEqualTo(1);
            assertThat(new String(peer.memory(), 0, 16)).isEqualTo("v1 write payload");
        }
    }

    @Test
    void mcTcpProto1ForcesV1TowardV2Peers() throws Exception {
        MooncakeEngine v1 = MooncakeEngine.start(Engines.loopback().tcpProtoVersion(1).build());
        try (FakeReferenceNode peer = new FakeReferenceNode(PEER_BASE, 4096, 2)) {
            LocalBuffer b = v1.allocateBuffer(4096, "cpu:0");
            v1.transferSyncWrite(peer.segmentName(), b.address(), PEER_BASE, 8);
            assertThat(peer.headers.get(0).opcode()).isEqualTo(0x01);
        } finally {
            v1.close();
        }
    }
}

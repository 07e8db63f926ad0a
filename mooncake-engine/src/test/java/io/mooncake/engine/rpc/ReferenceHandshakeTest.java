package io.mooncake.engine.rpc;

import io.mooncake.engine.core.MooncakeEngine;
import static io.mooncake.engine.testsupport.Hex.hex;
import static io.mooncake.engine.testsupport.RawClient.frame;
import static io.mooncake.engine.testsupport.RawClient.legacyFrame;
import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.Notify;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.testsupport.RawClient;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Our handshake port answering the captured requests of wire-captures.md byte for byte. */
class ReferenceHandshakeTest {

    private static MooncakeEngine engine;

    @BeforeAll
    static void start() {
        engine = Engines.start();
        engine.allocateBuffer(1 << 20, "cpu:0");
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    private static byte[] exchange(byte[] request) throws Exception {
        try (RawClient c = new RawClient(engine.rpcPort())) {
            return c.send(request).readUntilClosed(3000);
        }
    }

    @Test
    void probeGetsTheCapturedReply() throws Exception {
        byte[] reply = exchange(frame(3, "{}\n"));
        assertThat(hex(reply)).isEqualTo("1600000000000000" + "03" + hex("{\"status\":\"success\"}\n".getBytes()));
    }

    @Test
    void notifyGetsTheCapturedReplyAndIsQueued() throws Exception {
        byte[] reply = exchange(frame(2, "{\"name\":\"127.0.0.1:15999\",\"notify_msg\":\"hello\"}\n"));
        assertThat(hex(reply)).isEqualTo("2400000000000000" + "02"
                + hex("{\"name\":\"\",\"notify_msg\":\"success\"}\n".getBytes()));
        assertThat(engine.getNotifies()).containsExactly(new Notify("127.0.0.1:15999", "hello"));
    }

    @Test
    void legacyFrameGetsALegacyConnectionReply() throws Exception {
        byte[] reply = exchange(legacyFrame(
                "{\"local_nic_path\":\"\",\"peer_nic_path\":\"\",\"qp_num\":[],\"reply_msg\":\"\"}\n"));
        String json = "{\"local_gid\":\"\",\"local_lid\":0,\"local_nic_path\":\"\",\"payload\":\"\",\"peer_nic_path\":\"\","
                + "\"qp_num\":[],\"reply_msg\":\"\"}\n";
        assertThat(hex(reply)).isEqualTo("6e00000000000000" + hex(json.getBytes()));
    }

    @Test
    void metadataRequestGetsOurDescriptorInTheReferenceLayout() throws Exception {
        String request = "{\"buffers\":[{\"addr\":4096,\"length\":4096,\"name\":\"127.0.0.1:15999\"}],"
                + "\"name\":\"127.0.0.1:15999\",\"protocol\":\"tcp\",\"tcp_data_port\":15998,\"tcp_proto_version\":2,"
                + "\"timestamp\":\"2026-11-26 00:00:00.000000\"}\n";
        byte[] reply = exchange(frame(1, request));
        long length = ByteBuffer.wrap(reply, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(length).isEqualTo(reply.length - 8);
        assertThat(reply[8]).isEqualTo((byte) 1);
        String json = new String(reply, 9, reply.length - 9, StandardCharsets.UTF_8);
        assertThat(json).endsWith("}\n");
        SegmentDescriptor d = SegmentDescriptorCodec.decode(json);
        assertThat(d.name()).isEqualTo(engine.localSegmentName());
        assertThat(d.protocol()).isEqualTo("tcp");
        assertThat(d.tcpProtoVersion()).isEqualTo(2);
        assertThat(d.tcpDataPort()).isEqualTo(engine.localDescriptor().tcpDataPort());
        // Same key order and shape as the captured reply.
        assertThat(json).matches("\\{\"buffers\":\\[\\{\"addr\":\\d+,\"length\":\\d+,\"name\":\"127\\.0\\.0\\.1:\\d+\"}],"
                + "\"name\":\"127\\.0\\.0\\.1:\\d+\",\"protocol\":\"tcp\",\"tcp_data_port\":\\d+,"
                + "\"tcp_proto_version\":2,\"timestamp\":\"\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6}\"}\n");
    }

    @Test
    void requestWrittenInTwoSegmentsIsStillAnswered() throws Exception {
        byte[] f = frame(3, "{}\n");
        try (RawClient c = new RawClient(engine.rpcPort())) {
            c.send(java.util.Arrays.copyOf(f, 8));
            Thread.sleep(50);
            byte[] reply = c.send(java.util.Arrays.copyOfRange(f, 8, f.length)).readUntilClosed(3000);
            assertThat(reply[8]).isEqualTo((byte) 3);
        }
    }
}

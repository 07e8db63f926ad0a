package io.mooncake.transport.rdma;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.metadata.DeviceDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.engine.rpc.HandshakeFrame;
import io.mooncake.engine.rpc.HandshakeType;
import io.mooncake.topology.Topology;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The rdma parts of the wire, against frames and documents in the reference's formats
 * (../shared/reference/mooncake-te.md sections 2 and 4, wire-captures.md): the Connection
 * handshake body ({@code TransferHandshakeUtil::encode} in transfer_metadata.cpp, jsoncpp: keys
 * sorted, compact, a trailing newline in the frame), and the descriptor's {@code devices},
 * {@code priority_matrix} and per-device {@code rkey[]}/{@code lkey[]}.
 */
class RdmaWireCompatibilityTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    /** What the reference's RdmaEndPoint::setupConnectionsByActive sends: local_gid and local_lid left empty. */
    static final String REFERENCE_REQUEST = "{\"local_gid\":\"\",\"local_lid\":0,\"local_nic_path\":\"node-a:12345@mlx5_0\","
            + "\"payload\":\"\",\"peer_nic_path\":\"node-b:12345@mlx5_1\",\"qp_num\":[4660,4661],\"reply_msg\":\"\"}";

    /** The legacy-frame reply captured from a reference tcp node (wire-captures.md). */
    static final String CAPTURED_EMPTY_REPLY = "{\"local_gid\":\"\",\"local_lid\":0,\"local_nic_path\":\"\",\"payload\":\"\","
            + "\"peer_nic_path\":\"\",\"qp_num\":[],\"reply_msg\":\"\"}";

    /** The reference's rdma example descriptor (section 2). */
    static final String REFERENCE_RDMA = "{\"buffers\":[{\"addr\":139872450002944,\"length\":1073741824,\"lkey\":[4660,8738],"
            + "\"name\":\"cpu:0\",\"rkey\":[4660,8738]}],\"devices\":[{\"gid\":\"fe:80:00:00:00:00:00:00:0a:0b:0c:ff:fe:0d:0e:0f\","
            + "\"lid\":7,\"name\":\"mlx5_0\"},{\"gid\":\"fe:80:00:00:00:00:00:00:0a:0b:0c:ff:fe:0d:0e:10\",\"lid\":8,"
            + "\"name\":\"mlx5_1\"}],\"name\":\"node-b:12345\",\"priority_matrix\":{\"cpu:0\":[[\"mlx5_0\"],[\"mlx5_1\"]],"
            + "\"cpu:1\":[[\"mlx5_1\"],[\"mlx5_0\"]]},\"protocol\":\"rdma\",\"tcp_data_port\":0,\"tcp_proto_version\":1,"
            + "\"timestamp\":\"2026-08-22 13:12:18.654321\"}";

    /** A frame as the reference writes one: u64 LE length (type byte + JSON + newline), type byte 0, JSON, newline. */
    static byte[] referenceFrame(String json) {
        byte[] body = (json + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + 1 + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(1L + body.length).put((byte) 0).put(body);
        return b.array();
    }

    static byte[] ourFrame(RdmaHandshake h) {
        return new HandshakeFrame(HandshakeType.CONNECTION, JSON.writeValueAsString(h.toJson()) + "\n", false).encode();
    }

    @Test
    void requestIsByteForByteTheReferences() {
        RdmaHandshake ours = RdmaHandshake.request(new NicPath("node-a:12345", "mlx5_0"),
                new NicPath("node-b:12345", "mlx5_1"), List.of(4660L, 4661L));

        assertThat(ourFrame(ours)).isEqualTo(referenceFrame(REFERENCE_REQUEST));
    }

    @Test
    void referenceRequestFrameIsReadBack() throws Exception {
        HandshakeFrame f = HandshakeFrame.readFrom(new ByteArrayInputStream(referenceFrame(REFERENCE_REQUEST)), 1 << 20);
        RdmaHandshake h = RdmaHandshake.fromJson(JSON.readTree(f.json()), "node-a:12345");

        assertThat(f.type()).isEqualTo(HandshakeType.CONNECTION);
        assertThat(NicPath.parse(h.localNicPath(), "local_nic_path")).isEqualTo(new NicPath("node-a:12345", "mlx5_0"));
        assertThat(NicPath.parse(h.peerNicPath(), "peer_nic_path")).isEqualTo(new NicPath("node-b:12345", "mlx5_1"));
        assertThat(h.qpNums()).containsExactly(4660L, 4661L);
        assertThat(h.rejected()).isFalse();
        assertThat(h.readyAck()).isNull();
        assertThat(JSON.writeValueAsString(h.toJson())).isEqualTo(REFERENCE_REQUEST);
    }

    @Test
    void capturedEmptyReplyRoundTrips() throws Exception {
        RdmaHandshake h = RdmaHandshake.fromJson(JSON.readTree(CAPTURED_EMPTY_REPLY), "reference tcp node");

        assertThat(h.qpNums()).isEmpty();
        assertThat(JSON.writeValueAsString(h.toJson())).isEqualTo(CAPTURED_EMPTY_REPLY);
    }

    @Test
    void rejectionCarriesReplyMsg() throws Exception {
        String reply = "{\"local_gid\":\"\",\"local_lid\":0,\"local_nic_path\":\"\",\"payload\":\"\",\"peer_nic_path\":\"\","
                + "\"qp_num\":[],\"reply_msg\":\"Peer nic not found in that server: node-a:12345@mlx5_9\"}";
        RdmaHandshake h = RdmaHandshake.fromJson(JSON.readTree(reply), "node-b:12345");

        assertThat(h.rejected()).isTrue();
        assertThat(h.replyMsg()).contains("mlx5_9");
        assertThat(JSON.writeValueAsString(RdmaHandshake.reject("", "", h.replyMsg()).toJson())).isEqualTo(reply);
    }

    @Test
    void newerReferenceFieldsAreKeptAndReadyAckIsRead() throws Exception {
        String newer = "{\"barex_port\":17001,\"local_gid\":\"\",\"local_lid\":0,\"local_nic_path\":\"a:1@mlx5_0\","
                + "\"payload\":\"\",\"peer_nic_path\":\"b:2@mlx5_0\",\"protocol\":\"rdma\",\"qp_num\":[7,8],"
                + "\"ready_ack\":true,\"reply_msg\":\"\"}";
        RdmaHandshake h = RdmaHandshake.fromJson(JSON.readTree(newer), "b:2");

        assertThat(h.readyAck()).isTrue();
        assertThat(h.extra()).containsOnlyKeys("barex_port", "protocol");
        assertThat(JSON.writeValueAsString(h.toJson())).isEqualTo(newer);
    }

    @Test
    void wrongTypesAreRejectedNamingTheFieldAndSender() throws Exception {
        for (String[] c : new String[][] {
                {"{\"local_nic_path\":5}", "local_nic_path"},
                {"{\"qp_num\":\"7\"}", "qp_num"},
                {"{\"qp_num\":[-1]}", "qp_num"},
                {"{\"qp_num\":[4294967296]}", "qp_num"},
                {"{\"local_lid\":65536}", "local_lid"},
                {"{\"reply_msg\":[]}", "reply_msg"}}) {
            JsonNode bad = JSON.readTree(c[0]);
            assertThatThrownBy(() -> RdmaHandshake.fromJson(bad, "peer-x:1")).isInstanceOf(MooncakeException.class)
                    .hasMessageContaining(c[1]).hasMessageContaining("peer-x:1")
                    .extracting(e -> ((MooncakeException) e).code()).isEqualTo(ErrorCode.MALFORMED_JSON);
        }
        assertThatThrownBy(() -> NicPath.parse("mlx5_0", "peer_nic_path")).hasMessageContaining("peer_nic_path")
                .hasMessageContaining("<segment name>@<device>");
    }

    @Test
    void descriptorBuiltFromPartsIsTheReferenceExampleByteForByte() {
        Map<String, Topology.Entry> m = new LinkedHashMap<>();
        m.put("cpu:0", new Topology.Entry(List.of("mlx5_0"), List.of("mlx5_1")));
        m.put("cpu:1", new Topology.Entry(List.of("mlx5_1"), List.of("mlx5_0")));
        Topology topology = new Topology(m, List.of("mlx5_0", "mlx5_1"));
        SegmentDescriptor base = new SegmentDescriptor("node-b:12345", "tcp", 0, 1, "2026-08-22 13:12:18.654321",
                List.of(RdmaDescriptors.buffer("cpu:0", 139872450002944L, 1073741824L, List.of(4660L, 8738L),
                        List.of(4660L, 8738L))), List.of(), Map.of(), Map.of());
        List<DeviceDescriptor> devices = List.of(
                new DeviceDescriptor("mlx5_0", 7, Gid.format(Gid.parse("fe:80:0:0:0:0:0:0:a:b:c:ff:fe:d:e:f", "test"))),
                new DeviceDescriptor("mlx5_1", 8, "fe:80:00:00:00:00:00:00:0a:0b:0c:ff:fe:0d:0e:10"));

        SegmentDescriptor d = RdmaDescriptors.describe(base, "rdma", devices, topology);

        assertThat(SegmentDescriptorCodec.encode(d)).isEqualTo(REFERENCE_RDMA);
    }

    @Test
    void peerNicsFollowThePeersMatrixForTheBuffersLocation() {
        SegmentDescriptor peer = SegmentDescriptorCodec.decode(REFERENCE_RDMA);
        RdmaDescriptors.validatePeer(peer);

        assertThat(RdmaDescriptors.peerDevices(peer, "cpu:0")).containsExactly(0, 1);
        assertThat(RdmaDescriptors.peerDevices(peer, "cpu:1")).containsExactly(1, 0);
        assertThat(RdmaDescriptors.peerDevices(peer, "cuda:3")).as("location not in the matrix: every device")
                .containsExactly(0, 1);
        assertThat(RdmaDescriptors.deviceIndex(peer, "mlx5_1")).isEqualTo(1);
        assertThat(peer.buffers().get(0).rkey().get(1)).isEqualTo(8738L);
    }

    @Test
    void peerWithoutDevicesOrWithABadGidIsRefusedByName() {
        SegmentDescriptor noDevices = SegmentDescriptorCodec.decode(REFERENCE_RDMA).withBuffers(List.of());
        SegmentDescriptor stripped = new SegmentDescriptor("node-b:12345", "rdma", 0, 1, null, List.of(), List.of(),
                Map.of(), Map.of());
        assertThatThrownBy(() -> RdmaDescriptors.validatePeer(stripped)).hasMessageContaining("node-b:12345")
                .hasMessageContaining("no devices");
        SegmentDescriptor badGid = new SegmentDescriptor("node-b:12345", "rdma", 0, 1, null, List.of(),
                List.of(new DeviceDescriptor("mlx5_0", 0, "fe:80::1")), Map.of(), Map.of());
        assertThatThrownBy(() -> RdmaDescriptors.validatePeer(badGid)).hasMessageContaining("mlx5_0")
                .hasMessageContaining("fe:80::1");
        assertThat(noDevices.devices()).hasSize(2);
    }

    @Test
    void gidTextFormMatchesTheReference() {
        byte[] raw = Gid.parse("fe:80:00:00:00:00:00:00:0a:0b:0c:ff:fe:0d:0e:0f", "test");
        assertThat(Gid.format(raw)).isEqualTo("fe:80:00:00:00:00:00:00:0a:0b:0c:ff:fe:0d:0e:0f");
        assertThat(Gid.isIpv4Mapped(Gid.parse("00:00:00:00:00:00:00:00:00:00:ff:ff:0a:00:00:01", "t"))).isTrue();
        assertThat(Gid.isIpv4Mapped(raw)).isFalse();
        assertThat(Gid.isNull(new byte[16])).isTrue();
        assertThatThrownBy(() -> Gid.parse("zz:80:00:00:00:00:00:00:0a:0b:0c:ff:fe:0d:0e:0f", "peer p device d"))
                .hasMessageContaining("peer p device d").hasMessageContaining("zz:80");
    }
}

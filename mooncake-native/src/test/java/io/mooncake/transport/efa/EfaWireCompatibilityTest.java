package io.mooncake.transport.efa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.DeviceDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.jna.fabric.JnaFabric;
import io.mooncake.jna.fabric.RdmEndpoint;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * What an efa node publishes and exchanges, against documents shaped exactly as the reference's
 * efa transport writes them (jsoncpp: keys sorted, compact, unsigned 64-bit numbers), composed
 * from its source at commit 3b5a594 ({@code transfer_metadata.cpp} encodeSegmentDesc and
 * TransferHandshakeUtil with USE_EFA, {@code efa_context.cpp} localAddr/localEpAddr,
 * {@code efa_endpoint.cpp}). No reference efa node can run here (it needs the efa provider), so
 * these are the checks: byte-exact documents both ways, and a real libfabric endpoint whose
 * published gid and exchanged efa_addr another endpoint uses to write.
 */
class EfaWireCompatibilityTest {

    /** 32 bytes: struct efa_ep_addr (16-byte GID, qpn, pad, qkey, next), as an efa src_addr is. */
    static final String EFA_GID_0 = "fe800000000000000a0b0cfffe0d0e0f0100000000000000c0ffee0000000000";
    static final String EFA_GID_1 = "fe800000000000000a0b0cfffe0d0e100200000000000000c0ffee0000000000";

    static final String REFERENCE_DESCRIPTOR = "{\"buffers\":[{\"addr\":139872450002944,\"length\":1073741824,"
            + "\"lkey\":[3221225473,18446744073709551615],\"name\":\"cpu:0\",\"rkey\":[3221225473,18446744073709551615]},"
            + "{\"addr\":139870302519296,\"length\":2097152,\"lkey\":[0,4660],\"name\":\"cuda:0\",\"rkey\":[0,4660]}],"
            + "\"devices\":[{\"gid\":\"" + EFA_GID_0 + "\",\"lid\":0,\"name\":\"rdmap16s27\"},{\"gid\":\"" + EFA_GID_1
            + "\",\"lid\":0,\"name\":\"rdmap32s27\"}],\"name\":\"node-b:12345\",\"priority_matrix\":{\"cpu:0\":"
            + "[[\"rdmap32s27\"],[\"rdmap16s27\"]],\"cuda:0\":[[\"rdmap32s27\"],[]]},\"protocol\":\"efa\","
            + "\"tcp_data_port\":0,\"tcp_proto_version\":1,\"timestamp\":\"2026-08-22 13:12:18.654321\"}";

    static final String REFERENCE_CONNECTION_REQUEST = "{\"efa_addr\":\"" + EFA_GID_0 + "\",\"local_gid\":\"\","
            + "\"local_lid\":0,\"local_nic_path\":\"node-a:15001@rdmap16s27\",\"payload\":\"\",\"peer_nic_path\":"
            + "\"node-b:12345@rdmap32s27\",\"qp_num\":[],\"reply_msg\":\"\"}";

    @Test
    void referenceEfaDescriptorDecodesAndReEncodesByteForByte() {
        SegmentDescriptor d = SegmentDescriptorCodec.decode(REFERENCE_DESCRIPTOR);

        assertThat(d.protocol()).isEqualTo("efa");
        assertThat(d.devices()).containsExactly(new DeviceDescriptor("rdmap16s27", 0, EFA_GID_0),
                new DeviceDescriptor("rdmap32s27", 0, EFA_GID_1));
        assertThat(d.buffers().get(0).rkey()).containsExactly(3221225473L, -1L); // 2^64-1 kept as unsigned
        assertThat(SegmentDescriptorCodec.encode(d)).isEqualTo(REFERENCE_DESCRIPTOR);
        EfaDescriptors.validate(d);
        assertThat(EfaDescriptors.sourceAddress(d, d.devices().get(1))).hasSize(32)
                .isEqualTo(HexFormat.of().parseHex(EFA_GID_1));
    }

    @Test
    void devicesAreTriedInThePriorityMatrixOrderSkippingThoseWithoutAKey() {
        SegmentDescriptor d = SegmentDescriptorCodec.decode(REFERENCE_DESCRIPTOR);
        BufferDescriptor cpu = d.buffers().get(0);
        BufferDescriptor cuda = d.buffers().get(1);

        assertThat(EfaDescriptors.candidates(d, cpu)).containsExactly(1, 0);
        assertThat(EfaDescriptors.preferredCount(d, cpu, EfaDescriptors.candidates(d, cpu))).isEqualTo(1);
        assertThat(EfaDescriptors.candidates(d, cuda)).containsExactly(1); // rkey 0 on rdmap16s27
        BufferDescriptor elsewhere = EfaDescriptors.buffer("cpu:7", 4096, 4096, List.of(1L, 2L), List.of(1L, 2L));
        assertThat(EfaDescriptors.candidates(d, elsewhere)).containsExactly(0, 1);
    }

    @Test
    void aGidThatIsNotHexIsRejectedNamingSegmentDeviceAndValue() {
        String bad = REFERENCE_DESCRIPTOR.replace(EFA_GID_1, "fe:80:00:00:00:00:00:00:0a:0b:0c:ff:fe:0d:0e:10");
        SegmentDescriptor d = SegmentDescriptorCodec.decode(bad);

        assertThatThrownBy(() -> EfaDescriptors.validate(d)).isInstanceOf(MooncakeException.class)
                .hasMessageContaining("segment 'node-b:12345' device 'rdmap32s27' has gid 'fe:80:00")
                .satisfies(e -> assertThat(((MooncakeException) e).code()).isEqualTo(ErrorCode.METADATA));
    }

    @Test
    void connectionRequestIsTheReferencesBytes() {
        EfaConnectionMessage m = EfaConnectionMessage.request(EfaConnectionMessage.nicPath("node-a:15001", "rdmap16s27"),
                EfaConnectionMessage.nicPath("node-b:12345", "rdmap32s27"), EFA_GID_0);

        assertThat(m.toCompactJson()).isEqualTo(REFERENCE_CONNECTION_REQUEST);
        assertThat(EfaConnectionMessage.parse(new JsonMapper().readTree(REFERENCE_CONNECTION_REQUEST))).isEqualTo(m);
    }

    @Test
    void theAnswerSwapsThePathsAndCarriesOurAddress() {
        EfaConnectionMessage req = EfaConnectionMessage.parse(new JsonMapper().readTree(REFERENCE_CONNECTION_REQUEST));

        EfaConnectionMessage reply = EfaConnectionMessage.accept(req, "node-b:12345@rdmap32s27", EFA_GID_1);

        assertThat(reply.toCompactJson()).isEqualTo("{\"efa_addr\":\"" + EFA_GID_1 + "\",\"local_gid\":\"\","
                + "\"local_lid\":0,\"local_nic_path\":\"node-b:12345@rdmap32s27\",\"payload\":\"\",\"peer_nic_path\":"
                + "\"node-a:15001@rdmap16s27\",\"qp_num\":[],\"reply_msg\":\"\"}");
        assertThat(EfaConnectionMessage.segmentOf(req.peerNicPath())).isEqualTo("node-b:12345");
        assertThat(EfaConnectionMessage.deviceOf(req.peerNicPath())).isEqualTo("rdmap32s27");
        assertThat(EfaConnectionMessage.reject(req, "EFA nic path inconsistency").replyMsg())
                .isEqualTo("EFA nic path inconsistency");
    }

    @Test
    void connectionMessagesAreReadAsTheReferenceDecoderReadsThem() {
        ObjectNode n = (ObjectNode) new JsonMapper().readTree("{\"efa_addr\":\"00ff\",\"local_lid\":\"x\","
                + "\"local_gid\":7,\"qp_num\":[1,4294967295],\"ready_ack\":true,\"cxi_addr\":\"ignored\"}");

        EfaConnectionMessage m = EfaConnectionMessage.parse(n);

        assertThat(m.localLid()).isZero();
        assertThat(m.localGid()).isEmpty();
        assertThat(m.qpNum()).containsExactly(1L, 4294967295L);
        assertThat(m.readyAck()).isTrue();
        assertThat(m.efaAddressBytes()).containsExactly(0x00, 0xff);
        assertThat(EfaConnectionMessage.isEfa(n)).isTrue();
        assertThat(EfaConnectionMessage.isEfa(new JsonMapper().readTree("{\"qp_num\":[12]}"))).isFalse();
        assertThatThrownBy(() -> EfaConnectionMessage.parse(new JsonMapper().readTree("{\"efa_addr\":\"abc\","
                + "\"local_nic_path\":\"n:1@d\"}")).efaAddressBytes())
                .isInstanceOf(MooncakeException.class)
                .hasMessageContaining("efa_addr of the Connection message from n:1@d")
                .hasMessageContaining("'abc'");
    }

    @Test
    void aRealEndpointPublishesTheReferenceShapeAndItsExchangedAddressCarriesAWrite() {
        int n = 8192;
        try (RdmEndpoint a = JnaFabric.load().library().open(RdmEndpoint.Hints.of("tcp;ofi_rxm", "lo"));
                RdmEndpoint b = JnaFabric.load().library().open(RdmEndpoint.Hints.of("tcp;ofi_rxm", "lo"));
                Memory src = new Memory(n); Memory dst = new Memory(n)) {
            dst.clear();
            src.setMemory(0, n, (byte) 0x5a);
            try (RdmEndpoint.Registration rd = b.register(Pointer.nativeValue(dst), n, RdmEndpoint.ACCESS_REMOTE);
                    RdmEndpoint.Registration rs = a.register(Pointer.nativeValue(src), n, RdmEndpoint.ACCESS_LOCAL)) {
                // b publishes its descriptor as a reference efa node would, with one device "lo"
                SegmentDescriptor published = new SegmentDescriptor("node-b:12345", "efa", 0, 1,
                        "2026-12-01 10:00:00.000000",
                        List.of(EfaDescriptors.buffer("cpu:0", rd.address(), n, List.of(rd.key()), List.of(rd.key()))),
                        List.of(EfaDescriptors.device("lo", b.description().sourceAddress())),
                        Map.of("cpu:0", List.of(List.of("lo"), List.of())), Map.of());
                String json = SegmentDescriptorCodec.encode(published);
                assertThat(json).isEqualTo("{\"buffers\":[{\"addr\":" + Long.toUnsignedString(rd.address())
                        + ",\"length\":8192,\"lkey\":[" + Long.toUnsignedString(rd.key()) + "],\"name\":\"cpu:0\","
                        + "\"rkey\":[" + Long.toUnsignedString(rd.key()) + "]}],\"devices\":[{\"gid\":\""
                        + b.description().sourceAddressHex() + "\",\"lid\":0,\"name\":\"lo\"}],\"name\":\"node-b:12345\","
                        + "\"priority_matrix\":{\"cpu:0\":[[\"lo\"],[]]},\"protocol\":\"efa\",\"tcp_data_port\":0,"
                        + "\"tcp_proto_version\":1,\"timestamp\":\"2026-12-01 10:00:00.000000\"}");
                assertThat(b.description().sourceAddressHex()).matches("[0-9a-f]+");

                // a reads it, asks b's handshake for its endpoint, b answers with efa_addr
                SegmentDescriptor seen = SegmentDescriptorCodec.decode(json);
                EfaDescriptors.validate(seen);
                EfaConnectionMessage req = EfaConnectionMessage.request("node-a:1@lo", "node-b:12345@lo", a.addressHex());
                EfaConnectionMessage reply = EfaConnectionMessage.parse(new JsonMapper().readTree(
                        EfaConnectionMessage.accept(EfaConnectionMessage.parse(new JsonMapper().readTree(
                                req.toCompactJson())), "node-b:12345@lo", b.addressHex()).toCompactJson()));
                long peer = a.insert(reply.efaAddressBytes());
                BufferDescriptor target = seen.buffers().get(0);
                int dev = EfaDescriptors.candidates(seen, target)[0];

                long rc;
                long deadline = System.nanoTime() + 30_000_000_000L;
                RdmEndpoint.PollBuffer pa = new RdmEndpoint.PollBuffer(8);
                RdmEndpoint.PollBuffer pb = new RdmEndpoint.PollBuffer(8);
                int[] done = {0};
                RdmEndpoint.Completions sink = new RdmEndpoint.Completions() {
                    @Override
                    public void completed(long context, long length) {
                        done[0]++;
                    }

                    @Override
                    public void failed(long context, int error, int providerError, String text) {
                        throw new AssertionError(text);
                    }
                };
                while ((rc = a.write(rs.address(), n, rs.descriptor(), peer, a.remoteAddress(target.addr(), target.addr()),
                        target.rkey().get(dev), 1L)) == -11) {
                    a.poll(pa, sink);
                    b.poll(pb, sink);
                }
                assertThat(rc).isZero();
                while (done[0] == 0) {
                    a.poll(pa, sink);
                    b.poll(pb, sink);
                    assertThat(System.nanoTime()).isLessThan(deadline);
                }
                assertThat(dst.getByteArray(0, n)).containsOnly((byte) 0x5a);
                pa.close();
                pb.close();
            }
        }
    }
}

package io.mooncake.transport.ascend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ascend descriptor parts against what the reference's HCCL transport writes
 * ({@code TransferMetadata::encodeSegmentDesc}, protocol {@code ascend}: sorted keys, compact,
 * {@code devices}, buffers with {@code device_id}, {@code rank_info}), its server-name parsing
 * ({@code ip:port:npu_N}) and its {@code /etc/hccn.conf} reading. The JSON below is composed from
 * that code, not captured from a running node (no Ascend hardware here).
 */
class AscendDescriptorsTest {

    /** A descriptor as the reference's ascend transport publishes it for 10.0.0.5:12345:npu_3. */
    static final String REFERENCE = "{\"buffers\":[{\"addr\":20616466432,\"device_id\":-1,\"length\":1073741824,"
            + "\"name\":\"npu:3\"}],\"devices\":[],\"name\":\"10.0.0.5:12345\",\"protocol\":\"ascend\",\"rank_info\":"
            + "{\"deviceIp\":\"192.168.100.13\",\"deviceLogicId\":0,\"devicePhyId\":3,\"devicePort\":16666,"
            + "\"deviceType\":5,\"endpoints\":[],\"hostIp\":\"10.0.0.5\",\"hostPort\":10003,\"pid\":0,\"rankId\":3},"
            + "\"tcp_data_port\":0,\"tcp_proto_version\":1,\"timestamp\":\"2026-08-22 13:12:18.123456\"}";

    @Test
    void aReferenceDescriptorDecodesToItsRankInfoAndDeviceIds() {
        SegmentDescriptor d = SegmentDescriptorCodec.decode(REFERENCE);

        assertThat(d.name()).isEqualTo("10.0.0.5:12345");
        assertThat(d.protocol()).isEqualTo("ascend");
        assertThat(AscendDescriptors.rankInfo(d)).isEqualTo(new RankInfo(3, "10.0.0.5", 10003, 0, 3, 5,
                "192.168.100.13", 16666, 0, List.of()));
        assertThat(AscendDescriptors.deviceId(d.buffers().get(0))).isEqualTo(-1);
        assertThat(d.findBuffer(20616466432L, 4096)).isNotNull();
    }

    @Test
    void reEncodingGivesTheReferenceBytesExceptTheEmptyDevicesArray() {
        SegmentDescriptor d = SegmentDescriptorCodec.decode(REFERENCE);

        String again = SegmentDescriptorCodec.encode(d);

        // the engine's codec writes "devices" only when non-empty (or rdma-shaped); the reference reads a
        // missing array as empty, so nothing is lost
        assertThat(again).isEqualTo(REFERENCE.replace("\"devices\":[],", ""));
        assertThat(SegmentDescriptorCodec.decode(again).sameContent(d)).isTrue();
    }

    @Test
    void rankInfoWeBuildEncodesLikeTheReference() {
        RankInfo local = RankInfo.local(AscendSegmentName.parse("10.0.0.5:12345:npu_3", "local_server_name"), 0,
                HccnConf.parse(Path.of("/etc/hccn.conf"), "address_3=192.168.100.13\nnetmask_3=255.255.255.0\n"));
        SegmentDescriptor bare = new SegmentDescriptor("10.0.0.5:12345", "ascend", 0, 1, "2026-08-22 13:12:18.123456",
                List.of(AscendDescriptors.withDeviceId(BufferDescriptor.of("npu:3", 20616466432L, 1L << 30), -1)),
                List.of(), java.util.Map.of(), java.util.Map.of());

        String json = SegmentDescriptorCodec.encode(AscendDescriptors.withRankInfo(bare, local));

        assertThat(json).isEqualTo(REFERENCE.replace("\"devices\":[],", ""));
    }

    @Test
    void unsignedNumbersAndOddFieldsAreReadAsTheReferenceReadsThem() {
        String json = REFERENCE.replace("\"rankId\":3", "\"rankId\":18446744073709551615")
                .replace("\"endpoints\":[]", "\"endpoints\":[\"10.0.0.6:7000\",5]").replace("\"pid\":0,", "");
        RankInfo r = AscendDescriptors.rankInfo(SegmentDescriptorCodec.decode(json));

        assertThat(r.rankId()).isEqualTo(-1L);
        assertThat(Long.toUnsignedString(r.rankId())).isEqualTo("18446744073709551615");
        assertThat(r.endpoints()).containsExactly("10.0.0.6:7000");
        assertThat(r.pid()).isZero();
        assertThat(r.toJson().toString()).contains("\"rankId\":18446744073709551615");
    }

    @Test
    void aWrongRankInfoIsAnErrorNamingTheSegmentAndTheField() {
        SegmentDescriptor noRank = SegmentDescriptorCodec.decode(REFERENCE.replaceAll(",\"rank_info\":\\{[^}]*\\}", ""));
        assertThatThrownBy(() -> AscendDescriptors.rankInfo(noRank)).isInstanceOf(MooncakeException.class)
                .hasMessage("ascend segment '10.0.0.5:12345' has no rank_info object: it was not published by an "
                        + "ascend (HCCL) transport");
        SegmentDescriptor badPort = SegmentDescriptorCodec.decode(REFERENCE.replace("\"hostPort\":10003",
                "\"hostPort\":\"10003\""));
        assertThatThrownBy(() -> AscendDescriptors.rankInfo(badPort)).isInstanceOf(MooncakeException.class)
                .hasMessage("ascend segment '10.0.0.5:12345': rank_info.hostPort is \"10003\", not an unsigned 64-bit "
                        + "integer");
    }

    @Test
    void serverNamesAreParsedAsTheReferenceDoes() {
        AscendSegmentName n = AscendSegmentName.parse("10.0.0.5:12345:npu_7", "local_server_name");
        assertThat(n).isEqualTo(new AscendSegmentName("10.0.0.5", 12345, 7));
        assertThat(n.segmentName()).isEqualTo("10.0.0.5:12345");
        assertThat(n).hasToString("10.0.0.5:12345:npu_7");

        assertThatThrownBy(() -> AscendSegmentName.parse("10.0.0.5:12345", "local_server_name"))
                .hasMessage("local_server_name '10.0.0.5:12345' has no <host ip>:<port>:npu_<N> parts; the ascend "
                        + "transport needs local_server_name of the form <host ip>:<port>:npu_<N>, e.g. "
                        + "10.0.0.5:12345:npu_0");
        assertThatThrownBy(() -> AscendSegmentName.parse("10.0.0.5:12345:gpu_0", "x")).hasMessageContaining(
                "'gpu_0' does not start with npu_");
        assertThatThrownBy(() -> AscendSegmentName.parse("10.0.0.5:http:npu_0", "x")).hasMessageContaining(
                "port 'http' is not a number from 0 to 65535");
        assertThatThrownBy(() -> AscendSegmentName.parse("node-a:1:npu_0", "x")).hasMessageContaining(
                "host 'node-a' is not an IPv4 address");
        assertThatThrownBy(() -> AscendSegmentName.parse("10.0.0.5:1:npu_x", "x")).hasMessageContaining(
                "NPU id 'x' is not a non-negative number");
    }

    @Test
    void hccnConfGivesEachNpusAddressAndNamesAMissingOne() {
        HccnConf c = HccnConf.parse(Path.of("/etc/hccn.conf"),
                "address_0=192.168.100.10\nnetmask_0=255.255.255.0\naddress_ 1 =  192.168.100.11  \n");
        assertThat(c.deviceIp(0)).isEqualTo("192.168.100.10");
        assertThatThrownBy(() -> c.deviceIp(3)).isInstanceOf(MooncakeException.class)
                .hasMessageStartingWith("/etc/hccn.conf has no address_3 line (it lists address_0, address_1 )")
                .hasMessageEndingWith("set it with hccn_tool -i 3 -ip -s address <ip> netmask <mask>");
        assertThatThrownBy(() -> HccnConf.read(Path.of("/nonexistent/hccn.conf"))).isInstanceOf(MooncakeException.class)
                .hasMessageStartingWith("cannot open /nonexistent/hccn.conf: the NPUs' network addresses are not "
                        + "configured");
    }
}

package io.mooncake.engine.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Descriptors read and written byte for byte as the reference does (mooncake-te.md §2, wire-captures.md). */
class SegmentDescriptorCodecTest {

    static final String CAPTURED = "{\"buffers\":[{\"addr\":140642135048192,\"length\":100663296,\"name\":"
            + "\"127.0.0.1:15194\"}],\"name\":\"127.0.0.1:15194\",\"protocol\":\"tcp\",\"tcp_data_port\":16668,"
            + "\"tcp_proto_version\":2,\"timestamp\":\"2026-11-26 05:51:20.942685\"}";

    static final String RDMA = "{\"buffers\":[{\"addr\":139872450002944,\"length\":1073741824,\"lkey\":[4660,8738],"
            + "\"name\":\"cpu:0\",\"rkey\":[4660,8738]}],\"devices\":[{\"gid\":\"fe:80:00:00:00:00:00:00:0a:0b:0c:ff:fe:0d:0e:0f\","
            + "\"lid\":7,\"name\":\"mlx5_0\"},{\"gid\":\"fe:80:00:00:00:00:00:00:0a:0b:0c:ff:fe:0d:0e:10\",\"lid\":8,"
            + "\"name\":\"mlx5_1\"}],\"name\":\"node-b:12345\",\"priority_matrix\":{\"cpu:0\":[[\"mlx5_0\"],[\"mlx5_1\"]],"
            + "\"cpu:1\":[[\"mlx5_1\"],[\"mlx5_0\"]]},\"protocol\":\"rdma\",\"tcp_data_port\":0,\"tcp_proto_version\":1,"
            + "\"timestamp\":\"2026-08-22 13:12:18.654321\"}";

    @Test
    void capturedTcpDescriptorRoundTripsByteForByte() {
        SegmentDescriptor d = SegmentDescriptorCodec.decode(CAPTURED);
        assertThat(d.name()).isEqualTo("127.0.0.1:15194");
        assertThat(d.tcpDataPort()).isEqualTo(16668);
        assertThat(d.buffers()).containsExactly(BufferDescriptor.of("127.0.0.1:15194", 140642135048192L, 100663296));
        assertThat(SegmentDescriptorCodec.encode(d)).isEqualTo(CAPTURED);
        assertThat(SegmentDescriptorCodec.encodeLine(d)).isEqualTo(CAPTURED + "\n");
    }

    @Test
    void rdmaExampleRoundTripsByteForByte() {
        SegmentDescriptor d = SegmentDescriptorCodec.decode(RDMA);
        assertThat(d.devices()).hasSize(2);
        assertThat(d.buffers().get(0).rkey()).containsExactly(4660L, 8738L);
        assertThat(d.priorityMatrix().get("cpu:1")).isEqualTo(List.of(List.of("mlx5_1"), List.of("mlx5_0")));
        assertThat(SegmentDescriptorCodec.encode(d)).isEqualTo(RDMA);
    }

    @Test
    void unsignedSixtyFourBitNumbersSurvive() {
        String json = CAPTURED.replace("140642135048192", "18446744073709551615");
        SegmentDescriptor d = SegmentDescriptorCodec.decode(json);
        assertThat(d.buffers().get(0).addr()).isEqualTo(-1L);
        assertThat(SegmentDescriptorCodec.encode(d)).contains("\"addr\":18446744073709551615");
    }

    @Test
    void missingProtoVersionMeansOneAndMissingPortMeansZero() {
        SegmentDescriptor d = SegmentDescriptorCodec.decode(CAPTURED.replace(",\"tcp_proto_version\":2", "")
                .replace(",\"tcp_data_port\":16668", ""));
        assertThat(d.tcpProtoVersion()).isEqualTo(1);
        assertThat(d.tcpDataPort()).isZero();
    }

    @Test
    void unknownFieldsArePreserved() {
        String json = CAPTURED.replace("\"name\":\"127.0.0.1:15194\",\"protocol\"",
                "\"name\":\"127.0.0.1:15194\",\"new_field\":{\"x\":1},\"protocol\"");
        assertThat(SegmentDescriptorCodec.encode(SegmentDescriptorCodec.decode(json))).isEqualTo(json);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"buffers\":[{\"addr\":0,\"length\":16,\"name\":\"x\"}],\"name\":\"x\",\"protocol\":\"tcp\"}",
        "{\"buffers\":[{\"addr\":16,\"length\":0,\"name\":\"x\"}],\"name\":\"x\",\"protocol\":\"tcp\"}",
        "{\"buffers\":[{\"addr\":16,\"length\":16,\"name\":\"\"}],\"name\":\"x\",\"protocol\":\"tcp\"}",
        "{\"buffers\":[{\"addr\":16,\"length\":16,\"name\":\"cpu:0\",\"rkey\":[1],\"lkey\":[]}],\"devices\":"
                + "[{\"gid\":\"00\",\"lid\":1,\"name\":\"mlx5_0\"}],\"name\":\"x\",\"protocol\":\"rdma\"}",
        "{\"buffers\":[],\"devices\":[{\"lid\":1,\"name\":\"mlx5_0\"}],\"name\":\"x\",\"protocol\":\"rdma\"}",
        "{\"buffers\":[{\"addr\":-5,\"length\":16,\"name\":\"x\"}],\"name\":\"x\",\"protocol\":\"tcp\"}",
        "{\"protocol\":\"tcp\"}"
    })
    void invalidDescriptorsAreRejectedWhole(String json) {
        assertThatThrownBy(() -> SegmentDescriptorCodec.decode(json)).isInstanceOfSatisfying(MooncakeException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.METADATA));
    }

    @Test
    void notJsonIsMalformed() {
        assertThatThrownBy(() -> SegmentDescriptorCodec.decode("{oops")).isInstanceOfSatisfying(
                MooncakeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_JSON));
    }

    @Test
    void shmBuffersWithoutHandleAreSkipped() {
        SegmentDescriptor d = SegmentDescriptorCodec.decode("{\"buffers\":[{\"addr\":16,\"length\":16,\"name\":\"cuda:0\"},"
                + "{\"addr\":64,\"length\":16,\"name\":\"cuda:0\",\"shm_name\":\"AB\"}],\"name\":\"x\",\"protocol\":\"nvlink\"}");
        assertThat(d.buffers()).hasSize(1);
        assertThat(d.buffers().get(0).shmName()).isEqualTo("AB");
    }

    @Test
    void rpcMetaHasTheReferenceLayout() {
        assertThat(new RpcMeta("10.0.0.1", 15123).encodeLine())
                .isEqualTo("{\"ip_or_host_name\":\"10.0.0.1\",\"rpc_port\":15123}\n");
        assertThat(RpcMeta.decode("{\"ip_or_host_name\":\"h\",\"rpc_port\":1}\n".getBytes()))
                .isEqualTo(new RpcMeta("h", 1));
    }

    @Test
    void keysFollowTheReferenceLayout() {
        assertThat(MetadataKeys.forCluster(null).ram("node-a:12345")).isEqualTo("mooncake/ram/node-a:12345");
        assertThat(MetadataKeys.forCluster("c1").rpcMeta("n")).isEqualTo("mooncake/c1/rpc_meta/n");
        assertThat(MetadataKeys.forCluster("").ram("nvmeof/x")).isEqualTo("mooncake/nvmeof/x");
    }
}

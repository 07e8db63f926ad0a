package io.mooncake.transport.ascend;

import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptor;
import java.util.HashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The ascend parts of a segment descriptor, as the reference's HCCL transport writes and reads
 * them: the top-level {@code rank_info} object ({@link RankInfo}) and each buffer's
 * {@code device_id} (-1 when absent, as the reference decodes it; its HCCL transport never sets
 * it). Both travel in the engine descriptor's {@code extra} maps, so a descriptor read from a
 * reference node is re-published unchanged.
 */
public final class AscendDescriptors {

    /** Top-level field. */
    public static final String RANK_INFO = "rank_info";
    /** Buffer field. */
    public static final String DEVICE_ID = "device_id";

    private AscendDescriptors() {
    }

    /** The descriptor's rank info; an error names the segment when it has none. */
    public static RankInfo rankInfo(SegmentDescriptor d) {
        return RankInfo.fromJson(d.extra().get(RANK_INFO), d.name());
    }

    /** A copy carrying {@code rank}. */
    public static SegmentDescriptor withRankInfo(SegmentDescriptor d, RankInfo rank) {
        Map<String, JsonNode> extra = new HashMap<>(d.extra());
        extra.put(RANK_INFO, rank.toJson());
        return new SegmentDescriptor(d.name(), d.protocol(), d.tcpDataPort(), d.tcpProtoVersion(), d.timestamp(),
                d.buffers(), d.devices(), d.priorityMatrix(), extra);
    }

    /** The buffer's {@code device_id}, -1 when absent (the reference's default). */
    public static int deviceId(BufferDescriptor b) {
        JsonNode v = b.extra().get(DEVICE_ID);
        return v != null && v.isIntegralNumber() ? v.asInt() : -1;
    }

    /** A copy of the buffer with {@code device_id}. */
    public static BufferDescriptor withDeviceId(BufferDescriptor b, int deviceId) {
        Map<String, JsonNode> extra = new HashMap<>(b.extra());
        extra.put(DEVICE_ID, JsonNodeFactory.instance.numberNode(deviceId));
        return new BufferDescriptor(b.name(), b.addr(), b.length(), b.rkey(), b.lkey(), b.shmName(), b.offset(), extra);
    }
}

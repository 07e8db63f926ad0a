package io.mooncake.transport.ascend;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code rank_info} object of an ascend segment descriptor: how HCCL reaches the node's NPU.
 * Field names and meaning are the reference's ({@code TransferMetadata::RankInfoDesc}); numbers
 * are unsigned 64-bit, written with jsoncpp's sorted keys.
 *
 * @param rankId the HCCL rank (the reference sets it to the NPU's physical id)
 * @param hostIp the host's IPv4 address
 * @param hostPort the host-side port (reference: 10000 + devicePhyId)
 * @param deviceLogicId the NPU's logical id in the process ({@code aclrtGetDevice})
 * @param devicePhyId the NPU's physical id (the {@code npu_N} of the server name)
 * @param deviceType HCCL device type (5 by default)
 * @param deviceIp the NPU's RoCE address ({@code address_<phyId>} in {@code /etc/hccn.conf})
 * @param devicePort the device-side port (reference: 16666)
 * @param pid the process id the reference publishes (0)
 * @param endpoints extra endpoints (empty from the reference's HCCL transport)
 */
public record RankInfo(long rankId, String hostIp, long hostPort, long deviceLogicId, long devicePhyId, long deviceType,
        String deviceIp, long devicePort, long pid, List<String> endpoints) {

    /** The reference's {@code ASCEND_DEFAULT_HOST_PORT}. */
    public static final int DEFAULT_HOST_PORT = 10000;
    /** The reference's {@code ASCEND_DEFAULT_DEVICE_PORT}. */
    public static final int DEFAULT_DEVICE_PORT = 16666;
    /** The descriptor's default {@code deviceType}. */
    public static final int DEFAULT_DEVICE_TYPE = 5;

    public RankInfo {
        endpoints = List.copyOf(endpoints);
    }

    /**
     * The rank info the reference's HCCL transport publishes for a node started as {@code name}
     * whose current device is {@code deviceLogicId}, with the NPU address from {@code hccn}.
     */
    public static RankInfo local(AscendSegmentName name, int deviceLogicId, HccnConf hccn) {
        int phy = name.devicePhyId();
        return new RankInfo(phy, name.hostIp(), DEFAULT_HOST_PORT + phy, deviceLogicId, phy, DEFAULT_DEVICE_TYPE,
                hccn.deviceIp(phy), DEFAULT_DEVICE_PORT, 0, List.of());
    }

    /** The JSON object, keys in jsoncpp's (sorted) order. */
    public ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode n = f.objectNode();
        n.put("deviceIp", deviceIp);
        n.set("deviceLogicId", unsigned(deviceLogicId));
        n.set("devicePhyId", unsigned(devicePhyId));
        n.set("devicePort", unsigned(devicePort));
        n.set("deviceType", unsigned(deviceType));
        ArrayNode eps = n.putArray("endpoints");
        endpoints.forEach(eps::add);
        n.put("hostIp", hostIp);
        n.set("hostPort", unsigned(hostPort));
        n.set("pid", unsigned(pid));
        n.set("rankId", unsigned(rankId));
        return n;
    }

    /**
     * Reads a {@code rank_info} object as the reference does: missing numbers are 0, missing
     * strings empty, non-string endpoints ignored; a field of the wrong type is an error naming it.
     */
    public static RankInfo fromJson(JsonNode n, String segment) {
        if (n == null || !n.isObject()) {
            throw new MooncakeException(ErrorCode.METADATA, "ascend segment '" + segment + "' has no rank_info object"
                    + (n == null ? "" : " (found " + n.getNodeType() + ")") + ": it was not published by an ascend "
                    + "(HCCL) transport");
        }
        List<String> eps = new ArrayList<>();
        for (JsonNode e : n.path("endpoints")) {
            if (e.isString()) {
                eps.add(e.asString());
            }
        }
        return new RankInfo(num(n, "rankId", segment), str(n, "hostIp", segment), num(n, "hostPort", segment),
                num(n, "deviceLogicId", segment), num(n, "devicePhyId", segment), num(n, "deviceType", segment),
                str(n, "deviceIp", segment), num(n, "devicePort", segment), num(n, "pid", segment), eps);
    }

    private static long num(JsonNode n, String field, String segment) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return 0;
        }
        if (!v.isIntegralNumber() || v.bigIntegerValue().signum() < 0
                || v.bigIntegerValue().bitLength() > 64) {
            throw new MooncakeException(ErrorCode.METADATA, "ascend segment '" + segment + "': rank_info." + field
                    + " is " + v + ", not an unsigned 64-bit integer");
        }
        return v.bigIntegerValue().longValue();
    }

    private static String str(JsonNode n, String field, String segment) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isString()) {
            throw new MooncakeException(ErrorCode.METADATA, "ascend segment '" + segment + "': rank_info." + field
                    + " is " + v + ", not a string");
        }
        return v.asString();
    }

    private static JsonNode unsigned(long v) {
        return v >= 0 ? JsonNodeFactory.instance.numberNode(v)
                : JsonNodeFactory.instance.numberNode(new BigInteger(Long.toUnsignedString(v)));
    }
}

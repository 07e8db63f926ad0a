package io.mooncake.transport.efa;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The handshake Connection message (type 0) as the reference's efa transport sends and answers
 * it: its {@code HandShakeDesc} in an EFA build, with {@code efa_addr} the endpoint address
 * ({@code fi_getname}) as lowercase hex.
 *
 * <p>{@link #toJson()} writes the fields the reference's {@code TransferHandshakeUtil::encode}
 * writes, no more: {@code efa_addr, local_gid, local_lid, local_nic_path, payload, peer_nic_path,
 * qp_num, reply_msg} (jsoncpp sorts them), plus {@code ready_ack} only when set. {@link #parse}
 * reads as the reference's {@code decode} does: absent or mistyped fields take their defaults.
 * A nic path is {@code <segment name>@<device>}.
 *
 * @param payload unused by efa, empty
 * @param localNicPath the sender's {@code <segment>@<device>}
 * @param localLid 0 for efa
 * @param localGid empty for efa
 * @param peerNicPath the {@code <segment>@<device>} the sender wants to reach
 * @param qpNum empty for efa
 * @param replyMsg empty, or why the responder refused
 * @param efaAddr the sender's endpoint address in hex
 * @param readyAck {@code null} when absent (the efa transport never sends it)
 */
public record EfaConnectionMessage(String payload, String localNicPath, int localLid, String localGid,
        String peerNicPath, List<Long> qpNum, String replyMsg, String efaAddr, Boolean readyAck) {

    private static final JsonMapper MAPPER = JsonMapper.builder().build();
    private static final char DELIM = '@';

    public EfaConnectionMessage {
        qpNum = List.copyOf(qpNum);
    }

    /** A request from {@code localNicPath} to {@code peerNicPath}. */
    public static EfaConnectionMessage request(String localNicPath, String peerNicPath, String efaAddr) {
        return new EfaConnectionMessage("", localNicPath, 0, "", peerNicPath, List.of(), "", efaAddr, null);
    }

    /** The answer to {@code request}: our nic path and address, the requester's path as the peer's. */
    public static EfaConnectionMessage accept(EfaConnectionMessage request, String localNicPath, String efaAddr) {
        return new EfaConnectionMessage("", localNicPath, 0, "", request.localNicPath(), List.of(), "", efaAddr, null);
    }

    /** A refusal of {@code request}, saying why in {@code reply_msg}. */
    public static EfaConnectionMessage reject(EfaConnectionMessage request, String why) {
        return new EfaConnectionMessage("", "", 0, "", request.localNicPath(), List.of(), why, "", null);
    }

    /** {@code <segment>@<device>}. */
    public static String nicPath(String segment, String device) {
        return segment + DELIM + device;
    }

    /** The segment of a nic path (before the first {@code @}), empty when there is none, as the reference. */
    public static String segmentOf(String nicPath) {
        int at = nicPath.indexOf(DELIM);
        return at < 0 ? "" : nicPath.substring(0, at);
    }

    /** The device of a nic path (after the first {@code @}), empty when there is none, as the reference. */
    public static String deviceOf(String nicPath) {
        int at = nicPath.indexOf(DELIM);
        return at < 0 ? "" : nicPath.substring(at + 1);
    }

    /** Whether a Connection request is an efa one (carries a non-empty {@code efa_addr}). */
    public static boolean isEfa(JsonNode request) {
        JsonNode a = request.get("efa_addr");
        return a != null && a.isString() && !a.asString().isEmpty();
    }

    /** Reads a Connection message as the reference's decoder does. */
    public static EfaConnectionMessage parse(JsonNode n) {
        List<Long> qps = new ArrayList<>();
        for (JsonNode q : n.path("qp_num")) {
            qps.add(q.asLong(0) & 0xffffffffL);
        }
        JsonNode lid = n.get("local_lid");
        JsonNode gid = n.get("local_gid");
        JsonNode ready = n.get("ready_ack");
        return new EfaConnectionMessage(string(n, "payload"), string(n, "local_nic_path"),
                lid != null && lid.canConvertToInt() && lid.asInt() >= 0 ? lid.asInt() : 0,
                gid != null && gid.isString() ? gid.asString() : "", string(n, "peer_nic_path"), qps,
                string(n, "reply_msg"), string(n, "efa_addr"),
                ready == null ? null : ready.isBoolean() && ready.asBoolean());
    }

    /** The JSON the reference writes for this message (sorted keys when serialised compactly). */
    public ObjectNode toJson() {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("efa_addr", efaAddr);
        n.put("local_gid", localGid);
        n.put("local_lid", localLid);
        n.put("local_nic_path", localNicPath);
        n.put("payload", payload);
        n.put("peer_nic_path", peerNicPath);
        ArrayNode q = n.putArray("qp_num");
        qpNum.forEach(q::add);
        if (readyAck != null) {
            n.put("ready_ack", readyAck);
        }
        n.put("reply_msg", replyMsg);
        return n;
    }

    /** Compact JSON, keys sorted, as jsoncpp writes it. */
    public String toCompactJson() {
        return MAPPER.writeValueAsString(toJson());
    }

    /**
     * The peer's endpoint address from {@code efa_addr}.
     *
     * @throws MooncakeException ({@link ErrorCode#MALFORMED_JSON}) naming the field and value when
     *         it is empty, of odd length or not hex
     */
    public byte[] efaAddressBytes() {
        return hex("efa_addr of the Connection message from " + (localNicPath.isEmpty() ? "a peer" : localNicPath),
                efaAddr);
    }

    static byte[] hex(String what, String value) {
        if (value == null || value.isEmpty() || value.length() % 2 != 0) {
            throw new MooncakeException(ErrorCode.MALFORMED_JSON, what + " must be a non-empty even-length hex string "
                    + "(a libfabric endpoint address), got '" + value + "'");
        }
        try {
            return HexFormat.of().parseHex(value);
        } catch (IllegalArgumentException e) {
            throw new MooncakeException(ErrorCode.MALFORMED_JSON, what + " is not hex: '" + value + "'", e);
        }
    }

    private static String string(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isString() ? v.asString() : "";
    }
}

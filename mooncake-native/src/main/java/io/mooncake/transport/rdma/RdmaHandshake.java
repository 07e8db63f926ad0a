package io.mooncake.transport.rdma;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The body of a handshake Connection request or reply (type 0) as the reference's rdma transport
 * writes and reads it ({@code TransferHandshakeUtil} in {@code transfer_metadata.cpp}):
 * {@code local_gid, local_lid, local_nic_path, payload, peer_nic_path, qp_num[], reply_msg}, plus
 * {@code ready_ack} only when a peer advertises it, with keys sorted as jsoncpp writes them.
 *
 * <p>The reference's active side sends {@code local_gid} empty and {@code local_lid} 0 and each
 * side takes the peer's GID and LID from the peer's segment descriptor ({@code devices}); this
 * class does the same. A non-empty {@code reply_msg} in a reply is a rejection. Fields this class
 * does not model ({@code protocol}, {@code barex_port}, {@code efa_addr}, ...) are kept in
 * {@link #extra()} and written back.
 *
 * @param localNicPath the sender's NIC, {@code <segment>@<device>}
 * @param peerNicPath the NIC the sender wants to reach (request) or reached (reply)
 * @param qpNums the sender's QP numbers, one per QP of the endpoint ({@code MC_NUM_QP_PER_EP})
 * @param localGid the sender's GID, usually empty
 * @param localLid the sender's LID, usually 0
 * @param payload unused by rdma, empty
 * @param replyMsg empty, or why the request was rejected
 * @param readyAck {@code null} when absent
 * @param extra other fields, as received
 */
public record RdmaHandshake(String localNicPath, String peerNicPath, List<Long> qpNums, String localGid, int localLid,
        String payload, String replyMsg, Boolean readyAck, Map<String, JsonNode> extra) {

    public RdmaHandshake {
        localNicPath = localNicPath == null ? "" : localNicPath;
        peerNicPath = peerNicPath == null ? "" : peerNicPath;
        qpNums = qpNums == null ? List.of() : List.copyOf(qpNums);
        localGid = localGid == null ? "" : localGid;
        payload = payload == null ? "" : payload;
        replyMsg = replyMsg == null ? "" : replyMsg;
        extra = extra == null ? Map.of() : Map.copyOf(extra);
    }

    /** A request from {@code local} to {@code peer} carrying this side's QP numbers, as the reference sends it. */
    public static RdmaHandshake request(NicPath local, NicPath peer, List<Long> qpNums) {
        return new RdmaHandshake(local.toString(), peer.toString(), qpNums, "", 0, "", "", null, Map.of());
    }

    /** An accepting reply. */
    public static RdmaHandshake accept(NicPath local, NicPath peer, List<Long> qpNums) {
        return new RdmaHandshake(local.toString(), peer.toString(), qpNums, "", 0, "", "", null, Map.of());
    }

    /** A rejecting reply: the reference sends its own paths (possibly empty) and the reason. */
    public static RdmaHandshake reject(String localNicPath, String peerNicPath, String reason) {
        return new RdmaHandshake(localNicPath, peerNicPath, List.of(), "", 0, "", reason, null, Map.of());
    }

    /**
     * The same body with the sender's GID and LID filled in. The reference sends them empty and
     * reads the peer's from its descriptor; a Java node fills them so that a peer which has not
     * opened its segment can still connect. Reference receivers read and ignore them.
     */
    public RdmaHandshake withLocalAddress(String gid, int lid) {
        return new RdmaHandshake(localNicPath, peerNicPath, qpNums, gid, lid, payload, replyMsg, readyAck, extra);
    }

    /** Whether this reply rejects the request. */
    public boolean rejected() {
        return !replyMsg.isEmpty();
    }

    /** The JSON body, keys in jsoncpp's (sorted) order. */
    public ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        TreeMap<String, JsonNode> fields = new TreeMap<>(extra);
        fields.put("local_gid", f.stringNode(localGid));
        fields.put("local_lid", f.numberNode(localLid));
        fields.put("local_nic_path", f.stringNode(localNicPath));
        fields.put("payload", f.stringNode(payload));
        fields.put("peer_nic_path", f.stringNode(peerNicPath));
        ArrayNode qps = f.arrayNode();
        for (long qp : qpNums) {
            qps.add(qp);
        }
        fields.put("qp_num", qps);
        if (readyAck != null) {
            fields.put("ready_ack", f.booleanNode(readyAck));
        }
        fields.put("reply_msg", f.stringNode(replyMsg));
        ObjectNode o = f.objectNode();
        fields.forEach(o::set);
        return o;
    }

    /**
     * Reads a body, with the reference's checks: string fields must be strings, {@code local_lid}
     * and each {@code qp_num} unsigned 32-bit integers, {@code ready_ack} a boolean; missing
     * fields read as empty.
     *
     * @param origin who sent it, for messages
     * @throws MooncakeException {@link ErrorCode#MALFORMED_JSON} naming the field, value and origin
     */
    public static RdmaHandshake fromJson(JsonNode json, String origin) {
        if (json == null || !json.isObject()) {
            throw new MooncakeException(ErrorCode.MALFORMED_JSON, "Connection handshake from " + origin
                    + " is not a JSON object: " + json);
        }
        Map<String, JsonNode> extra = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : json.properties()) {
            extra.put(e.getKey(), e.getValue());
        }
        String local = string(json, "local_nic_path", origin);
        String peer = string(json, "peer_nic_path", origin);
        String gid = string(json, "local_gid", origin);
        String payload = string(json, "payload", origin);
        String reply = string(json, "reply_msg", origin);
        int lid = 0;
        JsonNode l = json.get("local_lid");
        if (l != null && !l.isNull()) {
            lid = (int) unsigned(l, "local_lid", 0xffffL, origin);
        }
        List<Long> qps = new ArrayList<>();
        JsonNode q = json.get("qp_num");
        if (q != null && !q.isNull()) {
            if (!q.isArray()) {
                throw malformed("qp_num", q, "an array of unsigned 32-bit integers", origin);
            }
            for (JsonNode n : q) {
                qps.add(unsigned(n, "qp_num", 0xffff_ffffL, origin));
            }
        }
        Boolean ready = null;
        JsonNode r = json.get("ready_ack");
        if (r != null) {
            ready = r.isBoolean() ? r.booleanValue() : Boolean.FALSE;
        }
        for (String known : List.of("local_nic_path", "peer_nic_path", "local_gid", "payload", "reply_msg", "local_lid",
                "qp_num", "ready_ack")) {
            extra.remove(known);
        }
        return new RdmaHandshake(local, peer, qps, gid, lid, payload, reply, ready, extra);
    }

    private static String string(JsonNode json, String field, String origin) {
        JsonNode n = json.get(field);
        if (n == null || n.isNull()) {
            return "";
        }
        if (!n.isString()) {
            throw malformed(field, n, "a string", origin);
        }
        return n.asString();
    }

    private static long unsigned(JsonNode n, String field, long max, String origin) {
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0 || n.asLong() > max) {
            throw malformed(field, n, "an unsigned integer up to " + max, origin);
        }
        return n.asLong();
    }

    private static MooncakeException malformed(String field, JsonNode value, String expected, String origin) {
        return new MooncakeException(ErrorCode.MALFORMED_JSON, "Connection handshake field " + field + " from " + origin
                + " is " + value + "; expected " + expected);
    }
}

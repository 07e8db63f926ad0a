package io.mooncake.engine.metadata;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads and writes {@link SegmentDescriptor}s in the reference engine's JSON: keys sorted,
 * compact, addresses and keys as plain unsigned 64-bit integers.
 *
 * <p>Decoding applies the reference's validation: one bad entry rejects the whole descriptor.
 * Thread-safe.
 */
public final class SegmentDescriptorCodec {

    /**
     * Protocols a reference node may publish (§2). The set is open: a descriptor naming another
     * protocol (a transport this node does not know, a newer reference) is kept as it is, and the
     * engine's router decides whether any running transport reaches it.
     */
    public static final Set<String> KNOWN_PROTOCOLS = Set.of("tcp", "rdma", "efa", "cxi", "barex", "ub", "nccl",
            "ascend", "nvlink", "nvlink_intra", "hip", "maca", "musa", "ubshmem", "sunrise_link", "cxl", "nvmeof");

    private static final Set<String> RDMA_SHAPED = Set.of("rdma", "barex", "efa", "cxi");
    private static final Set<String> SHM_SHAPED = Set.of("nvlink", "nvlink_intra", "hip", "maca", "musa", "ubshmem",
            "sunrise_link");
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    // Decimals as BigDecimal: unknown numeric fields are kept exactly (no double overflow to Infinity).
    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(tools.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();
    private static final JsonNodeFactory NODES = MAPPER.getNodeFactory();

    private SegmentDescriptorCodec() {
    }

    /** The current local time in the reference's timestamp form. */
    public static String timestampNow() {
        return LocalDateTime.now().format(TIMESTAMP);
    }

    /** Compact JSON with sorted keys; a {@code null} timestamp is replaced by the current time. */
    public static String encode(SegmentDescriptor d) {
        return MAPPER.writeValueAsString(toTree(d));
    }

    /** {@link #encode} plus the trailing newline that etcd, Redis and handshake values carry. */
    public static String encodeLine(SegmentDescriptor d) {
        return encode(d) + "\n";
    }

    /** The descriptor as a JSON tree with keys in sorted order. */
    public static ObjectNode toTree(SegmentDescriptor d) {
        TreeMap<String, JsonNode> top = new TreeMap<>(d.extra());
        ArrayNode buffers = NODES.arrayNode();
        for (BufferDescriptor b : d.buffers()) {
            buffers.add(bufferTree(d.protocol(), b));
        }
        top.put("buffers", buffers);
        if (!d.devices().isEmpty() || RDMA_SHAPED.contains(d.protocol())) {
            ArrayNode devices = NODES.arrayNode();
            for (DeviceDescriptor dev : d.devices()) {
                ObjectNode n = NODES.objectNode();
                if (dev.gid() != null) {
                    n.put("gid", dev.gid());
                }
                n.put("lid", dev.lid());
                n.put("name", dev.name());
                devices.add(n);
            }
            top.put("devices", devices);
        }
        if (!d.priorityMatrix().isEmpty() || RDMA_SHAPED.contains(d.protocol())) {
            ObjectNode matrix = NODES.objectNode();
            for (Map.Entry<String, List<List<String>>> e : d.priorityMatrix().entrySet()) {
                ArrayNode pair = NODES.arrayNode();
                for (List<String> names : e.getValue()) {
                    ArrayNode arr = NODES.arrayNode();
                    names.forEach(arr::add);
                    pair.add(arr);
                }
                matrix.set(e.getKey(), pair);
            }
            top.put("priority_matrix", matrix);
        }
        top.put("name", NODES.stringNode(d.name()));
        top.put("protocol", NODES.stringNode(d.protocol()));
        top.put("tcp_data_port", NODES.numberNode(d.tcpDataPort()));
        top.put("tcp_proto_version", NODES.numberNode(d.tcpProtoVersion()));
        top.put("timestamp", NODES.stringNode(d.timestamp() == null ? timestampNow() : d.timestamp()));
        ObjectNode root = NODES.objectNode();
        top.forEach(root::set);
        return root;
    }

    private static ObjectNode bufferTree(String protocol, BufferDescriptor b) {
        TreeMap<String, JsonNode> fields = new TreeMap<>(b.extra());
        if (b.offset() != null) {
            fields.put("offset", unsigned(b.offset())); // cxl buffers: an offset in the device, no address
        }
        if (b.offset() == null || b.addr() != 0) {
            fields.put("addr", unsigned(b.addr()));
        }
        fields.put("length", unsigned(b.length()));
        fields.put("name", NODES.stringNode(b.name()));
        if (RDMA_SHAPED.contains(protocol) || !b.rkey().isEmpty() || !b.lkey().isEmpty()) {
            fields.put("rkey", keys(b.rkey()));
            fields.put("lkey", keys(b.lkey()));
        }
        if (b.shmName() != null) {
            fields.put("shm_name", NODES.stringNode(b.shmName()));
        }
        ObjectNode n = NODES.objectNode();
        fields.forEach(n::set);
        return n;
    }

    private static ArrayNode keys(List<Long> keys) {
        ArrayNode arr = NODES.arrayNode();
        for (Long k : keys) {
            arr.add(unsigned(k));
        }
        return arr;
    }

    private static JsonNode unsigned(long v) {
        return v >= 0 ? NODES.numberNode(v) : NODES.numberNode(new BigInteger(Long.toUnsignedString(v)));
    }

    /** Parses and validates a descriptor from UTF-8 bytes. */
    public static SegmentDescriptor decode(byte[] json) {
        return decode(new String(json, StandardCharsets.UTF_8));
    }

    /**
     * Parses and validates a descriptor.
     *
     * @throws MooncakeException with {@link ErrorCode#MALFORMED_JSON} for unparsable input and
     *     {@link ErrorCode#METADATA} for a document the reference would reject
     */
    public static SegmentDescriptor decode(String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw new MooncakeException(ErrorCode.MALFORMED_JSON,
                    "segment descriptor is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IllegalArgumentException e) {
            // a number beyond Jackson's limits
            throw new MooncakeException(ErrorCode.MALFORMED_JSON,
                    "segment descriptor is not usable JSON: " + e.getMessage(), e);
        }
        return fromTree(root);
    }

    /** Builds a descriptor from a parsed tree, applying the reference's validation. */
    public static SegmentDescriptor fromTree(JsonNode root) {
        try {
            return build(root);
        } catch (JacksonException e) {
            // A field of the wrong JSON type (an array where a name belongs, ...).
            throw invalid("segment descriptor has a field of the wrong type: " + e.getOriginalMessage());
        }
    }

    private static SegmentDescriptor build(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw invalid("segment descriptor must be a JSON object");
        }
        String name = text(root, "name");
        JsonNode protoNode = root.get("protocol");
        String protocol;
        if (protoNode != null && protoNode.isArray() && !protoNode.isEmpty()) {
            protocol = protoNode.get(0).asString(); // ENABLE_MULTI_PROTOCOL builds: the first one owns the segment
        } else {
            protocol = protoNode == null ? null : protoNode.asString();
        }
        if (name == null) {
            throw invalid("segment descriptor has no 'name'");
        }
        if (protocol == null || protocol.isBlank()) {
            throw invalid("segment '" + name + "' has no protocol; expected a protocol name such as "
                    + new java.util.TreeSet<>(KNOWN_PROTOCOLS));
        }
        int tcpDataPort = root.path("tcp_data_port").asInt(0);
        int tcpProtoVersion = root.has("tcp_proto_version") ? root.get("tcp_proto_version").asInt(1) : 1;
        String timestamp = text(root, "timestamp");

        List<DeviceDescriptor> devices = new ArrayList<>();
        for (JsonNode dev : root.path("devices")) {
            String devName = text(dev, "name");
            String gid = text(dev, "gid");
            if (devName == null || devName.isEmpty() || (RDMA_SHAPED.contains(protocol) && gid == null)) {
                throw invalid("segment '" + name + "' has a device without name or gid: " + dev);
            }
            devices.add(new DeviceDescriptor(devName, dev.path("lid").asInt(0), gid));
        }

        List<BufferDescriptor> buffers = new ArrayList<>();
        for (JsonNode buf : root.path("buffers")) {
            BufferDescriptor b = buffer(name, protocol, buf, devices.size());
            if (b != null) {
                buffers.add(b);
            }
        }

        Map<String, List<List<String>>> matrix = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : root.path("priority_matrix").properties()) {
            JsonNode pair = e.getValue();
            if (!pair.isArray() || pair.size() != 2) {
                throw invalid("segment '" + name + "' priority_matrix entry '" + e.getKey()
                        + "' must be [preferred[], available[]]");
            }
            List<List<String>> lists = new ArrayList<>(2);
            for (JsonNode names : pair) {
                List<String> l = new ArrayList<>();
                names.forEach(n -> l.add(n.asString()));
                lists.add(l);
            }
            matrix.put(e.getKey(), lists);
        }

        Map<String, JsonNode> extra = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            switch (e.getKey()) {
                case "name", "protocol", "tcp_data_port", "tcp_proto_version", "timestamp", "buffers", "devices",
                        "priority_matrix" -> {
                }
                default -> extra.put(e.getKey(), e.getValue());
            }
        }
        return new SegmentDescriptor(name, protocol, tcpDataPort, tcpProtoVersion, timestamp, buffers, devices,
                matrix, extra);
    }

    private static BufferDescriptor buffer(String segment, String protocol, JsonNode buf, int deviceCount) {
        String bufName = text(buf, "name");
        Long offset = buf.has("offset") ? unsignedValue(segment, buf.get("offset")) : null;
        long addr = buf.has("addr") ? unsignedValue(segment, buf.get("addr")) : 0;
        long length = buf.has("length") ? unsignedValue(segment, buf.get("length")) : 0;
        List<Long> rkey = keyList(segment, buf.path("rkey"));
        List<Long> lkey = keyList(segment, buf.path("lkey"));
        String shmName = text(buf, "shm_name");
        if ("tcp".equals(protocol) && (bufName == null || bufName.isEmpty() || addr == 0 || length == 0)) {
            throw invalid("segment '" + segment + "' has a tcp buffer with empty name, zero addr or zero length: "
                    + buf);
        }
        if (RDMA_SHAPED.contains(protocol)) {
            if (rkey.size() != lkey.size() || lkey.size() != deviceCount) {
                throw invalid("segment '" + segment + "' buffer at addr " + Long.toUnsignedString(addr) + " has "
                        + rkey.size() + " rkeys and " + lkey.size() + " lkeys for " + deviceCount + " devices");
            }
        }
        if (SHM_SHAPED.contains(protocol) && shmName == null) {
            return null; // the reference skips shm-type buffers without a handle
        }
        Map<String, JsonNode> extra = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : buf.properties()) {
            switch (e.getKey()) {
                case "name", "addr", "length", "rkey", "lkey", "shm_name", "offset" -> {
                }
                default -> extra.put(e.getKey(), e.getValue());
            }
        }
        return new BufferDescriptor(bufName == null ? "" : bufName, addr, length, rkey, lkey, shmName, offset,
                extra);
    }

    private static List<Long> keyList(String segment, JsonNode arr) {
        if (arr.isMissingNode() || arr.isNull()) {
            return List.of();
        }
        List<Long> keys = new ArrayList<>(arr.size());
        for (JsonNode k : arr) {
            keys.add(unsignedValue(segment, k));
        }
        return keys;
    }

    private static long unsignedValue(String segment, JsonNode n) {
        if (!n.isIntegralNumber()) {
            throw invalid("segment '" + segment + "' has a non-integer where an unsigned 64-bit number belongs: " + n);
        }
        BigInteger v = n.bigIntegerValue();
        if (v.signum() < 0 || v.compareTo(TWO_64) >= 0) {
            throw invalid("segment '" + segment + "' has a number outside the unsigned 64-bit range: " + v);
        }
        return v.longValue();
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isValueNode()) {
            throw invalid("field '" + field + "' must be a string, not " + v.getNodeType() + ": " + v);
        }
        return v.asString();
    }

    private static MooncakeException invalid(String message) {
        return new MooncakeException(ErrorCode.METADATA, message);
    }
}

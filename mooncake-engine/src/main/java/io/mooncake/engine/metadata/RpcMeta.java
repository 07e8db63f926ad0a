package io.mooncake.engine.metadata;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.nio.charset.StandardCharsets;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The value under {@code rpc_meta/<name>}: where a node's handshake listener is,
 * {@code {"ip_or_host_name":"10.0.0.1","rpc_port":15123}}.
 */
public record RpcMeta(String ipOrHostName, int rpcPort) {

    /** Compact JSON with sorted keys and the trailing newline the reference stores. */
    public String encodeLine() {
        ObjectNode n = SegmentDescriptorCodec.MAPPER.createObjectNode();
        n.put("ip_or_host_name", ipOrHostName);
        n.put("rpc_port", rpcPort);
        return SegmentDescriptorCodec.MAPPER.writeValueAsString(n) + "\n";
    }

    /** Parses a stored value. */
    public static RpcMeta decode(byte[] json) {
        try {
            JsonNode n = SegmentDescriptorCodec.MAPPER.readTree(new String(json, StandardCharsets.UTF_8));
            String host = n.path("ip_or_host_name").asString(null);
            int port = n.path("rpc_port").asInt(-1);
            if (host == null || host.isEmpty() || port <= 0 || port > 65535) {
                throw new MooncakeException(ErrorCode.METADATA, "rpc_meta value lacks ip_or_host_name or rpc_port: "
                        + n);
            }
            return new RpcMeta(host, port);
        } catch (JacksonException e) {
            throw new MooncakeException(ErrorCode.MALFORMED_JSON, "rpc_meta value is not JSON: "
                    + e.getOriginalMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new MooncakeException(ErrorCode.MALFORMED_JSON, "rpc_meta value is not usable JSON: "
                    + e.getMessage(), e);
        }
    }
}

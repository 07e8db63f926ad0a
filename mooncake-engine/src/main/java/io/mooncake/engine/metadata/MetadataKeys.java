package io.mooncake.engine.metadata;

/**
 * The reference's key layout: {@code mooncake/[<cluster id>/]ram/<name>} for segment descriptors and
 * {@code mooncake/[<cluster id>/]rpc_meta/<name>} for handshake addresses. A name containing
 * {@code /} is used as-is after the prefix (e.g. {@code nvmeof/x}).
 */
public record MetadataKeys(String prefix) {

    /** Keys for the given {@code MC_METADATA_CLUSTER_ID}, or the default prefix when blank. */
    public static MetadataKeys forCluster(String clusterId) {
        if (clusterId == null || clusterId.isBlank()) {
            return new MetadataKeys("mooncake/");
        }
        return new MetadataKeys("mooncake/" + clusterId.trim() + "/");
    }

    /** Key of a segment descriptor. */
    public String ram(String segmentName) {
        return segmentName.contains("/") ? prefix + segmentName : prefix + "ram/" + segmentName;
    }

    /** Key of a node's handshake address. */
    public String rpcMeta(String segmentName) {
        return prefix + "rpc_meta/" + segmentName;
    }

    /** Prefix of every segment descriptor key, for watches. */
    public String ramPrefix() {
        return prefix + "ram/";
    }

    /** Prefix of every rpc_meta key, for watches. */
    public String rpcMetaPrefix() {
        return prefix + "rpc_meta/";
    }
}

package io.mooncake.transport.rdma;

import io.mooncake.engine.api.InvalidConfigurationException;
import java.util.Map;

/**
 * The reference engine's RDMA variables (its {@code config.cpp}), with its defaults and ranges.
 * Values the device cannot honour ({@code MC_MAX_WR}, {@code MC_MAX_SGE}, {@code MC_MAX_CQE_PER_CTX},
 * {@code MC_MTU}) are clamped to the device when a NIC is opened, as the reference does.
 *
 * @param port {@code MC_IB_PORT} (1)
 * @param gidIndex {@code MC_GID_INDEX}, else {@code NCCL_IB_GID_INDEX}; -1 = choose automatically (a
 *        RoCE v2 IPv4 GID with a netdev first, as the reference)
 * @param mtu {@code MC_MTU} in bytes (4096): 256, 512, 1024, 2048 or 4096
 * @param trafficClass {@code MC_IB_TC}, -1 = unset (0)
 * @param serviceLevel {@code MC_IB_SL}, -1 = unset (0)
 * @param pkeyIndex {@code MC_PKEY_INDEX} (0)
 * @param maxWr {@code MC_MAX_WR}: send queue depth per QP (256)
 * @param maxSge {@code MC_MAX_SGE} (4)
 * @param maxInline {@code MC_MAX_INLINE} (64)
 * @param qpPerEndpoint {@code MC_NUM_QP_PER_EP}: QPs per (local NIC, peer NIC) pair (2); both ends must agree
 * @param maxCqe {@code MC_MAX_CQE_PER_CTX} (4096)
 * @param sliceRetries {@code MC_RETRY_CNT}: how often a failed slice is retried, on another NIC where one is left (9)
 * @param maxMrSize {@code MC_MAX_MR_SIZE}: larger buffers are registered as several regions (2^40)
 * @param relaxedOrdering {@code MC_IB_PCI_RELAXED_ORDERING} (1): register memory with
 *        {@code IBV_ACCESS_RELAXED_ORDERING}
 * @param railPauseSeconds {@code MC_RDMA_RAIL_PAUSE_SECONDS}: how long a NIC that failed is left out (30)
 */
public record RdmaSettings(int port, int gidIndex, int mtu, int trafficClass, int serviceLevel, int pkeyIndex,
        int maxWr, int maxSge, int maxInline, int qpPerEndpoint, int maxCqe, int sliceRetries, long maxMrSize,
        boolean relaxedOrdering, int railPauseSeconds) {

    /** The reference's QP attributes that no variable sets (rdma_endpoint.cpp). */
    public static final int HOP_LIMIT = 16;
    public static final int QP_TIMEOUT = 14;
    public static final int QP_RETRY_COUNT = 7;
    public static final int RNR_RETRY = 7;
    public static final int MIN_RNR_TIMER = 12;
    public static final int RD_ATOMIC = 16;

    /** The reference's defaults. */
    public static final RdmaSettings DEFAULTS = new RdmaSettings(1, -1, 4096, -1, -1, 0, 256, 4, 64, 2, 4096, 9,
            1L << 40, true, 30);

    /** Reads the variables, rejecting bad values by name. */
    public static RdmaSettings fromEnvironment(Map<String, String> env) {
        RdmaSettings d = DEFAULTS;
        String gid = env.get("MC_GID_INDEX") != null ? "MC_GID_INDEX" : "NCCL_IB_GID_INDEX";
        int mtu = integer(env, "MC_MTU", d.mtu, 256, 4096);
        if (mtuEnum(mtu) < 0) {
            throw new InvalidConfigurationException("MC_MTU", mtu, "256, 512, 1024, 2048 or 4096");
        }
        return new RdmaSettings(integer(env, "MC_IB_PORT", d.port, 1, 255), integer(env, gid, d.gidIndex, -1, 65535),
                mtu, integer(env, "MC_IB_TC", d.trafficClass, -1, 255), integer(env, "MC_IB_SL", d.serviceLevel, -1, 15),
                integer(env, "MC_PKEY_INDEX", d.pkeyIndex, 0, 65535), integer(env, "MC_MAX_WR", d.maxWr, 1, 1 << 20),
                integer(env, "MC_MAX_SGE", d.maxSge, 1, 64), integer(env, "MC_MAX_INLINE", d.maxInline, 0, 4096),
                integer(env, "MC_NUM_QP_PER_EP", d.qpPerEndpoint, 1, 256),
                integer(env, "MC_MAX_CQE_PER_CTX", d.maxCqe, 16, 1 << 22),
                integer(env, "MC_RETRY_CNT", d.sliceRetries, 0, 1000),
                longValue(env, "MC_MAX_MR_SIZE", d.maxMrSize, 4096, Long.MAX_VALUE),
                integer(env, "MC_IB_PCI_RELAXED_ORDERING", 1, 0, 1) == 1,
                integer(env, "MC_RDMA_RAIL_PAUSE_SECONDS", d.railPauseSeconds, 0, 86400));
    }

    /** The verbs enum ({@code IBV_MTU_256} = 1 .. {@code IBV_MTU_4096} = 5) for a size in bytes, or -1. */
    public static int mtuEnum(int bytes) {
        return switch (bytes) {
            case 256 -> 1;
            case 512 -> 2;
            case 1024 -> 3;
            case 2048 -> 4;
            case 4096 -> 5;
            default -> -1;
        };
    }

    /** The path MTU for a port: the smaller of the port's active MTU and {@code MC_MTU}, as the reference. */
    public int pathMtu(int activeMtuEnum) {
        return Math.min(activeMtuEnum, mtuEnum(mtu));
    }

    private static int integer(Map<String, String> env, String name, int dflt, int min, int max) {
        return (int) longValue(env, name, dflt, min, max);
    }

    private static long longValue(Map<String, String> env, String name, long dflt, long min, long max) {
        String raw = env.get(name);
        if (raw == null || raw.isBlank()) {
            return dflt;
        }
        long v;
        try {
            v = Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw new InvalidConfigurationException(name, raw, "an integer from " + min + " to " + max);
        }
        if (v < min || v > max) {
            throw new InvalidConfigurationException(name, raw, "an integer from " + min + " to " + max);
        }
        return v;
    }
}

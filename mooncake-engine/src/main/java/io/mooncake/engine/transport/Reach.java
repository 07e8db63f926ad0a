package io.mooncake.engine.transport;

import java.util.Objects;

/**
 * Whether and how well a transport reaches a target segment, with the reason in words (shown in
 * Actuator's peer list and in the log line that records a route).
 *
 * <p>The engine sends each request over the reaching transport with the highest score and, when
 * that one fails for a reason another might not have, over the next. Scores are relative; the
 * constants below are what the engine's own transports use.
 *
 * @param score 0 when the transport cannot reach the target; higher is better
 * @param reason why (or why not), e.g. "same host: peer's shared memory is mappable"
 */
public record Reach(int score, String reason) {

    /** Same process: a plain memory copy between registered regions. */
    public static final int SAME_PROCESS = 1000;
    /** Same host, memory shared with the peer (shared memory, CXL, CUDA IPC). */
    public static final int SAME_HOST = 800;
    /** A hardware fabric (RDMA, EFA, NVLink). */
    public static final int FABRIC = 500;
    /** Storage paths (NVMe-oF). */
    public static final int STORAGE = 300;
    /** An ordinary network socket. */
    public static final int NETWORK = 100;

    public Reach {
        Objects.requireNonNull(reason, "reason");
        if (score < 0) {
            throw new IllegalArgumentException("score must be >= 0: " + score);
        }
    }

    /** Reaches the target with {@code score}. */
    public static Reach of(int score, String reason) {
        return new Reach(score, reason);
    }

    /** Cannot reach the target, and why. */
    public static Reach none(String reason) {
        return new Reach(0, reason);
    }

    /** Whether the transport can carry requests to the target at all. */
    public boolean reachable() {
        return score > 0;
    }
}

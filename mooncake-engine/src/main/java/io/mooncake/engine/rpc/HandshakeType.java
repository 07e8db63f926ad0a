package io.mooncake.engine.rpc;

/** Handshake request types, with the reference's byte values. */
public enum HandshakeType {
    /** QP / endpoint setup for rdma-shaped transports; tcp-only nodes answer with empty fields. */
    CONNECTION,
    /** Descriptor exchange: the request carries the requester's descriptor, the reply the responder's. */
    METADATA,
    /** A short message queued for the receiver's {@code getNotifies}. */
    NOTIFY,
    /** Liveness check. */
    PROBE;

    private static final HandshakeType[] VALUES = values();

    /** The type for a wire byte 0..3, or {@code null}. */
    public static HandshakeType of(int b) {
        return b >= 0 && b < VALUES.length ? VALUES[b] : null;
    }
}

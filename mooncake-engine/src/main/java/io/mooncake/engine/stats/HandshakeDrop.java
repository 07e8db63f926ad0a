package io.mooncake.engine.stats;

/**
 * Why the handshake listener closed a connection before answering it. Real peers send their
 * request as soon as they connect and are answered within milliseconds, so non-zero counts point
 * at slow, idle or hostile clients (or a listener short of workers).
 */
public enum HandshakeDrop {
    /** Closed to make room: its remote address held 32 connections, or the listener 1024. */
    OVER_LIMIT,
    /** Its exchange passed {@code handshakeTimeout}, counted from accept. */
    DEADLINE,
    /** A complete request found every worker busy and their queue full. */
    BUSY
}

package io.mooncake.engine.stats;

/**
 * Why this node refused a peer's notification (the sender gets an error; nothing is queued). The
 * queue that {@code getNotifies} drains is bounded by count and bytes, so a peer cannot fill the
 * heap with notifications nobody reads.
 */
public enum NotifyRefusal {
    /** The queue held {@code notifyQueueCapacity} notifications. */
    QUEUE_FULL,
    /** The notification would have taken the queue past {@code notifyQueueMaxBytes}. */
    QUEUE_BYTES
}

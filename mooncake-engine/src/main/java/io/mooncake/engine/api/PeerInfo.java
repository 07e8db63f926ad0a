package io.mooncake.engine.api;

/**
 * An opened remote segment as reported to operators.
 *
 * @param id segment id
 * @param name segment name
 * @param protocol the protocol the peer publishes
 * @param host the host its listeners are reached at
 * @param buffers number of buffers it published
 * @param bytesPublished total bytes of those buffers
 * @param stale whether its descriptor will be re-read before the next use (it changed, or a connection failed)
 * @param transport the transport this node sends its requests over (the best that reaches it), or
 *     {@code null} when none does
 * @param route why that transport, and which others reach the peer (or why none does)
 */
public record PeerInfo(long id, String name, String protocol, String host, int buffers, long bytesPublished,
        boolean stale, String transport, String route) {

    /** A peer as known before routing is decided. */
    public PeerInfo(long id, String name, String protocol, String host, int buffers, long bytesPublished,
            boolean stale) {
        this(id, name, protocol, host, buffers, bytesPublished, stale, null, null);
    }
}

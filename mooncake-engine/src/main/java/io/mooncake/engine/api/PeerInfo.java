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
 */
public record PeerInfo(long id, String name, String protocol, String host, int buffers, long bytesPublished,
        boolean stale) {
}

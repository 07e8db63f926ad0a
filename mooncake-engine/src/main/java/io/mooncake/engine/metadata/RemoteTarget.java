package io.mooncake.engine.metadata;


/**
 * An opened remote segment as transports see it: its name, its descriptor and the host its
 * data listeners are reached at (the host of a P2P name, or the rpc_meta address).
 *
 * @param id the engine's segment handle id
 * @param segmentName the peer's segment name
 * @param descriptor the descriptor fetched when the segment was opened or refreshed
 * @param host host or IP to connect to
 */
public record RemoteTarget(long id, String segmentName, SegmentDescriptor descriptor, String host) {
}

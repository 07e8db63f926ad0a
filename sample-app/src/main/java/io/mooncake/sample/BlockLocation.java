package io.mooncake.sample;

/**
 * Where a block lives: enough for a peer's engine to read or write it.
 *
 * @param id block id
 * @param segment the owner's Mooncake segment name ({@code host:port})
 * @param segmentAddress address of the owner's global segment buffer, to pick it among the
 *     buffers the segment publishes
 * @param offset offset of the block in that buffer
 * @param length block length in bytes
 */
public record BlockLocation(String id, String segment, long segmentAddress, long offset, long length) {
}

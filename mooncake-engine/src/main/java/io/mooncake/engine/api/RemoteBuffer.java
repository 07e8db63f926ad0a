package io.mooncake.engine.api;

/**
 * One buffer a remote segment publishes, addressed by offset in the safe API.
 *
 * @param segmentId handle id of the opened segment
 * @param segmentName the segment's name
 * @param address the buffer's address in the remote process
 * @param length its length
 * @param location location name as published ({@code cpu:0}, or the segment name for tcp)
 */
public record RemoteBuffer(long segmentId, String segmentName, long address, long length, String location) {
}

package io.mooncake.engine.api;

/**
 * A registered local memory region as reported to operators.
 *
 * @param address first byte
 * @param length bytes
 * @param location {@code cpu:N}, {@code cuda:N}, ... or {@code *}
 * @param remoteAccessible whether peers may read and write it
 */
public record RegisteredMemory(long address, long length, String location, boolean remoteAccessible) {
}

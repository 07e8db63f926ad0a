package io.mooncake.engine.api;

import java.nio.ByteBuffer;

/**
 * Registered local memory seen as an object: a registered direct {@link ByteBuffer} or an
 * engine-allocated buffer. Closing it unregisters it (and frees it if the engine allocated it).
 */
public interface LocalBuffer extends AutoCloseable {

    /** Native address of the first byte. */
    long address();

    /** Length in bytes. */
    long length();

    /** Location name, such as {@code cpu:0}. */
    String location();

    /** Whether peers may read and write it. */
    boolean remoteAccessible();

    /**
     * A direct ByteBuffer over the memory (a new view each call, position 0, limit length);
     * for buffers over 2 GiB, use the raw address.
     */
    ByteBuffer byteBuffer();

    /** Unregisters the buffer, and frees it if the engine allocated it. Idempotent. */
    @Override
    void close();
}

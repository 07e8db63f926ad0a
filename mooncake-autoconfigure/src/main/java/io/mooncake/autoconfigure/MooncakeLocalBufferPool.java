package io.mooncake.autoconfigure;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.TransferEngine;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A registered local staging pool of {@code mooncake.local-buffer-size} bytes: leases of it are
 * the local side of transfer requests (read a peer's data into a lease, check it, then copy it
 * where it belongs).
 *
 * <p>Leases are first-fit ranges aligned to 64 bytes; freed ranges merge with their neighbours.
 * Thread-safe. Closed with the application context after the engine, like
 * {@link MooncakeGlobalSegment}.
 */
public final class MooncakeLocalBufferPool implements AutoCloseable {

    static final int ALIGNMENT = 64;

    private final TransferEngine engine;

    private final LocalBuffer buffer;

    /** Free ranges: offset to length. */
    private final TreeMap<Long, Long> free = new TreeMap<>();

    private long available;

    public MooncakeLocalBufferPool(TransferEngine engine, LocalBuffer buffer) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.buffer = Objects.requireNonNull(buffer, "buffer");
        this.free.put(0L, buffer.length());
        this.available = buffer.length();
    }

    /** The whole registered pool. */
    public LocalBuffer buffer() {
        return this.buffer;
    }

    /** Size in bytes. */
    public long size() {
        return this.buffer.length();
    }

    /** Bytes not leased. */
    public synchronized long available() {
        return this.available;
    }

    /**
     * Leases {@code length} bytes; close the lease to return them.
     *
     * @throws IllegalArgumentException when {@code length} is not positive
     * @throws IllegalStateException when no free range is large enough
     */
    public synchronized Lease lease(long length) {
        if (length <= 0) {
            throw new IllegalArgumentException("lease length must be positive, was " + length);
        }
        long rounded = (length + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        for (Map.Entry<Long, Long> range : this.free.entrySet()) {
            if (range.getValue() >= rounded) {
                long offset = range.getKey();
                this.free.remove(offset);
                if (range.getValue() > rounded) {
                    this.free.put(offset + rounded, range.getValue() - rounded);
                }
                this.available -= rounded;
                return new Lease(offset, length, rounded);
            }
        }
        throw new IllegalStateException("Mooncake local buffer pool of " + size() + " bytes has no free range of "
                + length + " bytes (" + this.available + " bytes free in total); raise mooncake.local-buffer-size");
    }

    private synchronized void release(long offset, long rounded) {
        long start = offset;
        long length = rounded;
        Map.Entry<Long, Long> before = this.free.floorEntry(offset);
        if (before != null && before.getKey() + before.getValue() == offset) {
            start = before.getKey();
            length += before.getValue();
            this.free.remove(before.getKey());
        }
        Long afterLength = this.free.remove(offset + rounded);
        if (afterLength != null) {
            length += afterLength;
        }
        this.free.put(start, length);
        this.available += rounded;
    }

    /** Closes the engine, then frees the memory. Idempotent. */
    @Override
    public void close() {
        MooncakeGlobalSegment.closeEngineThenBuffer(this.engine, this.buffer);
    }

    /** A leased range of the pool. Not thread-safe; close it once done. */
    public final class Lease implements AutoCloseable {

        private final long offset;

        private final long length;

        private final long rounded;

        private boolean closed;

        private Lease(long offset, long length, long rounded) {
            this.offset = offset;
            this.length = length;
            this.rounded = rounded;
        }

        /** The pool's registered buffer; use it with {@link #offset()} in transfer requests. */
        public LocalBuffer buffer() {
            return MooncakeLocalBufferPool.this.buffer;
        }

        /** Offset of the lease in the pool. */
        public long offset() {
            return this.offset;
        }

        /** Length asked for. */
        public long length() {
            return this.length;
        }

        /** A view of the leased bytes (position 0, limit length); leases must be under 2 GiB for this. */
        public ByteBuffer byteBuffer() {
            return MooncakeLocalBufferPool.this.buffer.byteBuffer()
                    .slice(Math.toIntExact(this.offset), Math.toIntExact(this.length));
        }

        /** Returns the range to the pool. Idempotent. */
        @Override
        public void close() {
            if (!this.closed) {
                this.closed = true;
                release(this.offset, this.rounded);
            }
        }
    }
}

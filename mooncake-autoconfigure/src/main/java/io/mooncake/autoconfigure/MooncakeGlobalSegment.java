package io.mooncake.autoconfigure;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.TransferEngine;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The remote-accessible memory this node publishes to peers, allocated and registered at startup
 * with the size of {@code mooncake.global-segment-size}. Peers read and write it through their
 * engines; the application decides what lives where in it.
 *
 * <p>Closed with the application context: the engine is closed first (running requests finish or
 * fail, then the segment is withdrawn from the metadata service), then the memory is freed, so no
 * transfer can touch freed memory. Thread-safe.
 */
public final class MooncakeGlobalSegment implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MooncakeGlobalSegment.class);

    private final TransferEngine engine;

    private final LocalBuffer buffer;

    public MooncakeGlobalSegment(TransferEngine engine, LocalBuffer buffer) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.buffer = Objects.requireNonNull(buffer, "buffer");
    }

    /** The registered memory; use its address and offsets in transfer requests. */
    public LocalBuffer buffer() {
        return this.buffer;
    }

    /** Size in bytes. */
    public long size() {
        return this.buffer.length();
    }

    /** The segment name peers open to reach this memory. */
    public String segmentName() {
        return this.engine.localSegmentName();
    }

    /** Closes the engine, then frees the memory. Idempotent. */
    @Override
    public void close() {
        closeEngineThenBuffer(this.engine, this.buffer);
    }

    static void closeEngineThenBuffer(TransferEngine engine, LocalBuffer buffer) {
        try {
            engine.close();
        } finally {
            try {
                buffer.close();
            } catch (RuntimeException ex) {
                log.debug("Freeing a Mooncake buffer after the engine closed failed", ex);
            }
        }
    }
}

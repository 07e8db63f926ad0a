package io.mooncake.engine.transport.contract;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import java.nio.ByteBuffer;

/**
 * A {@link Peer} whose engine runs in the test's own JVM, for transports that only work within one
 * process. {@link #kill()} closes the engine; a hung peer cannot be simulated
 * ({@link #stopAnswering()} answers {@code false}).
 */
public final class InProcessPeer implements Peer {

    private final MooncakeEngine engine;
    private final LocalBuffer buffer;
    private final ByteBuffer memory;
    private volatile boolean closed;

    private InProcessPeer(MooncakeEngine engine, long bufferBytes) {
        this.engine = engine;
        this.buffer = engine.allocateBuffer(bufferBytes, "cpu:0");
        this.memory = buffer.byteBuffer();
    }

    /** Starts an engine from {@code config} and allocates its published buffer. */
    public static InProcessPeer start(EngineConfig config, long bufferBytes) {
        MooncakeEngine engine = MooncakeEngine.start(config);
        try {
            return new InProcessPeer(engine, bufferBytes);
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    /** The peer's engine. */
    public MooncakeEngine engine() {
        return engine;
    }

    @Override
    public String segmentName() {
        return engine.localSegmentName();
    }

    @Override
    public long bufferAddress() {
        return buffer.address();
    }

    @Override
    public long bufferLength() {
        return buffer.length();
    }

    @Override
    public void fill(long offset, long length, long seed) {
        checkOpen();
        Pattern.fill(memory, offset, length, seed);
    }

    @Override
    public void verify(long offset, long length, long seed) {
        checkOpen();
        String m = Pattern.mismatch(memory, offset, length, seed);
        if (m != null) {
            throw new AssertionError("peer " + segmentName() + " memory [" + offset + ", " + (offset + length)
                    + ") does not hold the pattern of seed " + seed + ": " + m);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("peer " + segmentName() + " was closed");
        }
    }

    @Override
    public void kill() {
        close();
    }

    @Override
    public boolean stopAnswering() {
        return false;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            engine.close();
        }
    }

    @Override
    public String toString() {
        return "in-process engine serving " + engine.localSegmentName();
    }
}

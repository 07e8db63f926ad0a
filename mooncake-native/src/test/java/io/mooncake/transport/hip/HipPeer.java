package io.mooncake.transport.hip;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.transport.contract.Pattern;
import io.mooncake.engine.transport.contract.Peer;
import io.mooncake.jna.hip.Hip;
import java.nio.ByteBuffer;

/**
 * A contract-suite {@link Peer} whose published buffer is GPU memory ({@code hip:0}, from
 * {@code hipMalloc}), in an engine of this JVM. It fills and checks that memory through
 * {@code hipMemcpy} from a host buffer, never through the transport under test.
 */
final class HipPeer implements Peer {

    private static final int CHUNK = 8 << 20;

    private final MooncakeEngine engine;
    private final Hip hip;
    private final long address;
    private final long length;
    private final ByteBuffer staging = ByteBuffer.allocateDirect(CHUNK);
    private volatile boolean closed;

    private HipPeer(MooncakeEngine engine, Hip hip, long address, long length) {
        this.engine = engine;
        this.hip = hip;
        this.address = address;
        this.length = length;
    }

    /** Starts an engine, allocates {@code bytes} on GPU 0 through {@code hip} and registers them as hip:0. */
    static HipPeer start(EngineConfig config, Hip hip, long bytes) {
        MooncakeEngine engine = MooncakeEngine.start(config);
        long p = 0;
        try {
            hip.setDevice(0);
            p = hip.malloc(bytes);
            hip.memset(p, 0, bytes);
            engine.registerLocalMemory(p, bytes, "hip:0", true);
            return new HipPeer(engine, hip, p, bytes);
        } catch (RuntimeException e) {
            engine.close();
            if (p != 0) {
                hip.free(p);
            }
            throw e;
        }
    }

    MooncakeEngine engine() {
        return engine;
    }

    @Override
    public String segmentName() {
        return engine.localSegmentName();
    }

    @Override
    public long bufferAddress() {
        return address;
    }

    @Override
    public long bufferLength() {
        return length;
    }

    @Override
    public synchronized void fill(long offset, long len, long seed) {
        long host = NativeMemory.addressOf(staging);
        for (long done = 0; done < len; ) {
            int n = (int) Math.min(CHUNK, len - done);
            Pattern.fill(staging, 0, n, seed, done);
            hip.memcpy(address + offset + done, host, n);
            done += n;
        }
    }

    @Override
    public synchronized void verify(long offset, long len, long seed) {
        long host = NativeMemory.addressOf(staging);
        for (long done = 0; done < len; ) {
            int n = (int) Math.min(CHUNK, len - done);
            hip.memcpy(host, address + offset + done, n);
            String m = Pattern.mismatch(staging, 0, n, seed, done);
            if (m != null) {
                throw new AssertionError("peer " + segmentName() + " GPU memory [" + offset + ", " + (offset + len)
                        + ") does not hold the pattern of seed " + seed + ": " + m);
            }
            done += n;
        }
    }

    @Override
    public void kill() {
        close();
    }

    @Override
    public boolean stopAnswering() {
        return false; // GPU copies into another process's memory do not involve that process's threads
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            engine.close();
            hip.free(address);
        }
    }

    @Override
    public String toString() {
        return "in-process engine with " + length + " bytes of hip:0 memory, serving " + segmentName();
    }
}

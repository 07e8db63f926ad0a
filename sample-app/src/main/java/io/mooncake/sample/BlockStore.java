package io.mooncake.sample;

import io.mooncake.autoconfigure.MooncakeGlobalSegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.context.annotation.Profile;
import org.springframework.stereotype.Component;

/**
 * Blocks kept in this instance's global segment: an index of id to range, and a first-fit
 * allocator over the segment. A block is visible once committed; reserved ranges receive pushes
 * from peers. Thread-safe.
 */
@Component
@Profile("!no-mooncake")
public class BlockStore {

    private static final int ALIGNMENT = 64;

    private final MooncakeGlobalSegment segment;

    private final Map<String, Block> blocks = new ConcurrentHashMap<>();

    /** Free ranges of the segment: offset to length. Guarded by itself. */
    private final TreeMap<Long, Long> free = new TreeMap<>();

    public BlockStore(MooncakeGlobalSegment segment) {
        this.segment = segment;
        this.free.put(0L, segment.size());
    }

    /** Stores a block, replacing an older one of the same id. */
    public BlockLocation put(String id, byte[] data) {
        Block block = allocate(id, data.length);
        view(block).put(data);
        return commit(block);
    }

    /** The committed block, or {@code null}. */
    public byte[] get(String id) {
        Block block = this.blocks.get(id);
        if (block == null || !block.committed) {
            return null;
        }
        byte[] data = new byte[(int) block.length];
        view(block).get(data);
        return data;
    }

    /** Where a committed block lives, or {@code null}. */
    public BlockLocation location(String id) {
        Block block = this.blocks.get(id);
        return (block != null && block.committed) ? location(block) : null;
    }

    /** Every committed block. */
    public List<BlockLocation> directory() {
        List<BlockLocation> result = new ArrayList<>();
        this.blocks.values().stream().filter((b) -> b.committed).forEach((b) -> result.add(location(b)));
        result.sort((a, b) -> a.id().compareTo(b.id()));
        return result;
    }

    /** Reserves room for a block a peer will write; invisible until {@link #commit(String)}. */
    public BlockLocation reserve(String id, long length) {
        Block block = allocate(id, length);
        this.blocks.put(reservationKey(id), block);
        return location(block);
    }

    /** Makes a reserved block visible; {@code false} when there is no reservation. */
    public boolean commit(String id) {
        Block block = this.blocks.remove(reservationKey(id));
        if (block == null) {
            return false;
        }
        commit(block);
        return true;
    }

    /** A writable view of a reserved block, to fill it locally (used for pulls). */
    ByteBuffer reservedView(String id) {
        Block block = this.blocks.get(reservationKey(id));
        return (block != null) ? view(block) : null;
    }

    /** The raw range of a reserved block, for engine transfers into it. */
    BlockLocation reservedLocation(String id) {
        Block block = this.blocks.get(reservationKey(id));
        return (block != null) ? location(block) : null;
    }

    /** Drops a reservation that will not be committed. */
    public void cancel(String id) {
        Block block = this.blocks.remove(reservationKey(id));
        if (block != null) {
            release(block);
        }
    }

    MooncakeGlobalSegment segment() {
        return this.segment;
    }

    private BlockLocation commit(Block block) {
        block.committed = true;
        Block old = this.blocks.put(block.id, block);
        if (old != null && old != block) {
            release(old);
        }
        return location(block);
    }

    private BlockLocation location(Block block) {
        return new BlockLocation(block.id, this.segment.segmentName(), this.segment.buffer().address(), block.offset,
                block.length);
    }

    private ByteBuffer view(Block block) {
        return this.segment.buffer().byteBuffer().slice((int) block.offset, (int) block.length);
    }

    private Block allocate(String id, long length) {
        if (length < 0 || length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("block length must be 0..2 GiB, was " + length);
        }
        long rounded = Math.max(ALIGNMENT, (length + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT);
        synchronized (this.free) {
            for (Map.Entry<Long, Long> range : this.free.entrySet()) {
                if (range.getValue() >= rounded) {
                    this.free.remove(range.getKey());
                    if (range.getValue() > rounded) {
                        this.free.put(range.getKey() + rounded, range.getValue() - rounded);
                    }
                    return new Block(id, range.getKey(), length, rounded);
                }
            }
        }
        throw new StoreFullException("no room for block '" + id + "' of " + length + " bytes in the "
                + this.segment.size() + "-byte segment; raise mooncake.global-segment-size");
    }

    private void release(Block block) {
        synchronized (this.free) {
            long start = block.offset;
            long length = block.rounded;
            Map.Entry<Long, Long> before = this.free.floorEntry(start);
            if (before != null && before.getKey() + before.getValue() == start) {
                start = before.getKey();
                length += before.getValue();
                this.free.remove(before.getKey());
            }
            Long after = this.free.remove(block.offset + block.rounded);
            if (after != null) {
                length += after;
            }
            this.free.put(start, length);
        }
    }

    private static String reservationKey(String id) {
        return "\0reserved:" + id;
    }

    private static final class Block {

        final String id;

        final long offset;

        final long length;

        final long rounded;

        volatile boolean committed;

        Block(String id, long offset, long length, long rounded) {
            this.id = id;
            this.offset = offset;
            this.length = length;
            this.rounded = rounded;
        }
    }

    /** The segment has no free range large enough. */
    public static class StoreFullException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        StoreFullException(String message) {
            super(message);
        }
    }
}

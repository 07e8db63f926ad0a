package io.mooncake.transport.rdma;

/**
 * How a request is cut into slices; the engine's slicer decides ({@code MC_SLICE_SIZE}), the rdma
 * data path only walks it. Implementations must answer without allocating.
 */
public interface Slices {

    int sliceCount();

    /** Offset of slice {@code k} from the start of the request, in bytes. */
    long sliceOffset(int k);

    /** Length of slice {@code k} in bytes (at most 2 GiB - 1: one scatter-gather entry). */
    int sliceLength(int k);

    /** Even slices of {@code sliceSize} bytes over {@code length} bytes, the last one shorter. */
    static Slices uniform(long length, int sliceSize) {
        int count = (int) Math.max(1, (length + sliceSize - 1) / sliceSize);
        return new Slices() {
            @Override
            public int sliceCount() {
                return count;
            }

            @Override
            public long sliceOffset(int k) {
                return (long) k * sliceSize;
            }

            @Override
            public int sliceLength(int k) {
                return (int) Math.min(sliceSize, length - (long) k * sliceSize);
            }
        };
    }
}

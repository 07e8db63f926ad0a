package io.mooncake.jna.verbs;

/**
 * A reusable buffer of work completions ({@code struct ibv_wc}) filled by
 * {@link RdmaVerbs.CompletionQueue#poll}. Created once per polling thread by
 * {@link RdmaVerbs.Context#newCompletions}; polling and reading it allocates nothing. Not
 * thread-safe.
 */
public abstract class Completions {

    private final int capacity;

    protected Completions(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        this.capacity = capacity;
    }

    /** Completions on the Java heap, for verbs implementations without native memory. */
    public static Completions onHeap(int capacity) {
        return new Heap(capacity);
    }

    public final int capacity() {
        return capacity;
    }

    public abstract long wrId(int i);

    /** {@code IBV_WC_*} status, 0 = success. */
    public abstract int status(int i);

    /** {@code IBV_WC_RDMA_WRITE} or {@code IBV_WC_RDMA_READ}; valid only on success. */
    public abstract int opcode(int i);

    public abstract int byteLength(int i);

    public abstract int qpNum(int i);

    public abstract int vendorError(int i);

    /** Sets entry {@code i} (implementations on the heap). */
    public abstract void set(int i, long wrId, int status, int opcode, int byteLength, int qpNum, int vendorError);

    private static final class Heap extends Completions {
        private final long[] wrId;
        private final int[] status;
        private final int[] opcode;
        private final int[] byteLength;
        private final int[] qpNum;
        private final int[] vendorError;

        Heap(int capacity) {
            super(capacity);
            wrId = new long[capacity];
            status = new int[capacity];
            opcode = new int[capacity];
            byteLength = new int[capacity];
            qpNum = new int[capacity];
            vendorError = new int[capacity];
        }

        @Override
        public long wrId(int i) {
            return wrId[i];
        }

        @Override
        public int status(int i) {
            return status[i];
        }

        @Override
        public int opcode(int i) {
            return opcode[i];
        }

        @Override
        public int byteLength(int i) {
            return byteLength[i];
        }

        @Override
        public int qpNum(int i) {
            return qpNum[i];
        }

        @Override
        public int vendorError(int i) {
            return vendorError[i];
        }

        @Override
        public void set(int i, long id, int st, int op, int len, int qp, int vendor) {
            wrId[i] = id;
            status[i] = st;
            opcode[i] = op;
            byteLength[i] = len;
            qpNum[i] = qp;
            vendorError[i] = vendor;
        }
    }
}

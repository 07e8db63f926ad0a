package io.mooncake.jna.verbs;

/**
 * A reusable buffer of signalled RDMA WRITE/READ work requests with one scatter-gather entry
 * each, posted chained by {@link RdmaVerbs.QueuePair#post}. Created once per posting thread by
 * {@link RdmaVerbs.Context#newSendBatch}; filling and posting it allocates nothing. Not
 * thread-safe.
 */
public abstract class SendBatch {

    private final int capacity;
    private int size;
    private int firstFailed = -1;

    protected SendBatch(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        this.capacity = capacity;
    }

    /** A batch on the Java heap, for verbs implementations without native memory. */
    public static SendBatch onHeap(int capacity) {
        return new Heap(capacity);
    }

    public final int capacity() {
        return capacity;
    }

    /** The number of requests to post. */
    public final int size() {
        return size;
    }

    /** Empties the batch. */
    public final void clear() {
        size = 0;
        firstFailed = -1;
    }

    /**
     * Appends a request.
     *
     * @param wrId returned in the completion
     * @param opcode {@link VerbsAbi#IBV_WR_RDMA_WRITE} or {@link VerbsAbi#IBV_WR_RDMA_READ}
     * @return the index of the request
     * @throws IllegalStateException when the batch is full
     */
    public final int add(long wrId, int opcode, long localAddr, int length, int lkey, long remoteAddr, int rkey) {
        if (size == capacity) {
            throw new IllegalStateException("send batch full (" + capacity + " requests)");
        }
        put(size, wrId, opcode, localAddr, length, lkey, remoteAddr, rkey);
        return size++;
    }

    /** Index of the first request {@code ibv_post_send} did not take ({@code bad_wr}), or -1. */
    public final int firstFailed() {
        return firstFailed;
    }

    protected abstract void put(int i, long wrId, int opcode, long localAddr, int length, int lkey, long remoteAddr,
            int rkey);

    public abstract long wrId(int i);

    public abstract int opcode(int i);

    public abstract long localAddr(int i);

    public abstract int length(int i);

    public abstract int lkey(int i);

    public abstract long remoteAddr(int i);

    public abstract int rkey(int i);

    /** Marks requests {@code [index, size)} as not posted; called by the verbs implementation. */
    public final void failFrom(int index) {
        this.firstFailed = index;
    }

    private static final class Heap extends SendBatch {
        private final long[] wrId;
        private final int[] opcode;
        private final long[] localAddr;
        private final int[] length;
        private final int[] lkey;
        private final long[] remoteAddr;
        private final int[] rkey;

        Heap(int capacity) {
            super(capacity);
            wrId = new long[capacity];
            opcode = new int[capacity];
            localAddr = new long[capacity];
            length = new int[capacity];
            lkey = new int[capacity];
            remoteAddr = new long[capacity];
            rkey = new int[capacity];
        }

        @Override
        protected void put(int i, long id, int op, long local, int len, int lk, long remote, int rk) {
            wrId[i] = id;
            opcode[i] = op;
            localAddr[i] = local;
            length[i] = len;
            lkey[i] = lk;
            remoteAddr[i] = remote;
            rkey[i] = rk;
        }

        @Override
        public long wrId(int i) {
            return wrId[i];
        }

        @Override
        public int opcode(int i) {
            return opcode[i];
        }

        @Override
        public long localAddr(int i) {
            return localAddr[i];
        }

        @Override
        public int length(int i) {
            return length[i];
        }

        @Override
        public int lkey(int i) {
            return lkey[i];
        }

        @Override
        public long remoteAddr(int i) {
            return remoteAddr[i];
        }

        @Override
        public int rkey(int i) {
            return rkey[i];
        }
    }
}

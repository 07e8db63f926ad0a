package io.mooncake.jna.verbs;

/**
 * The verbs operations the rdma and barex transports use, as a Java interface: open a device,
 * query its port and GIDs, allocate a protection domain, register memory, create completion
 * queues and RC queue pairs, move them INIT -> RTR -> RTS, post RDMA WRITE/READ work requests and
 * poll completions.
 *
 * <p>Two implementations: {@link JnaRdmaVerbs} over the real libibverbs, and, in this module's
 * tests only, an in-memory device that stands in for HCA hardware, which cannot exist on the
 * machines this project is built and tested on. The transport is written against this interface
 * alone, so its logic is tested there and the same code drives a real HCA.
 *
 * <p>Errors of control-path calls are thrown as {@link VerbsException} naming the call and errno.
 * The data path ({@link QueuePair#post}, {@link CompletionQueue#poll}) returns codes instead and
 * allocates nothing: work requests and completions live in reusable {@link SendBatch} and
 * {@link Completions} buffers created once per thread.
 */
public interface RdmaVerbs {

    /** The devices libibverbs lists (never throws; an errno explains an empty list). */
    Verbs.DeviceList devices();

    /**
     * Opens a device by name.
     *
     * @throws VerbsException when it is not listed or cannot be opened
     */
    Context open(String deviceName);

    /** An open device ({@code struct ibv_context}). Thread-safe. */
    interface Context extends AutoCloseable {

        String deviceName();

        DeviceAttributes queryDevice();

        PortAttributes queryPort(int port);

        /**
         * One GID table entry with its type, or {@code null} when the index is past the end of the
         * table or the entry is unused.
         */
        GidEntry queryGid(int port, int index);

        ProtectionDomain allocPd();

        /** A completion queue of at least {@code cqe} entries with its own completion channel. */
        CompletionQueue createCq(int cqe);

        /** A work-request buffer of {@code capacity} entries for {@link QueuePair#post}; one per posting thread. */
        SendBatch newSendBatch(int capacity);

        /** A completion buffer of {@code capacity} entries for {@link CompletionQueue#poll}; one per polling thread. */
        Completions newCompletions(int capacity);

        @Override
        void close();
    }

    /** A protection domain. Thread-safe. */
    interface ProtectionDomain extends AutoCloseable {

        /** {@code ibv_reg_mr} of host (or peer-mapped device) memory. */
        MemoryRegion register(long addr, long length, int access);

        /** {@code ibv_reg_dmabuf_mr}: device memory exported as a DMA-BUF file descriptor. */
        MemoryRegion registerDmabuf(long offset, long length, long iova, int fd, int access);

        /** An RC queue pair in state RESET whose send and receive completions go to {@code cq}. */
        QueuePair createRcQp(CompletionQueue cq, QpCapabilities caps);

        @Override
        void close();
    }

    /** A registered memory region. */
    interface MemoryRegion extends AutoCloseable {

        long addr();

        long length();

        int lkey();

        int rkey();

        /** {@code ibv_dereg_mr}. */
        @Override
        void close();
    }

    /** A completion queue. {@link #poll} is called by one thread at a time. */
    interface CompletionQueue extends AutoCloseable {

        /**
         * Polls up to {@code into.capacity()} completions into {@code into}.
         *
         * @return the number polled (0 when empty), or a negative value on a device error
         */
        int poll(Completions into);

        /**
         * Arms the completion channel and waits for an event, at most {@code timeoutMillis}.
         *
         * @return whether an event arrived (poll again either way)
         */
        boolean await(long timeoutMillis);

        @Override
        void close();
    }

    /** An RC queue pair. {@link #post} is called by one thread at a time per queue pair. */
    interface QueuePair extends AutoCloseable {

        int qpNum();

        /** RESET -> INIT with the port, P_Key index and access flags. */
        void modifyToInit(int port, int pkeyIndex, int accessFlags);

        /** INIT -> RTR toward the peer's queue pair. */
        void modifyToRtr(RtrAttributes attributes);

        /** RTR -> RTS. */
        void modifyToRts(RtsAttributes attributes);

        /** Any state -> RESET (reconnect). */
        void modifyToReset();

        /** Any state -> ERR: every outstanding work request completes with a flush error. */
        void modifyToError();

        /**
         * Posts the batch's work requests, chained, in one call.
         *
         * @return 0, or the errno of {@code ibv_post_send}; then {@link SendBatch#firstFailed()}
         *         is the index of the first request not posted
         */
        int post(SendBatch batch);

        @Override
        void close();
    }

    /**
     * Device limits ({@code struct ibv_device_attr}, the fields used).
     */
    record DeviceAttributes(long maxMrSize, int maxQp, int maxQpWr, int maxSge, int maxCq, int maxCqe, int maxMr,
            int maxQpRdAtom, int maxQpInitRdAtom, int physPortCount) {
    }

    /**
     * Port state ({@code struct ibv_port_attr}, the fields used).
     *
     * @param state {@code IBV_PORT_*}, 4 = ACTIVE
     * @param maxMtu {@code IBV_MTU_*} (1 = 256 .. 5 = 4096)
     * @param activeMtu {@code IBV_MTU_*}
     * @param linkLayer 1 InfiniBand, 2 Ethernet (RoCE)
     */
    record PortAttributes(int state, int maxMtu, int activeMtu, int gidTableLength, int lid, int linkLayer,
            int activeWidth, int activeSpeed) {

        public boolean active() {
            return state == VerbsAbi.IBV_PORT_ACTIVE;
        }
    }

    /**
     * A GID table entry ({@code struct ibv_gid_entry}).
     *
     * @param gid the 16 raw bytes
     * @param type {@code IBV_GID_TYPE_IB}, {@code _ROCE_V1} or {@code _ROCE_V2}
     * @param ndevIfindex the netdev's ifindex, 0 when none
     */
    record GidEntry(byte[] gid, int index, int port, int type, int ndevIfindex) {

        public GidEntry {
            if (gid.length != 16) {
                throw new IllegalArgumentException("a GID has 16 bytes, not " + gid.length);
            }
            gid = gid.clone();
        }

        @Override
        public byte[] gid() {
            return gid.clone();
        }
    }

    /** Queue-pair sizes ({@code struct ibv_qp_cap}). */
    record QpCapabilities(int maxSendWr, int maxRecvWr, int maxSendSge, int maxRecvSge, int maxInlineData) {
    }

    /**
     * INIT -> RTR attributes.
     *
     * @param pathMtu {@code IBV_MTU_*}
     * @param dgid the peer's GID, 16 bytes
     * @param dlid the peer's LID (0 on RoCE)
     */
    record RtrAttributes(int pathMtu, int destQpNum, int rqPsn, int maxDestRdAtomic, int minRnrTimer, byte[] dgid,
            int dlid, int sgidIndex, int hopLimit, int trafficClass, int serviceLevel, int port) {

        public RtrAttributes {
            if (dgid.length != 16) {
                throw new IllegalArgumentException("a GID has 16 bytes, not " + dgid.length);
            }
            dgid = dgid.clone();
        }

        @Override
        public byte[] dgid() {
            return dgid.clone();
        }
    }

    /** RTR -> RTS attributes. */
    record RtsAttributes(int timeout, int retryCount, int rnrRetry, int sqPsn, int maxRdAtomic) {
    }
}

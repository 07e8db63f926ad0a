package io.mooncake.jna.verbs;

import static io.mooncake.jna.verbs.VerbsAbi.*;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import io.mooncake.engine.api.ErrorCode;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.NativeLoading;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RdmaVerbs} over the real libibverbs through JNA.
 *
 * <p>Control-path calls (open, query, PD, MR, CQ, QP create and modify) go through the interface
 * mapping of {@link LibIbverbs}, with structs laid out by {@link VerbsAbi}. The data path
 * ({@code ibv_post_send}, {@code ibv_poll_cq}, {@code ibv_req_notify_cq}) reads the function
 * pointers from the context's ops table once at open and calls them through {@link FfiCall}
 * frames held by the per-thread {@link SendBatch} and {@link Completions}: no allocation and no
 * lock per call. Work requests and completions are written and read in place in native memory
 * through direct {@link ByteBuffer} views.
 *
 * <p>Loaded once per JVM by a lazy holder; a missing library is a failed {@link Loaded}, never an
 * exception. Thread-safe as {@link RdmaVerbs} describes.
 */
public final class JnaRdmaVerbs implements RdmaVerbs {

    private static final Logger log = LoggerFactory.getLogger(JnaRdmaVerbs.class);

    static final FfiCall POST_SEND = FfiCall.returningInt(FfiCall.Type.POINTER, FfiCall.Type.POINTER,
            FfiCall.Type.POINTER);
    static final FfiCall POLL_CQ = FfiCall.returningInt(FfiCall.Type.POINTER, FfiCall.Type.SINT32,
            FfiCall.Type.POINTER);
    static final FfiCall REQ_NOTIFY_CQ = FfiCall.returningInt(FfiCall.Type.POINTER, FfiCall.Type.SINT32);

    private final LibIbverbs lib;

    JnaRdmaVerbs(LibIbverbs lib) {
        this.lib = lib;
    }

    /** The process-wide binding, or why libibverbs cannot be loaded. */
    public static Loaded<RdmaVerbs> load() {
        return Holder.LOADED;
    }

    @Override
    public Verbs.DeviceList devices() {
        return JnaVerbs.list(lib);
    }

    @Override
    public Context open(String deviceName) {
        IntByReference count = new IntByReference();
        Pointer list = lib.ibv_get_device_list(count);
        if (list == null) {
            int errno = Native.getLastError();
            throw new VerbsException(ErrorCode.DEVICE_NOT_FOUND, "ibv_get_device_list()", errno,
                    errno == 38 ? "the kernel has no RDMA subsystem (load ib_uverbs and the NIC's RDMA driver)"
                            : "cannot list RDMA devices to open " + deviceName);
        }
        try {
            for (int i = 0; i < count.getValue(); i++) {
                Pointer dev = list.getPointer((long) i * Native.POINTER_SIZE);
                if (dev == null) {
                    break;
                }
                if (deviceName.equals(lib.ibv_get_device_name(dev))) {
                    Pointer ctx = lib.ibv_open_device(dev);
                    if (ctx == null) {
                        throw new VerbsException(ErrorCode.DEVICE_NOT_FOUND, "ibv_open_device(" + deviceName + ")",
                                Native.getLastError(), "check /dev/infiniband permissions and the provider library");
                    }
                    log.debug("Opened RDMA device {}", deviceName);
                    return new JnaContext(lib, deviceName, ctx);
                }
            }
        } finally {
            lib.ibv_free_device_list(list);
        }
        throw new VerbsException(ErrorCode.DEVICE_NOT_FOUND, "ibv_open_device(" + deviceName + ")", 0,
                "no such device; libibverbs lists " + JnaVerbs.list(lib).names());
    }

    private static final class Holder {
        static final Loaded<RdmaVerbs> LOADED = NativeLoading.load(LibIbverbs.class, LibIbverbs.NAMES,
                JnaRdmaVerbs::new);
    }

    /** libc's {@code poll(2)}, to wait on a completion channel with a timeout. */
    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int poll(Pointer fds, long nfds, int timeout);
    }

    private static VerbsException failure(ErrorCode code, String call, int rc) {
        return new VerbsException(code, call, rc != 0 ? Math.abs(rc) : Native.getLastError(), null);
    }

    static final class JnaContext implements Context {
        private final LibIbverbs lib;
        private final String name;
        private final Pointer ctx;
        private final long postSend;
        private final long pollCq;
        private final long reqNotifyCq;
        private final int compVectors;
        private final AtomicInteger nextVector = new AtomicInteger();
        private final AtomicBoolean closed = new AtomicBoolean();

        JnaContext(LibIbverbs lib, String name, Pointer ctx) {
            this.lib = lib;
            this.name = name;
            this.ctx = ctx;
            this.postSend = Pointer.nativeValue(ctx.getPointer(CONTEXT_POST_SEND));
            this.pollCq = Pointer.nativeValue(ctx.getPointer(CONTEXT_POLL_CQ));
            this.reqNotifyCq = Pointer.nativeValue(ctx.getPointer(CONTEXT_REQ_NOTIFY_CQ));
            this.compVectors = Math.max(1, ctx.getInt(CONTEXT_NUM_COMP_VECTORS));
        }

        @Override
        public String deviceName() {
            return name;
        }

        @Override
        public DeviceAttributes queryDevice() {
            Memory m = zeroed(SIZEOF_DEVICE_ATTR);
            int rc = lib.ibv_query_device(ctx, m);
            if (rc != 0) {
                throw failure(ErrorCode.DEVICE_NOT_FOUND, "ibv_query_device(" + name + ")", rc);
            }
            return new DeviceAttributes(m.getLong(DEVICE_ATTR_MAX_MR_SIZE), m.getInt(DEVICE_ATTR_MAX_QP),
                    m.getInt(DEVICE_ATTR_MAX_QP_WR), m.getInt(DEVICE_ATTR_MAX_SGE), m.getInt(DEVICE_ATTR_MAX_CQ),
                    m.getInt(DEVICE_ATTR_MAX_CQE), m.getInt(DEVICE_ATTR_MAX_MR), m.getInt(DEVICE_ATTR_MAX_QP_RD_ATOM),
                    m.getInt(DEVICE_ATTR_MAX_QP_INIT_RD_ATOM), m.getByte(DEVICE_ATTR_PHYS_PORT_CNT) & 0xff);
        }

        @Override
        public PortAttributes queryPort(int port) {
            Memory m = zeroed(SIZEOF_PORT_ATTR);
            int rc = lib.ibv_query_port(ctx, (byte) port, m);
            if (rc != 0) {
                throw failure(ErrorCode.DEVICE_NOT_FOUND, "ibv_query_port(" + name + ", port " + port + ")", rc);
            }
            return new PortAttributes(m.getInt(PORT_ATTR_STATE), m.getInt(PORT_ATTR_MAX_MTU),
                    m.getInt(PORT_ATTR_ACTIVE_MTU), m.getInt(PORT_ATTR_GID_TBL_LEN), m.getShort(PORT_ATTR_LID) & 0xffff,
                    m.getByte(PORT_ATTR_LINK_LAYER) & 0xff, m.getByte(PORT_ATTR_ACTIVE_WIDTH) & 0xff,
                    m.getByte(PORT_ATTR_ACTIVE_SPEED) & 0xff);
        }

        @Override
        public GidEntry queryGid(int port, int index) {
            Memory m = zeroed(SIZEOF_GID_ENTRY);
            int rc = lib._ibv_query_gid_ex(ctx, port, index, m, 0, SIZEOF_GID_ENTRY);
            if (rc != 0) {
                return null;
            }
            return new GidEntry(m.getByteArray(GID_ENTRY_GID, 16), m.getInt(GID_ENTRY_GID_INDEX),
                    m.getInt(GID_ENTRY_PORT_NUM), m.getInt(GID_ENTRY_GID_TYPE), m.getInt(GID_ENTRY_NDEV_IFINDEX));
        }

        @Override
        public ProtectionDomain allocPd() {
            Pointer pd = lib.ibv_alloc_pd(ctx);
            if (pd == null) {
                throw failure(ErrorCode.MEMORY, "ibv_alloc_pd(" + name + ")", 0);
            }
            return new JnaPd(this, pd);
        }

        @Override
        public CompletionQueue createCq(int cqe) {
            Pointer channel = lib.ibv_create_comp_channel(ctx);
            if (channel == null) {
                throw failure(ErrorCode.MEMORY, "ibv_create_comp_channel(" + name + ")", 0);
            }
            Pointer cq = lib.ibv_create_cq(ctx, cqe, null, channel,
                    Math.floorMod(nextVector.getAndIncrement(), compVectors));
            if (cq == null) {
                VerbsException e = failure(ErrorCode.MEMORY, "ibv_create_cq(" + name + ", " + cqe + " entries)", 0);
                lib.ibv_destroy_comp_channel(channel);
                throw e;
            }
            return new JnaCq(this, cq, channel);
        }

        @Override
        public SendBatch newSendBatch(int capacity) {
            return new JnaSendBatch(capacity);
        }

        @Override
        public Completions newCompletions(int capacity) {
            return new JnaCompletions(capacity);
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                int rc = lib.ibv_close_device(ctx);
                if (rc != 0) {
                    log.warn("ibv_close_device({}) failed: {}", name, rc);
                }
            }
        }

        @Override
        public String toString() {
            return "verbs context " + name;
        }
    }

    static final class JnaPd implements ProtectionDomain {
        private final JnaContext context;
        private final Pointer pd;
        private final AtomicBoolean closed = new AtomicBoolean();

        JnaPd(JnaContext context, Pointer pd) {
            this.context = context;
            this.pd = pd;
        }

        @Override
        public MemoryRegion register(long addr, long length, int access) {
            Pointer mr = (access & IBV_ACCESS_OPTIONAL_RANGE) == 0
                    ? context.lib.ibv_reg_mr(pd, new Pointer(addr), length, access)
                    : context.lib.ibv_reg_mr_iova2(pd, new Pointer(addr), length, addr, access);
            if (mr == null) {
                throw new VerbsException(ErrorCode.MEMORY, "ibv_reg_mr(" + context.name + ", 0x" + Long.toHexString(addr)
                        + ", " + length + " bytes, access 0x" + Integer.toHexString(access) + ")", Native.getLastError(),
                        "raise the locked-memory limit (ulimit -l) or check that the memory is mapped");
            }
            return new JnaMr(context.lib, mr);
        }

        @Override
        public MemoryRegion registerDmabuf(long offset, long length, long iova, int fd, int access) {
            Pointer mr = context.lib.ibv_reg_dmabuf_mr(pd, offset, length, iova, fd, access);
            if (mr == null) {
                throw new VerbsException(ErrorCode.MEMORY, "ibv_reg_dmabuf_mr(" + context.name + ", fd " + fd + ", offset "
                        + offset + ", " + length + " bytes)", Native.getLastError(),
                        "the NIC driver and kernel must support DMA-BUF (Linux 5.12+, rdma-core 34+)");
            }
            return new JnaMr(context.lib, mr);
        }

        @Override
        public QueuePair createRcQp(CompletionQueue cq, QpCapabilities caps) {
            Pointer cqPtr = ((JnaCq) cq).cq;
            Memory a = zeroed(SIZEOF_QP_INIT_ATTR);
            a.setPointer(QP_INIT_ATTR_SEND_CQ, cqPtr);
            a.setPointer(QP_INIT_ATTR_RECV_CQ, cqPtr);
            a.setInt(QP_INIT_ATTR_CAP_MAX_SEND_WR, caps.maxSendWr());
            a.setInt(QP_INIT_ATTR_CAP_MAX_RECV_WR, caps.maxRecvWr());
            a.setInt(QP_INIT_ATTR_CAP_MAX_SEND_SGE, caps.maxSendSge());
            a.setInt(QP_INIT_ATTR_CAP_MAX_RECV_SGE, caps.maxRecvSge());
            a.setInt(QP_INIT_ATTR_CAP_MAX_INLINE_DATA, caps.maxInlineData());
            a.setInt(QP_INIT_ATTR_QP_TYPE, IBV_QPT_RC);
            a.setInt(QP_INIT_ATTR_SQ_SIG_ALL, 0);
            Pointer qp = context.lib.ibv_create_qp(pd, a);
            if (qp == null) {
                throw new VerbsException(ErrorCode.ENDPOINT, "ibv_create_qp(" + context.name + ", " + caps + ")",
                        Native.getLastError(), "lower MC_MAX_WR, MC_MAX_SGE or MC_MAX_INLINE to the device's limits");
            }
            return new JnaQp(context, qp);
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                int rc = context.lib.ibv_dealloc_pd(pd);
                if (rc != 0) {
                    log.warn("ibv_dealloc_pd({}) failed: errno {}", context.name, rc);
                }
            }
        }
    }

    static final class JnaMr implements MemoryRegion {
        private final LibIbverbs lib;
        private final Pointer mr;
        private final long addr;
        private final long length;
        private final int lkey;
        private final int rkey;
        private final AtomicBoolean closed = new AtomicBoolean();

        JnaMr(LibIbverbs lib, Pointer mr) {
            this.lib = lib;
            this.mr = mr;
            this.addr = Pointer.nativeValue(mr.getPointer(MR_ADDR));
            this.length = mr.getLong(MR_LENGTH);
            this.lkey = mr.getInt(MR_LKEY);
            this.rkey = mr.getInt(MR_RKEY);
        }

        @Override
        public long addr() {
            return addr;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public int lkey() {
            return lkey;
        }

        @Override
        public int rkey() {
            return rkey;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                int rc = lib.ibv_dereg_mr(mr);
                if (rc != 0) {
                    log.warn("ibv_dereg_mr(0x{}) failed: errno {}", Long.toHexString(addr), rc);
                }
            }
        }
    }

    static final class JnaCq implements CompletionQueue {
        private final JnaContext context;
        final Pointer cq;
        private final Pointer channel;
        private final FfiCall.Frame notify = REQ_NOTIFY_CQ.frame();
        private final Memory pollFd = zeroed(8);
        private final PointerByReference evCq = new PointerByReference();
        private final PointerByReference evCtx = new PointerByReference();
        private final AtomicBoolean closed = new AtomicBoolean();

        JnaCq(JnaContext context, Pointer cq, Pointer channel) {
            this.context = context;
            this.cq = cq;
            this.channel = channel;
        }

        @Override
        public int poll(Completions into) {
            JnaCompletions c = (JnaCompletions) into;
            return c.frame.arg(0, Pointer.nativeValue(cq)).arg(1, c.capacity()).arg(2, c.base).call(context.pollCq);
        }

        @Override
        public boolean await(long timeoutMillis) {
            int rc = notify.arg(0, Pointer.nativeValue(cq)).arg(1, 0).call(context.reqNotifyCq);
            if (rc != 0) {
                return false;
            }
            pollFd.setInt(0, channel.getInt(COMP_CHANNEL_FD));
            pollFd.setShort(4, (short) 1); // POLLIN
            pollFd.setShort(6, (short) 0);
            int ready = LibC.INSTANCE.poll(pollFd, 1, (int) Math.min(Integer.MAX_VALUE, Math.max(0, timeoutMillis)));
            if (ready <= 0) {
                return false;
            }
            if (context.lib.ibv_get_cq_event(channel, evCq, evCtx) == 0) {
                context.lib.ibv_ack_cq_events(evCq.getValue(), 1);
                return true;
            }
            return false;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                int rc = context.lib.ibv_destroy_cq(cq);
                if (rc != 0) {
                    log.warn("ibv_destroy_cq({}) failed: errno {}", context.name, rc);
                }
                rc = context.lib.ibv_destroy_comp_channel(channel);
                if (rc != 0) {
                    log.warn("ibv_destroy_comp_channel({}) failed: errno {}", context.name, rc);
                }
            }
        }
    }

    static final class JnaQp implements QueuePair {
        private final JnaContext context;
        private final Pointer qp;
        private final int qpNum;
        private final AtomicBoolean closed = new AtomicBoolean();

        JnaQp(JnaContext context, Pointer qp) {
            this.context = context;
            this.qp = qp;
            this.qpNum = qp.getInt(QP_QP_NUM);
        }

        @Override
        public int qpNum() {
            return qpNum;
        }

        @Override
        public void modifyToInit(int port, int pkeyIndex, int accessFlags) {
            Memory a = zeroed(SIZEOF_QP_ATTR);
            a.setInt(QP_ATTR_QP_STATE, IBV_QPS_INIT);
            a.setShort(QP_ATTR_PKEY_INDEX, (short) pkeyIndex);
            a.setByte(QP_ATTR_PORT_NUM, (byte) port);
            a.setInt(QP_ATTR_QP_ACCESS_FLAGS, accessFlags);
            modify(a, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS, "RESET->INIT",
                    "check MC_IB_PORT and MC_PKEY_INDEX");
        }

        @Override
        public void modifyToRtr(RtrAttributes r) {
            Memory a = zeroed(SIZEOF_QP_ATTR);
            a.setInt(QP_ATTR_QP_STATE, IBV_QPS_RTR);
            a.setInt(QP_ATTR_PATH_MTU, r.pathMtu());
            a.write(QP_ATTR_AH_ATTR_GRH_DGID, r.dgid(), 0, 16);
            a.setByte(QP_ATTR_AH_ATTR_GRH_SGID_INDEX, (byte) r.sgidIndex());
            a.setByte(QP_ATTR_AH_ATTR_GRH_HOP_LIMIT, (byte) r.hopLimit());
            a.setByte(QP_ATTR_AH_ATTR_GRH_TRAFFIC_CLASS, (byte) r.trafficClass());
            a.setShort(QP_ATTR_AH_ATTR_DLID, (short) r.dlid());
            a.setByte(QP_ATTR_AH_ATTR_SL, (byte) r.serviceLevel());
            a.setByte(QP_ATTR_AH_ATTR_IS_GLOBAL, (byte) 1);
            a.setByte(QP_ATTR_AH_ATTR_PORT_NUM, (byte) r.port());
            a.setInt(QP_ATTR_DEST_QP_NUM, r.destQpNum());
            a.setInt(QP_ATTR_RQ_PSN, r.rqPsn());
            a.setByte(QP_ATTR_MAX_DEST_RD_ATOMIC, (byte) r.maxDestRdAtomic());
            a.setByte(QP_ATTR_MIN_RNR_TIMER, (byte) r.minRnrTimer());
            modify(a, IBV_QP_STATE | IBV_QP_PATH_MTU | IBV_QP_MIN_RNR_TIMER | IBV_QP_AV | IBV_QP_MAX_DEST_RD_ATOMIC
                    | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN, "INIT->RTR", "check MC_MTU, MC_GID_INDEX, the peer's gid, lid "
                            + "and qp_num");
        }

        @Override
        public void modifyToRts(RtsAttributes r) {
            Memory a = zeroed(SIZEOF_QP_ATTR);
            a.setInt(QP_ATTR_QP_STATE, IBV_QPS_RTS);
            a.setByte(QP_ATTR_TIMEOUT, (byte) r.timeout());
            a.setByte(QP_ATTR_RETRY_CNT, (byte) r.retryCount());
            a.setByte(QP_ATTR_RNR_RETRY, (byte) r.rnrRetry());
            a.setInt(QP_ATTR_SQ_PSN, r.sqPsn());
            a.setByte(QP_ATTR_MAX_RD_ATOMIC, (byte) r.maxRdAtomic());
            modify(a, IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN
                    | IBV_QP_MAX_QP_RD_ATOMIC, "RTR->RTS", null);
        }

        @Override
        public void modifyToReset() {
            Memory a = zeroed(SIZEOF_QP_ATTR);
            a.setInt(QP_ATTR_QP_STATE, IBV_QPS_RESET);
            modify(a, IBV_QP_STATE, "->RESET", null);
        }

        @Override
        public void modifyToError() {
            Memory a = zeroed(SIZEOF_QP_ATTR);
            a.setInt(QP_ATTR_QP_STATE, IBV_QPS_ERR);
            modify(a, IBV_QP_STATE, "->ERR", null);
        }

        private void modify(Memory attr, int mask, String transition, String hint) {
            int rc = context.lib.ibv_modify_qp(qp, attr, mask);
            if (rc != 0) {
                throw new VerbsException(ErrorCode.ENDPOINT, "ibv_modify_qp(" + context.name + ", qp " + qpNum + ", "
                        + transition + ")", rc, hint);
            }
        }

        @Override
        public int post(SendBatch batch) {
            JnaSendBatch b = (JnaSendBatch) batch;
            b.failFrom(-1);
            if (b.size() == 0) {
                return 0;
            }
            b.terminate();
            int rc = b.frame.arg(0, Pointer.nativeValue(qp)).arg(1, b.base).arg(2, b.badWr).call(context.postSend);
            if (rc != 0) {
                long bad = b.buf.getLong(b.badWrOffset);
                b.failFrom(bad == 0 ? 0 : (int) ((bad - b.base) / SIZEOF_SEND_WR));
            }
            return rc;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                int rc = context.lib.ibv_destroy_qp(qp);
                if (rc != 0) {
                    log.warn("ibv_destroy_qp({}, qp {}) failed: errno {}", context.name, qpNum, rc);
                }
            }
        }
    }

    /** Work requests and their scatter-gather entries in native memory, chained by {@code next}. */
    static final class JnaSendBatch extends SendBatch {
        private final Memory memory;
        final ByteBuffer buf;
        final long base;
        private final int sgeOffset;
        final int badWrOffset;
        final long badWr;
        final FfiCall.Frame frame = POST_SEND.frame();

        JnaSendBatch(int capacity) {
            super(capacity);
            sgeOffset = capacity * SIZEOF_SEND_WR;
            badWrOffset = sgeOffset + capacity * SIZEOF_SGE;
            memory = zeroed(badWrOffset + 8L);
            buf = memory.getByteBuffer(0, memory.size()).order(ByteOrder.nativeOrder());
            base = Pointer.nativeValue(memory);
            badWr = base + badWrOffset;
        }

        @Override
        protected void put(int i, long wrId, int opcode, long localAddr, int length, int lkey, long remoteAddr,
                int rkey) {
            int wr = i * SIZEOF_SEND_WR;
            int sge = sgeOffset + i * SIZEOF_SGE;
            buf.putLong(wr + SEND_WR_WR_ID, wrId);
            buf.putLong(wr + SEND_WR_NEXT, 0);
            buf.putLong(wr + SEND_WR_SG_LIST, base + sge);
            buf.putInt(wr + SEND_WR_NUM_SGE, 1);
            buf.putInt(wr + SEND_WR_OPCODE, opcode);
            buf.putInt(wr + SEND_WR_SEND_FLAGS, IBV_SEND_SIGNALED);
            buf.putInt(wr + SEND_WR_IMM_DATA, 0);
            buf.putLong(wr + SEND_WR_WR_RDMA_REMOTE_ADDR, remoteAddr);
            buf.putInt(wr + SEND_WR_WR_RDMA_RKEY, rkey);
            buf.putLong(sge + SGE_ADDR, localAddr);
            buf.putInt(sge + SGE_LENGTH, length);
            buf.putInt(sge + SGE_LKEY, lkey);
            if (i > 0) {
                buf.putLong((i - 1) * SIZEOF_SEND_WR + SEND_WR_NEXT, base + wr);
            }
        }

        /** Ends the chain at the last request of this round (a cleared batch may have held more). */
        void terminate() {
            buf.putLong((size() - 1) * SIZEOF_SEND_WR + SEND_WR_NEXT, 0);
            buf.putLong(badWrOffset, 0);
        }

        @Override
        public long wrId(int i) {
            return buf.getLong(i * SIZEOF_SEND_WR + SEND_WR_WR_ID);
        }

        @Override
        public int opcode(int i) {
            return buf.getInt(i * SIZEOF_SEND_WR + SEND_WR_OPCODE);
        }

        @Override
        public long localAddr(int i) {
            return buf.getLong(sgeOffset + i * SIZEOF_SGE + SGE_ADDR);
        }

        @Override
        public int length(int i) {
            return buf.getInt(sgeOffset + i * SIZEOF_SGE + SGE_LENGTH);
        }

        @Override
        public int lkey(int i) {
            return buf.getInt(sgeOffset + i * SIZEOF_SGE + SGE_LKEY);
        }

        @Override
        public long remoteAddr(int i) {
            return buf.getLong(i * SIZEOF_SEND_WR + SEND_WR_WR_RDMA_REMOTE_ADDR);
        }

        @Override
        public int rkey(int i) {
            return buf.getInt(i * SIZEOF_SEND_WR + SEND_WR_WR_RDMA_RKEY);
        }
    }

    /** {@code struct ibv_wc} array in native memory. */
    static final class JnaCompletions extends Completions {
        private final Memory memory;
        private final ByteBuffer buf;
        final long base;
        final FfiCall.Frame frame = POLL_CQ.frame();

        JnaCompletions(int capacity) {
            super(capacity);
            memory = zeroed((long) capacity * SIZEOF_WC);
            buf = memory.getByteBuffer(0, memory.size()).order(ByteOrder.nativeOrder());
            base = Pointer.nativeValue(memory);
        }

        @Override
        public long wrId(int i) {
            return buf.getLong(i * SIZEOF_WC + WC_WR_ID);
        }

        @Override
        public int status(int i) {
            return buf.getInt(i * SIZEOF_WC + WC_STATUS);
        }

        @Override
        public int opcode(int i) {
            return buf.getInt(i * SIZEOF_WC + WC_OPCODE);
        }

        @Override
        public int byteLength(int i) {
            return buf.getInt(i * SIZEOF_WC + WC_BYTE_LEN);
        }

        @Override
        public int qpNum(int i) {
            return buf.getInt(i * SIZEOF_WC + WC_QP_NUM);
        }

        @Override
        public int vendorError(int i) {
            return buf.getInt(i * SIZEOF_WC + WC_VENDOR_ERR);
        }

        @Override
        public void set(int i, long wrId, int status, int opcode, int byteLength, int qpNum, int vendorError) {
            int at = i * SIZEOF_WC;
            buf.putLong(at + WC_WR_ID, wrId);
            buf.putInt(at + WC_STATUS, status);
            buf.putInt(at + WC_OPCODE, opcode);
            buf.putInt(at + WC_BYTE_LEN, byteLength);
            buf.putInt(at + WC_QP_NUM, qpNum);
            buf.putInt(at + WC_VENDOR_ERR, vendorError);
        }
    }

    static Memory zeroed(long size) {
        Memory m = new Memory(size);
        m.clear();
        return m;
    }

    /** The text of a work-completion status, from libibverbs ({@code ibv_wc_status_str}). */
    public String statusText(int status) {
        return lib.ibv_wc_status_str(status);
    }

    static List<String> names(LibIbverbs lib) {
        return JnaVerbs.list(lib).names();
    }
}

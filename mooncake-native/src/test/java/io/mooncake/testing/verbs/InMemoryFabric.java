package io.mooncake.testing.verbs;

import static io.mooncake.jna.verbs.VerbsAbi.*;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.jna.verbs.Completions;
import io.mooncake.jna.verbs.RdmaVerbs;
import io.mooncake.jna.verbs.SendBatch;
import io.mooncake.jna.verbs.RdmaVerbs.CompletionQueue;
import io.mooncake.jna.verbs.RdmaVerbs.Context;
import io.mooncake.jna.verbs.RdmaVerbs.DeviceAttributes;
import io.mooncake.jna.verbs.RdmaVerbs.GidEntry;
import io.mooncake.jna.verbs.RdmaVerbs.MemoryRegion;
import io.mooncake.jna.verbs.RdmaVerbs.PortAttributes;
import io.mooncake.jna.verbs.RdmaVerbs.ProtectionDomain;
import io.mooncake.jna.verbs.RdmaVerbs.QpCapabilities;
import io.mooncake.jna.verbs.RdmaVerbs.QueuePair;
import io.mooncake.jna.verbs.RdmaVerbs.RtrAttributes;
import io.mooncake.jna.verbs.RdmaVerbs.RtsAttributes;
import io.mooncake.jna.verbs.Verbs;
import io.mooncake.jna.verbs.VerbsException;
import io.mooncake.transport.rdma.Gid;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * <b>Test fixture, not hardware.</b> An in-memory stand-in for RDMA HCAs and the network between
 * them, used because this project's build and CI machines have no RDMA device (their kernel has
 * no InfiniBand support at all). It implements the same {@link RdmaVerbs} interface as the real
 * libibverbs binding, so the rdma transport's logic (QP setup, posting, completion matching,
 * retries, NIC pause, deadlines) runs unchanged on it. It proves that logic, not the hardware
 * path: the ABI test and the real library's no-device test cover the binding, and docs/rdma.md
 * lists what only an HCA can prove.
 *
 * <p>What it models, as RC hardware behaves: QP states RESET -> INIT -> RTR -> RTS (a wrong order,
 * port or MTU is EINVAL); posting only in RTS (EINVAL before), send-queue depth ({@code max_send_wr},
 * ENOMEM with {@code bad_wr}); RDMA WRITE and READ copying real memory after checking the local
 * key, the remote key, its range and access rights ({@code IBV_WC_LOC_PROT_ERR},
 * {@code IBV_WC_REM_ACCESS_ERR}); a peer QP that does not exist or does not point back, or a
 * link that is down ({@code IBV_WC_RETRY_EXC_ERR}); after an error the QP is in ERR and every later
 * request completes with {@code IBV_WC_WR_FLUSH_ERR}; moving a QP to ERR flushes what is
 * outstanding. Completions are produced asynchronously by one "wire" thread into bounded CQs (an
 * overflow is counted, and tests assert there is none). Faults: {@link #linkDown},
 * {@link #blackhole} (requests accepted and never completed, until the QP leaves RTS).
 *
 * <p>The posting and polling paths allocate nothing, so allocation tests of the transport measure
 * the transport.
 */
public final class InMemoryFabric implements AutoCloseable {

    /** {@code IBV_WC_LOC_PROT_ERR}. */
    public static final int WC_LOC_PROT_ERR = 4;

    private final Map<String, Device> byGid = new ConcurrentHashMap<>();
    private final List<Qp> qps = new CopyOnWriteArrayList<>();
    private final AtomicInteger nextKey = new AtomicInteger(0x1000);
    private final AtomicInteger nextQpNum = new AtomicInteger(0x100);
    private final AtomicLong cqOverflows = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    /**
     * Held (shared) by the wire while it checks keys and copies; taken (exclusive) by
     * {@code ibv_dereg_mr}: as on hardware, once deregistration returns no access to the memory is
     * in progress or can start, so its owner may free it.
     */
    private final java.util.concurrent.locks.ReentrantReadWriteLock dma = new java.util.concurrent.locks.ReentrantReadWriteLock();
    private final Thread wire;
    private volatile boolean closed;

    public InMemoryFabric() {
        wire = new Thread(this::wireLoop, "in-memory-rdma-wire");
        wire.setDaemon(true);
        wire.start();
    }

    /**
     * One device of a host.
     *
     * @param name verbs name, e.g. {@code mlx5_0}
     * @param gid its GID (one RoCE v2 entry at index 0 unless {@code gidTable} says otherwise)
     * @param lid its LID (0 on RoCE)
     * @param maxQpWr the device's send-queue limit
     */
    public record DeviceSpec(String name, byte[] gid, int lid, int activeMtu, int maxQpWr,
            List<RdmaVerbs.GidEntry> gidTable) {

        /** A RoCE v2 device with an IPv4-mapped GID {@code ::ffff:10.0.<host>.<n>}. */
        public static DeviceSpec roce(String name, int host, int n) {
            byte[] gid = new byte[16];
            gid[10] = (byte) 0xff;
            gid[11] = (byte) 0xff;
            gid[12] = 10;
            gid[14] = (byte) host;
            gid[15] = (byte) n;
            return new DeviceSpec(name, gid, 0, IBV_MTU_4096, 16384,
                    List.of(new RdmaVerbs.GidEntry(gid, 0, 1, IBV_GID_TYPE_ROCE_V2, 2)));
        }

        /** The same device with another send-queue limit. */
        public DeviceSpec withMaxQpWr(int n) {
            return new DeviceSpec(name, gid, lid, activeMtu, n, gidTable);
        }
    }

    /** A host with the given devices, as an {@link RdmaVerbs} a transport opens. */
    public RdmaVerbs host(DeviceSpec... devices) {
        List<Device> ds = new ArrayList<>();
        for (DeviceSpec s : devices) {
            Device d = new Device(s);
            byGid.put(Gid.format(s.gid()), d);
            ds.add(d);
        }
        return new Host(ds);
    }

    /** Takes a device's link down (true) or up: requests from or to it fail with RETRY_EXC_ERR; its port is DOWN. */
    public void linkDown(String gid, boolean down) {
        device(gid).linkDown = down;
    }

    /** Makes a device swallow requests from or to it without completing them (a hung path). */
    public void blackhole(String gid, boolean on) {
        device(gid).blackhole = on;
    }

    /** Work requests a device has carried out (successfully) as the requester. */
    public long executed(String gid) {
        return device(gid).executed.get();
    }

    /** Completions the CQs could not take because they were full (should stay 0). */
    public long cqOverflows() {
        return cqOverflows.get();
    }

    /** Work requests completed so far, successfully or not. */
    public long completed() {
        return completed.get();
    }

    private Device device(String gid) {
        Device d = byGid.get(gid);
        if (d == null) {
            throw new IllegalArgumentException("no device with GID " + gid);
        }
        return d;
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(wire);
    }

    // ---- the wire: moves bytes and produces completions

    private void wireLoop() {
        while (!closed) {
            boolean worked = false;
            for (Qp qp : qps) {
                worked |= qp.drain();
            }
            if (!worked) {
                LockSupport.parkNanos(200_000);
            }
        }
    }

    private void wake() {
        LockSupport.unpark(wire);
    }

    final class Host implements RdmaVerbs {
        private final List<Device> devices;

        Host(List<Device> devices) {
            this.devices = List.copyOf(devices);
        }

        @Override
        public Verbs.DeviceList devices() {
            return new Verbs.DeviceList(devices.stream().map(d -> new Verbs.Device(d.spec.name(), 0x0002c90300001234L))
                    .toList(), 0);
        }

        @Override
        public Context open(String deviceName) {
            for (Device d : devices) {
                if (d.spec.name().equals(deviceName)) {
                    return new Ctx(d);
                }
            }
            throw new VerbsException(ErrorCode.DEVICE_NOT_FOUND, "ibv_open_device(" + deviceName + ")", 0,
                    "no such device; listed " + devices().names());
        }
    }

    final class Device {
        final DeviceSpec spec;
        volatile boolean linkDown;
        volatile boolean blackhole;
        final AtomicLong executed = new AtomicLong();
        final List<Mr> mrs = new CopyOnWriteArrayList<>();

        Device(DeviceSpec spec) {
            this.spec = spec;
        }

        Mr findByRkey(int rkey) {
            for (Mr m : mrs) {
                if (m.rkey == rkey && !m.closed) {
                    return m;
                }
            }
            return null;
        }

        Qp qp(int num) {
            for (Qp q : qps) {
                if (q.device == this && q.qpNum == num && !q.closed) {
                    return q;
                }
            }
            return null;
        }
    }

    final class Ctx implements RdmaVerbs.Context {
        final Device device;

        Ctx(Device device) {
            this.device = device;
        }

        @Override
        public String deviceName() {
            return device.spec.name();
        }

        @Override
        public DeviceAttributes queryDevice() {
            return new DeviceAttributes(1L << 40, 1 << 16, device.spec.maxQpWr(), 30, 1 << 16, 1 << 22, 1 << 20, 16, 16, 1);
        }

        @Override
        public PortAttributes queryPort(int port) {
            if (port != 1) {
                throw new VerbsException(ErrorCode.DEVICE_NOT_FOUND, "ibv_query_port(" + deviceName() + ", port " + port
                        + ")", 22, null);
            }
            return new PortAttributes(device.linkDown ? 1 : IBV_PORT_ACTIVE, IBV_MTU_4096, device.spec.activeMtu(),
                    device.spec.gidTable().size(), device.spec.lid(),
                    device.spec.lid() == 0 ? IBV_LINK_LAYER_ETHERNET : IBV_LINK_LAYER_INFINIBAND, 2, 64);
        }

        @Override
        public GidEntry queryGid(int port, int index) {
            List<GidEntry> t = device.spec.gidTable();
            return port == 1 && index >= 0 && index < t.size() ? t.get(index) : null;
        }

        @Override
        public ProtectionDomain allocPd() {
            return new Pd(device);
        }

        @Override
        public CompletionQueue createCq(int cqe) {
            return new Cq(cqe);
        }

        @Override
        public SendBatch newSendBatch(int capacity) {
            return SendBatch.onHeap(capacity);
        }

        @Override
        public Completions newCompletions(int capacity) {
            return Completions.onHeap(capacity);
        }

        @Override
        public void close() {
        }
    }

    final class Pd implements RdmaVerbs.ProtectionDomain {
        final Device device;

        Pd(Device device) {
            this.device = device;
        }

        @Override
        public MemoryRegion register(long addr, long length, int access) {
            if (addr == 0 || length <= 0) {
                throw new VerbsException(ErrorCode.MEMORY, "ibv_reg_mr(" + device.spec.name() + ")", 22, null);
            }
            int key = nextKey.getAndIncrement();
            Mr m = new Mr(this, addr, length, access, key, key);
            device.mrs.add(m);
            return m;
        }

        @Override
        public MemoryRegion registerDmabuf(long offset, long length, long iova, int fd, int access) {
            throw new VerbsException(ErrorCode.MEMORY, "ibv_reg_dmabuf_mr(" + device.spec.name() + ")", 95,
                    "the in-memory test device has no DMA-BUF");
        }

        @Override
        public QueuePair createRcQp(CompletionQueue cq, QpCapabilities caps) {
            if (caps.maxSendWr() > device.spec.maxQpWr()) {
                throw new VerbsException(ErrorCode.ENDPOINT, "ibv_create_qp(" + device.spec.name() + ")", 22,
                        "max_send_wr " + caps.maxSendWr() + " > device limit " + device.spec.maxQpWr());
            }
            Qp qp = new Qp(this, (Cq) cq, caps.maxSendWr());
            qps.add(qp);
            return qp;
        }

        @Override
        public void close() {
        }
    }

    final class Mr implements RdmaVerbs.MemoryRegion {
        final Pd pd;
        final long addr;
        final long length;
        final int access;
        final int lkey;
        final int rkey;
        volatile boolean closed;

        Mr(Pd pd, long addr, long length, int access, int lkey, int rkey) {
            this.pd = pd;
            this.addr = addr;
            this.length = length;
            this.access = access;
            this.lkey = lkey;
            this.rkey = rkey;
        }

        boolean covers(long a, long len) {
            return Long.compareUnsigned(a, addr) >= 0 && len >= 0 && a - addr <= length - len;
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
            dma.writeLock().lock();
            try {
                closed = true;
                pd.device.mrs.remove(this);
            } finally {
                dma.writeLock().unlock();
            }
        }
    }

    /** A CQ: a ring with one producer (the wire) and one consumer (the poller). */
    final class Cq implements RdmaVerbs.CompletionQueue {
        final int capacity;
        final long[] wrId;
        final int[] status;
        final int[] opcode;
        final int[] byteLen;
        final int[] qpNum;
        final AtomicLong head = new AtomicLong();
        final AtomicLong tail = new AtomicLong();
        final Object signal = new Object();

        Cq(int capacity) {
            this.capacity = capacity;
            wrId = new long[capacity];
            status = new int[capacity];
            opcode = new int[capacity];
            byteLen = new int[capacity];
            qpNum = new int[capacity];
        }

        void push(long id, int st, int op, int len, int qp) {
            long t = tail.get();
            if (t - head.get() >= capacity) {
                cqOverflows.incrementAndGet();
                return;
            }
            int i = (int) (t % capacity);
            wrId[i] = id;
            status[i] = st;
            opcode[i] = op;
            byteLen[i] = len;
            qpNum[i] = qp;
            tail.set(t + 1);
            completed.incrementAndGet();
            synchronized (signal) {
                signal.notifyAll();
            }
        }

        @Override
        public int poll(Completions into) {
            long h = head.get();
            int n = (int) Math.min(into.capacity(), tail.get() - h);
            for (int k = 0; k < n; k++) {
                int i = (int) ((h + k) % capacity);
                into.set(k, wrId[i], status[i], opcode[i], byteLen[i], qpNum[i], 0);
            }
            head.set(h + n);
            return n;
        }

        @Override
        public boolean await(long timeoutMillis) {
            synchronized (signal) {
                if (tail.get() != head.get()) {
                    return true;
                }
                try {
                    signal.wait(Math.max(1, timeoutMillis));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return tail.get() != head.get();
            }
        }

        @Override
        public void close() {
        }
    }

    /** An RC QP: state machine plus a send ring the wire drains. */
    final class Qp implements RdmaVerbs.QueuePair {
        final Pd pd;
        final Device device;
        final Cq cq;
        final int qpNum;
        final int depth;
        volatile int state = IBV_QPS_RESET;
        volatile int port;
        volatile Device destDevice;
        volatile int destQpNum;
        volatile boolean closed;
        // send ring: slots written by the poster, read by the wire
        final long[] wrId;
        final int[] opcode;
        final long[] localAddr;
        final int[] length;
        final int[] lkey;
        final long[] remoteAddr;
        final int[] rkey;
        final AtomicLong produced = new AtomicLong();
        final AtomicLong consumed = new AtomicLong();

        Qp(Pd pd, Cq cq, int depth) {
            this.pd = pd;
            this.device = pd.device;
            this.cq = cq;
            this.depth = depth;
            this.qpNum = nextQpNum.getAndIncrement();
            wrId = new long[depth];
            opcode = new int[depth];
            localAddr = new long[depth];
            length = new int[depth];
            lkey = new int[depth];
            remoteAddr = new long[depth];
            rkey = new int[depth];
        }

        @Override
        public int qpNum() {
            return qpNum;
        }

        private VerbsException invalid(String transition, String why) {
            return new VerbsException(ErrorCode.ENDPOINT, "ibv_modify_qp(" + device.spec.name() + ", qp " + qpNum + ", "
                    + transition + ")", 22, why);
        }

        @Override
        public void modifyToInit(int port, int pkeyIndex, int accessFlags) {
            if (state != IBV_QPS_RESET) {
                throw invalid("RESET->INIT", "QP is in state " + state);
            }
            if (port != 1 || pkeyIndex != 0) {
                throw invalid("RESET->INIT", "port " + port + ", pkey index " + pkeyIndex);
            }
            this.port = port;
            state = IBV_QPS_INIT;
        }

        @Override
        public void modifyToRtr(RtrAttributes a) {
            if (state != IBV_QPS_INIT) {
                throw invalid("INIT->RTR", "QP is in state " + state);
            }
            if (a.pathMtu() < IBV_MTU_256 || a.pathMtu() > device.spec.activeMtu()) {
                throw invalid("INIT->RTR", "path MTU " + a.pathMtu() + " above the port's " + device.spec.activeMtu());
            }
            if (a.sgidIndex() < 0 || a.sgidIndex() >= device.spec.gidTable().size() || a.port() != 1) {
                throw invalid("INIT->RTR", "sgid index " + a.sgidIndex());
            }
            destDevice = byGid.get(Gid.format(a.dgid()));
            destQpNum = a.destQpNum();
            state = IBV_QPS_RTR;
        }

        @Override
        public void modifyToRts(RtsAttributes a) {
            if (state != IBV_QPS_RTR) {
                throw invalid("RTR->RTS", "QP is in state " + state);
            }
            state = IBV_QPS_RTS;
        }

        @Override
        public void modifyToReset() {
            state = IBV_QPS_RESET;
            flushOutstanding();
        }

        @Override
        public void modifyToError() {
            state = IBV_QPS_ERR;
            wake();
        }

        @Override
        public int post(SendBatch batch) {
            batch.failFrom(-1);
            if (state != IBV_QPS_RTS && state != IBV_QPS_ERR) {
                batch.failFrom(0);
                return 22;
            }
            long p = produced.get();
            int n = batch.size();
            for (int k = 0; k < n; k++) {
                if (p - consumed.get() >= depth) {
                    batch.failFrom(k);
                    produced.set(p);
                    wake();
                    return 12; // ENOMEM: send queue full
                }
                int i = (int) (p % depth);
                wrId[i] = batch.wrId(k);
                opcode[i] = batch.opcode(k);
                localAddr[i] = batch.localAddr(k);
                length[i] = batch.length(k);
                lkey[i] = batch.lkey(k);
                remoteAddr[i] = batch.remoteAddr(k);
                rkey[i] = batch.rkey(k);
                p++;
            }
            produced.set(p);
            wake();
            return 0;
        }

        /** Wire thread: executes queued requests; returns whether it did anything. */
        boolean drain() {
            long c = consumed.get();
            long p = produced.get();
            if (c == p) {
                return false;
            }
            boolean worked = false;
            while (c < p) {
                int i = (int) (c % depth);
                int op = opcode[i];
                int wcOp = op == IBV_WR_RDMA_READ ? IBV_WC_RDMA_READ : IBV_WC_RDMA_WRITE;
                if (state == IBV_QPS_ERR || state == IBV_QPS_RESET || closed) {
                    if (state == IBV_QPS_RESET) {
                        break; // flushOutstanding handles it
                    }
                    cq.push(wrId[i], IBV_WC_WR_FLUSH_ERR, wcOp, 0, qpNum);
                } else {
                    Device dst = destDevice;
                    if (device.blackhole || (dst != null && dst.blackhole)) {
                        break; // swallowed: stays outstanding until the QP leaves RTS
                    }
                    int st;
                    dma.readLock().lock();
                    try {
                        st = execute(i, dst);
                    } finally {
                        dma.readLock().unlock();
                    }
                    cq.push(wrId[i], st, wcOp, st == IBV_WC_SUCCESS ? length[i] : 0, qpNum);
                    if (st != IBV_WC_SUCCESS) {
                        state = IBV_QPS_ERR;
                    }
                }
                c++;
                consumed.set(c);
                worked = true;
            }
            return worked;
        }

        private int execute(int i, Device dst) {
            if (device.linkDown || dst == null || dst.linkDown) {
                return IBV_WC_RETRY_EXC_ERR;
            }
            Qp peer = dst.qp(destQpNum);
            if (peer == null || peer.destQpNum != qpNum || peer.destDevice != device
                    || (peer.state != IBV_QPS_RTR && peer.state != IBV_QPS_RTS)) {
                return IBV_WC_RETRY_EXC_ERR;
            }
            Mr local = null;
            for (Mr m : device.mrs) {
                if (m.lkey == lkey[i] && m.pd == pd && !m.closed && m.covers(localAddr[i], length[i])) {
                    local = m;
                    break;
                }
            }
            boolean read = opcode[i] == IBV_WR_RDMA_READ;
            if (local == null || (read && (local.access & IBV_ACCESS_LOCAL_WRITE) == 0)) {
                return WC_LOC_PROT_ERR;
            }
            Mr remote = dst.findByRkey(rkey[i]);
            int need = read ? IBV_ACCESS_REMOTE_READ : IBV_ACCESS_REMOTE_WRITE;
            if (remote == null || remote.pd != peer.pd || !remote.covers(remoteAddr[i], length[i])
                    || (remote.access & need) == 0) {
                return IBV_WC_REM_ACCESS_ERR;
            }
            if (read) {
                NativeMemory.copy(remoteAddr[i], localAddr[i], length[i]);
            } else {
                NativeMemory.copy(localAddr[i], remoteAddr[i], length[i]);
            }
            device.executed.incrementAndGet();
            return IBV_WC_SUCCESS;
        }

        private void flushOutstanding() {
            // RESET discards outstanding requests without completions, as hardware does
            consumed.set(produced.get());
        }

        @Override
        public void close() {
            closed = true;
            qps.remove(this);
        }
    }
}

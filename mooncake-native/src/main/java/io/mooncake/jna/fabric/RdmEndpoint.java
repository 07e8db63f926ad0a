package io.mooncake.jna.fabric;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import io.mooncake.jna.verbs.FfiCall;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One libfabric domain with one reliable-datagram ({@code FI_EP_RDM}) endpoint, its address
 * vector ({@code FI_AV_TABLE}) and completion queue: what the reference's efa transport calls a
 * context with a shared endpoint, per device.
 *
 * <p>{@link #open} asks {@code fi_getinfo} with the reference's hints: caps {@code FI_MSG | FI_RMA
 * | FI_READ | FI_WRITE | FI_REMOTE_READ | FI_REMOTE_WRITE} (plus {@code FI_HMEM} when device
 * memory will be registered), mode {@code FI_CONTEXT}, mr_mode {@code FI_MR_LOCAL |
 * FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY} (plus {@code FI_MR_HMEM}), threading
 * {@code FI_THREAD_SAFE}. The provider may need fewer of the mr_mode bits than offered; its answer
 * is {@link Description#mrMode()}, and {@link #remoteAddress} and {@link #register} follow it.
 * Beyond the reference it first asks for {@code FI_DELIVERY_COMPLETE} as the default completion
 * of operations, so that a completed write means the bytes are in the peer's memory; providers
 * that cannot offer it are opened without it ({@link Description#deliveryComplete()}).
 *
 * <p>Every call past {@code fi_fabric} is a header inline in C; here it is a call through the
 * object's ops table at the offsets of {@link FabricAbi}, with the {@link Function} objects looked
 * up once. Thread-safety: the domain is opened {@code FI_THREAD_SAFE}, so {@link #write},
 * {@link #read}, {@link #poll}, {@link #register} and {@link #insert} may be called from any
 * thread; {@link #close} must not race with them.
 */
public final class RdmEndpoint implements AutoCloseable {

    /** The API version the reference asks for: it changes the efa provider's device-RDMA default on p5. */
    public static final int REFERENCE_API_VERSION = FabricAbi.version(1, 18);
    /** The API version of Debian 12's libfabric, the oldest this binding was checked against. */
    public static final int MINIMUM_API_VERSION = FabricAbi.version(1, 17);

    /** Access of a registration that peers may read and write. */
    public static final long ACCESS_REMOTE = FabricAbi.FI_READ | FabricAbi.FI_WRITE | FabricAbi.FI_REMOTE_READ
            | FabricAbi.FI_REMOTE_WRITE;
    /** Access of a registration used only as the local side of operations. */
    public static final long ACCESS_LOCAL = FabricAbi.FI_READ | FabricAbi.FI_WRITE;

    private static final int MR_MODE_OFFERED = FabricAbi.FI_MR_LOCAL | FabricAbi.FI_MR_VIRT_ADDR
            | FabricAbi.FI_MR_ALLOCATED | FabricAbi.FI_MR_PROV_KEY;
    private static final HexFormat HEX = HexFormat.of();
    private static final int SMALL_AV = 256;

    /**
     * What to open.
     *
     * @param provider the provider, e.g. {@code efa}, {@code tcp;ofi_rxm}, {@code shm}
     * @param domain the domain name, e.g. {@code rdmap16s27-rdm} or {@code lo}; {@code null} for
     *        the provider's first
     * @param hmem whether device memory will be registered ({@code FI_HMEM}, {@code FI_MR_HMEM})
     * @param avCount address vector size hint (peers)
     * @param cqSize completion queue size asked for (the provider may choose more)
     */
    public record Hints(String provider, String domain, boolean hmem, int avCount, int cqSize) {

        public Hints {
            if (provider == null || provider.isBlank()) {
                throw new IllegalArgumentException("libfabric provider name must not be empty");
            }
        }

        /** The reference's sizes: 64 Ki AV entries, 4096 CQ entries. */
        public static Hints of(String provider, String domain) {
            return new Hints(provider, domain, false, 65536, 4096);
        }
    }

    /**
     * What was opened.
     *
     * @param provider the provider with its utility layers, e.g. {@code tcp;ofi_rxm}
     * @param fabric the fabric name, e.g. {@code efa} or {@code 127.0.0.1/32}
     * @param domain the domain name
     * @param apiVersion the API version asked for, {@code major << 16 | minor}
     * @param mrMode the mr_mode bits the provider requires
     * @param mode the mode bits the provider requires (e.g. {@code FI_CONTEXT})
     * @param maxMessageSize the largest single operation
     * @param txSize the provider's transmit queue depth
     * @param cqSize the completion queue depth the provider opened
     * @param keySize bytes in a registration key
     * @param sourceAddress the domain's source address ({@code fi_info.src_addr}), the reference's {@code gid}
     * @param deliveryComplete whether a write completes only once its data is in the target's
     *        memory ({@code FI_DELIVERY_COMPLETE}, asked for first); otherwise once it left the
     *        source buffer, which is what the reference's efa transport settles for
     */
    public record Description(String provider, String fabric, String domain, int apiVersion, int mrMode, long mode,
            long maxMessageSize, long txSize, long cqSize, long keySize, byte[] sourceAddress, boolean deliveryComplete) {

        /** The API version as {@code major.minor}. */
        public String api() {
            return (apiVersion >>> 16) + "." + (apiVersion & 0xffff);
        }

        /** Whether remote addresses are virtual addresses ({@code FI_MR_VIRT_ADDR}) rather than offsets. */
        public boolean virtualAddressing() {
            return (mrMode & FabricAbi.FI_MR_VIRT_ADDR) != 0;
        }

        /** Whether the provider chooses registration keys ({@code FI_MR_PROV_KEY}). */
        public boolean providerKeys() {
            return (mrMode & FabricAbi.FI_MR_PROV_KEY) != 0;
        }

        /** {@code sourceAddress} as lowercase hex, as the reference publishes it in {@code devices[].gid}. */
        public String sourceAddressHex() {
            return HEX.formatHex(sourceAddress);
        }

        @Override
        public String toString() {
            return "provider " + provider + ", fabric " + fabric + ", domain " + domain + ", api " + api()
                    + ", mr_mode 0x" + Integer.toHexString(mrMode) + ", tx depth " + txSize + ", cq depth " + cqSize
                    + ", max message " + maxMessageSize + (deliveryComplete ? ", delivery complete" : ", transmit complete");
        }
    }

    /** Receives completions from {@link #poll}; called on the polling thread. */
    public interface Completions {

        /** An operation completed; {@code context} is the value it was posted with. */
        void completed(long context, long length);

        /** An operation failed; {@code text} is the provider's explanation. */
        void failed(long context, int error, int providerError, String text);
    }

    /** A registered region; {@link #close} deregisters it. */
    public final class Registration implements AutoCloseable {

        private final Pointer mr;
        private final long address;
        private final long length;
        private final long key;
        private final long descriptor;
        private boolean closed;

        private Registration(Pointer mr, long address, long length) {
            this.mr = mr;
            this.address = address;
            this.length = length;
            this.key = mr.getLong(FabricAbi.MR_KEY);
            this.descriptor = Pointer.nativeValue(mr.getPointer(FabricAbi.MR_MEM_DESC));
        }

        /** The remote key ({@code fi_mr_key}), 64 bits. */
        public long key() {
            return key;
        }

        /** The local descriptor ({@code fi_mr_desc}) to pass with operations on this memory. */
        public long descriptor() {
            return descriptor;
        }

        public long address() {
            return address;
        }

        public long length() {
            return length;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                closeFid("fi_close(mr)", mr);
            }
        }
    }

    /** Per-thread native buffers for {@link #poll}. Not thread-safe: one per polling thread. */
    public static final class PollBuffer implements AutoCloseable {

        private final Memory entries;
        private final Memory error;
        private final int capacity;
        private final FfiCall.Frame readFrame;
        private final long entriesAddress;
        private final Object[] errArgs;

        public PollBuffer(int capacity) {
            this.capacity = capacity;
            this.entries = new Memory(capacity * FabricAbi.SIZEOF_CQ_DATA_ENTRY);
            this.error = new Memory(FabricAbi.SIZEOF_CQ_ERR_ENTRY);
            this.readFrame = CQ_READ_CALL.frame();
            this.entriesAddress = Pointer.nativeValue(entries);
            this.errArgs = new Object[3];
        }

        @Override
        public void close() {
            entries.close();
            error.close();
        }
    }

    private final LibFabric lib;
    private final Description description;
    private final Pointer info;
    private final Pointer fabric;
    private final Pointer domain;
    private final Pointer av;
    private final Pointer cq;
    private final Pointer ep;
    private final Function writeFn;
    private final Function readFn;
    private final Function cqReadErrFn;
    private final Function cqStrerrorFn;
    private final Function avInsertFn;
    private final Function avRemoveFn;
    private final Function mrRegFn;
    private final byte[] address;
    private final long epAddress;
    private final long cqAddress;
    private final long writeAddress;
    private final long readAddress;
    private final long cqReadAddress;
    private final AtomicLong nextKey = new AtomicLong(1);
    private volatile boolean closed;

    private RdmEndpoint(LibFabric lib, Description description, Pointer info, Pointer fabric, Pointer domain,
            Pointer av, Pointer cq, Pointer ep, byte[] address) {
        this.lib = lib;
        this.description = description;
        this.info = info;
        this.fabric = fabric;
        this.domain = domain;
        this.av = av;
        this.cq = cq;
        this.ep = ep;
        this.address = address;
        Pointer rma = ep.getPointer(FabricAbi.EP_RMA);
        this.writeFn = fn(rma, FabricAbi.OPS_RMA_WRITE, "fi_write");
        this.readFn = fn(rma, FabricAbi.OPS_RMA_READ, "fi_read");
        Pointer cqOps = cq.getPointer(FabricAbi.CQ_OPS);
        fn(cqOps, FabricAbi.OPS_CQ_READ, "fi_cq_read"); // checks the provider implements it
        this.cqReadErrFn = fn(cqOps, FabricAbi.OPS_CQ_READERR, "fi_cq_readerr");
        this.cqStrerrorFn = fn(cqOps, FabricAbi.OPS_CQ_STRERROR, "fi_cq_strerror");
        Pointer avOps = av.getPointer(FabricAbi.AV_OPS);
        this.avInsertFn = fn(avOps, FabricAbi.OPS_AV_INSERT, "fi_av_insert");
        this.avRemoveFn = fn(avOps, FabricAbi.OPS_AV_REMOVE, "fi_av_remove");
        this.mrRegFn = fn(domain.getPointer(FabricAbi.DOMAIN_MR), FabricAbi.OPS_MR_REG, "fi_mr_reg");
        this.epAddress = Pointer.nativeValue(ep);
        this.cqAddress = Pointer.nativeValue(cq);
        this.writeAddress = Pointer.nativeValue(rma.getPointer(FabricAbi.OPS_RMA_WRITE));
        this.readAddress = Pointer.nativeValue(rma.getPointer(FabricAbi.OPS_RMA_READ));
        this.cqReadAddress = Pointer.nativeValue(cqOps.getPointer(FabricAbi.OPS_CQ_READ));
    }

    /**
     * The API version to ask for: the reference's 1.18 when the library offers it, else the
     * library's own.
     *
     * @throws FabricException when the library is older than 1.17
     */
    public static int apiVersion(LibFabric lib) {
        int have = lib.fi_version();
        if (Integer.compareUnsigned(have, MINIMUM_API_VERSION) < 0) {
            throw new FabricException("fi_version", -FabricAbi.FI_ENODATA, "libfabric " + (have >>> 16) + "."
                    + (have & 0xffff) + " is older than 1.17, the oldest API this binding was checked against");
        }
        return Math.min(have, REFERENCE_API_VERSION);
    }

    /**
     * Opens fabric, domain, address vector, completion queue and enabled endpoint.
     *
     * @throws FabricException naming the call that failed; nothing stays open then
     */
    public static RdmEndpoint open(LibFabric lib, Hints hints) {
        // Providers install signal handlers when they open (shm: SIGSEGV, SIGBUS, SIGINT, SIGTERM,
        // to unlink its files on a crash), which would take faults the JVM raises on purpose.
        return SignalHandlerGuard.around("libfabric provider " + hints.provider(), () -> doOpen(lib, hints), null);
    }

    private static RdmEndpoint doOpen(LibFabric lib, Hints hints) {
        int version = apiVersion(lib);
        Pointer info;
        boolean delivery = true;
        try {
            info = getInfo(lib, hints, version, true);
        } catch (FabricException e) {
            if (e.rc() != -FabricAbi.FI_ENODATA) {
                throw e;
            }
            info = getInfo(lib, hints, version, false);
            delivery = false;
        }
        List<Pointer> opened = new ArrayList<>();
        try {
            PointerByReference ref = new PointerByReference();
            check(lib, "fi_fabric", lib.fi_fabric(info.getPointer(FabricAbi.INFO_FABRIC_ATTR), ref, null));
            Pointer fabric = ref.getValue();
            opened.add(fabric);

            Pointer fabricOps = fabric.getPointer(FabricAbi.FABRIC_OPS);
            check(lib, "fi_domain", fn(fabricOps, FabricAbi.OPS_FABRIC_DOMAIN, "fi_domain")
                    .invokeInt(new Object[] {fabric, info, ref, null}));
            Pointer domain = ref.getValue();
            opened.add(domain);
            Pointer domainOps = domain.getPointer(FabricAbi.DOMAIN_OPS);

            Memory avAttr = new Memory(FabricAbi.SIZEOF_AV_ATTR);
            avAttr.clear();
            avAttr.setInt(FabricAbi.AV_ATTR_TYPE, FabricAbi.FI_AV_TABLE);
            avAttr.setLong(FabricAbi.AV_ATTR_COUNT, hints.avCount());
            Function avOpen = fn(domainOps, FabricAbi.OPS_DOMAIN_AV_OPEN, "fi_av_open");
            int avRc = avOpen.invokeInt(new Object[] {domain, avAttr, ref, null});
            if (avRc != 0 && hints.avCount() > SMALL_AV) {
                // The count is a hint, but some providers cap it (shm: 256 peers) and refuse more.
                avAttr.setLong(FabricAbi.AV_ATTR_COUNT, SMALL_AV);
                avRc = avOpen.invokeInt(new Object[] {domain, avAttr, ref, null});
            }
            check(lib, "fi_av_open(count=" + hints.avCount() + ")", avRc);
            Pointer av = ref.getValue();
            opened.add(av);

            Memory cqAttr = new Memory(FabricAbi.SIZEOF_CQ_ATTR);
            cqAttr.clear();
            cqAttr.setLong(FabricAbi.CQ_ATTR_SIZE, hints.cqSize());
            cqAttr.setInt(FabricAbi.CQ_ATTR_FORMAT, FabricAbi.FI_CQ_FORMAT_DATA);
            cqAttr.setInt(FabricAbi.CQ_ATTR_WAIT_OBJ, FabricAbi.FI_WAIT_NONE);
            check(lib, "fi_cq_open", fn(domainOps, FabricAbi.OPS_DOMAIN_CQ_OPEN, "fi_cq_open")
                    .invokeInt(new Object[] {domain, cqAttr, ref, null}));
            Pointer cq = ref.getValue();
            opened.add(cq);
            long cqSize = cqAttr.getLong(FabricAbi.CQ_ATTR_SIZE);

            check(lib, "fi_endpoint", fn(domainOps, FabricAbi.OPS_DOMAIN_ENDPOINT, "fi_endpoint")
                    .invokeInt(new Object[] {domain, info, ref, null}));
            Pointer ep = ref.getValue();
            opened.add(ep);
            Pointer epFidOps = ep.getPointer(FabricAbi.FID_OPS);
            Function bind = fn(epFidOps, FabricAbi.OPS_BIND, "fi_ep_bind");
            check(lib, "fi_ep_bind(av)", bind.invokeInt(new Object[] {ep, av, 0L}));
            check(lib, "fi_ep_bind(cq)", bind.invokeInt(new Object[] {ep, cq,
                    (long) (FabricAbi.FI_TRANSMIT | FabricAbi.FI_RECV)}));
            check(lib, "fi_enable", fn(epFidOps, FabricAbi.OPS_CONTROL, "fi_enable")
                    .invokeInt(new Object[] {ep, FabricAbi.FI_ENABLE, null}));

            byte[] address = getName(lib, ep);
            Description d = describe(info, version, cqSize, delivery);
            return new RdmEndpoint(lib, d, info, fabric, domain, av, cq, ep, address);
        } catch (RuntimeException e) {
            for (int i = opened.size() - 1; i >= 0; i--) {
                try {
                    closeFid(lib, "fi_close", opened.get(i));
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            lib.fi_freeinfo(info);
            throw e;
        }
    }

    /** What was opened: provider, fabric, domain, mr_mode, depths, source address. */
    public Description description() {
        return description;
    }

    /** This endpoint's address ({@code fi_getname}), what peers insert into their address vector. */
    public byte[] address() {
        return address.clone();
    }

    /** {@link #address()} as lowercase hex, the reference's handshake {@code efa_addr}. */
    public String addressHex() {
        return HEX.formatHex(address);
    }

    /**
     * Inserts a peer's endpoint address ({@code fi_av_insert}).
     *
     * @return the peer's {@code fi_addr_t} for {@link #write} and {@link #read}
     * @throws FabricException when the provider rejects the address
     */
    public long insert(byte[] peerAddress) {
        Memory addr = new Memory(Math.max(1, peerAddress.length));
        addr.write(0, peerAddress, 0, peerAddress.length);
        Memory out = new Memory(8);
        out.setLong(0, -1L);
        int n = avInsertFn.invokeInt(new Object[] {av, addr, 1L, out, 0L, null});
        if (n != 1) {
            throw new FabricException("fi_av_insert(" + HEX.formatHex(peerAddress) + ")", n < 0 ? n
                    : -FabricAbi.FI_ENODATA, n < 0 ? lib.fi_strerror(-n) : "inserted " + n + " of 1 addresses");
        }
        return out.getLong(0);
    }

    /** Removes a peer inserted by {@link #insert} ({@code fi_av_remove}). */
    public void remove(long fiAddr) {
        Memory addr = new Memory(8);
        addr.setLong(0, fiAddr);
        check(lib, "fi_av_remove", avRemoveFn.invokeInt(new Object[] {av, addr, 1L, 0L}));
    }

    /**
     * Registers memory ({@code fi_mr_reg}).
     *
     * @param access {@link #ACCESS_REMOTE} or {@link #ACCESS_LOCAL}
     * @throws FabricException naming the region when the provider refuses
     */
    public Registration register(long address, long length, long access) {
        PointerByReference mr = new PointerByReference();
        long requestedKey = description.providerKeys() ? 0L : nextKey.getAndIncrement();
        int rc = mrRegFn.invokeInt(new Object[] {domain, address, length, access, 0L, requestedKey, 0L, mr, null});
        if (rc != 0) {
            throw new FabricException("fi_mr_reg(addr=0x" + Long.toHexString(address) + ", len=" + length + ")", rc,
                    lib.fi_strerror(-rc));
        }
        return new Registration(mr.getValue(), address, length);
    }

    /**
     * The address to name in an operation on a peer's registration: the virtual address itself
     * under {@code FI_MR_VIRT_ADDR}, else its offset from the registration's start.
     */
    public long remoteAddress(long target, long registrationStart) {
        return description.virtualAddressing() ? target : target - registrationStart;
    }

    /**
     * Posts an RMA write ({@code fi_write}): {@code length} bytes from local {@code source} to the
     * peer's {@code remote} under {@code key}. Does not block.
     *
     * @return 0 when posted, {@code -FI_EAGAIN} when the queue is full (poll, then retry), or another negative error
     */
    public long write(long source, long length, long descriptor, long peer, long remote, long key, long context) {
        return writeFn.invokeLong(new Object[] {ep, source, length, descriptor, peer, remote, key, context});
    }

    /** Posts an RMA read ({@code fi_read}) into local {@code target}; returns as {@link #write}. */
    public long read(long target, long length, long descriptor, long peer, long remote, long key, long context) {
        return readFn.invokeLong(new Object[] {ep, target, length, descriptor, peer, remote, key, context});
    }

    /** The signature of {@code fi_write} and {@code fi_read}: eight 64-bit arguments (pointers, sizes, keys). */
    private static final FfiCall RMA_CALL = FfiCall.returningInt(FfiCall.Type.POINTER, FfiCall.Type.POINTER,
            FfiCall.Type.POINTER, FfiCall.Type.POINTER, FfiCall.Type.POINTER, FfiCall.Type.POINTER,
            FfiCall.Type.POINTER, FfiCall.Type.POINTER);
    /** The signature of {@code fi_cq_read}: cq, buffer, count. */
    private static final FfiCall CQ_READ_CALL = FfiCall.returningInt(FfiCall.Type.POINTER, FfiCall.Type.POINTER,
            FfiCall.Type.POINTER);

    /** Argument storage for {@link #post}, one per posting thread (or per lock that serialises posting). */
    public static FfiCall.Frame postFrame() {
        return RMA_CALL.frame();
    }

    /**
     * {@link #write} or {@link #read} without allocating: the arguments go into {@code frame}'s
     * native memory and the call goes through libffi ({@link FfiCall}); the return value is the
     * {@code ssize_t} of the provider, which is 0 or a negative error and so fits an {@code int}.
     */
    public long post(FfiCall.Frame frame, boolean write, long local, long length, long descriptor, long peer,
            long remote, long key, long context) {
        frame.arg(0, epAddress).arg(1, local).arg(2, length).arg(3, descriptor).arg(4, peer).arg(5, remote)
                .arg(6, key).arg(7, context);
        return frame.call(write ? writeAddress : readAddress);
    }

    /**
     * Reads up to the buffer's capacity of completions ({@code fi_cq_read}, and
     * {@code fi_cq_readerr} for a failed one) and hands each to {@code sink}. On providers with
     * manual progress (tcp, shm) this call also makes the progress: some thread must poll.
     *
     * @return how many completions (successful or failed) were handed over
     */
    public int poll(PollBuffer buffer, Completions sink) {
        long n = buffer.readFrame.arg(0, cqAddress).arg(1, buffer.entriesAddress).arg(2, buffer.capacity)
                .call(cqReadAddress);
        if (n > 0) {
            Memory e = buffer.entries;
            for (int i = 0; i < n; i++) {
                long off = i * FabricAbi.SIZEOF_CQ_DATA_ENTRY;
                sink.completed(e.getLong(off + FabricAbi.CQ_ENTRY_OP_CONTEXT), e.getLong(off + FabricAbi.CQ_ENTRY_LEN));
            }
            return (int) n;
        }
        if (n == -FabricAbi.FI_EAGAIN) {
            return 0;
        }
        if (n == -FabricAbi.FI_EAVAIL) {
            Memory err = buffer.error;
            err.clear();
            Object[] ea = buffer.errArgs;
            ea[0] = cq;
            ea[1] = err;
            ea[2] = 0L;
            long r = cqReadErrFn.invokeLong(ea);
            if (r <= 0) {
                return 0;
            }
            int error = err.getInt(FabricAbi.CQ_ERR_ERR);
            int provErr = err.getInt(FabricAbi.CQ_ERR_PROV_ERRNO);
            sink.failed(err.getLong(FabricAbi.CQ_ERR_OP_CONTEXT), error, provErr, errorText(err, error, provErr));
            return 1;
        }
        throw new FabricException("fi_cq_read", (int) n, lib.fi_strerror((int) -n));
    }

    private String errorText(Memory err, int error, int provErr) {
        String text = lib.fi_strerror(error);
        try {
            Pointer s = (Pointer) cqStrerrorFn.invoke(Pointer.class, new Object[] {cq, provErr,
                    err.getPointer(FabricAbi.CQ_ERR_ERR_DATA), null, 0L});
            if (s != null) {
                String prov = s.getString(0, StandardCharsets.UTF_8.name());
                if (!prov.isEmpty() && !prov.equals(text)) {
                    text = text + " (" + prov + ")";
                }
            }
        } catch (RuntimeException ignored) {
            // the provider's text is a nicety; fi_strerror already says what happened
        }
        return text;
    }

    /** {@code fi_strerror} of a negative or positive libfabric error. */
    public String strerror(long rc) {
        return lib.fi_strerror((int) Math.abs(rc));
    }

    /** Closes endpoint, completion queue, address vector, domain and fabric; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        for (Pointer fid : new Pointer[] {ep, cq, av, domain, fabric}) {
            try {
                closeFid(lib, "fi_close", fid);
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        lib.fi_freeinfo(info);
        if (first != null) {
            throw first;
        }
    }

    private void closeFid(String call, Pointer fid) {
        closeFid(lib, call, fid);
    }

    private static void closeFid(LibFabric lib, String call, Pointer fid) {
        check(lib, call, fn(fid.getPointer(FabricAbi.FID_OPS), FabricAbi.OPS_CLOSE, call).invokeInt(new Object[] {fid}));
    }

    private static Pointer getInfo(LibFabric lib, Hints hints, int version, boolean deliveryComplete) {
        Pointer h = lib.fi_dupinfo(null);
        if (h == null) {
            throw new FabricException("fi_allocinfo", -12, "out of memory");
        }
        Memory prov = cString(hints.provider());
        Memory dom = hints.domain() == null ? null : cString(hints.domain());
        Pointer fa = h.getPointer(FabricAbi.INFO_FABRIC_ATTR);
        Pointer da = h.getPointer(FabricAbi.INFO_DOMAIN_ATTR);
        PointerByReference result = new PointerByReference();
        int rc;
        try {
            long caps = FabricAbi.FI_MSG | FabricAbi.FI_RMA | FabricAbi.FI_READ | FabricAbi.FI_WRITE
                    | FabricAbi.FI_REMOTE_READ | FabricAbi.FI_REMOTE_WRITE | (hints.hmem() ? FabricAbi.FI_HMEM : 0L);
            h.setLong(FabricAbi.INFO_CAPS, caps);
            h.setLong(FabricAbi.INFO_MODE, FabricAbi.FI_CONTEXT);
            h.getPointer(FabricAbi.INFO_EP_ATTR).setInt(FabricAbi.EP_ATTR_TYPE, FabricAbi.FI_EP_RDM);
            if (deliveryComplete) {
                h.getPointer(FabricAbi.INFO_TX_ATTR).setLong(FabricAbi.TX_ATTR_OP_FLAGS, FabricAbi.FI_DELIVERY_COMPLETE);
            }
            fa.setPointer(FabricAbi.FABRIC_ATTR_PROV_NAME, prov);
            da.setPointer(FabricAbi.DOMAIN_ATTR_NAME, dom);
            da.setInt(FabricAbi.DOMAIN_ATTR_MR_MODE, MR_MODE_OFFERED | (hints.hmem() ? FabricAbi.FI_MR_HMEM : 0));
            da.setInt(FabricAbi.DOMAIN_ATTR_THREADING, FabricAbi.FI_THREAD_SAFE);
            rc = lib.fi_getinfo(version, null, null, 0L, h, result);
        } finally {
            // The names are Java-owned memory: detach them so fi_freeinfo does not free them.
            fa.setPointer(FabricAbi.FABRIC_ATTR_PROV_NAME, null);
            da.setPointer(FabricAbi.DOMAIN_ATTR_NAME, null);
            lib.fi_freeinfo(h);
        }
        if (rc != 0) {
            throw new FabricException("fi_getinfo(provider=" + hints.provider() + (hints.domain() == null ? ""
                    : ", domain=" + hints.domain()) + ", FI_EP_RDM, RMA, api " + (version >>> 16) + "."
                    + (version & 0xffff) + ")", rc, lib.fi_strerror(-rc));
        }
        // Keep one entry: the first whose domain is the one asked for (utility providers such as
        // ofi_rxm do not filter on the domain name themselves), else the provider's first.
        List<Pointer> entries = new ArrayList<>();
        for (Pointer p = result.getValue(); p != null; p = p.getPointer(FabricAbi.INFO_NEXT)) {
            entries.add(p);
        }
        Pointer chosen = null;
        for (Pointer p : entries) {
            if (hints.domain() == null || hints.domain().equals(string(p.getPointer(FabricAbi.INFO_DOMAIN_ATTR),
                    FabricAbi.DOMAIN_ATTR_NAME))) {
                chosen = p;
                break;
            }
        }
        List<String> offered = new ArrayList<>();
        for (Pointer p : entries) {
            offered.add(string(p.getPointer(FabricAbi.INFO_DOMAIN_ATTR), FabricAbi.DOMAIN_ATTR_NAME));
            p.setPointer(FabricAbi.INFO_NEXT, null);
            if (p != chosen) {
                lib.fi_freeinfo(p);
            }
        }
        if (chosen == null) {
            throw new FabricException("fi_getinfo(provider=" + hints.provider() + ", domain=" + hints.domain() + ")",
                    -FabricAbi.FI_ENODATA, "no such domain; the provider offers " + offered.stream().distinct().toList());
        }
        return chosen;
    }

    private static Description describe(Pointer info, int version, long cqSize, boolean delivery) {
        Pointer fa = info.getPointer(FabricAbi.INFO_FABRIC_ATTR);
        Pointer da = info.getPointer(FabricAbi.INFO_DOMAIN_ATTR);
        Pointer ea = info.getPointer(FabricAbi.INFO_EP_ATTR);
        Pointer ta = info.getPointer(FabricAbi.INFO_TX_ATTR);
        long srcLen = info.getLong(FabricAbi.INFO_SRC_ADDRLEN);
        Pointer src = info.getPointer(FabricAbi.INFO_SRC_ADDR);
        byte[] source = src == null || srcLen <= 0 ? new byte[0] : src.getByteArray(0, (int) srcLen);
        return new Description(string(fa, FabricAbi.FABRIC_ATTR_PROV_NAME), string(fa, FabricAbi.FABRIC_ATTR_NAME),
                string(da, FabricAbi.DOMAIN_ATTR_NAME), version, da.getInt(FabricAbi.DOMAIN_ATTR_MR_MODE),
                info.getLong(FabricAbi.INFO_MODE), ea.getLong(FabricAbi.EP_ATTR_MAX_MSG_SIZE),
                ta.getLong(FabricAbi.TX_ATTR_SIZE), cqSize, da.getLong(FabricAbi.DOMAIN_ATTR_MR_KEY_SIZE), source,
                delivery && (ta.getLong(FabricAbi.TX_ATTR_OP_FLAGS) & FabricAbi.FI_DELIVERY_COMPLETE) != 0);
    }

    private static byte[] getName(LibFabric lib, Pointer ep) {
        Function getname = fn(ep.getPointer(FabricAbi.EP_CM), FabricAbi.OPS_CM_GETNAME, "fi_getname");
        Memory len = new Memory(8);
        len.setLong(0, 64);
        Memory buf = new Memory(64);
        int rc = getname.invokeInt(new Object[] {ep, buf, len});
        if (rc == -FabricAbi.FI_ETOOSMALL) {
            buf = new Memory(len.getLong(0));
            rc = getname.invokeInt(new Object[] {ep, buf, len});
        }
        check(lib, "fi_getname", rc);
        return buf.getByteArray(0, (int) len.getLong(0));
    }

    private static Function fn(Pointer ops, long slot, String call) {
        if (ops == null) {
            throw new FabricException(call, -FabricAbi.FI_ENODATA, "the provider has no ops table for it");
        }
        Pointer f = ops.getPointer(slot);
        if (f == null) {
            throw new FabricException(call, -FabricAbi.FI_ENODATA, "the provider does not implement it");
        }
        return Function.getFunction(f);
    }

    private static void check(LibFabric lib, String call, int rc) {
        if (rc != 0) {
            throw new FabricException(call, rc, lib.fi_strerror(-rc));
        }
    }

    private static Memory cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        Memory m = new Memory(b.length + 1L);
        m.write(0, b, 0, b.length);
        m.setByte(b.length, (byte) 0);
        return m;
    }

    private static String string(Pointer struct, long offset) {
        if (struct == null) {
            return "";
        }
        Pointer s = struct.getPointer(offset);
        return s == null ? "" : s.getString(0, StandardCharsets.UTF_8.name());
    }
}

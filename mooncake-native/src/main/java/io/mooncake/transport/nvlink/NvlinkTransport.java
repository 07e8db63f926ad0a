package io.mooncake.transport.nvlink;

import io.mooncake.device.cuda.CudaCopier;
import io.mooncake.device.cuda.CudaLocations;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.transport.HostIdentity;
import io.mooncake.engine.transport.Reach;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.jna.cuda.Cuda;
import io.mooncake.jna.cuda.CudaAbi;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The nvlink transport (multi-node NVLink, MNNVL): GPU memory allocated with CUDA virtual memory
 * management ({@link VmmAllocator}, offered to the engine for {@code cuda:N}) and shared by
 * exported handles published in each buffer's {@code shm_name} as uppercase hex, as the reference
 * does; peers import and map each allocation once ({@link VmmImports}) and copy device to device
 * with {@code cuMemcpyAsync} on a stream pool.
 *
 * <p>Handles: {@link VmmHandle.Kind#FABRIC} where the GPUs support fabric handles (an NVLink
 * domain: GB200 NVL72 and the like; {@code MC_FORCE_MNNVL}), readable by every process of the
 * domain and by reference nodes. Elsewhere (one host, fabric state N/A)
 * {@link VmmHandle.Kind#POSIX_FD}: the same VMM path with file-descriptor handles, taken from the
 * owner with {@code pidfd_getfd}, so the code runs on single-GPU machines; peers on other hosts
 * are then unreachable, and the reason names what is missing.
 *
 * <p>Memory the caller allocated itself (not through {@code allocateBuffer(..., "cuda:N")}) has no
 * exported handle: it is published without one and peers reach it over another transport.
 */
final class NvlinkTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(NvlinkTransport.class);
    static final String PROTOCOL = "nvlink";
    static final String BASE = "cuda_base";
    static final String SIZE = "cuda_alloc_size";
    static final String HANDLE_TYPE = "nvlink_handle_type";
    static final String BOOT_ID = "nvlink_boot_id";
    static final String JAVA_PROCESS = "java_process";
    private static final int SLICE = Integer.getInteger("mooncake.nvlink.sliceBytes", 16 << 20);

    private final TransportContext context;
    private final Cuda cuda;
    private final int devices;
    private final VmmHandle.Kind kind;
    private final String noFabric;
    private final String bootId = HostIdentity.bootId();
    private final String jvm = HostIdentity.jvmId() + "/";
    private final CudaCopier copier;
    private final VmmImports imports;
    private final LongAdder unexported = new LongAdder();
    private final LongAdder refusedHandles = new LongAdder();

    record Published(String handle, long base, long size) {
    }

    /**
     * @param noFabric why there is no fabric (what is missing), or {@code null} in fabric mode
     */
    NvlinkTransport(TransportContext context, Cuda cuda, int devices, VmmHandle.Kind kind, String noFabric,
            int streams, VmmImports.FdSource fds) {
        this.context = context;
        this.cuda = cuda;
        this.devices = devices;
        this.kind = kind;
        this.noFabric = noFabric;
        this.copier = new CudaCopier(cuda, "mooncake-nvlink", streams);
        this.imports = new VmmImports(cuda, fds);
    }

    @Override
    public String protocol() {
        return PROTOCOL;
    }

    @Override
    public void start() {
        context.offerAllocator(new VmmAllocator(cuda, kind, devices));
        if (kind == VmmHandle.Kind.FABRIC) {
            log.info("nvlink: multi-node NVLink with fabric handles on {} GPU(s)", devices);
        } else {
            log.warn("nvlink: no multi-node NVLink fabric ({}); sharing GPU memory between processes of this host "
                    + "only, with POSIX file-descriptor handles", noFabric);
        }
    }

    @Override
    public boolean takesDeviceMemory() {
        return true;
    }

    static int ordinalOf(String location) {
        return CudaLocations.ordinalOf(location);
    }

    @Override
    public void registered(Region region) {
        if (!region.remoteAccessible() || region.kind() != MemoryKind.DEVICE || ordinalOf(region.location()) < 0) {
            return;
        }
        if (region.owner() instanceof VmmAllocator.Vmm v) {
            region.attach(PROTOCOL, new Published(v.exported.hex(), v.address, v.size));
        } else {
            unexported.increment();
            log.warn("{} was not allocated by the engine for nvlink (allocateBuffer(length, \"{}\")), so it has no "
                    + "exportable handle; peers reach it over another transport", region, region.location());
        }
    }

    @Override
    public void unregistered(Region region) {
        region.attach(PROTOCOL, null);
    }

    @Override
    public SegmentDescriptor describe(SegmentDescriptor base) {
        List<BufferDescriptor> buffers = new ArrayList<>(base.buffers().size());
        JsonNodeFactory f = JsonNodeFactory.instance;
        for (BufferDescriptor b : base.buffers()) {
            Region r = context.memory().find(b.addr(), b.length());
            Object a = r == null ? null : r.attachment(PROTOCOL);
            if (a instanceof Published p) {
                Map<String, JsonNode> extra = new HashMap<>(b.extra());
                extra.put(BASE, f.numberNode(p.base()));
                extra.put(SIZE, f.numberNode(p.size()));
                buffers.add(new BufferDescriptor(r.location(), b.addr(), b.length(), b.rkey(), b.lkey(), p.handle(),
                        b.offset(), extra));
            } else {
                buffers.add(b);
            }
        }
        Map<String, JsonNode> extra = new HashMap<>(base.extra());
        extra.put(BOOT_ID, f.stringNode(bootId));
        extra.put(HANDLE_TYPE, f.stringNode(kind.wire));
        return new SegmentDescriptor(base.name(), base.protocol(), base.tcpDataPort(), base.tcpProtoVersion(),
                base.timestamp(), buffers, base.devices(), base.priorityMatrix(), extra);
    }

    private boolean sameProcess(RemoteTarget target) {
        if (target.id() == 0) {
            return true;
        }
        JsonNode p = target.descriptor().extra().get(JAVA_PROCESS);
        return p != null && p.asString("").startsWith(jvm);
    }

    @Override
    public Reach reach(RemoteTarget target) {
        if (sameProcess(target)) {
            return Reach.of(Reach.SAME_HOST, "same process: device copies with cuMemcpyAsync");
        }
        Map<String, JsonNode> extra = target.descriptor().extra();
        JsonNode type = extra.get(HANDLE_TYPE);
        JsonNode boot = extra.get(BOOT_ID);
        boolean sameHost = boot != null && bootId.equals(boot.asString(""));
        String peerKind = type == null ? (PROTOCOL.equals(target.descriptor().protocol()) ? "fabric" : null)
                : type.asString("");
        if (peerKind == null) {
            return Reach.none("peer publishes no nvlink handles (protocol '" + target.descriptor().protocol() + "')");
        }
        if (VmmHandle.Kind.POSIX_FD.wire.equals(peerKind)) {
            return sameHost ? Reach.of(Reach.SAME_HOST, "same host: VMM memory shared by file descriptor")
                    : Reach.none("peer shares GPU memory by file descriptor (it has no multi-node NVLink fabric), "
                            + "which reaches processes of its own host only");
        }
        if (kind != VmmHandle.Kind.FABRIC) {
            return Reach.none("peer shares GPU memory through a multi-node NVLink fabric and this node has none: "
                    + noFabric);
        }
        return Reach.of(sameHost ? Reach.SAME_HOST : Reach.FABRIC, "multi-node NVLink: fabric handles");
    }

    @Override
    public String unsupported(TransferTask task) {
        String notCuda = CudaLocations.notCudaLocal(task);
        if (notCuda != null) {
            return notCuda;
        }
        if (sameProcess(task.target())) {
            return null;
        }
        BufferDescriptor b = task.remoteBuffer();
        String h = b == null ? null : b.shmName();
        if (h == null || h.length() != 2 * CudaAbi.FABRIC_HANDLE_BYTES) {
            return "the peer published this buffer without an nvlink handle (host memory, or device memory it did "
                    + "not allocate for nvlink)";
        }
        return null;
    }

    @Override
    public int sliceSize(RemoteTarget target) {
        return SLICE;
    }

    @Override
    public void submit(TransferTask task) {
        int ordinal = CudaLocations.ordinalFor(task, devices);
        int count = task.sliceCount();
        long remoteStart;
        VmmImports.Mapping m = null;
        if (sameProcess(task.target())) {
            remoteStart = task.targetAddress();
        } else {
            BufferDescriptor b = task.remoteBuffer();
            JsonNode base = b.extra().get(BASE);
            JsonNode size = b.extra().get(SIZE);
            long allocBase = base == null ? b.addr() : base.asLong();
            try {
                m = imports.acquire(task.target().segmentName(), b.shmName(), ordinal,
                        size == null ? b.length() + (b.addr() - allocBase) : size.asLong());
            } catch (MooncakeException | IllegalArgumentException e) {
                refusedHandles.increment();
                String why = "cannot import the nvlink handle of '" + task.target().segmentName() + "': "
                        + e.getMessage();
                for (int k = 0; k < count; k++) {
                    task.sliceFailed(FailureKind.NO_TRANSPORT, why);
                }
                return;
            }
            remoteStart = m.base + (task.targetAddress() - allocBase);
        }
        boolean write = task.opCode() == OpCode.WRITE;
        try {
            for (int k = 0; k < count; k++) {
                long off = task.sliceOffset(k);
                int len = task.sliceLength(k);
                if (m != null && !m.acquire()) {
                    task.sliceFailed(FailureKind.CONNECTION, "the mapping of '" + task.target().segmentName()
                            + "' was closed (peer invalidated)");
                    continue;
                }
                long local = task.source() + off;
                long remote = remoteStart + off;
                if (write) {
                    copier.copy(task, ordinal, remote, local, len, m);
                } else {
                    copier.copy(task, ordinal, local, remote, len, m);
                }
            }
        } finally {
            if (m != null) {
                m.release();
            }
        }
    }

    @Override
    public void peerInvalidated(String segmentName) {
        imports.invalidate(segmentName);
    }

    @Override
    public Map<String, Object> stats() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("gpus", devices);
        s.put("handles", kind.wire);
        if (noFabric != null) {
            s.put("noFabric", noFabric);
        }
        s.put("streams", copier.streams());
        s.put("importedAllocations", imports.size());
        s.put("regionsWithoutHandle", unexported.sum());
        s.put("refusedHandles", refusedHandles.sum());
        return s;
    }

    @Override
    public void close() {
        copier.close();
        imports.close();
    }
}

package io.mooncake.transport.nvlinkintra;

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
 * The nvlink_intra transport: GPU memory of processes on one host, copied device to device over
 * NVLink (or PCIe peer-to-peer, or within one GPU) with CUDA IPC, as the reference's intra-node
 * NVLink transport.
 *
 * <p>Registration: each remote-accessible {@code cuda:N} region gets the CUDA IPC handle
 * ({@code cuIpcGetMemHandle}) of its allocation's base, published in the buffer's {@code shm_name}
 * as 128 uppercase hex digits exactly as the reference does, with {@code name} = the location.
 * Java nodes also publish {@code cuda_base} (the allocation base, so a buffer registered inside an
 * allocation is addressed right; without it the buffer's {@code addr} is taken as the base, as the
 * reference does) and {@code nvlink_boot_id} (the host). Memory the driver cannot export (VMM
 * allocations) is published without a handle and peers reach it over another transport.
 *
 * <p>Requests: the peer's handle is opened once per (peer, allocation, local device) and cached
 * ({@link IpcMappings}; closed when the peer is invalidated and no copy uses it), and each slice
 * is one {@code cuMemcpyAsync} on a stream of a small pool ({@link CudaCopier}), so the copy engines
 * run several at once. Local memory may be {@code cuda:N} or host memory (the driver copies
 * host memory through its own staging). The target process takes no part.
 */
final class NvlinkIntraTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(NvlinkIntraTransport.class);
    static final String PROTOCOL = "nvlink_intra";
    static final String BASE = "cuda_base";
    static final String BOOT_ID = "nvlink_boot_id";
    static final String JAVA_PROCESS = "java_process";
    private static final int SLICE = Integer.getInteger("mooncake.nvlink.sliceBytes", 16 << 20);

    private final TransportContext context;
    private final Cuda cuda;
    private final int devices;
    private final String bootId = HostIdentity.bootId();
    private final String jvm = HostIdentity.jvmId() + "/";
    private final CudaCopier copier;
    private final IpcMappings mappings;
    private final LongAdder unexported = new LongAdder();
    private final LongAdder refusedHandles = new LongAdder();

    /** What a registered region publishes. */
    record Published(String handle, long base, int ordinal) {
    }

    NvlinkIntraTransport(TransportContext context, Cuda cuda, int devices, int streams) {
        this.context = context;
        this.cuda = cuda;
        this.devices = devices;
        this.copier = new CudaCopier(cuda, "mooncake-nvlink-intra", streams);
        this.mappings = new IpcMappings(cuda);
    }

    @Override
    public String protocol() {
        return PROTOCOL;
    }

    @Override
    public void start() {
        log.info("nvlink_intra: CUDA IPC on {} GPU(s), {} copy streams per GPU", devices, copier.streams());
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
        int ordinal = ordinalOf(region.location());
        if (!region.remoteAccessible() || region.kind() != MemoryKind.DEVICE || ordinal < 0) {
            return;
        }
        try {
            Cuda.PointerInfo p = cuda.pointer(region.address());
            long base = p.rangeSize() > 0 ? p.rangeStart() : region.address();
            byte[] handle = cuda.ipcHandle(ordinal, base);
            region.attach(PROTOCOL, new Published(Cuda.toHex(handle), base, ordinal));
        } catch (MooncakeException e) {
            unexported.increment();
            log.warn("{} gets no CUDA IPC handle ({}); peers reach it over another transport", region,
                    e.getMessage());
        }
    }

    @Override
    public void unregistered(Region region) {
        region.attach(PROTOCOL, null);
    }

    @Override
    public SegmentDescriptor describe(SegmentDescriptor base) {
        List<BufferDescriptor> buffers = new ArrayList<>(base.buffers().size());
        for (BufferDescriptor b : base.buffers()) {
            Region r = context.memory().find(b.addr(), b.length());
            Object a = r == null ? null : r.attachment(PROTOCOL);
            if (a instanceof Published p) {
                Map<String, JsonNode> extra = new HashMap<>(b.extra());
                extra.put(BASE, JsonNodeFactory.instance.numberNode(p.base()));
                buffers.add(new BufferDescriptor(r.location(), b.addr(), b.length(), b.rkey(), b.lkey(), p.handle(),
                        b.offset(), extra));
            } else {
                buffers.add(b);
            }
        }
        Map<String, JsonNode> extra = new HashMap<>(base.extra());
        extra.put(BOOT_ID, JsonNodeFactory.instance.stringNode(bootId));
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
        JsonNode boot = target.descriptor().extra().get(BOOT_ID);
        if (boot != null) {
            return bootId.equals(boot.asString(""))
                    ? Reach.of(Reach.SAME_HOST, "same host: CUDA IPC handles, device-to-device copies")
                    : Reach.none("peer is on another host (CUDA IPC reaches processes of one host only)");
        }
        if (PROTOCOL.equals(target.descriptor().protocol())) {
            return Reach.of(Reach.SAME_HOST, "peer publishes nvlink_intra (a reference node: taken to be on this "
                    + "host, as the reference does)");
        }
        return Reach.none("peer publishes no CUDA IPC handles (protocol '" + target.descriptor().protocol() + "')");
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
        if (h == null || h.length() != 2 * CudaAbi.IPC_HANDLE_BYTES) {
            return "the peer published this buffer without a CUDA IPC handle (host memory, or memory CUDA cannot "
                    + "export)";
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
        IpcMappings.Mapping m = null;
        if (sameProcess(task.target())) {
            remoteStart = task.targetAddress();
        } else {
            BufferDescriptor b = task.remoteBuffer();
            try {
                m = mappings.acquire(task.target().segmentName(), b.shmName(), ordinal);
            } catch (MooncakeException | IllegalArgumentException e) {
                refusedHandles.increment();
                String why = "cannot open the CUDA IPC handle of '" + task.target().segmentName() + "': "
                        + e.getMessage();
                for (int k = 0; k < count; k++) {
                    task.sliceFailed(FailureKind.NO_TRANSPORT, why);
                }
                return;
            }
            JsonNode base = b.extra().get(BASE);
            long allocBase = base == null ? b.addr() : base.asLong();
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
        mappings.invalidate(segmentName);
    }

    @Override
    public Map<String, Object> stats() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("gpus", devices);
        s.put("streams", copier.streams());
        s.put("openIpcMappings", mappings.size());
        s.put("regionsWithoutHandle", unexported.sum());
        s.put("refusedHandles", refusedHandles.sum());
        return s;
    }

    @Override
    public void close() {
        copier.close();
        mappings.close();
    }
}

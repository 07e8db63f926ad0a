package io.mooncake.device.cuda;

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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * What the CUDA transports (nvlink, nvlink_intra) share: each remote-accessible {@code cuda:N}
 * region publishes a handle of its allocation in the buffer's {@code shm_name} (hex) and the
 * allocation base in {@code cuda_base}; the segment publishes {@code nvlink_boot_id}. A request
 * maps the peer's allocation once ({@link PeerMappings}, held by each slice's copy) and copies each
 * slice with {@code cuMemcpyAsync} on a stream pool ({@link CudaCopier}); a peer in this process is
 * copied from directly. The subclass says how regions get a handle, which peers it reaches, and
 * how handles are opened. Thread-safe.
 */
public abstract class CudaPeerTransport implements Transport {

    /** Buffer field: the allocation's base, where the published handle starts. */
    public static final String BASE = "cuda_base";
    /** Segment field: the host's boot id. */
    public static final String BOOT_ID = "nvlink_boot_id";
    /** Segment field a Java node publishes: its JVM, so a peer in the same process is known. */
    public static final String JAVA_PROCESS = "java_process";
    private static final int SLICE = Integer.getInteger("mooncake.nvlink.sliceBytes", 16 << 20);

    /**
     * What tells one CUDA transport from the other in what is shared.
     *
     * @param protocol the protocol name
     * @param threads the copy threads' name prefix
     * @param handleBytes the length of a published handle (bytes; published as twice as many hex digits)
     * @param noHandle why a peer buffer without such a handle cannot be copied
     * @param refused what failed when a peer handle cannot be opened ("cannot ... the ... handle")
     * @param openStat the stats key of the number of peer mappings open
     */
    public record Profile(String protocol, String threads, int handleBytes, String noHandle, String refused,
            String openStat) {
    }

    /** What a registered region publishes: its handle, its allocation's base and size (0: unknown). */
    public record Published(String handle, long base, long size) {
    }

    private final Profile profile;
    protected final TransportContext context;
    protected final Cuda cuda;
    protected final int devices;
    protected final String bootId = HostIdentity.bootId();
    private final String jvm = HostIdentity.jvmId() + "/";
    protected final CudaCopier copier;
    private final PeerMappings<?> mappings;
    private final LongAdder unexported = new LongAdder();
    private final LongAdder refusedHandles = new LongAdder();

    protected CudaPeerTransport(Profile profile, TransportContext context, Cuda cuda, int devices, int streams,
            PeerMappings<?> mappings) {
        this.profile = profile;
        this.context = context;
        this.cuda = cuda;
        this.devices = devices;
        this.copier = new CudaCopier(cuda, profile.threads(), streams);
        this.mappings = mappings;
    }

    @Override
    public final String protocol() {
        return profile.protocol();
    }

    @Override
    public final boolean takesDeviceMemory() {
        return true;
    }

    @Override
    public final void registered(Region region) {
        int ordinal = CudaLocations.ordinalOf(region.location());
        if (!region.remoteAccessible() || region.kind() != MemoryKind.DEVICE || ordinal < 0) {
            return;
        }
        Published p = publish(region, ordinal);
        if (p != null) {
            region.attach(protocol(), p);
        } else {
            unexported.increment();
        }
    }

    /**
     * The handle a remote-accessible {@code cuda:N} region publishes, or {@code null} (logged: why
     * it has none; peers reach it over another transport).
     */
    protected abstract Published publish(Region region, int ordinal);

    @Override
    public final void unregistered(Region region) {
        region.attach(protocol(), null);
    }

    @Override
    public final SegmentDescriptor describe(SegmentDescriptor base) {
        List<BufferDescriptor> buffers = new ArrayList<>(base.buffers().size());
        JsonNodeFactory f = JsonNodeFactory.instance;
        for (BufferDescriptor b : base.buffers()) {
            Region r = context.memory().find(b.addr(), b.length());
            Object a = r == null ? null : r.attachment(protocol());
            if (a instanceof Published p) {
                Map<String, JsonNode> extra = new HashMap<>(b.extra());
                extra.put(BASE, f.numberNode(p.base()));
                describeBuffer(p, extra);
                buffers.add(new BufferDescriptor(r.location(), b.addr(), b.length(), b.rkey(), b.lkey(), p.handle(),
                        b.offset(), extra));
            } else {
                buffers.add(b);
            }
        }
        Map<String, JsonNode> extra = new HashMap<>(base.extra());
        extra.put(BOOT_ID, f.stringNode(bootId));
        describeSegment(extra);
        return new SegmentDescriptor(base.name(), base.protocol(), base.tcpDataPort(), base.tcpProtoVersion(),
                base.timestamp(), buffers, base.devices(), base.priorityMatrix(), extra);
    }

    /** Adds this transport's own fields to a published buffer's (nothing by default). */
    protected void describeBuffer(Published p, Map<String, JsonNode> extra) {
    }

    /** Adds this transport's own fields to the segment's (nothing by default). */
    protected void describeSegment(Map<String, JsonNode> extra) {
    }

    /** Whether the target is this process (copied from directly, no handle). */
    protected final boolean sameProcess(RemoteTarget target) {
        if (target.id() == 0) {
            return true;
        }
        JsonNode p = target.descriptor().extra().get(JAVA_PROCESS);
        return p != null && p.asString("").startsWith(jvm);
    }

    @Override
    public final Reach reach(RemoteTarget target) {
        if (sameProcess(target)) {
            return Reach.of(Reach.SAME_HOST, "same process: device copies with cuMemcpyAsync");
        }
        return reachPeer(target);
    }

    /** How this transport reaches a peer in another process. */
    protected abstract Reach reachPeer(RemoteTarget target);

    @Override
    public final String unsupported(TransferTask task) {
        String notCuda = CudaLocations.notCudaLocal(task);
        if (notCuda != null) {
            return notCuda;
        }
        if (sameProcess(task.target())) {
            return null;
        }
        BufferDescriptor b = task.remoteBuffer();
        String h = b == null ? null : b.shmName();
        if (h == null || h.length() != 2 * profile.handleBytes()) {
            return profile.noHandle();
        }
        return null;
    }

    @Override
    public final int sliceSize(RemoteTarget target) {
        return SLICE;
    }

    /**
     * Bytes to map of a peer allocation whose handle does not carry its size ({@code allocBase}: the
     * allocation's base in the peer); 0 where handles carry it.
     */
    protected long sizeHint(BufferDescriptor b, long allocBase) {
        return 0;
    }

    @Override
    public final void submit(TransferTask task) {
        int ordinal = CudaLocations.ordinalFor(task, devices);
        int count = task.sliceCount();
        long remoteStart;
        PeerMapping m = null;
        if (sameProcess(task.target())) {
            remoteStart = task.targetAddress();
        } else {
            BufferDescriptor b = task.remoteBuffer();
            JsonNode base = b.extra().get(BASE);
            long allocBase = base == null ? b.addr() : base.asLong();
            try {
                m = mappings.acquire(task.target().segmentName(), b.shmName(), ordinal, sizeHint(b, allocBase));
            } catch (MooncakeException | IllegalArgumentException e) {
                refusedHandles.increment();
                String why = profile.refused() + " of '" + task.target().segmentName() + "': " + e.getMessage();
                for (int k = 0; k < count; k++) {
                    task.sliceFailed(FailureKind.NO_TRANSPORT, why);
                }
                return;
            }
            remoteStart = m.base() + (task.targetAddress() - allocBase);
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
    public final void peerInvalidated(String segmentName) {
        mappings.invalidate(segmentName);
    }

    @Override
    public final Map<String, Object> stats() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("gpus", devices);
        statsOfMode(s);
        s.put("streams", copier.streams());
        s.put(profile.openStat(), mappings.size());
        s.put("regionsWithoutHandle", unexported.sum());
        s.put("refusedHandles", refusedHandles.sum());
        return s;
    }

    /** Adds how this transport shares memory to its stats, after the GPU count (nothing by default). */
    protected void statsOfMode(Map<String, Object> stats) {
    }

    @Override
    public final void close() {
        copier.close();
        mappings.close();
    }
}

package io.mooncake.transport.cxl;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.memory.Hold;
import io.mooncake.engine.transport.DescriptorFields;
import io.mooncake.engine.transport.HostIdentity;
import io.mooncake.engine.transport.MemoryCopier;
import io.mooncake.engine.transport.OwnerLiveness;
import io.mooncake.engine.transport.Reach;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The cxl transport: every engine on the host maps the same CXL device ({@code MC_CXL_DEV_PATH},
 * {@code MC_CXL_DEV_SIZE}), so a transfer is a memory copy between the caller's memory and this
 * node's mapping of the device, as in the reference. The target's process takes no part.
 *
 * <p>Registration: remote-accessible regions must lie inside the device mapping (others are
 * refused, naming the device and its range); engine-allocated buffers come from the device
 * ({@link CxlAllocator}). Local-only regions may lie anywhere: they are only ever the caller's side
 * of a copy (the reference refuses them too; nothing is published for them).
 *
 * <p>Descriptor, as the reference writes it: top-level {@code cxl_name} (the device path as
 * configured) and {@code cxl_base_addr} (this process's mapping address), buffers as
 * {@code {name, offset, length}} with the segment name and the device offset. Buffers also keep
 * their {@code addr}, which reference nodes ignore, so Java peers address them like every other
 * transport does (by the owner's address: tcp and the same-process transport then stay correct
 * fallbacks) and this transport translates: device offset = {@code offset + (target - addr)}.
 * Toward a reference node, whose buffers have no {@code addr}, the request's target is the device
 * offset itself, as in the reference. {@code cxl_boot_id} tells Java peers the host: a device that
 * is a plain file is memory of one host only. {@code cxl_owner_pid} lets them stop copying into the
 * ranges of a peer whose process died (its ranges are free for other engines then), checked at most
 * every 50 ms as shm does ({@link OwnerLiveness}).
 *
 * <p>Copies through {@link MemoryCopier}: up to 64 KiB on the caller's thread, larger slices on
 * copy threads, so a large request never blocks its submitter (the reference copies inside submit).
 */
final class CxlTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(CxlTransport.class);
    static final String PROTOCOL = "cxl";
    static final String NAME = "cxl_name";
    static final String BASE = "cxl_base_addr";
    static final String BOOT_ID = "cxl_boot_id";
    /** The owner's process id (Java peers only), so copies into the ranges of a peer that died stop. */
    static final String OWNER_PID = "cxl_owner_pid";
    private static final int SLICE = 4 << 20;

    private final TransportContext context;
    private final String path;
    private final long size;
    private final String bootId = HostIdentity.bootId();
    private final MemoryCopier copier = new MemoryCopier("mooncake-cxl-copy", 2, 64 * 1024);
    private final LongAdder refused = new LongAdder();
    private final ConcurrentHashMap<String, PeerUse> peers = new ConcurrentHashMap<>();
    private volatile CxlDevice device;

    CxlTransport(TransportContext context, String path, long size) {
        this.context = context;
        this.path = path;
        this.size = size;
    }

    @Override
    public String protocol() {
        return PROTOCOL;
    }

    @Override
    public void start() {
        device = CxlDevice.open(path, size);
        context.offerAllocator(new CxlAllocator(device));
    }

    @Override
    public void registered(Region region) {
        if (!region.remoteAccessible()) {
            return;
        }
        CxlDevice d = device;
        if (d == null || d.offsetOf(region.address(), region.length()) < 0) {
            refused.increment();
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "cannot register " + region
                    + " for protocol cxl: remote-accessible memory must lie inside the CXL device " + path
                    + (d == null ? "" : " mapped at [0x" + Long.toHexString(d.address()) + ", 0x"
                            + Long.toHexString(d.address() + d.size()) + ")")
                    + "; allocate it with allocateBuffer (which carves it from the device), register an address "
                    + "inside the mapping, or register it local-only");
        }
    }

    @Override
    public SegmentDescriptor describe(SegmentDescriptor base) {
        CxlDevice d = device;
        JsonNodeFactory f = JsonNodeFactory.instance;
        Map<String, JsonNode> top = new HashMap<>();
        top.put(NAME, f.stringNode(path));
        if (d != null) {
            top.put(BASE, f.numberNode(d.address()));
        }
        top.put(BOOT_ID, f.stringNode(bootId));
        top.put(OWNER_PID, f.numberNode(ProcessHandle.current().pid()));
        return DescriptorFields.publish(base, b -> {
            long off = d == null ? -1 : d.offsetOf(b.addr(), b.length());
            return off >= 0 ? DescriptorFields.withOffset(b, base.name(), off) : b;
        }, top);
    }

    @Override
    public Reach reach(RemoteTarget target) {
        if (target.id() == 0) {
            return Reach.none("own segment: the same-process transport copies it");
        }
        JsonNode name = target.descriptor().extra().get(NAME);
        if (name == null) {
            return Reach.none("peer shares no CXL device (no " + NAME + ")");
        }
        if (!path.equals(name.asString(""))) {
            return Reach.none("peer maps CXL device " + name.asString("") + ", this node " + path);
        }
        JsonNode boot = target.descriptor().extra().get(BOOT_ID);
        CxlDevice d = device;
        if (boot != null && !bootId.equals(boot.asString("")) && d != null && !d.characterDevice()) {
            return Reach.none("peer is on another host, and " + path + " is a file: memory of one host");
        }
        return Reach.of(Reach.SAME_HOST, "same CXL device " + path + ": copies through this node's mapping");
    }

    @Override
    public String unsupported(TransferTask task) {
        Region local = task.localRegion();
        if (local != null && !local.kind().isHostAccessible()) {
            return "the local buffer is device memory (" + local.location() + ")";
        }
        BufferDescriptor b = task.remoteBuffer();
        if (b == null || b.offset() == null) {
            return "the peer's buffer is not in the CXL device (published without an offset)";
        }
        long off = deviceOffset(task, b);
        CxlDevice d = device;
        if (d == null || off < 0 || task.length() > d.size() - off) {
            return "the target range lies beyond this node's mapping of " + path + " (" + size + " bytes): the nodes "
                    + "disagree on MC_CXL_DEV_SIZE";
        }
        return null;
    }

    private static long deviceOffset(TransferTask task, BufferDescriptor b) {
        return b.offset() + (task.targetAddress() - b.base());
    }

    @Override
    public int sliceSize(RemoteTarget target) {
        return SLICE;
    }

    @Override
    public void submit(TransferTask task) {
        CxlDevice d = device;
        if (d == null) {
            for (int k = task.sliceCount(); k > 0; k--) {
                task.sliceFailed(FailureKind.LOCAL, "the cxl transport is closed");
            }
            return;
        }
        PeerUse peer = peer(task.target(), d);
        if (!peer.valid()) {
            context.peerFailed(task.target().segmentName());
            for (int k = task.sliceCount(); k > 0; k--) {
                task.sliceFailed(FailureKind.CONNECTION, "peer '" + task.target().segmentName() + "' is gone: its "
                        + "process (pid " + peer.owner.pid() + ") has exited, and its ranges of " + path
                        + " may belong to another engine by now");
            }
            return;
        }
        long at = d.address() + deviceOffset(task, task.remoteBuffer());
        boolean write = task.opCode() == OpCode.WRITE;
        int count = task.sliceCount();
        for (int k = 0; k < count; k++) {
            long off = task.sliceOffset(k);
            int len = task.sliceLength(k);
            if (!d.acquire()) {
                task.sliceFailed(FailureKind.LOCAL, "CXL device " + path + " was unmapped (engine closing)");
                continue;
            }
            long local = task.source() + off;
            if (write) {
                copier.copy(task, local, at + off, len, peer);
            } else {
                copier.copy(task, at + off, local, len, peer);
            }
        }
    }

    /**
     * The peer's use of the device: the device's hold, checked against the owner's liveness before
     * each copy. Kept per peer name (a restarted peer has another pid, hence a new one), so the verdict
     * on a dead owner stays: a pid that no longer exists cannot be told from one in another pid namespace.
     */
    private PeerUse peer(RemoteTarget target, CxlDevice d) {
        JsonNode pid = target.descriptor().extra().get(OWNER_PID);
        long owner = pid != null && pid.canConvertToLong() ? pid.asLong() : -1;
        PeerUse p = peers.get(target.segmentName());
        if (p == null || p.device != d || (p.owner == null ? owner >= 0 : p.owner.pid() != owner)) {
            p = new PeerUse(d, owner >= 0 ? new OwnerLiveness(owner) : null);
            peers.put(target.segmentName(), p);
        }
        return p;
    }

    /**
     * What a copy holds: the device (released after the copy) and, for Java peers, a check that the
     * owner of the target range still runs (a reference node publishes no pid: not checked).
     */
    private static final class PeerUse implements Hold {
        final CxlDevice device;
        final OwnerLiveness owner;

        PeerUse(CxlDevice device, OwnerLiveness owner) {
            this.device = device;
            this.owner = owner;
        }

        @Override
        public boolean valid() {
            return owner == null || owner.alive();
        }

        @Override
        public void release() {
            device.release();
        }
    }

    @Override
    public Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>();
        CxlDevice d = device;
        m.put("device", path);
        m.put("size", size);
        if (d != null) {
            m.put("baseAddress", "0x" + Long.toHexString(d.address()));
        }
        m.put("refusedRegistrations", refused.sum());
        return m;
    }

    @Override
    public void close() {
        copier.close();
        CxlDevice d = device;
        device = null;
        if (d != null) {
            d.release();
            log.debug("cxl transport closed");
        }
    }
}

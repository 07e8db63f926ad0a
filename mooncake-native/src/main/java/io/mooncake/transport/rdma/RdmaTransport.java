package io.mooncake.transport.rdma;

import static io.mooncake.jna.verbs.VerbsAbi.IBV_ACCESS_LOCAL_WRITE;
import static io.mooncake.jna.verbs.VerbsAbi.IBV_ACCESS_RELAXED_ORDERING;
import static io.mooncake.jna.verbs.VerbsAbi.IBV_ACCESS_REMOTE_READ;
import static io.mooncake.jna.verbs.VerbsAbi.IBV_ACCESS_REMOTE_WRITE;
import static io.mooncake.jna.verbs.VerbsAbi.IBV_WR_RDMA_READ;
import static io.mooncake.jna.verbs.VerbsAbi.IBV_WR_RDMA_WRITE;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.batch.CancelCause;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.DeviceDescriptor;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.HostPort;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.engine.rpc.HandshakeClient;
import io.mooncake.engine.rpc.HandshakeType;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.transport.Reach;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.jna.verbs.RdmaVerbs;
import io.mooncake.topology.Topology;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Protocol {@code rdma} (and the rdma-shaped descriptor a reference rdma node publishes): one-sided
 * RDMA WRITE and READ over libibverbs, through {@link RdmaVerbs}.
 *
 * <p>Start opens every NIC of the topology ({@link RdmaNic}: port, GID, PD, CQ); NICs that cannot
 * be opened are logged and left out, and start fails only when none opens. Every registered
 * region is registered with every NIC ({@code ibv_reg_mr}; device memory works where the NIC can
 * register it, e.g. GPU memory with nvidia-peermem) and published with one {@code lkey} and
 * {@code rkey} per NIC in {@code devices} order, its location as the buffer name, the NICs as
 * {@code devices} and the local priority matrix. A peer is reached when it publishes rdma
 * devices and keys. Requests are sliced by the engine ({@link #sliceSize}: {@code MC_SLICE_SIZE},
 * 64 KiB by default as the reference) and moved by the {@link RdmaDataPath}; a slice that fails for
 * a path reason after its retries fails as {@link FailureKind#CONNECTION}, so the engine can fall
 * back to tcp where the peer publishes it; an access error fails as
 * {@link FailureKind#PEER_REJECTED}. Handshake Connection requests for this node's NICs are
 * answered here. Thread-safe.
 */
public final class RdmaTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(RdmaTransport.class);

    /** The reference's {@code MC_SLICE_SIZE} default for rdma. */
    public static final int DEFAULT_SLICE_SIZE = 65_536;

    /** What a registered region carries: its memory regions and keys, one per NIC. */
    record Keys(List<RdmaVerbs.MemoryRegion> mrs, long[] lkeys, long[] rkeys) {
    }

    private final TransportContext context;
    private final String protocol;
    private final RdmaVerbs verbs;
    private final Topology topology;
    private final RdmaSettings settings;
    private final int sliceSize;
    private final Path root;
    private final ConcurrentHashMap<String, RemoteTarget> targets = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Region, Keys> regions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, SegmentDescriptor> fetched = new ConcurrentHashMap<>();
    private final ExecutorService connector;
    private final AtomicInteger connectorThreads = new AtomicInteger();
    private volatile List<RdmaNic> nics = List.of();
    private volatile List<DeviceDescriptor> devices = List.of();
    private volatile RdmaDataPath path;

    /**
     * @param verbs the verbs implementation ({@code JnaRdmaVerbs} on a host)
     * @param topology the local priority matrix; its devices are the NICs to open
     * @param root file-system root for sysfs reads ({@code /} on a host)
     */
    public RdmaTransport(TransportContext context, String protocol, RdmaVerbs verbs, Topology topology,
            RdmaSettings settings, int sliceSize, Path root) {
        this.context = context;
        this.protocol = protocol;
        this.verbs = verbs;
        this.topology = topology;
        this.settings = settings;
        this.sliceSize = sliceSize;
        this.root = root;
        this.connector = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "mooncake-rdma-connect-" + connectorThreads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** {@code MC_SLICE_SIZE} (4 KiB to 64 MiB), else 64 KiB. */
    public static int sliceSize(Map<String, String> env) {
        String v = env.get("MC_SLICE_SIZE");
        if (v == null || v.isBlank()) {
            return DEFAULT_SLICE_SIZE;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n >= 4096 && n <= (64 << 20)) {
                return (int) n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new io.mooncake.engine.api.InvalidConfigurationException("MC_SLICE_SIZE", v,
                "a size in bytes from 4096 to 67108864");
    }

    @Override
    public String protocol() {
        return protocol;
    }

    @Override
    public void start() {
        List<RdmaNic> opened = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (String name : topology.devices()) {
            try {
                opened.add(RdmaNic.open(verbs, name, settings, root));
            } catch (RuntimeException e) {
                failures.add(name + ": " + e.getMessage());
                log.warn("RDMA device {} left out: {}", name, e.getMessage());
            }
        }
        if (opened.isEmpty()) {
            throw new MooncakeException(ErrorCode.DEVICE_NOT_FOUND, "no RDMA device could be opened: "
                    + String.join("; ", failures));
        }
        nics = List.copyOf(opened);
        devices = opened.stream().map(RdmaNic::descriptor).toList();
        path = new RdmaDataPath(context.localSegmentName(), nics, topology, settings, new EnginePeers(),
                System::nanoTime, connector);
        path.start();
        for (Region r : context.memory().regions()) {
            registered(r);
        }
        log.info("rdma ready: {} NIC(s) {}, slice size {} bytes, {} QP(s) per peer NIC", nics.size(),
                nics.stream().map(RdmaNic::name).toList(), sliceSize, settings.qpPerEndpoint());
    }

    @Override
    public SegmentDescriptor describe(SegmentDescriptor base) {
        List<BufferDescriptor> buffers = new ArrayList<>(base.buffers().size());
        for (BufferDescriptor b : base.buffers()) {
            Region r = context.memory().find(b.addr(), b.length());
            Keys k = r == null ? null : regions.get(r);
            if (k == null) {
                // an rdma-shaped descriptor needs one key per device on every buffer (readers reject
                // the whole descriptor otherwise): memory the NICs did not register is not published
                log.debug("Buffer 0x{} is not registered with the RDMA NICs; left out of the descriptor",
                        Long.toHexString(b.addr()));
                continue;
            }
            buffers.add(new BufferDescriptor(location(r.location()), b.addr(), b.length(), toList(k.rkeys),
                    toList(k.lkeys), b.shmName(), b.offset(), b.extra()));
        }
        return RdmaDescriptors.describe(base.withBuffers(buffers), base.protocol(), devices, topology);
    }

    /** The reference publishes a resolved location: {@code *} becomes the first CPU location of the matrix. */
    private String location(String loc) {
        if (!"*".equals(loc)) {
            return loc;
        }
        for (String l : topology.matrix().keySet()) {
            if (l.startsWith("cpu:")) {
                return l;
            }
        }
        return "cpu:0";
    }

    private static List<Long> toList(long[] keys) {
        List<Long> l = new ArrayList<>(keys.length);
        for (long k : keys) {
            l.add(k);
        }
        return l;
    }

    @Override
    public void registered(Region region) {
        List<RdmaNic> all = nics;
        if (all.isEmpty() || regions.containsKey(region)) {
            return;
        }
        // local-only memory gets no remote rights at all: the HCA itself refuses a peer's access,
        // whatever rkey it guesses
        int access = IBV_ACCESS_LOCAL_WRITE
                | (region.remoteAccessible() ? IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ : 0)
                | (settings.relaxedOrdering() ? IBV_ACCESS_RELAXED_ORDERING : 0);
        List<RdmaVerbs.MemoryRegion> mrs = new ArrayList<>(all.size());
        long[] lkeys = new long[all.size()];
        long[] rkeys = new long[all.size()];
        try {
            for (int i = 0; i < all.size(); i++) {
                RdmaNic nic = all.get(i);
                if (region.length() > nic.maxMrSize()) {
                    throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "region of " + region.length()
                            + " bytes exceeds " + nic.name() + "'s largest memory region (" + nic.maxMrSize()
                            + " bytes, MC_MAX_MR_SIZE); register it in smaller pieces");
                }
                RdmaVerbs.MemoryRegion mr = nic.pd().register(region.address(), region.length(), access);
                mrs.add(mr);
                lkeys[i] = mr.lkey() & 0xffff_ffffL;
                rkeys[i] = mr.rkey() & 0xffff_ffffL;
            }
        } catch (RuntimeException e) {
            for (RdmaVerbs.MemoryRegion mr : mrs) {
                mr.close();
            }
            String hint = region.kind() == MemoryKind.DEVICE ? " (device memory needs nvidia-peermem or a DMA-BUF "
                    + "exporter the NIC driver accepts)" : "";
            throw new MooncakeException(ErrorCode.ADDRESS_NOT_REGISTERED, "rdma cannot register " + region + ": "
                    + e.getMessage() + hint, e);
        }
        Keys k = new Keys(List.copyOf(mrs), lkeys, rkeys);
        regions.put(region, k);
        region.attach(protocol, k);
    }

    @Override
    public void unregistered(Region region) {
        Keys k = regions.remove(region);
        if (k != null) {
            for (RdmaVerbs.MemoryRegion mr : k.mrs()) {
                mr.close();
            }
        }
    }

    @Override
    public Reach reach(RemoteTarget target) {
        SegmentDescriptor d = target.descriptor();
        if (d == null || d.devices().isEmpty()) {
            return Reach.none("the peer publishes no RDMA devices");
        }
        if (!"rdma".equals(d.protocol()) && !protocol.equals(d.protocol())) {
            return Reach.none("the peer publishes protocol '" + d.protocol() + "', not rdma");
        }
        try {
            RdmaDescriptors.validatePeer(d);
        } catch (MooncakeException e) {
            return Reach.none(e.getMessage());
        }
        targets.put(target.segmentName(), target);
        return Reach.of(Reach.FABRIC, "rdma: the peer publishes " + d.devices().size() + " NIC(s)");
    }

    @Override
    public boolean takesDeviceMemory(Region region) {
        return regions.get(region) != null; // device memory the NICs registered (GPUDirect)
    }

    @Override
    public String unsupported(TransferTask task) {
        Region r = task.localRegion();
        if (r == null || regions.get(r) == null) {
            return "the local memory is not registered with the RDMA NICs";
        }
        BufferDescriptor b = task.remoteBuffer();
        if (b == null || b.rkey().isEmpty()) {
            return "the peer's buffer has no rkey (not remote-accessible over rdma)";
        }
        return null;
    }

    @Override
    public int sliceSize(RemoteTarget target) {
        return sliceSize;
    }

    @Override
    public void submit(TransferTask task) {
        RdmaDataPath p = path;
        Keys k = regions.get(task.localRegion());
        TaskSlices slices = new TaskSlices(task);
        if (p == null || k == null) {
            for (int i = 0; i < task.sliceCount(); i++) {
                task.sliceFailed(FailureKind.LOCAL, p == null ? "rdma transport is not started"
                        : "the local memory is not registered with the RDMA NICs");
            }
            return;
        }
        RemoteTarget t = task.target();
        targets.put(t.segmentName(), t);
        RdmaDataPath.Request r;
        try {
            r = p.request(slices, task.opCode() == OpCode.READ ? IBV_WR_RDMA_READ : IBV_WR_RDMA_WRITE,
                    task.source(), task.localRegion().location(), k.lkeys(), t.descriptor(), task.remoteBuffer(),
                    task.targetAddress(), slices);
        } catch (RuntimeException e) {
            for (int i = 0; i < task.sliceCount(); i++) {
                task.sliceFailed(FailureKind.CONNECTION, e.getMessage());
            }
            return;
        }
        task.carrier(r);
        p.submit(r);
    }

    @Override
    public void cancel(TransferTask task, CancelCause cause) {
        RdmaDataPath p = path;
        if (p != null && task.carrier() instanceof RdmaDataPath.Request r) {
            p.abort(r);
        }
    }

    @Override
    public ObjectNode onConnectionRequest(ObjectNode request) {
        RdmaDataPath p = path;
        JsonNode peerPath = request.get("peer_nic_path");
        if (p == null || peerPath == null || !peerPath.isString()) {
            return null;
        }
        String text = peerPath.asString();
        int at = text.lastIndexOf('@');
        if (at <= 0 || !text.substring(0, at).equals(context.localSegmentName())) {
            return null;
        }
        String dev = text.substring(at + 1);
        if (nics.stream().noneMatch(n -> n.name().equals(dev))) {
            return null;
        }
        return p.answer(request);
    }

    @Override
    public void peerInvalidated(String segmentName) {
        targets.remove(segmentName);
        fetched.remove(segmentName);
        RdmaDataPath p = path;
        if (p != null) {
            p.peerInvalidated(segmentName);
        }
    }

    @Override
    public Map<String, Object> stats() {
        RdmaDataPath p = path;
        Map<String, Object> m = new LinkedHashMap<>();
        long now = System.nanoTime();
        m.put("nics", nics.stream().map(RdmaNic::name).toList());
        m.put("paused", nics.stream().filter(n -> n.paused(now)).map(RdmaNic::name).toList());
        m.put("retriedSlices", p == null ? 0 : p.retried());
        m.put("nicPauses", p == null ? 0 : p.pauses());
        m.put("registeredRegions", regions.size());
        return m;
    }

    @Override
    public void close() {
        RdmaDataPath p = path;
        if (p != null) {
            p.close();
        }
        for (Keys k : regions.values()) {
            for (RdmaVerbs.MemoryRegion mr : k.mrs()) {
                mr.close();
            }
        }
        regions.clear();
        for (RdmaNic n : nics) {
            n.close();
        }
        connector.shutdownNow();
    }

    /** Handshakes go through the engine's handshake client to the target the engine resolved. */
    private final class EnginePeers implements RdmaDataPath.Peers {
        @Override
        public JsonNode connect(String peerSegment, ObjectNode request) {
            RemoteTarget t = targets.get(peerSegment);
            if (t == null) {
                throw new MooncakeException(ErrorCode.METADATA, "segment " + peerSegment + " is not open on this node");
            }
            return context.handshake(t, request);
        }

        /**
         * The peer's descriptor: the one the engine resolved when this node opened the peer, else
         * (P2PHANDSHAKE, where a segment name is its handshake address) fetched with a Metadata
         * request, as the reference does for a peer that connects first. Called on a handshake
         * thread only for requests that do not carry the sender's GID (reference senders).
         */
        @Override
        public SegmentDescriptor descriptor(String peerSegment) {
            RemoteTarget t = targets.get(peerSegment);
            if (t != null) {
                return t.descriptor();
            }
            SegmentDescriptor cached = fetched.get(peerSegment);
            if (cached != null) {
                return cached;
            }
            EngineConfig config = context.config();
            if (!MetadataConnection.parse(config.metadataServer()).isP2p()) {
                return null; // a key-value directory: the engine has not opened the peer; the reply says so
            }
            HostPort hp = HostPort.parse(peerSegment);
            if (hp.port() <= 0) {
                return null;
            }
            JsonNode body;
            try {
                body = SegmentDescriptorCodec.toTree(context.localDescriptor());
            } catch (UnsupportedOperationException e) {
                body = tools.jackson.databind.node.JsonNodeFactory.instance.objectNode();
            }
            JsonNode reply = new HandshakeClient(config.connectTimeout(), config.handshakeTimeout(),
                    config.handshakeMaxLength()).call(hp.host(), hp.port(), HandshakeType.METADATA, body);
            SegmentDescriptor d = SegmentDescriptorCodec.fromTree(reply);
            fetched.put(peerSegment, d);
            return d;
        }
    }

    /** The task's slices and completions, one object per task (nothing per slice). */
    private static final class TaskSlices implements Slices, SliceListener {
        private final TransferTask task;

        TaskSlices(TransferTask task) {
            this.task = task;
        }

        @Override
        public int sliceCount() {
            return task.sliceCount();
        }

        @Override
        public long sliceOffset(int k) {
            return task.sliceOffset(k);
        }

        @Override
        public int sliceLength(int k) {
            return task.sliceLength(k);
        }

        @Override
        public void sliceCompleted(int slice, int bytes) {
            task.sliceCompleted(bytes);
        }

        @Override
        public void sliceFailed(int slice, boolean peerRejected, String reason) {
            task.sliceFailed(peerRejected ? FailureKind.PEER_REJECTED : FailureKind.CONNECTION, reason);
        }
    }
}

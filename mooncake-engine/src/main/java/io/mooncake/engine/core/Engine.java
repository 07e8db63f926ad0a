package io.mooncake.engine.core;

import io.mooncake.engine.api.Batch;
import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.Notify;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.PeerInfo;
import io.mooncake.engine.api.RegisteredMemory;
import io.mooncake.engine.api.RemoteBuffer;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.SegmentNotFoundException;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.api.TransferStatus;
import io.mooncake.engine.api.TransferTimeoutException;
import io.mooncake.engine.batch.BatchImpl;
import io.mooncake.engine.batch.Deadlines;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.config.EnvironmentVariables;
import io.mooncake.engine.memory.MemoryRegistry;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.HostPort;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.RpcMeta;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.engine.metadata.SegmentDirectory;
import io.mooncake.engine.metadata.kv.SegmentDirectories;
import io.mooncake.engine.metadata.p2p.P2pSegmentDirectory;
import io.mooncake.engine.rpc.HandshakeClient;
import io.mooncake.engine.rpc.HandshakeServer;
import io.mooncake.engine.rpc.HandshakeType;
import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.select.TransportSelector;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.stats.TransferListener;
import io.mooncake.engine.stats.TransferStats;
import io.mooncake.engine.transport.RemoteTarget;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.engine.transport.TransportProvider;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The engine: owns the memory registry, the handshake server, the segment directory, the
 * transports and the segment and batch tables, and routes each request to the transport
 * named by its target's descriptor.
 *
 * <p>Path of a request: {@link #submitTransfer} checks it on the caller's thread (local range
 * registered, target segment open, target range inside a published buffer), creates a
 * {@link TransferTask} in the batch and hands it to the transport, which completes its slices
 * on I/O threads; the batch's future completes when all its tasks have ended, and the timer
 * ends late ones TIMEOUT.
 */
public final class Engine implements TransferEngine {

    private static final Logger log = LoggerFactory.getLogger(Engine.class);
    private static final long LOCAL_SEGMENT_ID = 0;

    private final EngineConfig config;
    private final MemoryRegistry memory = new MemoryRegistry();
    private final Deadlines deadlines = new Deadlines("mooncake-timer");
    private final TransferStats stats = new TransferStats();
    private final TransferListener listener;
    private final ConcurrentLinkedQueue<Notify> notifies = new ConcurrentLinkedQueue<>();
    private final ConcurrentHashMap<Long, BatchImpl> batches = new ConcurrentHashMap<>();
    private final AtomicLong nextBatchId = new AtomicLong(1);
    private final ConcurrentHashMap<String, Long> segmentIds = new ConcurrentHashMap<>();
    private final Object segmentsLock = new Object();
    private volatile SegmentEntry[] segments = new SegmentEntry[16];
    private long nextSegmentId = 1;
    private final Map<Long, Long> managed = new ConcurrentHashMap<>();
    private final Map<Long, EngineBuffer> engineBuffers = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Map<String, Transport> transports = new LinkedHashMap<>();
    private final ConcurrentHashMap<String, Boolean> routeNotices = new ConcurrentHashMap<>();
    private final AtomicInteger batchRegistration =
            new AtomicInteger();

    private HandshakeServer handshake;
    private HandshakeClient handshakeClient;
    private SegmentDirectory directory;
    private MetadataConnection metadata;
    private String segmentName;
    private String advertisedHost;
    private SelectionReport selection;
    private String primary;
    private volatile SegmentDescriptor localDescriptor;

    /** An opened segment; {@code stale} makes the next use re-fetch its descriptor. */
    private static final class SegmentEntry {
        final RemoteTarget target;
        volatile boolean stale;

        SegmentEntry(RemoteTarget target) {
            this.target = target;
        }
    }

    private Engine(EngineConfig config, TransferListener userListener) {
        this.config = config;
        this.listener = TransferListener.of(List.of(stats, userListener));
    }

    /** Starts an engine; on failure, everything opened so far is closed again. */
    public static TransferEngine start(EngineConfig config, TransferListener listener) {
        Engine e = new Engine(config, listener);
        try {
            e.init();
            return e;
        } catch (RuntimeException ex) {
            e.shutdown();
            throw ex;
        }
    }

    private void init() {
        metadata = MetadataConnection.parse(config.metadataServer());
        HostPort hostPort = HostPort.parse(config.localHostname());
        advertisedHost = advertisedHost(config, metadata, hostPort.host());
        // P2P: the name is host:port of the handshake listener, so a port in the hostname picks it.
        // With a metadata server the name is only a key (as in the reference); the port is published.
        int port = config.handshakePort() != 0 ? config.handshakePort()
                : metadata.isP2p() ? Math.max(hostPort.port(), 0) : 0;
        handshakeClient = new HandshakeClient(config.connectTimeout(), config.handshakeTimeout(),
                config.handshakeMaxLength());
        handshake = HandshakeServer.start(config.bindAddress(), port, config.minRpcPort(), config.maxRpcPort(),
                128, this::handle, config.handshakeMaxLength(), config.handshakeTimeout());
        segmentName = metadata.isP2p() ? hostPort.format(handshake.port()) : config.localHostname().trim();

        TransportContext context = TransportContext.of(config, memory, segmentName, advertisedHost, deadlines,
                this::peerFailed);
        TransportSelector selector = TransportSelector.fromServiceLoader(Engine.class.getClassLoader());
        selection = selector.select(context);
        for (String p : selection.active()) {
            TransportProvider provider = selector.provider(p);
            Transport t = provider.create(context);
            t.start();
            transports.put(p, t);
        }
        primary = selection.primary();
        memory.addRegisterListener(r -> republish());
        memory.addUnregisterListener(r -> republish());
        localDescriptor = buildDescriptor();

        directory = metadata.isP2p()
                ? new P2pSegmentDirectory(handshakeClient, () -> localDescriptor,
                        EnvironmentVariables.handshakePortForNames(config.environment()))
                : SegmentDirectories.open(metadata, config);
        directory.onPeerChanged(this::markStale);
        if (EnvironmentVariables.flag(config.environment(), "MC_TE_METRIC")) {
            Duration every = Duration.ofSeconds(Math.max(1, EnvironmentVariables.intValue(config.environment(),
                    "MC_TE_METRIC_INTERVAL_SECONDS", 5)));
            deadlines.scheduleAtFixedRate(new io.mooncake.engine.stats.ThroughputLog(stats)::tick, every);
        }
        directory.publish(localDescriptor, new RpcMeta(advertisedHost, handshake.port()));
        log.info("Mooncake transfer engine ready: segment {}, protocol {} (running {}), handshake port {}, "
                + "metadata {}", segmentName, primary, selection.active(), handshake.port(), directory.describe());
    }

    /**
     * The address peers reach this node at: {@code MC_TCP_BIND_ADDRESS} when set; under P2P the host
     * of the segment name; with a metadata server the hostname when it resolves, else (as the
     * reference) the first up, non-loopback IPv4 interface.
     */
    static String advertisedHost(EngineConfig config, MetadataConnection metadata, String host) {
        if (config.bindAddress() != null) {
            return config.bindAddress();
        }
        if (metadata.isP2p()) {
            return host;
        }
        try {
            InetAddress.getByName(host);
            return host;
        } catch (UnknownHostException e) {
            try {
                for (NetworkInterface nif : Collections.list(
                        NetworkInterface.getNetworkInterfaces())) {
                    if (!nif.isUp() || nif.isLoopback()) {
                        continue;
                    }
                    for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                        if (a instanceof Inet4Address) {
                            log.info("Host name '{}' does not resolve; advertising {} of interface {} "
                                    + "(set MC_TCP_BIND_ADDRESS to choose)", host, a.getHostAddress(), nif.getName());
                            return a.getHostAddress();
                        }
                    }
                }
            } catch (SocketException ignored) {
                // fall through
            }
            log.warn("Host name '{}' does not resolve and no interface is up; advertising 127.0.0.1", host);
            return "127.0.0.1";
        }
    }

    private SegmentDescriptor buildDescriptor() {
        List<BufferDescriptor> buffers = new ArrayList<>();
        for (Region r : memory.regions()) {
            if (r.remoteAccessible()) {
                buffers.add(BufferDescriptor.of("tcp".equals(primary) ? segmentName : r.location(), r.address(),
                        r.length()));
            }
        }
        SegmentDescriptor d = new SegmentDescriptor(segmentName, primary, 0, 1, null, buffers, List.of(), Map.of(),
                Map.of());
        for (Transport t : transports.values()) {
            d = t.describe(d);
        }
        return d;
    }

    private void republish() {
        if (transports.isEmpty() || batchRegistration.get() > 0) {
            return; // still starting, or a batch registration publishes once at its end
        }
        localDescriptor = buildDescriptor();
        if (directory != null) {
            directory.publish(localDescriptor, new RpcMeta(advertisedHost, handshake.port()));
        }
    }

    // ---- handshake server

    private JsonNode handle(HandshakeType type, JsonNode request) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        switch (type) {
            case METADATA:
                return SegmentDescriptorCodec.toTree(localDescriptor);
            case NOTIFY: {
                notifies.add(new Notify(request.path("name").asString(""), request.path("notify_msg").asString("")));
                ObjectNode reply = f.objectNode();
                reply.put("name", "");
                reply.put("notify_msg", "success");
                return reply;
            }
            case PROBE: {
                ObjectNode reply = f.objectNode();
                reply.put("status", "success");
                return reply;
            }
            case CONNECTION:
            default: {
                for (Transport t : transports.values()) {
                    ObjectNode reply = t.onConnectionRequest((ObjectNode) request);
                    if (reply != null) {
                        return reply;
                    }
                }
                // A tcp-only node takes part in no connection setup: empty fields, as the reference answers.
                ObjectNode reply = f.objectNode();
                reply.put("local_gid", "");
                reply.put("local_lid", 0);
                reply.put("local_nic_path", "");
                reply.put("payload", "");
                reply.put("peer_nic_path", "");
                reply.putArray("qp_num");
                reply.put("reply_msg", "");
                return reply;
            }
        }
    }

    // ---- identity

    @Override
    public String localSegmentName() {
        return segmentName;
    }

    @Override
    public int rpcPort() {
        return handshake.port();
    }

    @Override
    public EngineConfig config() {
        return config;
    }

    @Override
    public SegmentDescriptor localDescriptor() {
        return localDescriptor;
    }

    @Override
    public SelectionReport selection() {
        return selection;
    }

    @Override
    public TransferStats stats() {
        return stats;
    }

    @Override
    public boolean metadataReachable() {
        return directory.isReachable();
    }

    @Override
    public String metadataDescription() {
        return directory.describe();
    }

    @Override
    public List<RegisteredMemory> registeredMemory() {
        List<RegisteredMemory> out = new ArrayList<>();
        for (Region r : memory.regions()) {
            out.add(new RegisteredMemory(r.address(), r.length(), r.location(),
                    r.remoteAccessible()));
        }
        return out;
    }

    @Override
    public List<PeerInfo> peers() {
        List<PeerInfo> out = new ArrayList<>();
        for (Map.Entry<String, Long> e : segmentIds.entrySet()) {
            SegmentEntry entry = entry(e.getValue());
            if (entry != null) {
                RemoteTarget t = entry.target;
                long bytes = 0;
                for (BufferDescriptor b : t.descriptor().buffers()) {
                    bytes += b.length();
                }
                out.add(new PeerInfo(t.id(), t.segmentName(), t.descriptor().protocol(),
                        t.host(), t.descriptor().buffers().size(), bytes, entry.stale));
            }
        }
        out.sort(Comparator.comparingLong(PeerInfo::id));
        return out;
    }

    @Override
    public Map<String, Map<String, Object>> transportStats() {
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        transports.forEach((p, t) -> m.put(p, t.stats()));
        return m;
    }

    // ---- memory

    @Override
    public void registerLocalMemory(long address, long length, String location, boolean remoteAccessible) {
        ensureOpen();
        memory.register(address, length, location, remoteAccessible, null);
    }

    @Override
    public void registerLocalMemoryBatch(List<long[]> addressAndLength, String location) {
        ensureOpen();
        List<Region> done = new ArrayList<>();
        batchRegistration.incrementAndGet();
        try {
            for (long[] al : addressAndLength) {
                if (al.length != 2) {
                    throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                            "each entry must be {address, length}; got " + al.length + " values");
                }
                done.add(memory.register(al[0], al[1], location, true, null));
            }
        } catch (RuntimeException e) {
            for (Region r : done) {
                memory.unregister(r.address());
            }
            throw e;
        } finally {
            batchRegistration.decrementAndGet();
            republish();
        }
    }

    @Override
    public void unregisterLocalMemory(long address) {
        memory.unregister(address, config.transferTimeout());
    }

    @Override
    public LocalBuffer registerBuffer(ByteBuffer direct, String location, boolean remoteAccessible) {
        ensureOpen();
        if (direct == null || !direct.isDirect()) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                    "only direct buffers can be registered; use ByteBuffer.allocateDirect or allocateBuffer");
        }
        if (direct.isReadOnly() && remoteAccessible) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                    "a read-only buffer cannot be registered as remote-accessible: peers may write to it");
        }
        long address = NativeMemory.addressOf(direct);
        Region r = memory.register(address, direct.capacity(), location, remoteAccessible, direct);
        return new EngineBuffer(r, false);
    }

    @Override
    public LocalBuffer allocateBuffer(long length, String location) {
        ensureOpen();
        if (length <= 0) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                    "invalid buffer length " + length + "; it must be > 0");
        }
        long address = allocate(length);
        NativeMemory.fill(address, length, (byte) 0);
        try {
            Region r = memory.register(address, length, location, true, null);
            EngineBuffer b = new EngineBuffer(r, true);
            engineBuffers.put(address, b);
            return b;
        } catch (RuntimeException e) {
            NativeMemory.free(address);
            throw e;
        }
    }

    private static long allocate(long length) {
        try {
            return NativeMemory.allocate(length);
        } catch (OutOfMemoryError e) {
            throw new MooncakeException(ErrorCode.MEMORY, "cannot allocate " + length + " bytes of native memory: "
                    + e.getMessage() + "; lower the size or give the host more memory", e);
        }
    }

    @Override
    public long allocateManagedBuffer(long length) {
        ensureOpen();
        if (length <= 0) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                    "invalid buffer length " + length + "; it must be > 0");
        }
        long address = allocate(length);
        try {
            memory.register(address, length, "*", true, null);
        } catch (RuntimeException e) {
            NativeMemory.free(address);
            throw e;
        }
        managed.put(address, length);
        return address;
    }

    @Override
    public void freeManagedBuffer(long address, long length) {
        Long len = managed.get(address);
        if (len == null || len != length) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "0x" + Long.toHexString(address) + " with length "
                    + length + " is not a buffer from allocateManagedBuffer"
                    + (len == null ? "" : " (its length is " + len + ")"));
        }
        memory.unregister(address, config.transferTimeout());
        managed.remove(address);
        NativeMemory.free(address);
    }

    /** A registered buffer; engine-allocated ones are freed on close. */
    private final class EngineBuffer implements LocalBuffer {
        private final Region region;
        private final boolean owned;
        private final AtomicBoolean released = new AtomicBoolean();

        EngineBuffer(Region region, boolean owned) {
            this.region = region;
            this.owned = owned;
        }

        @Override
        public long address() {
            return region.address();
        }

        @Override
        public long length() {
            return region.length();
        }

        @Override
        public String location() {
            return region.location();
        }

        @Override
        public boolean remoteAccessible() {
            return region.remoteAccessible();
        }

        @Override
        public ByteBuffer byteBuffer() {
            if (released.get()) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "buffer " + region + " was closed");
            }
            if (region.owner() instanceof ByteBuffer b) {
                return b.duplicate().clear();
            }
            if (region.length() > Integer.MAX_VALUE) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "buffer of " + region.length()
                        + " bytes is larger than a ByteBuffer can address; use address() with raw requests");
            }
            return NativeMemory.view(region.address(), (int) region.length());
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                try {
                    memory.unregister(region.address(), config.transferTimeout());
                } catch (MooncakeException e) {
                    if (e.code() == ErrorCode.BATCH_BUSY) {
                        log.error("Not freeing {}: {}", region, e.getMessage());
                        return; // leak rather than free memory a transfer may still touch
                    }
                    log.debug("buffer already unregistered: {}", e.getMessage());
                }
                if (owned) {
                    engineBuffers.remove(region.address());
                    NativeMemory.free(region.address());
                }
            }
        }
    }

    // ---- segments

    @Override
    public SegmentHandle openSegment(String name) {
        ensureOpen();
        if (name == null || name.isBlank()) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "segment name is empty");
        }
        if (name.equals(segmentName)) {
            return handle(LOCAL_SEGMENT_ID, localDescriptor);
        }
        Long id = segmentIds.get(name);
        if (id != null) {
            SegmentEntry e = entry(id);
            if (e != null) {
                return handle(id, fresh(id, e).descriptor());
            }
        }
        synchronized (segmentsLock) {
            id = segmentIds.get(name);
            if (id == null) {
                id = nextSegmentId++;
            }
            RemoteTarget t = resolve(id, name);
            store(id, new SegmentEntry(t));
            segmentIds.put(name, id);
            return handle(id, t.descriptor());
        }
    }

    private RemoteTarget resolve(long id, String name) {
        SegmentDescriptor d = directory.fetch(name);
        String host = directory.resolveRpc(name).ipOrHostName();
        log.debug("Opened segment {} (id {}): protocol {}, {} buffer(s), host {}", name, id, d.protocol(),
                d.buffers().size(), host);
        return new RemoteTarget(id, name, d, host);
    }

    /** The entry's target, re-fetched first when it was marked stale. */
    private RemoteTarget fresh(long id, SegmentEntry e) {
        if (!e.stale) {
            return e.target;
        }
        synchronized (segmentsLock) {
            SegmentEntry cur = entry(id);
            if (cur != null && !cur.stale) {
                return cur.target;
            }
            RemoteTarget t = resolve(id, e.target.segmentName());
            store(id, new SegmentEntry(t));
            return t;
        }
    }

    private void store(long id, SegmentEntry e) {
        SegmentEntry[] arr = segments;
        if (id >= arr.length) {
            arr = Arrays.copyOf(arr, (int) Math.max(arr.length * 2L, id + 1));
        } else {
            arr = arr.clone();
        }
        arr[(int) id] = e;
        segments = arr;
    }

    private SegmentEntry entry(long id) {
        SegmentEntry[] arr = segments;
        return id > 0 && id < arr.length ? arr[(int) id] : null;
    }

    private void markStale(String name) {
        Long id = segmentIds.get(name);
        if (id != null) {
            SegmentEntry e = entry(id);
            if (e != null) {
                e.stale = true;
            }
        }
    }

    private SegmentHandle handle(long id, SegmentDescriptor d) {
        List<RemoteBuffer> buffers = new ArrayList<>(d.buffers().size());
        for (BufferDescriptor b : d.buffers()) {
            buffers.add(new RemoteBuffer(id, d.name(), b.addr(), b.length(), b.name()));
        }
        return new SegmentHandle(id, d.name(), d.protocol(), buffers);
    }

    @Override
    public void closeSegment(long segmentId) {
        SegmentEntry e = entry(segmentId);
        if (e != null) {
            segmentIds.remove(e.target.segmentName(), segmentId);
            e.stale = true;
        }
    }

    // ---- batches

    @Override
    public long allocateBatchId(int batchSize) {
        ensureOpen();
        long id = nextBatchId.getAndIncrement();
        batches.put(id, new BatchImpl(id, batchSize, listener, deadlines, config.transferTimeout(),
                this::timedOut));
        return id;
    }

    @Override
    public void submitTransfer(long batchId, List<TransferRequest> requests) {
        submitInto(batch(batchId), requests);
    }

    @Override
    public BatchImpl batch(long batchId) {
        BatchImpl b = batches.get(batchId);
        if (b == null) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "batch id " + batchId
                    + " is unknown or was freed; allocate one with allocateBatchId");
        }
        return b;
    }

    @Override
    public TransferStatus getTransferStatus(long batchId, int taskId) {
        return batch(batchId).status(taskId);
    }

    @Override
    public void freeBatchId(long batchId) {
        BatchImpl b = batch(batchId);
        if (!b.isIdle()) {
            throw new MooncakeException(ErrorCode.BATCH_BUSY, "batch " + batchId
                    + " still has requests running; wait for them (or cancel the batch) before freeing it");
        }
        batches.remove(batchId);
    }

    @Override
    public Batch submit(List<TransferRequest> requests) {
        ensureOpen();
        if (requests == null || requests.isEmpty()) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "no requests to submit");
        }
        long id = nextBatchId.getAndIncrement();
        BatchImpl b = new BatchImpl(id, requests.size(), listener, deadlines, config.transferTimeout(),
                this::timedOut);
        batches.put(id, b);
        b.completion().whenComplete((r, ex) -> batches.remove(id));
        submitInto(b, requests);
        return b;
    }

    private void submitInto(BatchImpl batch, List<TransferRequest> requests) {
        ensureOpen();
        int n = requests.size();
        RemoteTarget[] targets = new RemoteTarget[n];
        for (int i = 0; i < n; i++) {
            TransferRequest r = requests.get(i);
            if (r.length() > 0 && memory.find(r.source(), r.length()) == null) {
                throw new MooncakeException(ErrorCode.ADDRESS_NOT_REGISTERED, "request " + i + ": local range 0x"
                        + Long.toHexString(r.source()) + " + " + r.length()
                        + " bytes is not inside registered memory; register it with registerLocalMemory first");
            }
            targets[i] = target(i, r.targetId());
        }
        long bytes = 0;
        for (TransferRequest r : requests) {
            bytes += r.length();
        }
        int base = batch.reserve(n, bytes);
        for (int i = 0; i < n; i++) {
            TransferRequest r = requests.get(i);
            RemoteTarget t = targets[i];
            Transport transport = route(t);
            String protocol = transport == null ? (t.id() == LOCAL_SEGMENT_ID ? "local" : t.descriptor().protocol())
                    : transport.protocol();
            stats.submitted();
            TransferTask task = batch.add(base + i, r.opcode(), r.source(), r.targetOffset(), r.length(), t,
                    protocol);
            if (r.length() > 0) {
                Region local = memory.acquire(r.source(), r.length(), false);
                if (local == null) {
                    task.finish(TransferState.FAILED, FailureKind.LOCAL, "local range was unregistered while being submitted");
                    task.submitted();
                    continue;
                }
                task.holdLocal(local);
            }
            dispatch(task, transport);
            task.submitted();
        }
    }

    private RemoteTarget target(int index, long targetId) {
        if (targetId == LOCAL_SEGMENT_ID) {
            return new RemoteTarget(LOCAL_SEGMENT_ID, segmentName, localDescriptor, advertisedHost);
        }
        SegmentEntry e = entry(targetId);
        if (e == null) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "request " + index + ": segment id " + targetId
                    + " is not open; get one from openSegment");
        }
        try {
            return fresh(targetId, e);
        } catch (SegmentNotFoundException ex) {
            return e.target; // the request fails against the peer, with its reason
        }
    }

    private Transport route(RemoteTarget t) {
        if (t.id() == LOCAL_SEGMENT_ID) {
            return null;
        }
        Transport transport = transports.get(t.descriptor().protocol());
        if (transport == null && t.descriptor().tcpDataPort() > 0) {
            transport = transports.get("tcp");
            if (transport != null && routeNotices.putIfAbsent(t.segmentName(), Boolean.TRUE) == null) {
                log.info("Peer {} publishes protocol {}, which this node does not run; using its tcp data port",
                        t.segmentName(), t.descriptor().protocol());
            }
        }
        return transport;
    }

    private void dispatch(TransferTask task, Transport transport) {
        RemoteTarget t = task.target();
        if (task.length() == 0) {
            task.expectSlices(1);
            task.sliceCompleted(0);
            return;
        }
        if (t.id() == LOCAL_SEGMENT_ID) {
            copyLocally(task);
            return;
        }
        if (t.descriptor().findBuffer(task.targetAddress(), task.length()) == null) {
            task.finish(TransferState.FAILED, FailureKind.NOT_FOUND, "target range 0x" + Long.toHexString(task.targetAddress()) + " + "
                    + task.length() + " bytes is not inside any buffer segment '" + t.segmentName() + "' publishes");
            return;
        }
        if (transport == null) {
            task.finish(TransferState.FAILED, FailureKind.NO_TRANSPORT, "segment '" + t.segmentName() + "' uses protocol '"
                    + t.descriptor().protocol() + "', which this node does not run (running " + transports.keySet()
                    + ") and it publishes no tcp data port");
            return;
        }
        try {
            transport.submit(task);
        } catch (RuntimeException e) {
            task.finish(TransferState.FAILED, FailureKind.LOCAL, "transport " + transport.protocol() + " failed to submit: " + e);
        }
    }

    private void timedOut(TransferTask task) {
        Transport t = transports.get(task.protocol());
        if (t != null) {
            t.abort(task);
        }
    }

    /** Same-process shortcut: the target is this engine's own segment. */
    private void copyLocally(TransferTask task) {
        task.expectSlices(1);
        Region remote = memory.acquire(task.targetAddress(), task.length(), true);
        if (remote == null) {
            task.sliceFailed(FailureKind.NOT_FOUND, "target range 0x" + Long.toHexString(task.targetAddress()) + " + " + task.length()
                    + " bytes is not inside a registered remote-accessible buffer of this node");
            return;
        }
        try {
            if (task.opCode() == OpCode.WRITE) {
                NativeMemory.copy(task.source(), task.targetAddress(), task.length());
            } else {
                NativeMemory.copy(task.targetAddress(), task.source(), task.length());
            }
        } finally {
            remote.release();
        }
        task.sliceCompleted(task.length());
    }

    // ---- sync helpers

    @Override
    public void transferSyncWrite(String target, long buffer, long peerAddress, long length) {
        batchTransferSync(target, OpCode.WRITE, new long[] {buffer}, new long[] {peerAddress}, new long[] {length});
    }

    @Override
    public void transferSyncRead(String target, long buffer, long peerAddress, long length) {
        batchTransferSync(target, OpCode.READ, new long[] {buffer}, new long[] {peerAddress}, new long[] {length});
    }

    @Override
    public void batchTransferSync(String target, OpCode op, long[] buffers, long[] peerAddresses, long[] lengths) {
        if (buffers.length != peerAddresses.length || buffers.length != lengths.length || buffers.length == 0) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "buffers (" + buffers.length + "), peer addresses ("
                    + peerAddresses.length + ") and lengths (" + lengths.length + ") must be non-empty and equal");
        }
        long total = 0;
        for (long l : lengths) {
            total += l;
        }
        // Like the reference: the transfer timeout plus 1 ns per byte.
        Duration wait = config.transferTimeout().plusNanos(total);
        BatchResult result = null;
        for (int attempt = 0; attempt < 2; attempt++) {
            SegmentHandle h = openSegment(target);
            List<TransferRequest> requests = new ArrayList<>(buffers.length);
            for (int i = 0; i < buffers.length; i++) {
                requests.add(new TransferRequest(op, buffers[i], h.id(), peerAddresses[i], lengths[i]));
            }
            result = submit(requests).await(wait);
            if (result.allCompleted()) {
                return;
            }
            TransferStatus failure = result.firstFailure();
            if (failure.state() != TransferState.FAILED) {
                break;
            }
            log.debug("Synchronous {} to {} failed ({}); retrying once with a fresh descriptor", op, target,
                    failure.failureReason());
            markStale(target);
        }
        TransferStatus failure = result.firstFailure();
        String message = op + " of " + total + " bytes with segment '" + target + "' ended " + failure.state() + ": "
                + failure.failureReason();
        if (failure.state() == TransferState.TIMEOUT) {
            throw new TransferTimeoutException(message);
        }
        throw new MooncakeException(ErrorCode.SOCKET, message);
    }

    // ---- notifications and probes

    @Override
    public void sendNotify(String target, String message) {
        ensureOpen();
        RpcMeta rpc = directory.resolveRpc(target);
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("name", segmentName);
        body.put("notify_msg", message);
        JsonNode reply = handshakeClient.call(rpc.ipOrHostName(), rpc.rpcPort(), HandshakeType.NOTIFY, body);
        if (!"success".equals(reply.path("notify_msg").asString(""))) {
            throw new MooncakeException(ErrorCode.METADATA, "peer " + target + " did not accept the notification: "
                    + reply);
        }
    }

    @Override
    public List<Notify> getNotifies() {
        List<Notify> out = new ArrayList<>();
        Notify n;
        while ((n = notifies.poll()) != null) {
            out.add(n);
        }
        return out;
    }

    @Override
    public boolean probe(String peer) {
        try {
            RpcMeta rpc = directory.resolveRpc(peer);
            JsonNode reply = handshakeClient.call(rpc.ipOrHostName(), rpc.rpcPort(), HandshakeType.PROBE,
                    JsonNodeFactory.instance.objectNode());
            return "success".equals(reply.path("status").asString(""));
        } catch (MooncakeException e) {
            log.debug("Probe of {} failed: {}", peer, e.getMessage());
            return false;
        }
    }

    // ---- lifecycle

    private void ensureOpen() {
        if (closed.get()) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "the transfer engine is closed");
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long graceEnd = System.nanoTime() + Math.min(config.transferTimeout().toNanos(), 5_000_000_000L);
        while (System.nanoTime() < graceEnd && batches.values().stream().anyMatch(b -> !b.isIdle())) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (BatchImpl b : batches.values()) {
            if (!b.isIdle()) {
                log.warn("Closing the engine with batch {} still running; its requests end CANCELED", b.id());
                b.cancel();
            }
        }
        shutdown();
        log.info("Mooncake transfer engine {} closed", segmentName);
    }

    private void shutdown() {
        closed.set(true);
        if (directory != null) {
            try {
                directory.withdraw(segmentName);
            } catch (RuntimeException e) {
                log.warn("Could not withdraw segment {} from {}: {}", segmentName, directory.describe(),
                        e.getMessage());
            }
            directory.close();
        }
        for (Transport t : transports.values()) {
            try {
                t.close();
            } catch (RuntimeException e) {
                log.debug("closing transport {}", t.protocol(), e);
            }
        }
        if (handshake != null) {
            handshake.close();
        }
        deadlines.close();
        for (EngineBuffer b : new ArrayList<>(engineBuffers.values())) {
            b.close();
        }
        for (Map.Entry<Long, Long> m : new ArrayList<>(managed.entrySet())) {
            managed.remove(m.getKey());
            NativeMemory.free(m.getKey());
        }
    }

    /** A peer's connection failed: re-read its descriptor and metadata before the next use. */
    private void peerFailed(String name) {
        markStale(name);
        if (directory != null) {
            directory.invalidate(name);
        }
    }
}

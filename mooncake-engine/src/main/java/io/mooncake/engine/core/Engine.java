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
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.api.TransferStatus;
import io.mooncake.engine.api.TransferTimeoutException;
import io.mooncake.engine.batch.BatchImpl;
import io.mooncake.engine.batch.Deadlines;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.config.EnvironmentVariables;
import io.mooncake.engine.memory.MemoryAllocator;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.memory.MemoryRegistry;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.HostPort;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.metadata.RpcMeta;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDirectory;
import io.mooncake.engine.metadata.kv.SegmentDirectories;
import io.mooncake.engine.metadata.p2p.P2pSegmentDirectory;
import io.mooncake.engine.rpc.HandshakeClient;
import io.mooncake.engine.rpc.HandshakeServer;
import io.mooncake.engine.security.PeerAuthentication;
import io.mooncake.engine.rpc.HandshakeType;
import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.stats.ThroughputLog;
import io.mooncake.engine.stats.TransferListener;
import io.mooncake.engine.stats.TransferStats;
import io.mooncake.engine.transport.TransportContext;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The engine: wires its parts together and implements the API on them. The parts, one job each:
 * {@link LocalMemory} (registration through the transports, allocators), {@link Transports} (which
 * run, started and closed in order), {@link Segments} (opened segments, descriptors, routes),
 * {@link Router} (the transport of each request, and fallback), {@link HandshakeService} (what
 * the handshake port answers), the segment directory (metadata) and the batch table here.
 *
 * <p>Path of a request: {@link #submitTransfer} checks it on the caller's thread (local range
 * registered, target segment open), creates a {@link TransferTask} in the batch and gives it to the
 * {@link Router}, which checks the remote range against the target's descriptor, plans its slices
 * for the best transport that reaches the target, and submits it; the transport ends each slice
 * on its own threads; the batch's future completes when all its tasks have ended, and the timer
 * ends late ones TIMEOUT.
 */
final class Engine implements MooncakeEngine {

    private static final Logger log = LoggerFactory.getLogger(Engine.class);

    private final EngineConfig config;
    private final MemoryRegistry registry = new MemoryRegistry();
    private final Deadlines deadlines = new Deadlines("mooncake-timer");
    private final TransferStats stats = new TransferStats();
    private final TransferListener listener;
    private final ConcurrentHashMap<Long, BatchImpl> batches = new ConcurrentHashMap<>();
    private final AtomicLong nextBatchId = new AtomicLong(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Transports transports = new Transports();
    private final Segments segments = new Segments();
    private final Router router;
    private final LocalMemory memory;
    private final DeviceStaging staging;
    private final HandshakeService handshakeService;

    private HandshakeServer handshake;
    private HandshakeClient handshakeClient;
    private SegmentDirectory directory;
    private MetadataConnection metadata;
    private String segmentName;
    private String advertisedHost;
    private AdvertisedAddress address;
    private BindAddress bind;
    private final PeerAuthentication authentication;
    private volatile SegmentDescriptor localDescriptor;
    private volatile boolean started;
    /** Deadline of new batches: the configured one until changed at run time. */
    private volatile Duration transferTimeout;

    private Engine(EngineConfig config, TransferListener userListener) {
        this.config = config;
        this.transferTimeout = config.transferTimeout();
        this.listener = TransferListener.of(List.of(stats, userListener));
        ClassLoader loader = Engine.class.getClassLoader();
        this.memory = new LocalMemory(registry, config.transferTimeout(), transports, this::republish, loader);
        this.staging = new DeviceStaging(memory);
        this.router = new Router(listener, segments, staging);
        this.handshakeService = new HandshakeService(() -> localDescriptor, transports, listener,
                config.notifyQueueCapacity(), config.notifyQueueMaxBytes());
        this.authentication = PeerAuthentication.of(config.authSecret(), config.tls(), config.connectTimeout(),
                this.listener::onConnectionRejected);
    }

    /** Starts an engine; on failure, everything opened so far is closed again. */
    static MooncakeEngine start(EngineConfig config, TransferListener listener) {
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
        address = AdvertisedAddress.choose(config, metadata, hostPort.host());
        advertisedHost = address.host();
        // host:port means one thing in every mode: the port is the handshake listener's (P2P: the
        // segment name is host:port; with a metadata server the name stays the key and the port is
        // published in rpc_meta). mooncake.handshake-port, when set, wins.
        int port = config.handshakePort() != 0 ? config.handshakePort() : Math.max(hostPort.port(), 0);
        if (config.handshakePort() != 0 && hostPort.port() > 0 && hostPort.port() != config.handshakePort()) {
            log.warn("mooncake.local-hostname '{}' names port {}, but mooncake.handshake-port {} wins; the "
                    + "handshake listens on {}", config.localHostname(), hostPort.port(), config.handshakePort(),
                    config.handshakePort());
        }
        bind = BindAddress.choose(config.bindAddress(), advertisedHost);
        handshakeClient = new HandshakeClient(config.connectTimeout(), config.handshakeTimeout(),
                config.handshakeMaxLength(), authentication);
        handshake = HandshakeServer.start(bind.address(), port, config.minRpcPort(), config.maxRpcPort(),
                128, handshakeService::handle, config.handshakeMaxLength(), config.handshakeTimeout(),
                HandshakeServer.DEFAULT_MAX_CONNECTIONS, HandshakeServer.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, listener,
                authentication);
        segmentName = metadata.isP2p() ? hostPort.format(handshake.port()) : config.localHostname().trim();

        transports.start(new Context(), Engine.class.getClassLoader());
        segments.init(null, transports.all(), segmentName, advertisedHost);
        started = true;
        localDescriptor = buildDescriptor();
        segments.localChanged(localDescriptor);

        directory = metadata.isP2p()
                ? new P2pSegmentDirectory(handshakeClient, () -> localDescriptor,
                        EnvironmentVariables.handshakePortForNames(config.environment()))
                : SegmentDirectories.open(metadata, config);
        segments.init(directory, transports.all(), segmentName, advertisedHost);
        directory.onPeerChanged(this::peerChanged);
        if (EnvironmentVariables.flag(config.environment(), "MC_TE_METRIC")) {
            Duration every = Duration.ofSeconds(Math.max(1, EnvironmentVariables.intValue(config.environment(),
                    "MC_TE_METRIC_INTERVAL_SECONDS", 5)));
            deadlines.scheduleAtFixedRate(new ThroughputLog(stats)::tick, every);
        }
        directory.publish(localDescriptor, new RpcMeta(advertisedHost, handshake.port()));
        log.info("Mooncake advertised address {}: {}", advertisedHost, address.how());
        if (address.warning() != null && metadata.isP2p()) {
            // a loopback P2P name is the usual single-host setup: said, not warned
            log.info("Mooncake advertised address: {}", address.warning());
        } else if (address.warning() != null) {
            log.warn("Mooncake advertised address: {}", address.warning());
        }
        log.info("Mooncake listeners bind {}: {}", bind.describe(), bind.how());
        if (bind.warning() != null) {
            log.warn("Mooncake bind address: {}", bind.warning());
        }
        log.info("Mooncake authentication {}", authentication.describe());
        log.info("Mooncake transfer engine ready: segment {}, {}, address {} (handshake port {}, tcp data port {}), "
                + "metadata {}", segmentName, protocolSummary(transports.selection()), advertisedHost,
                handshake.port(), dataPortText(localDescriptor), directory.describe());
    }

    /** What the engine gives its transports. */
    private final class Context implements TransportContext {
        @Override
        public EngineConfig config() {
            return config;
        }

        @Override
        public MemoryRegistry memory() {
            return registry;
        }

        @Override
        public PeerAuthentication authentication() {
            return authentication;
        }

        @Override
        public String bindAddress() {
            return bind.address();
        }

        @Override
        public String localSegmentName() {
            return segmentName;
        }

        @Override
        public String advertisedHost() {
            return advertisedHost;
        }

        @Override
        public Deadlines deadlines() {
            return deadlines;
        }

        @Override
        public void peerFailed(String name) {
            Engine.this.peerFailed(name);
        }

        @Override
        public JsonNode handshake(RemoteTarget target, ObjectNode request) {
            RpcMeta rpc = directory.resolveRpc(target.segmentName());
            return handshakeClient.call(rpc.ipOrHostName(), rpc.rpcPort(), HandshakeType.CONNECTION, request);
        }

        @Override
        public void offerAllocator(MemoryAllocator allocator) {
            if (allocator.serves("cpu:0") || allocator.serves("*")) {
                memory.offerHostAllocator(allocator);
            } else {
                memory.offerDeviceAllocator(allocator);
            }
        }

        @Override
        public SegmentDescriptor localDescriptor() {
            return localDescriptor;
        }

        @Override
        public TransferListener listener() {
            return listener;
        }

        @Override
        public SegmentDescriptor descriptorOf(String name) {
            return name.equals(segmentName) ? localDescriptor : directory.fetch(name);
        }
    }

    /**
     * The protocol part of the ready line: what was requested, what runs, and why they differ,
     * e.g. {@code protocol requested rdma, running tcp (rdma: no RDMA device; fell back to tcp),
     * transports [tcp, local, shm]}.
     */
    static String protocolSummary(SelectionReport report) {
        StringBuilder b = new StringBuilder("protocol requested ").append(String.join(",", report.requested()))
                .append(", running ").append(report.primary());
        List<String> reasons = new ArrayList<>();
        for (SelectionReport.Decision d : report.decisions()) {
            if (d.outcome() == SelectionReport.Outcome.FELL_BACK || d.outcome() == SelectionReport.Outcome.OVERRIDDEN) {
                reasons.add(d.protocol() + ": " + d.why());
            }
        }
        if (!reasons.isEmpty()) {
            b.append(" (").append(String.join("; ", reasons)).append(')');
        }
        return b.append(", transports ").append(report.active()).toString();
    }

    private static String dataPortText(SegmentDescriptor d) {
        return d.tcpDataPort() > 0 ? Integer.toString(d.tcpDataPort()) : "none";
    }

    private SegmentDescriptor buildDescriptor() {
        String primary = transports.primary();
        List<BufferDescriptor> buffers = new ArrayList<>();
        for (Region r : registry.regions()) {
            if (r.remoteAccessible()) {
                buffers.add(BufferDescriptor.of("tcp".equals(primary) ? segmentName : r.location(), r.address(),
                        r.length()));
            }
        }
        SegmentDescriptor d = new SegmentDescriptor(segmentName, primary, 0, 1, null, buffers, List.of(), Map.of(),
                Map.of());
        return transports.describe(d);
    }

    private synchronized void republish() {
        if (!started || closed.get()) {
            return; // still starting (the first publish comes at the end of init), or closing
        }
        localDescriptor = buildDescriptor();
        segments.localChanged(localDescriptor);
        if (directory != null) {
            directory.publish(localDescriptor, new RpcMeta(advertisedHost, handshake.port()));
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
    public AdvertisedAddress advertisedAddress() {
        return address;
    }

    @Override
    public BindAddress bindAddress() {
        return bind;
    }

    @Override
    public PeerAuthentication authentication() {
        return authentication;
    }

    @Override
    public Duration transferTimeout() {
        return transferTimeout;
    }

    @Override
    public void transferTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "invalid transfer timeout " + timeout
                    + "; it must be positive, such as 30s");
        }
        log.info("Transfer timeout of new batches changed from {} to {}", transferTimeout, timeout);
        transferTimeout = timeout;
    }

    @Override
    public SelectionReport selection() {
        return transports.selection();
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
        for (Region r : registry.regions()) {
            out.add(new RegisteredMemory(r.address(), r.length(), r.location(), r.remoteAccessible()));
        }
        return out;
    }

    @Override
    public List<PeerInfo> peers() {
        return segments.peers();
    }

    @Override
    public Map<String, Map<String, Object>> transportStats() {
        return transports.stats();
    }

    // ---- memory

    @Override
    public void registerLocalMemory(long address, long length, String location, boolean remoteAccessible) {
        ensureOpen();
        memory.register(address, length, location, remoteAccessible, null, MemoryKind.ofLocation(location));
    }

    @Override
    public void registerLocalMemoryBatch(List<long[]> addressAndLength, String location) {
        ensureOpen();
        memory.registerBatch(addressAndLength, location);
    }

    @Override
    public void unregisterLocalMemory(long address) {
        memory.unregister(address);
    }

    @Override
    public LocalBuffer registerBuffer(ByteBuffer direct, String location, boolean remoteAccessible) {
        ensureOpen();
        return memory.registerBuffer(direct, location, remoteAccessible);
    }

    @Override
    public LocalBuffer allocateBuffer(long length, String location) {
        ensureOpen();
        return memory.allocateBuffer(length, location);
    }

    @Override
    public long allocateManagedBuffer(long length) {
        ensureOpen();
        return memory.allocateManaged(length);
    }

    @Override
    public void freeManagedBuffer(long address, long length) {
        memory.freeManaged(address, length);
    }

    // ---- segments

    @Override
    public SegmentHandle openSegment(String name) {
        ensureOpen();
        if (name == null || name.isBlank()) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "segment name is empty");
        }
        return segments.open(name, () -> localDescriptor);
    }

    @Override
    public void closeSegment(long segmentId) {
        segments.close(segmentId);
    }

    // ---- batches

    @Override
    public long allocateBatchId(int batchSize) {
        ensureOpen();
        long id = nextBatchId.getAndIncrement();
        batches.put(id, newBatch(id, batchSize));
        return id;
    }

    private BatchImpl newBatch(long id, int size) {
        return new BatchImpl(id, size, listener, deadlines, transferTimeout, router::cancel);
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
        BatchImpl b = newBatch(id, requests.size());
        batches.put(id, b);
        b.completion().whenComplete((r, ex) -> batches.remove(id));
        submitInto(b, requests);
        return b;
    }

    private void submitInto(BatchImpl batch, List<TransferRequest> requests) {
        ensureOpen();
        int n = requests.size();
        Route[] routes = new Route[n];
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            TransferRequest r = requests.get(i);
            if (r.length() > 0 && registry.find(r.source(), r.length()) == null) {
                throw new MooncakeException(ErrorCode.ADDRESS_NOT_REGISTERED, "request " + i + ": local range 0x"
                        + Long.toHexString(r.source()) + " + " + r.length()
                        + " bytes is not inside registered memory; register it with registerLocalMemory first");
            }
            routes[i] = segments.routeFor(i, r.targetId());
            bytes += r.length();
        }
        int base = batch.reserve(n, bytes);
        for (int i = 0; i < n; i++) {
            TransferRequest r = requests.get(i);
            Route route = routes[i];
            stats.submitted();
            TransferTask task = batch.add(base + i, r.opcode(), r.source(), r.targetOffset(), r.length(),
                    route.target, route.best() == null ? "none" : route.best().protocol());
            if (r.length() > 0) {
                Region local = registry.acquire(r.source(), r.length(), false);
                if (local == null) {
                    task.finish(TransferState.FAILED, FailureKind.LOCAL,
                            "local range was unregistered while being submitted");
                    task.submitted();
                    continue;
                }
                task.holdLocal(local);
            }
            router.dispatch(task, route);
            task.submitted();
        }
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
        Duration wait = transferTimeout.plusNanos(total);
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
            segments.markStale(target);
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
        return handshakeService.drainNotifies();
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
        transports.close();
        staging.close();
        if (handshake != null) {
            handshake.close();
        }
        deadlines.close();
        memory.freeAll();
    }

    /** A peer's connection failed: re-read its descriptor and metadata before the next use. */
    private void peerFailed(String name) {
        segments.markStale(name);
        if (directory != null) {
            directory.invalidate(name);
        }
    }

    /** The metadata service says a peer changed (re-registered, left). */
    private void peerChanged(String name) {
        segments.markStale(name);
        transports.peerInvalidated(name);
    }
}

package io.mooncake.transport.efa;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.batch.CancelCause;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.DeviceDescriptor;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.transport.Reach;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.jna.fabric.Fabric;
import io.mooncake.jna.fabric.FabricException;
import io.mooncake.jna.fabric.RdmEndpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The efa transport on libfabric: one RDM endpoint per device (the reference's shared-endpoint
 * design), RMA writes and reads straight between registered memory, peers' endpoint addresses
 * exchanged in handshake Connection messages ({@code efa_addr}) and inserted into an address
 * vector. The same code runs over the efa provider on AWS and over libfabric's {@code tcp;ofi_rxm}
 * or {@code shm} providers anywhere ({@link EfaSettings}).
 *
 * <p>Registration: every host-memory region is registered on every device ({@code fi_mr_reg});
 * remote-accessible ones publish one 64-bit key per device. Device (GPU) memory would need
 * {@code FI_HMEM}; this build does not register it and says so per request ({@link #unsupported}).
 *
 * <p>Requests: the engine has sliced the task; each slice goes to a peer device chosen from the
 * peer's priority matrix for the buffer's location (its preferred devices in turn, so a request
 * stripes over them), from a local device in turn. The first request to a peer device does the
 * handshake on a connector thread; the others post straight from the submitting thread. At most
 * {@code MC_MAX_WR} operations per device are in flight; the rest wait in the device's backlog.
 * {@code MC_EFA_CQ_THREADS} threads poll the completion queues (this is also what moves data on
 * providers with manual progress), spinning while work is outstanding and parking briefly when
 * idle. A failed completion ends its slice ({@link FailureKind#PEER_REJECTED} for a refused key or
 * range, else {@link FailureKind#CONNECTION}, which the engine may retry over tcp) and makes the
 * next request to that peer handshake again.
 */
final class EfaTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(EfaTransport.class);
    static final String PROTOCOL = "efa";
    private static final int IDLE_SPINS = 2000;
    private static final long IDLE_PARK_NANOS = 20_000;

    /** What a region carries for efa: one registration per device. */
    record Keys(RdmEndpoint.Registration[] registrations, long[] descriptors, long[] keys) {
    }

    /** A task waiting for its peers' handshakes, in submission order. */
    private record Waiting(TransferTask task, Keys keys, int[] cand, int pref, Peer[] route) {
    }

    /** A connection to one peer device from one local device. */
    private static final class Peer {
        final String segment;
        final int localDevice;
        final String remoteDevice;
        volatile long fiAddr = -1;
        volatile String failure;
        CompletableFuture<Long> connecting;

        Peer(String segment, int localDevice, String remoteDevice) {
            this.segment = segment;
            this.localDevice = localDevice;
            this.remoteDevice = remoteDevice;
        }
    }

    private final TransportContext context;
    private final Fabric fabric;
    private final EfaSettings settings;
    private final Map<String, List<List<String>>> matrix;
    private final List<String> deviceNames;
    private final List<EfaDevice> devices = new ArrayList<>();
    private final ConcurrentHashMap<String, Peer> peers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> passivePeers = new ConcurrentHashMap<>();
    private final AtomicInteger nextLocal = new AtomicInteger();
    private final java.util.ArrayDeque<Waiting> waiting = new java.util.ArrayDeque<>();
    private ExecutorService connector;
    private Thread[] pollers = new Thread[0];
    private volatile boolean closed;

    EfaTransport(TransportContext context, Fabric fabric, EfaSettings settings, List<String> deviceNames,
            Map<String, List<List<String>>> matrix) {
        this.context = context;
        this.fabric = fabric;
        this.settings = settings;
        this.deviceNames = List.copyOf(deviceNames);
        this.matrix = matrix;
    }

    @Override
    public String protocol() {
        return PROTOCOL;
    }

    @Override
    public void start() {
        try {
            for (String name : deviceNames) {
                RdmEndpoint ep = fabric.open(RdmEndpoint.Hints.of(settings.provider(), settings.domainOf(name)));
                RdmEndpoint.Description d = ep.description();
                long depth = d.txSize() > 0 ? d.txSize() : 4096;
                int maxWr = (int) Math.min(Math.min(depth, d.cqSize()), settings.maxWr() > 0 ? settings.maxWr()
                        : Integer.MAX_VALUE);
                if (settings.maxWr() > depth) {
                    log.warn("EFA {}: MC_MAX_WR={} exceeds the provider's transmit queue depth ({}); clamping", name,
                            settings.maxWr(), depth);
                }
                devices.add(new EfaDevice(devices.size(), name, ep, maxWr, this::operationFailed));
                log.info("EFA device (libfabric): {}, domain: {}, fabric: {}, provider: {} (provider from {}; api {}; "
                        + "shared endpoint, max_wr={}, provider tx queue={}, max_cqe={}, {})", name, d.domain(),
                        d.fabric(), d.provider(), settings.providerOrigin(), d.api(), maxWr, d.txSize(), d.cqSize(),
                        d.deliveryComplete() ? "delivery complete" : "transmit complete");
            }
        } catch (FabricException e) {
            close();
            throw new MooncakeException(ErrorCode.TRANSPORT_UNAVAILABLE, "efa transport cannot open libfabric provider '"
                    + settings.provider() + "': " + e.getMessage() + "; check " + EfaSettings.PROVIDER_ENV
                    + " / device_name, or set mooncake.protocol=tcp", e);
        }
        if (settings.nicSelection().equals("local")) {
            log.info("MC_EFA_NIC_SELECTION=local has no effect here: it pins accelerator memory to nearby NICs, and "
                    + "this efa transport registers host memory only");
        }
        connector = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "mooncake-efa-connect");
            t.setDaemon(true);
            return t;
        });
        int n = settings.cqThreads() == 0 ? devices.size() : Math.min(settings.cqThreads(), devices.size());
        pollers = new Thread[n];
        for (int i = 0; i < n; i++) {
            List<EfaDevice> mine = new ArrayList<>();
            for (int d = i; d < devices.size(); d += n) {
                mine.add(devices.get(d));
            }
            Thread t = new Thread(() -> pollLoop(mine), "mooncake-efa-cq-" + i);
            t.setDaemon(true);
            pollers[i] = t;
            t.start();
        }
    }

    private void pollLoop(List<EfaDevice> mine) {
        EfaDevice[] ds = mine.toArray(new EfaDevice[0]);
        try (RdmEndpoint.PollBuffer buffer = new RdmEndpoint.PollBuffer(64)) {
            int idle = 0;
            while (!closed) {
                boolean busy = false;
                for (EfaDevice d : ds) {
                    busy |= d.poll(buffer);
                }
                if (busy) {
                    idle = 0;
                } else if (++idle < IDLE_SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(IDLE_PARK_NANOS);
                }
            }
        } catch (RuntimeException e) {
            if (!closed) {
                log.error("EFA completion poller stopped: {}", e.toString(), e);
            }
        }
    }

    private void wakePollers() {
        for (Thread t : pollers) {
            LockSupport.unpark(t);
        }
    }

    // ---- memory

    @Override
    public void registered(Region region) {
        if (!region.kind().isHostAccessible()) {
            return; // device memory needs FI_HMEM; requests on it are declined in unsupported()
        }
        long access = region.remoteAccessible() ? RdmEndpoint.ACCESS_REMOTE : RdmEndpoint.ACCESS_LOCAL;
        RdmEndpoint.Registration[] regs = new RdmEndpoint.Registration[devices.size()];
        long[] descs = new long[regs.length];
        long[] keys = new long[regs.length];
        try {
            for (EfaDevice d : devices) {
                regs[d.index] = d.endpoint.register(region.address(), region.length(), access);
                descs[d.index] = regs[d.index].descriptor();
                keys[d.index] = regs[d.index].key();
            }
        } catch (FabricException e) {
            for (RdmEndpoint.Registration r : regs) {
                if (r != null) {
                    r.close();
                }
            }
            throw new MooncakeException(ErrorCode.MEMORY, "efa cannot register " + region + ": " + e.getMessage()
                    + " (locked-memory limit? check ulimit -l)", e);
        }
        region.attach(PROTOCOL, new Keys(regs, descs, keys));
    }

    @Override
    public void unregistered(Region region) {
        Object a = region.attachment(PROTOCOL);
        region.attach(PROTOCOL, null);
        if (a instanceof Keys k) {
            for (RdmEndpoint.Registration r : k.registrations()) {
                r.close();
            }
        }
    }

    @Override
    public SegmentDescriptor describe(SegmentDescriptor base) {
        if (!PROTOCOL.equals(base.protocol())) {
            return base;
        }
        List<DeviceDescriptor> devs = new ArrayList<>();
        for (EfaDevice d : devices) {
            devs.add(EfaDescriptors.device(d.name, d.endpoint.description().sourceAddress()));
        }
        List<BufferDescriptor> buffers = new ArrayList<>(base.buffers().size());
        for (BufferDescriptor b : base.buffers()) {
            Region r = context.memory().find(b.addr(), b.length());
            Object a = r == null ? null : r.attachment(PROTOCOL);
            List<Long> keys = new ArrayList<>(devices.size());
            for (EfaDevice d : devices) {
                keys.add(a instanceof Keys k ? k.keys()[d.index] : 0L);
            }
            buffers.add(new BufferDescriptor(b.name(), b.addr(), b.length(), keys, keys, b.shmName(), b.offset(),
                    b.extra()));
        }
        return new SegmentDescriptor(base.name(), base.protocol(), base.tcpDataPort(), base.tcpProtoVersion(),
                base.timestamp(), buffers, devs, matrix, base.extra());
    }

    // ---- routing

    @Override
    public Reach reach(RemoteTarget target) {
        if (target.id() == 0) {
            return Reach.none("own segment: the same-process transport copies it");
        }
        SegmentDescriptor d = target.descriptor();
        if (!PROTOCOL.equals(d.protocol()) || d.devices().isEmpty()) {
            return Reach.none("peer publishes no efa devices");
        }
        int ours = devices.get(0).endpoint.description().sourceAddress().length;
        for (DeviceDescriptor dev : d.devices()) {
            byte[] theirs;
            try {
                theirs = EfaDescriptors.sourceAddress(d, dev);
            } catch (MooncakeException e) {
                return Reach.none(e.getMessage());
            }
            if (ours > 0 && theirs.length != ours) {
                return Reach.none("peer's fabric addresses are " + theirs.length + " bytes, ours ("
                        + settings.provider() + ") " + ours + ": it runs another libfabric provider");
            }
        }
        return Reach.of(Reach.FABRIC, "peer publishes " + d.devices().size() + " efa device(s); libfabric provider "
                + settings.provider());
    }

    @Override
    public String unsupported(TransferTask task) {
        Region local = task.localRegion();
        if (local == null) {
            return null;
        }
        if (!local.kind().isHostAccessible()) {
            return "the local buffer is device memory (" + local.location() + "): this efa build registers host "
                    + "memory only (no FI_HMEM)";
        }
        if (!(local.attachment(PROTOCOL) instanceof Keys)) {
            return "the local buffer is not registered with efa";
        }
        BufferDescriptor b = task.remoteBuffer();
        if (b != null && (b.rkey().isEmpty() || allZero(b.rkey()))) {
            return "the peer registered this buffer on no efa device";
        }
        return null;
    }

    private static boolean allZero(List<Long> keys) {
        for (long k : keys) {
            if (k != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int sliceSize(RemoteTarget target) {
        long max = devices.isEmpty() ? 0 : devices.get(0).endpoint.description().maxMessageSize();
        int slice = context.config().sliceSize();
        return max > 0 && max < slice ? (int) max : slice;
    }

    // ---- data path

    @Override
    public void submit(TransferTask task) {
        RemoteTarget target = task.target();
        SegmentDescriptor remote = target.descriptor();
        BufferDescriptor b = task.remoteBuffer();
        int[] cand = EfaDescriptors.candidates(remote, b);
        if (cand.length == 0) {
            failAll(task, FailureKind.NO_TRANSPORT, "segment '" + target.segmentName() + "' registered buffer 0x"
                    + Long.toHexString(b.addr()) + " on no efa device");
            return;
        }
        int pref = EfaDescriptors.preferredCount(remote, b, cand);
        if (task.sliceCount() == 0) {
            return;
        }
        Region local = task.localRegion();
        Keys keys = local == null ? null : (Keys) local.attachment(PROTOCOL);
        if (keys == null) {
            failAll(task, FailureKind.LOCAL, "the local buffer was unregistered from efa");
            return;
        }
        // Peers this task uses: its preferred remote devices, each from one local device.
        int local0 = Math.floorMod(nextLocal.getAndIncrement(), devices.size());
        int used = Math.min(pref, task.sliceCount());
        Peer[] route = new Peer[used];
        boolean ready = true;
        for (int i = 0; i < used; i++) {
            int remoteDev = cand[(task.index() + i) % pref];
            int localDev = (local0 + i) % devices.size();
            route[i] = peer(target.segmentName(), localDev, remote.devices().get(remoteDev).name());
            ready &= route[i].fiAddr >= 0;
        }
        if (ready) {
            post(task, keys, cand, pref, route);
            return;
        }
        synchronized (waiting) {
            waiting.add(new Waiting(task, keys, cand, pref, route));
        }
        for (Peer p : route) {
            connect(target, p);
        }
        releaseWaiting();
    }

    /** Posts, in submission order, the waiting tasks whose peers are now connected; fails those whose handshake failed. */
    private void releaseWaiting() {
        List<Waiting> go = new ArrayList<>();
        List<Waiting> fail = new ArrayList<>();
        synchronized (waiting) {
            for (java.util.Iterator<Waiting> it = waiting.iterator(); it.hasNext();) {
                Waiting w = it.next();
                boolean ready = true;
                String failure = null;
                for (Peer p : w.route()) {
                    if (p.failure != null) {
                        failure = p.failure;
                    }
                    ready &= p.fiAddr >= 0;
                }
                if (failure != null) {
                    it.remove();
                    fail.add(w);
                } else if (ready) {
                    it.remove();
                    go.add(w);
                }
            }
        }
        for (Waiting w : go) {
            post(w.task(), w.keys(), w.cand(), w.pref(), w.route());
        }
        for (Waiting w : fail) {
            String why = null;
            for (Peer p : w.route()) {
                why = p.failure != null ? p.failure : why;
            }
            failAll(w.task(), FailureKind.CONNECTION, "efa handshake with '" + w.task().target().segmentName()
                    + "' failed: " + why);
        }
    }

    private void post(TransferTask task, Keys keys, int[] cand, int pref, Peer[] route) {
        BufferDescriptor b = task.remoteBuffer();
        boolean write = task.opCode() == OpCode.WRITE;
        int count = task.sliceCount();
        // Route r carries slices r, r + routes, r + 2 routes ...: one device lock per route.
        for (int r = 0; r < route.length; r++) {
            Peer p = route[r];
            long rkey = b.rkey().get(cand[(task.index() + r) % pref]);
            EfaDevice d = devices.get(p.localDevice);
            long desc = keys.descriptors()[d.index];
            d.lockForEnqueue();
            try {
                for (int k = r; k < count; k += route.length) {
                    long off = task.sliceOffset(k);
                    d.enqueue(task, task.source() + off, task.sliceLength(k), desc, p.fiAddr,
                            d.endpoint.remoteAddress(task.targetAddress() + off, b.addr()), rkey, write);
                }
            } finally {
                d.unlockAfterEnqueue();
            }
        }
        for (Peer p : route) {
            devices.get(p.localDevice).drain();
        }
        wakePollers();
    }

    private Peer peer(String segment, int localDevice, String remoteDevice) {
        String key = segment + '\n' + localDevice + '\n' + remoteDevice;
        Peer p = peers.get(key);
        return p != null ? p : peers.computeIfAbsent(key, k -> new Peer(segment, localDevice, remoteDevice));
    }

    private CompletableFuture<Long> connect(RemoteTarget target, Peer p) {
        synchronized (p) {
            if (p.fiAddr >= 0) {
                return CompletableFuture.completedFuture(p.fiAddr);
            }
            if (p.connecting == null) {
                p.connecting = CompletableFuture.supplyAsync(() -> handshake(target, p), connector);
                p.connecting.whenComplete((addr, err) -> {
                    synchronized (p) {
                        if (err != null) {
                            Throwable cause = err instanceof java.util.concurrent.CompletionException
                                    && err.getCause() != null ? err.getCause() : err;
                            p.failure = String.valueOf(cause.getMessage());
                            peers.remove(key(p), p);
                            context.peerFailed(p.segment);
                        }
                        p.connecting = null;
                    }
                    releaseWaiting();
                });
            }
            return p.connecting;
        }
    }

    private static String key(Peer p) {
        return p.segment + '\n' + p.localDevice + '\n' + p.remoteDevice;
    }

    private long handshake(RemoteTarget target, Peer p) {
        EfaDevice d = devices.get(p.localDevice);
        EfaConnectionMessage req = EfaConnectionMessage.request(
                EfaConnectionMessage.nicPath(context.localSegmentName(), d.name),
                EfaConnectionMessage.nicPath(target.segmentName(), p.remoteDevice), d.endpoint.addressHex());
        JsonNode answer = context.handshake(target, req.toJson());
        EfaConnectionMessage reply = EfaConnectionMessage.parse(answer);
        if (!reply.replyMsg().isEmpty()) {
            throw new MooncakeException(ErrorCode.REJECT_HANDSHAKE, "peer refused the efa connection to "
                    + req.peerNicPath() + ": " + reply.replyMsg());
        }
        if (reply.efaAddr().isEmpty()) {
            throw new MooncakeException(ErrorCode.REJECT_HANDSHAKE, "peer did not provide an efa_addr for "
                    + req.peerNicPath() + " (is it an efa node?)");
        }
        long fiAddr = d.endpoint.insert(reply.efaAddressBytes());
        p.fiAddr = fiAddr; // before the future completes: requests waiting on it post with this address
        log.debug("EFA connection established: {} <-> {} (fi_addr {})", req.localNicPath(), req.peerNicPath(), fiAddr);
        return fiAddr;
    }

    /** A failed operation: a broken path makes the next request to that peer handshake again. */
    private void operationFailed(EfaDevice device, long fiAddr, int error, String text) {
        if (EfaDevice.kindOf(error) != FailureKind.CONNECTION) {
            return;
        }
        for (Peer p : peers.values()) {
            if (p.localDevice == device.index && p.fiAddr == fiAddr && peers.remove(key(p), p)) {
                log.warn("EFA path {} -> {}@{} failed ({}); the next request handshakes again", device.name, p.segment,
                        p.remoteDevice, text);
                context.peerFailed(p.segment);
            }
        }
    }

    @Override
    public void cancel(TransferTask task, CancelCause cause) {
        FailureKind kind = cause == CancelCause.DEADLINE ? FailureKind.TIMEOUT : FailureKind.CANCELED;
        for (EfaDevice d : devices) {
            d.dropQueued(task, kind, cause == CancelCause.DEADLINE ? "deadline passed before this slice was sent"
                    : "canceled before this slice was sent");
        }
    }

    private static void failAll(TransferTask task, FailureKind kind, String reason) {
        for (int k = task.sliceCount(); k > 0; k--) {
            task.sliceFailed(kind, reason);
        }
    }

    // ---- handshake server side

    @Override
    public ObjectNode onConnectionRequest(ObjectNode request) {
        if (!EfaConnectionMessage.isEfa(request)) {
            return null;
        }
        EfaConnectionMessage req = EfaConnectionMessage.parse(request);
        String wanted = EfaConnectionMessage.deviceOf(req.peerNicPath());
        EfaDevice d = null;
        for (EfaDevice x : devices) {
            if (x.name.equals(wanted)) {
                d = x;
            }
        }
        if (d == null) {
            return EfaConnectionMessage.reject(req, "no efa device '" + wanted + "' here; devices: " + deviceNames)
                    .toJson();
        }
        try {
            long fiAddr = d.endpoint.insert(req.efaAddressBytes());
            Long old = passivePeers.put(req.localNicPath() + "->" + d.name, fiAddr);
            if (old != null && old != fiAddr) {
                log.info("EFA peer {} re-established its connection to {}", req.localNicPath(), d.name);
            }
        } catch (RuntimeException e) {
            return EfaConnectionMessage.reject(req, "cannot insert efa_addr: " + e.getMessage()).toJson();
        }
        return EfaConnectionMessage.accept(req, EfaConnectionMessage.nicPath(context.localSegmentName(), d.name),
                d.endpoint.addressHex()).toJson();
    }

    @Override
    public void peerInvalidated(String segmentName) {
        peers.values().removeIf(p -> p.segment.equals(segmentName) && p.connecting == null);
    }

    @Override
    public Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("provider", settings.provider());
        m.put("providerFrom", settings.providerOrigin());
        m.put("cqThreads", pollers.length);
        m.put("nicSelection", settings.nicSelection() + (settings.nicSelection().equals("local")
                ? " (no effect: host memory only)" : ""));
        List<Map<String, Object>> devs = new ArrayList<>();
        for (EfaDevice d : devices) {
            RdmEndpoint.Description desc = d.endpoint.description();
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("name", d.name);
            x.put("domain", desc.domain());
            x.put("fabric", desc.fabric());
            x.put("provider", desc.provider());
            x.put("api", desc.api());
            x.put("maxWr", d.maxWr);
            x.put("deliveryComplete", desc.deliveryComplete());
            x.put("posted", d.posted.get());
            x.put("completed", d.completed.get());
            x.put("failed", d.failed.get());
            x.put("providerBusy", d.eagain.get());
            x.put("queued", d.queued());
            x.put("inFlight", d.inFlight());
            devs.add(x);
        }
        m.put("devices", devs);
        m.put("peers", peers.size());
        return m;
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : pollers) {
            LockSupport.unpark(t);
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (connector != null) {
            connector.shutdownNow();
        }
        for (EfaDevice d : devices) {
            try {
                d.close();
            } catch (RuntimeException e) {
                log.debug("closing efa device {}", d.name, e);
            }
        }
    }

    @Override
    public String toString() {
        return "efa over " + settings.provider() + " " + Arrays.toString(deviceNames.toArray());
    }
}

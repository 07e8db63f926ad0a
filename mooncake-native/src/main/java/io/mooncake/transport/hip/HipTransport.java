package io.mooncake.transport.hip;

import io.mooncake.device.hip.HipDeviceMemory;
import io.mooncake.device.hip.HipRuntime;
import io.mooncake.engine.api.ErrorCode;
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
import io.mooncake.engine.transport.SliceRing;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.jna.hip.Hip;
import io.mooncake.jna.hip.HipException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Protocol {@code hip}: AMD GPU memory moved between processes on one host through HIP IPC, as
 * the reference's {@code HipTransport} does in its default (IPC) mode.
 *
 * <p>Registration: a remote-accessible {@code hip:N} region gets the {@code hipIpcGetMemHandle} of
 * its address, published in the buffer's {@code shm_name} as 128 uppercase hex digits, with the
 * buffer's {@code name} set to its location. Host memory is left to the other transports (the
 * reference skips it too). Initiator: the handle of the peer buffer holding the remote range is
 * opened with {@code hipIpcOpenMemHandle} once per peer allocation and cached (closed when the
 * peer's descriptor changes or it leaves); a slice is one {@code hipMemcpyAsync(hipMemcpyDefault)}
 * between the local address (device or host memory) and the mapped peer address, on one of a few
 * copy lanes, each a thread with its own stream per device. A lane posts the slices it has queued,
 * waits for its streams, then ends them. A handle this process exported itself (another engine in
 * the same JVM, or its own segment) is not opened: its address is used as is, since a process
 * cannot open its own IPC handle.
 *
 * <p>Failures: a peer handle the runtime cannot open (the peer freed the memory or exited) fails
 * the request as {@code PEER_REJECTED} with the runtime's error, without a fallback (no other
 * transport reaches a peer's GPU memory), and has the peer's descriptor re-read; a copy the
 * runtime refuses fails its slice as {@code LOCAL}.
 *
 * <p>Request states: slices of a task that ended (deadline, cancel) before a lane posted them end
 * CANCELED without a copy; a copy the GPU already runs cannot be recalled, so its slice ends when
 * the GPU finished it, and only then is the local memory released. Thread-safe.
 */
public final class HipTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(HipTransport.class);

    /** Largest slice: large enough for full copy bandwidth, small enough to spread a request over the lanes. */
    static final int SLICE_BYTES = 8 << 20;
    /** Top-level descriptor field: the kernel's boot id, so peers can tell they share the host. */
    static final String BOOT_ID = "hip_boot_id";
    /** Processes of this JVM: handles exported through each runtime instance, hex to address. */
    private static final Map<Hip, Map<String, Long>> EXPORTED = java.util.Collections.synchronizedMap(
            new java.util.WeakHashMap<>());

    private final TransportContext context;
    private final String protocol;
    private final Hip hip;
    private final int deviceCount;
    private final String bootId;
    private final Map<String, Long> exported;
    private final Map<BufferDescriptor, Mapping> mappings = new ConcurrentHashMap<>();
    private final Lane[] lanes;
    private final AtomicInteger next = new AtomicInteger();
    private volatile boolean closed;

    /**
     * @param protocol the protocol name ({@code hip}; tests run a second name over a test double)
     * @param runtime a usable runtime
     * @param streams copy lanes (each a thread with one stream per device it copies on)
     */
    public HipTransport(TransportContext context, String protocol, HipRuntime runtime, int streams) {
        if (!runtime.usable()) {
            throw new MooncakeException(ErrorCode.TRANSPORT_UNAVAILABLE, protocol + ": " + runtime.unavailable());
        }
        this.context = context;
        this.protocol = protocol;
        this.hip = runtime.hip();
        this.deviceCount = runtime.devices();
        this.bootId = HostIdentity.bootId();
        synchronized (EXPORTED) {
            this.exported = EXPORTED.computeIfAbsent(hip, h -> new ConcurrentHashMap<>());
        }
        this.lanes = new Lane[Math.max(1, streams)];
    }

    @Override
    public String protocol() {
        return protocol;
    }

    @Override
    public void start() {
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = new Lane(protocol + "-copy-" + i);
            lanes[i].thread.start();
        }
        log.info("{}: {} copy lane(s) over {} ({} GPU(s))", protocol, lanes.length, hip.library(), deviceCount);
    }

    @Override
    public boolean takesDeviceMemory() {
        return true;
    }

    // ---- registration

    /** What a published region carries. */
    record Export(String handle, int device) {
    }

    @Override
    public void registered(Region region) {
        if (region.kind() != MemoryKind.DEVICE || !region.location().startsWith("hip:") || !region.remoteAccessible()) {
            return;
        }
        int device = HipDeviceMemory.device(region.location());
        if (device >= deviceCount) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "cannot register " + region + " for " + protocol
                    + ": the HIP runtime sees " + deviceCount + " GPU(s)");
        }
        byte[] handle;
        try {
            handle = hip.ipcGetMemHandle(region.address());
        } catch (HipException e) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "cannot publish " + region + " over " + protocol
                    + ": " + e.getMessage() + " (only memory from hipMalloc can be shared between processes)", e);
        }
        String hex = HipHandles.encode(handle);
        exported.put(hex, region.address());
        region.attach(protocol, new Export(hex, device));
        log.debug("{}: published {} with IPC handle {}...", protocol, region, hex.substring(0, 16));
    }

    @Override
    public void unregistered(Region region) {
        if (region.attachment(protocol) instanceof Export e) {
            exported.remove(e.handle(), region.address());
        }
    }

    @Override
    public SegmentDescriptor describe(SegmentDescriptor base) {
        List<BufferDescriptor> buffers = new ArrayList<>(base.buffers().size());
        boolean any = false;
        for (BufferDescriptor b : base.buffers()) {
            Region r = context.memory().find(b.addr(), b.length());
            if (r != null && r.attachment(protocol) instanceof Export e) {
                buffers.add(new BufferDescriptor(r.location(), b.addr(), b.length(), b.rkey(), b.lkey(), e.handle(),
                        b.offset(), b.extra()));
                any = true;
            } else {
                buffers.add(b);
            }
        }
        Map<String, JsonNode> extra = new HashMap<>(base.extra());
        if (any) {
            extra.put(BOOT_ID, JsonNodeFactory.instance.stringNode(bootId));
        }
        return new SegmentDescriptor(base.name(), base.protocol(), base.tcpDataPort(), base.tcpProtoVersion(),
                base.timestamp(), buffers, base.devices(), base.priorityMatrix(), extra);
    }

    // ---- routing

    @Override
    public Reach reach(RemoteTarget target) {
        SegmentDescriptor d = target.descriptor();
        boolean handles = false;
        for (BufferDescriptor b : d.buffers()) {
            handles |= HipHandles.isIpcHandle(b.shmName());
        }
        if (!handles) {
            return Reach.none("peer publishes no HIP IPC handle (no buffer with a 64-byte shm_name)");
        }
        JsonNode boot = d.extra().get(BOOT_ID);
        if (boot != null && !bootId.equals(boot.asString(""))) {
            return Reach.none("peer is on another host (boot id " + boot.asString("") + "): HIP IPC handles open only "
                    + "on the host that exported them");
        }
        if (boot == null && target.id() != 0 && !SameHost.isLocal(target.host())) {
            return Reach.none("peer " + target.host() + " is not an address of this host: HIP IPC handles open only "
                    + "on the host that exported them");
        }
        return Reach.of(Reach.SAME_HOST, "same host: HIP IPC handles of its GPU buffers, copied by hipMemcpyAsync");
    }

    @Override
    public String unsupported(TransferTask task) {
        Region local = task.localRegion();
        if (local != null && local.kind() == MemoryKind.DEVICE && !local.location().startsWith("hip:")) {
            return "the local buffer is " + local.location() + " memory, not AMD GPU memory";
        }
        BufferDescriptor b = task.remoteBuffer();
        if (b == null) {
            return null; // own segment: addresses are this process's
        }
        return HipHandles.isIpcHandle(b.shmName()) ? null : HipHandles.describe(b.shmName());
    }

    @Override
    public int sliceSize(RemoteTarget target) {
        return SLICE_BYTES;
    }

    // ---- data path

    @Override
    public void submit(TransferTask task) {
        int count = task.sliceCount();
        if (closed) {
            for (int k = 0; k < count; k++) {
                task.sliceFailed(FailureKind.LOCAL, protocol + " transport is closed");
            }
            return;
        }
        int first = Math.floorMod(next.getAndAdd(count), lanes.length);
        for (int k = 0; k < count; k++) {
            lanes[(first + k) % lanes.length].enqueue(task, k);
        }
    }

    /** Device whose stream copies for this task: the local GPU, else the peer buffer's GPU, else 0. */
    private int deviceOf(TransferTask task) {
        Region local = task.localRegion();
        if (local != null && local.attachment(protocol) instanceof Export e) {
            return e.device();
        }
        if (local != null && local.kind() == MemoryKind.DEVICE) {
            return HipDeviceMemory.device(local.location());
        }
        BufferDescriptor b = task.remoteBuffer();
        if (b != null && b.name().startsWith("hip:")) {
            try {
                int d = HipDeviceMemory.device(b.name());
                return d < deviceCount ? d : 0;
            } catch (MooncakeException e) {
                return 0;
            }
        }
        return 0;
    }

    /** The peer allocation of {@code b}, opened once and shared by every slice into it. */
    private Mapping mapping(TransferTask task, BufferDescriptor b) {
        Mapping m = mappings.get(b);
        if (m != null) {
            return m;
        }
        synchronized (mappings) {
            m = mappings.get(b);
            if (m != null) {
                return m;
            }
            if (closed) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, protocol + " transport is closed");
            }
            String segment = task.target().segmentName();
            Long own = exported.get(b.shmName().toUpperCase(java.util.Locale.ROOT));
            if (own != null) {
                m = new Mapping(segment, own, false);
                log.debug("{}: buffer 0x{} of '{}' was exported by this process: used directly", protocol,
                        Long.toHexString(b.addr()), segment);
            } else {
                long base = hip.ipcOpenMemHandle(HipHandles.decode(b.shmName()));
                m = new Mapping(segment, base, true);
                log.info("{}: opened the IPC handle of '{}' buffer 0x{} ({} bytes) at 0x{}", protocol, segment,
                        Long.toHexString(b.addr()), b.length(), Long.toHexString(base));
            }
            mappings.put(b, m);
            return m;
        }
    }

    @Override
    public void peerInvalidated(String segmentName) {
        mappings.entrySet().removeIf(e -> {
            if (e.getValue().segment.equals(segmentName)) {
                e.getValue().retire();
                return true;
            }
            return false;
        });
    }

    @Override
    public Map<String, Object> stats() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("library", hip.library());
        s.put("gpus", deviceCount);
        s.put("copyLanes", lanes.length);
        s.put("peerAllocationsOpened", mappings.size());
        int queued = 0;
        for (Lane l : lanes) {
            queued += l == null ? 0 : l.queued();
        }
        s.put("slicesQueued", queued);
        return s;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Lane l : lanes) {
            if (l != null) {
                l.stop();
            }
        }
        for (Lane l : lanes) {
            if (l != null) {
                try {
                    l.thread.join(30_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (l.thread.isAlive()) {
                    log.warn("{}: copy lane {} still waits for the GPU after 30 s; its streams are left open", protocol,
                            l.thread.getName());
                }
            }
        }
        synchronized (mappings) {
            mappings.values().forEach(Mapping::retire);
            mappings.clear();
        }
    }

    /** A peer allocation mapped into this process; closed once retired and unused. */
    final class Mapping {
        final String segment;
        final long base;
        final boolean opened;
        private final AtomicInteger users = new AtomicInteger(1); // 1 = the cache's own reference

        Mapping(String segment, long base, boolean opened) {
            this.segment = segment;
            this.base = base;
            this.opened = opened;
        }

        boolean acquire() {
            int u;
            do {
                u = users.get();
                if (u == 0) {
                    return false;
                }
            } while (!users.compareAndSet(u, u + 1));
            return true;
        }

        void release() {
            if (users.decrementAndGet() == 0 && opened) {
                try {
                    hip.ipcCloseMemHandle(base);
                    log.debug("{}: closed the IPC mapping of '{}' at 0x{}", protocol, segment, Long.toHexString(base));
                } catch (HipException e) {
                    log.warn("{}: closing the IPC mapping of '{}' at 0x{} failed: {}", protocol, segment,
                            Long.toHexString(base), e.getMessage());
                }
            }
        }

        void retire() {
            release();
        }
    }

    /** One copy thread with its streams and its queue of (task, slice) pairs; nothing allocated per slice. */
    private final class Lane implements Runnable {
        private static final int BATCH = 32;
        final Thread thread;
        private final Object lock = new Object();
        /** (task, slice index) pairs; guarded by {@link #lock}. */
        private final SliceRing<Void> queue = new SliceRing<>(0, 1, 64);
        private volatile boolean stopping;
        private volatile boolean parked;
        // owned by the lane thread
        private final long[] streams = new long[Math.max(1, deviceCount)];
        private int currentDevice = -1;
        private final TransferTask[] posted = new TransferTask[BATCH];
        private final int[] postedSlice = new int[BATCH];
        private final Mapping[] postedMapping = new Mapping[BATCH];
        private final int[] postedDevice = new int[BATCH];
        private final String[] postedError = new String[BATCH];
        private final FailureKind[] postedKind = new FailureKind[BATCH];

        Lane(String name) {
            thread = new Thread(this, name);
            thread.setDaemon(true);
        }

        int queued() {
            synchronized (lock) {
                return queue.size();
            }
        }

        void enqueue(TransferTask task, int slice) {
            boolean rejected;
            synchronized (lock) {
                rejected = stopping;
                if (!rejected) {
                    queue.setInt(queue.add(task, null), 0, slice);
                }
            }
            if (rejected) {
                task.sliceFailed(FailureKind.LOCAL, protocol + " transport is closed");
            } else if (parked) {
                java.util.concurrent.locks.LockSupport.unpark(thread);
            }
        }

        /** Moves up to BATCH queued slices into posted[]; answers how many. */
        private int take() {
            synchronized (lock) {
                int n = Math.min(queue.size(), BATCH);
                for (int k = 0; k < n; k++) {
                    int slot = queue.first();
                    posted[k] = queue.task(slot);
                    postedSlice[k] = queue.getInt(slot, 0);
                    queue.removeFirst();
                }
                return n;
            }
        }

        @Override
        public void run() {
            try {
                while (true) {
                    int n = take();
                    if (n > 0) {
                        copy(n);
                        continue;
                    }
                    if (stopping) {
                        return;
                    }
                    parked = true;
                    if (queued() == 0 && !stopping) {
                        java.util.concurrent.locks.LockSupport.park(this);
                    }
                    parked = false;
                }
            } finally {
                failQueued();
                for (int d = 0; d < streams.length; d++) {
                    if (streams[d] != 0) {
                        try {
                            hip.setDevice(d);
                            hip.streamDestroy(streams[d]);
                        } catch (HipException e) {
                            log.debug("{}: destroying a stream failed: {}", protocol, e.getMessage());
                        }
                    }
                }
            }
        }

        private void failQueued() {
            int n;
            while ((n = take()) > 0) {
                for (int k = 0; k < n; k++) {
                    posted[k].sliceFailed(FailureKind.LOCAL, protocol + " transport closed before the slice was copied");
                    posted[k] = null;
                }
            }
        }

        private long stream(int device) {
            if (currentDevice != device) {
                hip.setDevice(device);
                currentDevice = device;
            }
            long s = streams[device];
            if (s == 0) {
                s = hip.streamCreate();
                streams[device] = s;
            }
            return s;
        }

        /** Posts n slices, waits for the streams used, ends every slice once. */
        private void copy(int n) {
            long usedDevices = 0;
            for (int k = 0; k < n; k++) {
                TransferTask task = posted[k];
                postedMapping[k] = null;
                postedError[k] = null;
                postedKind[k] = FailureKind.LOCAL;
                postedDevice[k] = -1;
                if (task.isDone()) {
                    postedError[k] = "";
                    continue;
                }
                int slice = postedSlice[k];
                long off = task.sliceOffset(slice);
                int len = task.sliceLength(slice);
                long local = task.source() + off;
                long remote = task.targetAddress() + off;
                BufferDescriptor b = task.remoteBuffer();
                try {
                    int device = deviceOf(task);
                    long s = stream(device); // also makes it current: handles are opened on this device
                    if (b != null) {
                        Mapping m;
                        try {
                            m = mapping(task, b);
                        } catch (RuntimeException e) {
                            postedError[k] = "the GPU memory of '" + task.target().segmentName() + "' at 0x"
                                    + Long.toHexString(b.addr()) + " cannot be opened: " + e.getMessage();
                            postedKind[k] = FailureKind.PEER_REJECTED;
                            context.peerFailed(task.target().segmentName());
                            continue;
                        }
                        if (!m.acquire()) {
                            mappings.remove(b, m);
                            m = mapping(task, b);
                            if (!m.acquire()) {
                                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "the mapping was closed");
                            }
                        }
                        postedMapping[k] = m;
                        remote = m.base + (remote - b.addr());
                    }
                    if (task.opCode() == OpCode.WRITE) {
                        hip.memcpyAsync(remote, local, len, s);
                    } else {
                        hip.memcpyAsync(local, remote, len, s);
                    }
                    postedDevice[k] = device;
                    usedDevices |= 1L << Math.min(device, 63);
                } catch (RuntimeException e) { // a runtime error, or anything else: the slice ends, the lane lives on
                    postedError[k] = "copy of " + len + " bytes " + (task.opCode() == OpCode.WRITE ? "to" : "from")
                            + " '" + task.target().segmentName() + "' failed: " + e.getMessage();
                }
            }
            String[] syncError = null;
            for (int d = 0; d < streams.length && usedDevices != 0; d++) {
                if ((usedDevices & (1L << Math.min(d, 63))) != 0 && streams[d] != 0) {
                    try {
                        hip.streamSynchronize(streams[d]);
                    } catch (HipException e) {
                        if (syncError == null) {
                            syncError = new String[streams.length];
                        }
                        syncError[d] = "the GPU copy failed: " + e.getMessage();
                    }
                }
            }
            for (int k = 0; k < n; k++) {
                TransferTask task = posted[k];
                posted[k] = null;
                Mapping m = postedMapping[k];
                postedMapping[k] = null;
                if (m != null) {
                    m.release();
                }
                String error = postedError[k];
                int d = postedDevice[k];
                if (error == null && syncError != null && d >= 0 && syncError[d] != null) {
                    error = syncError[d];
                }
                if (error == null) {
                    task.sliceCompleted(task.sliceLength(postedSlice[k]));
                } else if (error.isEmpty()) {
                    task.sliceFailed(FailureKind.CANCELED, "ended before it was copied");
                } else {
                    task.sliceFailed(postedKind[k], error);
                }
            }
        }

        void stop() {
            stopping = true;
            java.util.concurrent.locks.LockSupport.unpark(thread);
        }
    }
}

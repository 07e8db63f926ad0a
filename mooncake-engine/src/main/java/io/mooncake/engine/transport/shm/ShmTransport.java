package io.mooncake.engine.transport.shm;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.memory.SharedMapping;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.transport.CountedHold;
import io.mooncake.engine.transport.DescriptorFields;
import io.mooncake.engine.transport.HostIdentity;
import io.mooncake.engine.transport.OwnerLiveness;
import io.mooncake.engine.transport.MemoryCopier;
import io.mooncake.engine.transport.Reach;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Same-host transport over shared memory.
 *
 * <p>Target side: at start it offers the engine an allocator of owner-only (0600) files in the
 * shared-memory directory, so engine-allocated buffers (allocateBuffer, allocateManagedBuffer,
 * Spring's global segment) live in them; registered remote-accessible regions in such memory are
 * published with {@code shm_file} and {@code shm_offset} per buffer and the host's boot id as
 * {@code shm_boot_id}. Memory the caller registered itself is private and is not published here
 * (peers reach it over tcp). Reference nodes ignore these fields.
 *
 * <p>Initiator side: a peer with the same boot id is reached here; a buffer's file is mapped on
 * first use (names are checked, so a descriptor cannot make us map an arbitrary file) and cached
 * until the peer's descriptor stops listing it. The engine has checked the range against the
 * published buffer; the mapping is at least as long as the owner published. Copies: slices up to
 * 64 KiB on the submitting thread, larger ones on copy threads. When a mapping cannot be opened
 * (another container, another user), its requests fail over to the next transport with the reason,
 * and later requests to it skip shm.
 *
 * <p>What a peer can touch: exactly the published, remote-accessible regions, as over tcp. A
 * region unregistered without being freed stays reachable by a peer that mapped it earlier, until
 * it is freed (the owner unmaps and deletes the file; the peer's stale mapping then writes into
 * memory nobody reads).
 */
final class ShmTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(ShmTransport.class);
    static final String BOOT_ID = "shm_boot_id";
    static final String FILE = "shm_file";
    static final String OFFSET = "shm_offset";
    private static final String NOT_SHARED = "the peer's buffer is not in shared memory (memory it registered "
            + "itself, not allocated by its engine)";

    /** What a region published here carries. */
    record Published(String file, long offset) {
    }

    private final TransportContext context;
    private final Path directory;
    private final String bootId = HostIdentity.bootId();
    private final MemoryCopier copier = new MemoryCopier("mooncake-shm-copy", 2, 64 * 1024);
    private final ConcurrentHashMap<String, PeerMapping> mappings = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, String> unusable = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Set<String>> filesBySegment = new ConcurrentHashMap<>();
    private final LongAdder opened = new LongAdder();
    private volatile boolean closed;

    ShmTransport(TransportContext context, Path directory) {
        this.context = context;
        this.directory = directory;
    }

    @Override
    public String protocol() {
        return ShmTransportProvider.PROTOCOL;
    }

    @Override
    public void start() {
        int swept = SharedMapping.sweepStale(directory);
        if (swept > 0) {
            log.info("Removed {} shared-memory file(s) of processes that no longer run from {}", swept, directory);
        }
        context.offerAllocator(new SharedAllocator(directory));
    }

    @Override
    public void registered(Region region) {
        if (region.remoteAccessible() && region.owner() instanceof SharedAllocator.SharedAllocation a) {
            region.attach(protocol(), new Published(a.mapping.name(), region.address() - a.mapping.address()));
        }
    }

    @Override
    public void unregistered(Region region) {
        region.attach(protocol(), null);
    }

    @Override
    public SegmentDescriptor describe(SegmentDescriptor base) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        boolean[] any = {false};
        SegmentDescriptor d = DescriptorFields.publish(base, b -> {
            Region r = context.memory().find(b.addr(), b.length());
            if (r != null && r.attachment(protocol()) instanceof Published p) {
                any[0] = true;
                return DescriptorFields.withFields(b, Map.of(FILE, f.stringNode(p.file()), OFFSET,
                        f.numberNode(p.offset())));
            }
            return b;
        }, Map.of());
        return any[0] ? DescriptorFields.publish(d, b -> b, Map.of(BOOT_ID, f.stringNode(bootId))) : d;
    }

    @Override
    public Reach reach(RemoteTarget target) {
        if (target.id() == 0) {
            return Reach.none("own segment: the same-process transport copies it");
        }
        JsonNode boot = target.descriptor().extra().get(BOOT_ID);
        if (boot == null) {
            return Reach.none("peer publishes no shared memory");
        }
        if (!bootId.equals(boot.asString(""))) {
            return Reach.none("peer is on another host");
        }
        retireUnlisted(target);
        return Reach.of(Reach.SAME_HOST, "same host: its engine-allocated buffers are mapped from " + directory);
    }

    @Override
    public String unsupported(TransferTask task) {
        Region local = task.localRegion();
        if (local != null && !local.kind().isHostAccessible()) {
            return "the local buffer is device memory (" + local.location() + ")";
        }
        BufferDescriptor b = task.remoteBuffer();
        JsonNode file = b == null ? null : b.extra().get(FILE);
        if (file == null) {
            return NOT_SHARED;
        }
        return unusable.get(file.asString(""));
    }

    @Override
    public int sliceSize(RemoteTarget target) {
        return 1 << 20;
    }

    @Override
    public void submit(TransferTask task) {
        BufferDescriptor b = task.remoteBuffer();
        PeerMapping m;
        try {
            m = mapping(task.target(), b);
        } catch (MooncakeException e) {
            String reason = "shared memory of '" + task.target().segmentName() + "' unusable: " + e.getMessage();
            failAll(task, reason);
            return;
        }
        if (!m.ownerAlive()) {
            String file = m.mapping.name();
            unusable.put(file, "the process that owned " + file + " has exited");
            if (mappings.remove(file, m)) {
                m.retire();
            }
            context.peerFailed(task.target().segmentName());
            for (int k = task.sliceCount(); k > 0; k--) {
                task.sliceFailed(FailureKind.CONNECTION, "peer '" + task.target().segmentName()
                        + "' is gone: the process owning its shared memory has exited");
            }
            return;
        }
        long offset = offsetOf(b);
        if (offset < 0 || offset + b.length() > m.mapping.length()) {
            failAll(task, "buffer at 0x" + Long.toHexString(b.addr()) + " of '" + task.target().segmentName()
                    + "' lies outside its shared memory file (offset " + offset + ", " + b.length() + " bytes, file "
                    + m.mapping.length() + " bytes)");
            return;
        }
        // Address of the remote range in our mapping: the engine checked it lies inside buffer b.
        long base = m.mapping.address() + offset - b.addr();
        boolean write = task.opCode() == OpCode.WRITE;
        int count = task.sliceCount();
        for (int k = 0; k < count; k++) {
            long off = task.sliceOffset(k);
            int len = task.sliceLength(k);
            if (!m.acquire()) {
                task.sliceFailed(FailureKind.NO_TRANSPORT, "shared memory of '" + task.target().segmentName()
                        + "' was unmapped (its descriptor changed)");
                continue;
            }
            long local = task.source() + off;
            long remote = base + task.targetAddress() + off;
            if (write) {
                copier.copy(task, local, remote, len, m);
            } else {
                copier.copy(task, remote, local, len, m);
            }
        }
    }

    private static void failAll(TransferTask task, String reason) {
        for (int k = task.sliceCount(); k > 0; k--) {
            task.sliceFailed(FailureKind.NO_TRANSPORT, reason);
        }
    }

    private PeerMapping mapping(RemoteTarget target, BufferDescriptor b) {
        String file = b.extra().get(FILE).asString("");
        PeerMapping m = mappings.get(file);
        if (m != null && m.alive()) {
            return m;
        }
        long offset = offsetOf(b);
        if (offset < 0 || b.length() < 0 || offset + b.length() < offset) {
            throw new MooncakeException(io.mooncake.engine.api.ErrorCode.INVALID_ARGUMENT, "buffer at 0x"
                    + Long.toHexString(b.addr()) + " publishes an invalid shm_offset " + b.extra().get(OFFSET));
        }
        synchronized (this) {
            m = mappings.get(file);
            if (m != null && m.alive()) {
                return m;
            }
            if (closed) {
                throw new MooncakeException(io.mooncake.engine.api.ErrorCode.INVALID_ARGUMENT, "transport closed");
            }
            SharedMapping sm;
            try {
                sm = SharedMapping.open(directory, file, offset + b.length());
            } catch (MooncakeException e) {
                unusable.put(file, "cannot map the peer's shared memory: " + e.getMessage());
                log.warn("Peer {}: its shared memory {} cannot be mapped ({}); its requests go over the next "
                        + "transport", target.segmentName(), file, e.getMessage());
                throw e;
            }
            m = new PeerMapping(sm);
            mappings.put(file, m);
            filesBySegment.computeIfAbsent(target.segmentName(), k -> ConcurrentHashMap.newKeySet()).add(file);
            opened.increment();
            log.debug("Mapped {} of peer {}", sm, target.segmentName());
            return m;
        }
    }

    private static long offsetOf(BufferDescriptor b) {
        JsonNode o = b.extra().get(OFFSET);
        return o == null ? 0 : o.canConvertToLong() ? o.asLong() : -1;
    }

    /** Unmaps the peer's files its current descriptor no longer lists (freed or re-registered buffers). */
    private void retireUnlisted(RemoteTarget target) {
        Set<String> files = filesBySegment.get(target.segmentName());
        if (files == null || files.isEmpty()) {
            return;
        }
        Set<String> listed = new HashSet<>();
        for (BufferDescriptor b : target.descriptor().buffers()) {
            JsonNode f = b.extra().get(FILE);
            if (f != null) {
                listed.add(f.asString(""));
            }
        }
        for (String file : files) {
            if (!listed.contains(file)) {
                files.remove(file);
                PeerMapping m = mappings.remove(file);
                if (m != null) {
                    m.retire();
                }
            }
        }
    }

    @Override
    public Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("directory", directory.toString());
        m.put("peerMappings", mappings.size());
        m.put("mappingsOpened", opened.sum());
        m.put("unusableMappings", unusable.size());
        return m;
    }

    @Override
    public void close() {
        closed = true;
        copier.close();
        for (PeerMapping m : mappings.values()) {
            m.retire();
        }
        mappings.clear();
    }

    /** A peer's file mapped here; unmapped when retired and no copy uses it. */
    private static final class PeerMapping extends CountedHold {
        final SharedMapping mapping;
        private final OwnerLiveness owner;

        PeerMapping(SharedMapping mapping) {
            this.mapping = mapping;
            String n = mapping.name();
            this.owner = new OwnerLiveness(Long.parseLong(n.substring("mooncake-".length(),
                    n.indexOf('-', "mooncake-".length()))));
        }

        /**
         * Whether the owning process still runs: a peer that died leaves its mapping behind, and
         * writes into it would report success to nobody.
         */
        boolean ownerAlive() {
            return owner.alive();
        }

        /** A copy into a mapping whose owner died would report success to nobody. */
        @Override
        public boolean valid() {
            return ownerAlive();
        }

        @Override
        protected void onLastRelease() {
            mapping.close();
        }

        void retire() {
            release();
        }
    }
}

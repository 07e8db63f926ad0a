package io.mooncake.engine.transport.local;

import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.MemoryRegistry;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.transport.HostIdentity;
import io.mooncake.engine.transport.MemoryCopier;
import io.mooncake.engine.transport.Reach;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Copies between engines of this JVM (and between an engine and its own segment) without a
 * socket. Every engine publishes {@code java_process} (this JVM's random id and the engine's
 * number); a peer whose descriptor carries an id registered here is in this process. The target
 * engine's own registry checks every range and holds the region during the copy, exactly as its
 * tcp receiver would, so a peer reaches nothing more than over tcp.
 */
final class LocalTransport implements Transport {

    /** Engines of this JVM by their published id. */
    private static final ConcurrentHashMap<String, MemoryRegistry> ENGINES = new ConcurrentHashMap<>();
    private static final AtomicLong NEXT = new AtomicLong();
    static final String FIELD = "java_process";

    private final TransportContext context;
    private final String id = HostIdentity.jvmId() + "/" + NEXT.incrementAndGet();
    private final MemoryCopier copier = new MemoryCopier("mooncake-local-copy", 1, 256 * 1024);
    private final LongAdder rejected = new LongAdder();

    LocalTransport(TransportContext context) {
        this.context = context;
    }

    @Override
    public String protocol() {
        return LocalTransportProvider.PROTOCOL;
    }

    @Override
    public void start() {
        ENGINES.put(id, context.memory());
    }

    @Override
    public SegmentDescriptor describe(SegmentDescriptor base) {
        Map<String, JsonNode> extra = new HashMap<>(base.extra());
        extra.put(FIELD, JsonNodeFactory.instance.stringNode(id));
        return new SegmentDescriptor(base.name(), base.protocol(), base.tcpDataPort(), base.tcpProtoVersion(),
                base.timestamp(), base.buffers(), base.devices(), base.priorityMatrix(), extra);
    }

    @Override
    public Reach reach(RemoteTarget target) {
        if (target.id() == 0) {
            return Reach.of(Reach.SAME_PROCESS, "this engine's own segment");
        }
        JsonNode peer = target.descriptor().extra().get(FIELD);
        if (peer == null) {
            return Reach.none("peer publishes no " + FIELD);
        }
        if (!ENGINES.containsKey(peer.asString(""))) {
            return Reach.none("peer is not in this JVM");
        }
        return Reach.of(Reach.SAME_PROCESS, "same JVM");
    }

    @Override
    public String unsupported(TransferTask task) {
        Region local = task.localRegion();
        if (local != null && !local.kind().isHostAccessible()) {
            return "the local buffer is device memory (" + local.location() + ")";
        }
        return null;
    }

    @Override
    public int sliceSize(RemoteTarget target) {
        return 16 << 20;
    }

    @Override
    public void submit(TransferTask task) {
        MemoryRegistry registry = registryOf(task.target());
        boolean write = task.opCode() == OpCode.WRITE;
        int count = task.sliceCount();
        for (int k = 0; k < count; k++) {
            long off = task.sliceOffset(k);
            int len = task.sliceLength(k);
            long remote = task.targetAddress() + off;
            Region r = registry == null ? null : registry.acquireAnyKind(remote, len);
            if (r == null && registry == null) {
                context.peerFailed(task.target().segmentName()); // the engine left: re-read its descriptor
            }
            if (r == null) {
                rejected.increment();
                task.sliceFailed(registry == null ? FailureKind.CONNECTION : FailureKind.PEER_REJECTED,
                        registry == null ? "engine '" + task.target().segmentName() + "' is closed"
                                : "target range 0x" + Long.toHexString(remote) + " + " + len
                                        + " bytes is not inside a registered remote-accessible buffer of '"
                                        + task.target().segmentName() + "'");
                continue;
            }
            if (!r.kind().isHostAccessible()) {
                r.release();
                task.sliceFailed(FailureKind.NO_TRANSPORT, "the target buffer is device memory (" + r.location()
                        + "); a memory copy cannot reach it");
                continue;
            }
            long local = task.source() + off;
            if (write) {
                copier.copy(task, local, remote, len, r);
            } else {
                copier.copy(task, remote, local, len, r);
            }
        }
    }

    private MemoryRegistry registryOf(RemoteTarget target) {
        if (target.id() == 0) {
            return context.memory();
        }
        JsonNode peer = target.descriptor().extra().get(FIELD);
        return peer == null ? null : ENGINES.get(peer.asString(""));
    }

    @Override
    public Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("engineId", id);
        m.put("enginesInProcess", ENGINES.size());
        m.put("rejectedRequests", rejected.sum());
        return m;
    }

    @Override
    public void close() {
        ENGINES.remove(id);
        copier.close();
    }
}

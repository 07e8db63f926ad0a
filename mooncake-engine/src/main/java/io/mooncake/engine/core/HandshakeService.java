package io.mooncake.engine.core;

import io.mooncake.engine.api.Notify;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.engine.rpc.HandshakeType;
import io.mooncake.engine.stats.NotifyRefusal;
import io.mooncake.engine.stats.TransferListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Answers this node's handshake server: Metadata (the local descriptor), Notify (queued for
 * {@code getNotifies}), Probe, and Connection requests, which go to the running transports
 * (rdma QPs, libfabric addresses); a node none of whose transports takes part answers with the
 * empty fields the reference's tcp node sends. Thread-safe.
 *
 * <p>The notification queue is bounded by count and bytes (issue 17, defect 3): a notification
 * beyond either bound is refused with a reply other than {@code success}, which the sender reports
 * as an error (ours: a {@code METADATA} exception; the reference: {@code ERR_METADATA}), and the
 * listener counts it by {@link NotifyRefusal}; the first refusal of a run of them is logged at WARN.
 */
final class HandshakeService {

    private static final Logger log = LoggerFactory.getLogger(HandshakeService.class);
    /** Per-notification bookkeeping counted against the byte bound besides its characters. */
    private static final long OVERHEAD = 64;

    private final Supplier<SegmentDescriptor> localDescriptor;
    private final Transports transports;
    private final TransferListener listener;
    private final int capacity;
    private final long maxBytes;
    private final ConcurrentLinkedQueue<Notify> notifies = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicLong refusedInARow = new AtomicLong();

    HandshakeService(Supplier<SegmentDescriptor> localDescriptor, Transports transports, TransferListener listener,
            int capacity, long maxBytes) {
        this.localDescriptor = localDescriptor;
        this.transports = transports;
        this.listener = listener;
        this.capacity = capacity;
        this.maxBytes = maxBytes;
    }

    JsonNode handle(HandshakeType type, JsonNode request) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        switch (type) {
            case METADATA:
                return SegmentDescriptorCodec.toTree(localDescriptor.get());
            case NOTIFY: {
                ObjectNode reply = f.objectNode();
                reply.put("name", "");
                reply.put("notify_msg", offer(request.path("name").asString(""),
                        request.path("notify_msg").asString("")));
                return reply;
            }
            case PROBE: {
                ObjectNode reply = f.objectNode();
                reply.put("status", "success");
                return reply;
            }
            case CONNECTION:
            default: {
                ObjectNode reply = request instanceof ObjectNode o ? transports.onConnectionRequest(o) : null;
                if (reply != null) {
                    return reply;
                }
                reply = f.objectNode();
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

    /** Queues a notification within the bounds; returns the reply's {@code notify_msg}. */
    private String offer(String sender, String message) {
        long bytes = size(sender, message);
        NotifyRefusal refusal = null;
        if (queued.incrementAndGet() > capacity) {
            refusal = NotifyRefusal.QUEUE_FULL;
        } else if (queuedBytes.addAndGet(bytes) > maxBytes) {
            queuedBytes.addAndGet(-bytes);
            refusal = NotifyRefusal.QUEUE_BYTES;
        }
        if (refusal != null) {
            queued.decrementAndGet();
            listener.onNotify(sender, bytes, refusal);
            if (refusedInARow.getAndIncrement() == 0) {
                log.warn("Refusing notifications: the queue holds {} of at most {} (mooncake.notify-queue-capacity)"
                        + " taking {} of at most {} bytes (mooncake.notify-queue-max-bytes), first refused from '{}'"
                        + " ({} bytes, {}); call getNotifies to drain it. Refusals are counted by reason",
                        queued.get(), capacity, queuedBytes.get(), maxBytes, sender, bytes, refusal);
            }
            return "refused: notification queue full (" + refusal + ")";
        }
        notifies.add(new Notify(sender, message));
        listener.onNotify(sender, bytes, null);
        return "success";
    }

    private static long size(String sender, String message) {
        return 2L * sender.length() + 2L * message.length() + OVERHEAD;
    }

    /** Drains the notifications received so far. */
    List<Notify> drainNotifies() {
        List<Notify> out = new ArrayList<>();
        Notify n;
        long bytes = 0;
        while ((n = notifies.poll()) != null) {
            out.add(n);
            bytes += size(n.name(), n.message());
        }
        if (!out.isEmpty()) {
            queuedBytes.addAndGet(-bytes);
            queued.addAndGet(-out.size());
        }
        long refused = refusedInARow.getAndSet(0);
        if (refused > 0) {
            log.info("Notification queue drained ({} taken); {} notifications were refused while it was full",
                    out.size(), refused);
        }
        return out;
    }
}

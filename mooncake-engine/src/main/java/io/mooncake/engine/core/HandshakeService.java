package io.mooncake.engine.core;

import io.mooncake.engine.api.Notify;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.engine.rpc.HandshakeType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Answers this node's handshake server: Metadata (the local descriptor), Notify (queued for
 * {@code getNotifies}), Probe, and Connection requests, which go to the running transports
 * (rdma QPs, libfabric addresses); a node none of whose transports takes part answers with the
 * empty fields the reference's tcp node sends. Thread-safe.
 */
final class HandshakeService {

    private final Supplier<SegmentDescriptor> localDescriptor;
    private final Transports transports;
    private final ConcurrentLinkedQueue<Notify> notifies = new ConcurrentLinkedQueue<>();

    HandshakeService(Supplier<SegmentDescriptor> localDescriptor, Transports transports) {
        this.localDescriptor = localDescriptor;
        this.transports = transports;
    }

    JsonNode handle(HandshakeType type, JsonNode request) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        switch (type) {
            case METADATA:
                return SegmentDescriptorCodec.toTree(localDescriptor.get());
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

    /** Drains the notifications received so far. */
    List<Notify> drainNotifies() {
        List<Notify> out = new ArrayList<>();
        Notify n;
        while ((n = notifies.poll()) != null) {
            out.add(n);
        }
        return out;
    }
}

package io.mooncake.engine.transport;

import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;

/**
 * Helpers for {@link Transport#describe}: the fields a transport adds to the descriptor the engine
 * publishes, per buffer and at the top level (reference nodes ignore fields they do not know).
 */
public final class DescriptorFields {

    private DescriptorFields() {
    }

    /**
     * {@code base} with each buffer passed through {@code perBuffer} (which returns it unchanged or a
     * copy with its fields) and {@code topLevel} added to the top-level fields.
     */
    public static SegmentDescriptor publish(SegmentDescriptor base, UnaryOperator<BufferDescriptor> perBuffer,
            Map<String, JsonNode> topLevel) {
        List<BufferDescriptor> buffers = new ArrayList<>(base.buffers().size());
        for (BufferDescriptor b : base.buffers()) {
            buffers.add(perBuffer.apply(b));
        }
        Map<String, JsonNode> extra = base.extra();
        if (!topLevel.isEmpty()) {
            extra = new HashMap<>(extra);
            extra.putAll(topLevel);
        }
        return new SegmentDescriptor(base.name(), base.protocol(), base.tcpDataPort(), base.tcpProtoVersion(),
                base.timestamp(), buffers, base.devices(), base.priorityMatrix(), extra);
    }

    /** {@code b} with {@code fields} added to its extra fields. */
    public static BufferDescriptor withFields(BufferDescriptor b, Map<String, JsonNode> fields) {
        Map<String, JsonNode> extra = new HashMap<>(b.extra());
        extra.putAll(fields);
        return new BufferDescriptor(b.name(), b.addr(), b.length(), b.rkey(), b.lkey(), b.shmName(), b.offset(), extra);
    }

    /** {@code b} published under {@code name} with a device or file {@code offset}. */
    public static BufferDescriptor withOffset(BufferDescriptor b, String name, long offset) {
        return new BufferDescriptor(name, b.addr(), b.length(), b.rkey(), b.lkey(), b.shmName(), offset, b.extra());
    }
}

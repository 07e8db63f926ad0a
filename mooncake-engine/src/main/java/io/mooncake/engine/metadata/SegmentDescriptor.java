package io.mooncake.engine.metadata;

import java.util.List;
import tools.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A node's segment descriptor: the JSON document the reference engine stores under
 * {@code mooncake/ram/<name>} and returns to a handshake Metadata request.
 *
 * <p>Immutable. {@link SegmentDescriptorCodec} reads and writes it byte-compatibly with the
 * reference (sorted keys, compact, unsigned 64-bit numbers).
 *
 * @param name segment name
 * @param protocol owning transport, such as {@code tcp} or {@code rdma}
 * @param tcpDataPort tcp data port, 0 without tcp
 * @param tcpProtoVersion 2 from a tcp transport that sends status frames, 1 otherwise
 * @param timestamp local time of encoding, {@code YYYY-MM-DD HH:MM:SS.ffffff}; ignored when comparing
 * @param buffers registered buffers
 * @param devices NICs (rdma-shaped transports), else empty
 * @param priorityMatrix location to {@code [preferred, available]} NIC names, else empty
 * @param extra other top-level fields (cxl_name, rank_info, ...), kept verbatim
 */
public record SegmentDescriptor(String name, String protocol, int tcpDataPort, int tcpProtoVersion,
        String timestamp, List<BufferDescriptor> buffers, List<DeviceDescriptor> devices,
        Map<String, List<List<String>>> priorityMatrix, Map<String, JsonNode> extra) {

    public SegmentDescriptor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(protocol, "protocol");
        buffers = buffers == null ? List.of() : List.copyOf(buffers);
        devices = devices == null ? List.of() : List.copyOf(devices);
        priorityMatrix = priorityMatrix == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new TreeMap<>(priorityMatrix));
        extra = extra == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(extra));
    }

    /** A tcp descriptor as the reference's tcp transport publishes it. */
    public static SegmentDescriptor tcp(String name, int dataPort, int protoVersion, List<BufferDescriptor> buffers) {
        return new SegmentDescriptor(name, "tcp", dataPort, protoVersion, null, buffers, List.of(), Map.of(), Map.of());
    }

    /** The buffer that holds {@code [addr, addr + length)}, or {@code null}. */
    public BufferDescriptor findBuffer(long addr, long length) {
        for (BufferDescriptor b : buffers) {
            if (b.contains(addr, length)) {
                return b;
            }
        }
        if ("nvmeof".equals(protocol) && !buffers.isEmpty()) {
            // A file segment is addressed as the concatenation of its files: a range may span several.
            BufferDescriptor last = buffers.get(buffers.size() - 1);
            BufferDescriptor whole = new BufferDescriptor(name, 0, last.base() + last.length(), List.of(), List.of(),
                    null, 0L, Map.of());
            if (whole.contains(addr, length)) {
                return whole;
            }
        }
        return null;
    }

    /** A copy with other buffers. */
    public SegmentDescriptor withBuffers(List<BufferDescriptor> newBuffers) {
        return new SegmentDescriptor(name, protocol, tcpDataPort, tcpProtoVersion, timestamp, newBuffers, devices,
                priorityMatrix, extra);
    }

    /** Whether two descriptors describe the same thing, ignoring the timestamp. */
    public boolean sameContent(SegmentDescriptor other) {
        return other != null && name.equals(other.name) && protocol.equals(other.protocol)
                && tcpDataPort == other.tcpDataPort && tcpProtoVersion == other.tcpProtoVersion
                && buffers.equals(other.buffers) && devices.equals(other.devices)
                && priorityMatrix.equals(other.priorityMatrix) && extra.equals(other.extra);
    }
}

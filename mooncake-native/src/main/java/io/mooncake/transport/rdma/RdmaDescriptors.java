package io.mooncake.transport.rdma;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.DeviceDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.topology.Topology;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rdma-shaped parts of a segment descriptor, as the reference's rdma (and barex) transport
 * publishes them (reference section 2): {@code devices} ({@code name, lid, gid}) in a fixed order,
 * {@code priority_matrix} (location to {@code [preferred, available]} NIC names), and per buffer
 * one {@code rkey} and one {@code lkey} per device, in the order of {@code devices}. Reading a
 * peer's descriptor, a NIC of the peer is found by name in {@code devices}, and its key for a
 * buffer at the same index.
 */
public final class RdmaDescriptors {

    private RdmaDescriptors() {
    }

    /** The descriptor with this node's NICs and priority matrix added (protocol {@code rdma} or {@code barex}). */
    public static SegmentDescriptor describe(SegmentDescriptor base, String protocol, List<DeviceDescriptor> devices,
            Topology topology) {
        Map<String, List<List<String>>> matrix = new LinkedHashMap<>();
        topology.matrix().forEach((loc, e) -> matrix.put(loc, List.of(e.preferred(), e.available())));
        return new SegmentDescriptor(base.name(), protocol, base.tcpDataPort(), base.tcpProtoVersion(), base.timestamp(),
                base.buffers(), devices, matrix, base.extra());
    }

    /**
     * One registered region as a buffer entry.
     *
     * @param location {@code cpu:<numa>}, {@code cuda:<n>}, ... (the reference resolves {@code *} first)
     * @param lkeys one per device, in {@code devices} order
     * @param rkeys one per device, in {@code devices} order
     */
    public static BufferDescriptor buffer(String location, long addr, long length, List<Long> lkeys, List<Long> rkeys) {
        return new BufferDescriptor(location, addr, length, rkeys, lkeys, null, null, Map.of());
    }

    /** The index of a NIC in a descriptor's {@code devices}, or -1. */
    public static int deviceIndex(SegmentDescriptor d, String device) {
        List<DeviceDescriptor> devices = d.devices();
        for (int i = 0; i < devices.size(); i++) {
            if (devices.get(i).name().equals(device)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The peer NICs to try for a peer buffer, best first, as indices into its {@code devices}: the
     * preferred NICs of the buffer's location in the peer's {@code priority_matrix}, then the
     * available ones, then (when the location is not in the matrix) every device. Names that are
     * not in {@code devices} are skipped.
     */
    public static int[] peerDevices(SegmentDescriptor peer, String location) {
        List<List<String>> entry = peer.priorityMatrix().get(location);
        List<Integer> order = new ArrayList<>();
        if (entry != null) {
            for (List<String> tier : entry) {
                for (String name : tier) {
                    int i = deviceIndex(peer, name);
                    if (i >= 0 && !order.contains(i)) {
                        order.add(i);
                    }
                }
            }
        }
        if (order.isEmpty()) {
            for (int i = 0; i < peer.devices().size(); i++) {
                order.add(i);
            }
        }
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Checks that a peer's descriptor can be used over rdma: at least one device, each with a name
     * and a GID that parses, and every buffer with one rkey per device.
     *
     * @throws MooncakeException {@link ErrorCode#METADATA} naming the peer, the field and the value
     */
    public static void validatePeer(SegmentDescriptor peer) {
        if (peer.devices().isEmpty()) {
            throw new MooncakeException(ErrorCode.METADATA, "segment " + peer.name() + " publishes protocol '"
                    + peer.protocol() + "' but no devices; it cannot be reached over rdma");
        }
        for (DeviceDescriptor d : peer.devices()) {
            Gid.parse(d.gid(), "segment " + peer.name() + " device " + d.name());
        }
        for (BufferDescriptor b : peer.buffers()) {
            if (b.rkey().size() != peer.devices().size()) {
                throw new MooncakeException(ErrorCode.METADATA, "segment " + peer.name() + " buffer " + b.name() + " at 0x"
                        + Long.toHexString(b.addr()) + " has " + b.rkey().size() + " rkey(s) for "
                        + peer.devices().size() + " device(s)");
            }
        }
    }
}

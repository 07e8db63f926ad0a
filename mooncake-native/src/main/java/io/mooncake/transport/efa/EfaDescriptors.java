package io.mooncake.transport.efa;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.DeviceDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptor;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The efa parts of a segment descriptor, shaped as the reference's efa transport publishes them
 * (reference §2 and §7): {@code devices[] = {name, lid: 0, gid: <fabric source address as
 * lowercase hex, no separators>}}, buffers named by location ({@code cpu:0}, {@code cuda:1}) with
 * one 64-bit {@code rkey} and {@code lkey} per device in device order (0 where a device did not
 * register the buffer), and the {@code priority_matrix}.
 *
 * <p>Stateless and thread-safe.
 */
public final class EfaDescriptors {

    private static final HexFormat HEX = HexFormat.of();

    private EfaDescriptors() {
    }

    /** A device entry: {@code gid} is the hex of the domain's source address, {@code lid} 0. */
    public static DeviceDescriptor device(String name, byte[] sourceAddress) {
        return new DeviceDescriptor(name, 0, HEX.formatHex(sourceAddress));
    }

    /**
     * A buffer entry with one key per device.
     *
     * @param location {@code cpu:N} or an accelerator location
     * @param rkeys remote keys in device order, 0 where the device did not register it
     * @param lkeys local keys (the reference publishes the same value as the rkey)
     */
    public static BufferDescriptor buffer(String location, long addr, long length, List<Long> rkeys, List<Long> lkeys) {
        if (rkeys.size() != lkeys.size()) {
            throw new IllegalArgumentException(rkeys.size() + " rkeys for " + lkeys.size() + " lkeys");
        }
        return new BufferDescriptor(location, addr, length, rkeys, lkeys, null, null, Map.of());
    }

    /**
     * The fabric source address a device publishes in {@code gid}.
     *
     * @throws MooncakeException ({@link ErrorCode#METADATA}) naming segment, device and value when it is not hex
     */
    public static byte[] sourceAddress(SegmentDescriptor segment, DeviceDescriptor device) {
        try {
            return EfaConnectionMessage.hex("gid", device.gid());
        } catch (MooncakeException e) {
            throw new MooncakeException(ErrorCode.METADATA, "segment '" + segment.name() + "' device '" + device.name()
                    + "' has gid '" + device.gid() + "', which is not an efa fabric address (lowercase hex, as the "
                    + "reference's efa transport publishes it)", e);
        }
    }

    /**
     * Checks a peer's descriptor the way the efa data path relies on it (the codec already checked
     * key counts): every device has a hex gid, every remote-accessible buffer one key per device.
     *
     * @throws MooncakeException ({@link ErrorCode#METADATA}) naming the field, its origin and value
     */
    public static void validate(SegmentDescriptor segment) {
        if (!"efa".equals(segment.protocol())) {
            throw new MooncakeException(ErrorCode.METADATA, "segment '" + segment.name() + "' publishes protocol '"
                    + segment.protocol() + "', not efa");
        }
        if (segment.devices().isEmpty()) {
            throw new MooncakeException(ErrorCode.METADATA, "segment '" + segment.name()
                    + "' publishes protocol efa but no devices[]");
        }
        for (DeviceDescriptor d : segment.devices()) {
            sourceAddress(segment, d);
        }
        for (BufferDescriptor b : segment.buffers()) {
            if (!b.rkey().isEmpty() && b.rkey().size() != segment.devices().size()) {
                throw new MooncakeException(ErrorCode.METADATA, "segment '" + segment.name() + "' buffer at "
                        + Long.toUnsignedString(b.addr()) + " has " + b.rkey().size() + " rkeys for "
                        + segment.devices().size() + " devices");
            }
        }
    }

    /**
     * The devices to try for a buffer of {@code segment}, best first: the location's preferred
     * devices, then its available ones (reference {@code Topology::selectDevice} retries), as
     * indexes into {@code devices[]} and so into {@code rkey[]}, keeping only devices that
     * registered the buffer ({@code rkey != 0}). A location the matrix does not list, or a segment
     * without a matrix, tries every device in order.
     *
     * <p>Names are resolved against {@code devices[]}, the order in which the publisher wrote its
     * keys. The reference instead numbers devices by their first appearance while iterating its
     * parsed matrix (an {@code unordered_map}); the two agree whenever that order is the devices'
     * order (always with one device), and where they differ ours is the one that names the key the
     * publisher wrote for that device.
     */
    public static int[] candidates(SegmentDescriptor segment, BufferDescriptor buffer) {
        List<DeviceDescriptor> devices = segment.devices();
        List<List<String>> entry = segment.priorityMatrix().get(buffer.name());
        Set<Integer> order = new LinkedHashSet<>();
        if (entry != null) {
            for (List<String> tier : entry) {
                for (String name : tier) {
                    int idx = indexOf(devices, name);
                    if (idx >= 0) {
                        order.add(idx);
                    }
                }
            }
        }
        if (order.isEmpty()) {
            for (int i = 0; i < devices.size(); i++) {
                order.add(i);
            }
        }
        List<Integer> usable = new ArrayList<>();
        for (int i : order) {
            if (buffer.rkey().isEmpty() || (i < buffer.rkey().size() && buffer.rkey().get(i) != 0L)) {
                usable.add(i);
            }
        }
        return usable.stream().mapToInt(Integer::intValue).toArray();
    }

    /** How many of {@link #candidates} are preferred (the first tier) for that buffer. */
    public static int preferredCount(SegmentDescriptor segment, BufferDescriptor buffer, int[] candidates) {
        List<List<String>> entry = segment.priorityMatrix().get(buffer.name());
        if (entry == null || entry.isEmpty()) {
            return candidates.length;
        }
        int n = 0;
        for (int c : candidates) {
            if (entry.get(0).contains(segment.devices().get(c).name())) {
                n++;
            }
        }
        return n == 0 ? candidates.length : n;
    }

    private static int indexOf(List<DeviceDescriptor> devices, String name) {
        for (int i = 0; i < devices.size(); i++) {
            if (devices.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }
}

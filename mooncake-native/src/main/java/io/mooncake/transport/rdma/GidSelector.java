package io.mooncake.transport.rdma;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.jna.verbs.RdmaVerbs;
import io.mooncake.jna.verbs.VerbsAbi;
import io.mooncake.jna.verbs.VerbsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Chooses the GID index of a port as the reference does ({@code RdmaContext::findBestGidIndex}):
 * with {@code MC_GID_INDEX} unset, the first RoCE v2 IPv4-mapped GID that has a netdev; else the
 * first RoCE v2 IPv4 GID without one; else the first IPv6 (or InfiniBand) GID with a netdev; else
 * the first without. RoCE v1 GIDs are never chosen. Whether a GID has a netdev is read from
 * {@code /sys/class/infiniband/<dev>/ports/<port>/gid_attrs/ndevs/<index>} under the given root.
 * A configured index is used as given. A null (all-zero) GID is refused, as the reference does.
 */
public final class GidSelector {

    /**
     * The chosen GID.
     *
     * @param index the GID table index (the QP's {@code sgid_index})
     * @param gid the 16 bytes
     * @param withNetdev whether a network device backs it
     * @param how a short explanation for the log
     */
    public record Choice(int index, byte[] gid, boolean withNetdev, String how) {

        public String text() {
            return Gid.format(gid);
        }
    }

    private GidSelector() {
    }

    /**
     * @param configured {@code MC_GID_INDEX}, or -1 for automatic
     * @param root the file-system root sysfs is read under ({@code /} on a host)
     * @throws VerbsException when no usable GID exists, naming the device and the fix
     */
    public static Choice select(RdmaVerbs.Context ctx, int port, int tableLength, int configured, Path root) {
        String dev = ctx.deviceName();
        if (configured >= 0) {
            RdmaVerbs.GidEntry e = ctx.queryGid(port, configured);
            if (e == null || Gid.isNull(e.gid())) {
                throw new VerbsException(ErrorCode.DEVICE_NOT_FOUND, "ibv_query_gid(" + dev + ", port " + port
                        + ", index " + configured + ")", 0, "GID index " + configured + " (MC_GID_INDEX) is empty on "
                        + dev + "; list the table with 'show_gids' or unset MC_GID_INDEX to choose automatically");
            }
            boolean ndev = hasNetdev(root, dev, port, configured);
            return new Choice(configured, e.gid(), ndev, "MC_GID_INDEX=" + configured + (ndev ? "" : " (no netdev)"));
        }
        int ipv4NoNetdev = -1;
        int ipv6Netdev = -1;
        int ipv6NoNetdev = -1;
        RdmaVerbs.GidEntry[] entries = new RdmaVerbs.GidEntry[Math.max(0, tableLength)];
        for (int i = 0; i < tableLength; i++) {
            RdmaVerbs.GidEntry e = ctx.queryGid(port, i);
            if (e == null) {
                break; // end of the valid entries, as the reference
            }
            entries[i] = e;
            if (e.type() != VerbsAbi.IBV_GID_TYPE_ROCE_V2 && e.type() != VerbsAbi.IBV_GID_TYPE_IB) {
                continue;
            }
            boolean ipv4 = e.type() == VerbsAbi.IBV_GID_TYPE_ROCE_V2 && Gid.isIpv4Mapped(e.gid());
            boolean ndev = hasNetdev(root, dev, port, i);
            if (ipv4) {
                if (ndev) {
                    return choice(e, i, true, "RoCE v2 IPv4 GID with netdev");
                }
                if (ipv4NoNetdev < 0) {
                    ipv4NoNetdev = i;
                }
                continue;
            }
            if (ndev && ipv6Netdev < 0) {
                ipv6Netdev = i;
            }
            if (!ndev && ipv6NoNetdev < 0) {
                ipv6NoNetdev = i;
            }
        }
        if (ipv4NoNetdev >= 0) {
            return choice(entries[ipv4NoNetdev], ipv4NoNetdev, false, "RoCE v2 IPv4 GID without netdev");
        }
        if (ipv6Netdev >= 0) {
            return choice(entries[ipv6Netdev], ipv6Netdev, true, "GID with netdev");
        }
        if (ipv6NoNetdev >= 0) {
            return choice(entries[ipv6NoNetdev], ipv6NoNetdev, false, "GID without netdev");
        }
        throw new VerbsException(ErrorCode.DEVICE_NOT_FOUND, "ibv_query_gid_ex(" + dev + ", port " + port + ")", 0,
                "no usable GID among " + tableLength + " entries (RoCE v1 GIDs are not used); configure an IP address "
                        + "on the NIC's netdev or set MC_GID_INDEX");
    }

    private static Choice choice(RdmaVerbs.GidEntry e, int index, boolean ndev, String how) {
        if (Gid.isNull(e.gid())) {
            throw new VerbsException(ErrorCode.DEVICE_NOT_FOUND, "ibv_query_gid(index " + index + ")", 0,
                    "GID is NULL, please check your GID index by specifying MC_GID_INDEX");
        }
        return new Choice(index, e.gid(), ndev, how + ", index " + index);
    }

    static boolean hasNetdev(Path root, String device, int port, int index) {
        Path p = root.resolve("sys/class/infiniband").resolve(device).resolve("ports").resolve(Integer.toString(port))
                .resolve("gid_attrs/ndevs").resolve(Integer.toString(index));
        try {
            return Files.isRegularFile(p) && !Files.readString(p).trim().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }
}

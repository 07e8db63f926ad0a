package io.mooncake.probe;

import io.mooncake.engine.transport.Availability.Cause;
import java.nio.file.Path;
import java.util.List;

/**
 * One verbs device (HCA) as sysfs and libibverbs describe it, with the probe's judgement.
 *
 * @param name the device name, {@code mlx5_0}
 * @param pciAddress the PCI address of its function, {@code 0000:0c:00.0}
 * @param numaNode its NUMA node, -1 when unknown
 * @param pciPath the resolved PCI device directory (for PCI distances)
 * @param driver the kernel driver bound to the PCI function ({@code mlx5_core}, {@code efa}, ...)
 * @param nodeGuid {@code node_guid} as sysfs prints it ({@code b859:9f03:00fa:1234})
 * @param sysImageGuid {@code sys_image_guid}
 * @param firmware {@code fw_ver}
 * @param hcaType {@code hca_type}, e.g. {@code MT4123}
 * @param boardId {@code board_id}
 * @param vendorId PCI vendor id
 * @param partId PCI device id ({@code vendor_part_id} in {@code ibv_devinfo})
 * @param hwRev {@code hw_rev}
 * @param ports the ports
 * @param uverbs the user verbs device, {@code /dev/infiniband/uverbs0}, or empty when none
 * @param problemCause why the device cannot be used ({@link Cause#NONE} when usable)
 * @param problem the reason in words, empty when usable
 */
public record Hca(String name, String pciAddress, int numaNode, Path pciPath, String driver, String nodeGuid,
        String sysImageGuid, String firmware, String hcaType, String boardId, int vendorId, int partId, String hwRev,
        List<Port> ports, String uverbs, Cause problemCause, String problem) {

    public Hca {
        ports = List.copyOf(ports);
    }

    /** Whether the probe judged this device usable. */
    public boolean usable() {
        return problemCause == Cause.NONE;
    }

    /** Whether the device is an AWS EFA (served by protocol efa, not rdma). */
    public boolean isEfa() {
        return driver.equals("efa") || (vendorId == PciDevice.VENDOR_AMAZON && (partId & 0xfff0) == 0xefa0);
    }

    /** This device judged unusable. */
    Hca withProblem(Cause cause, String text) {
        return new Hca(name, pciAddress, numaNode, pciPath, driver, nodeGuid, sysImageGuid, firmware, hcaType, boardId,
                vendorId, partId, hwRev, ports, uverbs, cause, text);
    }

    /** The fastest active port's rate in Gb/s, 0 when no port is active. */
    public double bestRateGbps() {
        return ports.stream().filter(Port::active).mapToDouble(Port::rateGbps).max().orElse(0);
    }

    /**
     * One port.
     *
     * @param number the port number (from 1)
     * @param state {@code ACTIVE}, {@code DOWN}, {@code INIT}, {@code ARMED}
     * @param stateCode the numeric state (4 = ACTIVE)
     * @param physState e.g. {@code LinkUp}
     * @param linkLayer {@code InfiniBand} or {@code Ethernet} (RoCE)
     * @param rate e.g. {@code 200 Gb/sec (4X HDR)}
     * @param lid the port LID (InfiniBand), {@code 0x0} on RoCE
     * @param smLid the subnet manager's LID
     * @param lmc the LID mask count
     * @param gids the populated GID entries
     */
    public record Port(int number, String state, int stateCode, String physState, String linkLayer, String rate,
            String lid, String smLid, String lmc, List<Gid> gids) {

        public Port {
            gids = List.copyOf(gids);
        }

        /** Whether the port is ACTIVE. */
        public boolean active() {
            return stateCode == 4 || state.equalsIgnoreCase("ACTIVE");
        }

        /** The rate in Gb/s, 0 when unknown. */
        public double rateGbps() {
            String[] words = rate.trim().split("\\s+");
            try {
                return words.length == 0 ? 0 : Double.parseDouble(words[0]);
            } catch (NumberFormatException e) {
                return 0;
            }
        }
    }

    /**
     * One populated GID table entry.
     *
     * @param index the GID index
     * @param gid the GID, colon-separated hex
     * @param type {@code IB/RoCE v1} or {@code RoCE v2}, empty when unknown
     * @param netdev the network interface of a RoCE GID, empty when none
     */
    public record Gid(int index, String gid, String type, String netdev) {
    }
}

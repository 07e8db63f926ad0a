package io.mooncake.probe;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One PCI function from {@code /sys/bus/pci/devices}.
 *
 * @param address the PCI address, {@code 0000:3b:00.0}
 * @param vendor the vendor id ({@code 0x10de} NVIDIA, {@code 0x15b3} Mellanox, ...)
 * @param device the device id
 * @param classCode the 24-bit class code ({@code 0x030200} 3D controller, {@code 0x020700} InfiniBand)
 * @param numaNode its NUMA node, -1 when unknown
 * @param path the resolved device directory under {@code /sys/devices}, whose components give the PCI hierarchy
 */
public record PciDevice(String address, int vendor, int device, int classCode, int numaNode, Path path) {

    public static final int VENDOR_NVIDIA = 0x10de;
    public static final int VENDOR_AMD = 0x1002;
    public static final int VENDOR_HUAWEI = 0x19e5;
    public static final int VENDOR_CAMBRICON = 0xcabc;
    public static final int VENDOR_AMAZON = 0x1d0f;

    /** Whether the class is a display controller (VGA, 3D, other). */
    public boolean isDisplay() {
        return (classCode >> 16) == 0x03;
    }

    /** Whether the class is a processing accelerator (0x12). */
    public boolean isAccelerator() {
        return (classCode >> 16) == 0x12;
    }

    /** Reads every device under {@code <root>/sys/bus/pci/devices}, in address order. */
    public static List<PciDevice> scan(ProbeContext ctx) {
        List<PciDevice> out = new ArrayList<>();
        for (Path link : Sysfs.list(ctx.path("/sys/bus/pci/devices"))) {
            Path dir = Sysfs.realPath(link).orElse(link);
            out.add(new PciDevice(link.getFileName().toString(), (int) Sysfs.readLong(dir.resolve("vendor"), 0),
                    (int) Sysfs.readLong(dir.resolve("device"), 0), (int) Sysfs.readLong(dir.resolve("class"), 0),
                    Sysfs.numaNode(dir), dir));
        }
        return out;
    }
}

package io.mooncake.probe;

import io.mooncake.engine.transport.Availability.Cause;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Probe for CXL memory exposed as device-DAX: {@code /sys/bus/dax/devices/daxX.Y} with their
 * sizes and target NUMA nodes, CXL memory devices under {@code /sys/bus/cxl/devices}, and the
 * device the reference's CXL transport maps, named by {@code MC_CXL_DEV_PATH} (size from
 * {@code MC_CXL_DEV_SIZE}, else from sysfs).
 */
public final class CxlProbe extends AbstractProbe<CxlProbe.DaxDevice> {

    /** The probe. */
    public static final CxlProbe INSTANCE = new CxlProbe();

    public static final String MC_CXL_DEV_PATH = "MC_CXL_DEV_PATH";
    public static final String MC_CXL_DEV_SIZE = "MC_CXL_DEV_SIZE";

    /**
     * One device-DAX region.
     *
     * @param name {@code dax0.0}
     * @param size its size in bytes
     * @param targetNode the NUMA node its memory belongs to, -1 when unknown
     * @param devicePath {@code /dev/dax0.0}
     */
    public record DaxDevice(String name, long size, int targetNode, String devicePath) {
    }

    private CxlProbe() {
    }

    @Override
    public ProbeKind kind() {
        return ProbeKind.CXL;
    }

    @Override
    Scan<DaxDevice> doScan(ProbeContext ctx) {
        List<DaxDevice> daxes = new ArrayList<>();
        for (Path d : Sysfs.list(ctx.path("/sys/bus/dax/devices"))) {
            String name = d.getFileName().toString();
            daxes.add(new DaxDevice(name, Sysfs.readLong(d.resolve("size"), 0),
                    (int) Sysfs.readLong(d.resolve("target_node"), -1), "/dev/" + name));
        }
        Map<String, String> details = new LinkedHashMap<>();
        for (Path m : Sysfs.list(ctx.path("/sys/bus/cxl/devices"))) {
            if (m.getFileName().toString().startsWith("mem")) {
                details.put("cxl " + m.getFileName(), "ram " + Sysfs.readLong(m.resolve("ram/size"), 0) + " bytes, pmem "
                        + Sysfs.readLong(m.resolve("pmem/size"), 0) + " bytes, NUMA " + Sysfs.numaNode(m));
            }
        }
        daxes.forEach(d -> details.put(d.name(), d.size() + " bytes, target node " + d.targetNode()));
        String path = ctx.env(MC_CXL_DEV_PATH);
        if (daxes.isEmpty() && path == null) {
            return new Scan<>(ProbeResult.missing(kind(), Cause.NO_DEVICE, "no device-DAX region in "
                    + ctx.path("/sys/bus/dax/devices"), "create one from CXL memory (daxctl create-device / "
                    + "cxl create-region) in devdax mode", details), daxes);
        }
        if (path == null) {
            return new Scan<>(ProbeResult.missing(kind(), Cause.FEATURE_DISABLED, MC_CXL_DEV_PATH
                    + " is not set, so no CXL device is shared (found " + String.join(", ",
                            daxes.stream().map(DaxDevice::devicePath).toList()) + ")",
                    "set " + MC_CXL_DEV_PATH + "=" + daxes.get(0).devicePath(), details), daxes);
        }
        details.put(MC_CXL_DEV_PATH, path);
        String sizeNote = ctx.env(MC_CXL_DEV_SIZE) == null ? "size from sysfs" : ctx.env(MC_CXL_DEV_SIZE) + " bytes";
        Optional<ProbeResult> file = Accelerators.checkFiles(ctx, kind(), List.of(path), MC_CXL_DEV_PATH
                + " names a device that is not there (" + sizeNote + " to map)", "set " + MC_CXL_DEV_PATH + " to "
                        + (daxes.isEmpty() ? "a device-DAX device (daxctl list) or a file on a tmpfs every engine "
                                + "of the host mounts" : "one of " + daxes.stream().map(DaxDevice::devicePath).toList()),
                "give this user read-write access to " + path + " (" + sizeNote + " to map): a udev rule or group "
                        + "for /dev/dax*, chmod for a file", details);
        if (file.isPresent()) {
            return new Scan<>(file.get(), daxes);
        }
        String devName = Path.of(path).getFileName().toString();
        long sysSize = daxes.stream().filter(d -> d.name().equals(devName)).mapToLong(DaxDevice::size).findFirst()
                .orElse(0);
        String sizeVar = ctx.env(MC_CXL_DEV_SIZE);
        Path devPath = ctx.path(path);
        // A file standing in for the device (no sysfs entry): its length is the size.
        boolean plainFile = sysSize == 0 && java.nio.file.Files.isRegularFile(devPath);
        if (plainFile) {
            try {
                sysSize = java.nio.file.Files.size(devPath);
            } catch (java.io.IOException e) {
                sysSize = 0;
            }
        }
        long size = sysSize;
        if (sizeVar != null) {
            size = Sysfs.parseLong(sizeVar, -1);
            if (size <= 0) {
                return new Scan<>(ProbeResult.missing(kind(), Cause.INIT_FAILED, MC_CXL_DEV_SIZE + "='" + sizeVar
                        + "' is not a positive byte count", "set " + MC_CXL_DEV_SIZE + " to the size in bytes, or unset "
                        + "it to use the size in sysfs", details), daxes);
            }
            if (sysSize > 0 && size > sysSize) {
                return new Scan<>(ProbeResult.missing(kind(), Cause.INIT_FAILED, "CXL device " + path + " is "
                        + sysSize + " bytes, smaller than the " + size + " bytes requested (" + MC_CXL_DEV_SIZE + ")",
                        "set " + MC_CXL_DEV_SIZE + " to at most " + sysSize + " or unset it"
                                + (plainFile ? ", or grow the file (truncate -s " + size + " " + path + ")" : ""),
                        details), daxes);
            }
        }
        if (size <= 0) {
            if (plainFile) {
                return new Scan<>(ProbeResult.missing(kind(), Cause.INIT_FAILED, "CXL device " + path + " is an "
                        + "empty file (0 bytes)", "grow it (truncate -s <bytes> " + path + ") or point "
                        + MC_CXL_DEV_PATH + " at a device-DAX device", details), daxes);
            }
            return new Scan<>(ProbeResult.missing(kind(), Cause.INIT_FAILED, "size of " + path + " is unknown (no "
                    + ctx.path("/sys/bus/dax/devices/" + devName + "/size") + ")", "set " + MC_CXL_DEV_SIZE
                    + " to its size in bytes", details), daxes);
        }
        details.put("size", Long.toString(size));
        return new Scan<>(ProbeResult.found(kind(), "CXL device " + path + " (" + size + " bytes"
                + (sizeVar != null ? ", from " + MC_CXL_DEV_SIZE : plainFile ? ", the file's length" : ", from sysfs") + ")", details), daxes);
    }
}

package io.mooncake.probe;

import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.Loaded;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Steps shared by the accelerator probes (CUDA, ROCm, Ascend, MLU). */
final class Accelerators {

    private Accelerators() {
    }

    /** PCI functions of one vendor that match a class test. */
    static List<PciDevice> pci(ProbeContext ctx, int vendor, Predicate<PciDevice> kind) {
        return PciDevice.scan(ctx).stream().filter(d -> d.vendor() == vendor && kind.test(d)).toList();
    }

    /** Device files {@code <dir>/<prefix><N>} with their numbers, in number order. */
    static List<Integer> numberedFiles(ProbeContext ctx, String dir, String prefix) {
        Pattern p = Pattern.compile(Pattern.quote(prefix) + "(\\d+)");
        List<Integer> out = new ArrayList<>();
        for (Path f : Sysfs.list(ctx.path(dir))) {
            Matcher m = p.matcher(f.getFileName().toString());
            if (m.matches()) {
                out.add(Integer.parseInt(m.group(1)));
            }
        }
        out.sort(Integer::compare);
        return out;
    }

    /** An accelerator located by its PCI function ({@code null} when unknown). */
    static Accelerator at(String prefix, int index, PciDevice pci, String name, String deviceFile) {
        return pci == null ? new Accelerator(prefix, index, "", -1, null, name, deviceFile)
                : new Accelerator(prefix, index, pci.address(), pci.numaNode(), pci.path(), name, deviceFile);
    }

    /**
     * Checks device files in order; the first that is missing or cannot be opened gives the verdict.
     *
     * @param missingHint what a missing file means and what to do, appended to its path
     * @param deniedFix what to do when access is denied
     */
    static Optional<ProbeResult> checkFiles(ProbeContext ctx, ProbeKind kind, List<String> files, String missingHint,
            String missingFix, String deniedFix, Map<String, String> details) {
        for (String f : files) {
            DeviceAccess.Result r = ctx.access().check(ctx.path(f));
            switch (r.status()) {
                case MISSING:
                    return Optional.of(ProbeResult.missing(kind, Cause.NO_DEVICE, f + " does not exist: " + missingHint,
                            missingFix, details));
                case DENIED:
                    return Optional.of(ProbeResult.missing(kind, Cause.PERMISSION_DENIED, "cannot open " + f
                            + ": permission denied", deniedFix, details));
                case FAILED:
                    return Optional.of(ProbeResult.missing(kind, Cause.INIT_FAILED, "cannot open " + f + ": "
                            + r.detail(), "check the driver's kernel log (dmesg)", details));
                default:
                    break;
            }
        }
        return Optional.empty();
    }

    /** The verdict for a library that could not be loaded. */
    static ProbeResult libraryMissing(ProbeKind kind, Loaded<?> lib, String fix, Map<String, String> details) {
        return ProbeResult.missing(kind, lib.permissionDenied() ? Cause.PERMISSION_DENIED : Cause.NO_LIBRARY,
                lib.name() + " cannot be loaded: " + lib.failure(), fix, details);
    }

    /** Details listing accelerators by location. */
    static Map<String, String> details(List<Accelerator> accs) {
        Map<String, String> d = new LinkedHashMap<>();
        for (Accelerator a : accs) {
            d.put(a.location(), (a.name().isEmpty() ? "" : a.name() + ", ") + "PCI "
                    + (a.pciAddress().isEmpty() ? "?" : a.pciAddress()) + ", NUMA " + a.numaNode() + ", "
                    + a.deviceFile());
        }
        return d;
    }

    /** "cuda:0, cuda:1" */
    static String locations(List<Accelerator> accs) {
        return String.join(", ", accs.stream().map(Accelerator::location).toList());
    }
}

package io.mooncake.probe;

import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.nvml.LibNvml;
import io.mooncake.jna.nvml.Nvml;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Probe for NVIDIA CUDA GPUs: NVIDIA display/3D controllers on the PCI bus, their
 * {@code /dev/nvidia*} files, NVML and libcuda. Indices follow NVML (PCI bus order) and honour a
 * numeric {@code CUDA_VISIBLE_DEVICES}.
 */
public final class CudaProbe extends AbstractProbe<Accelerator> {

    /** The probe. */
    public static final CudaProbe INSTANCE = new CudaProbe();

    private static final Pattern MINOR = Pattern.compile("Device Minor:\\s*(\\d+)");

    private CudaProbe() {
    }

    @Override
    public ProbeKind kind() {
        return ProbeKind.CUDA;
    }

    /**
     * What the CUDA probe saw, with NVML's snapshot for the NVLink and MNNVL probes.
     *
     * @param scan the CUDA verdict and GPUs
     * @param nvml NVML's snapshot, {@code null} when NVML could not be asked
     */
    record GpuView(Scan<Accelerator> scan, Nvml.Snapshot nvml) {
    }

    @Override
    Scan<Accelerator> doScan(ProbeContext ctx) {
        return inspect(ctx).scan();
    }

    /** Runs the probe and keeps NVML's snapshot. */
    GpuView inspect(ProbeContext ctx) {
        List<PciDevice> pcis = Accelerators.pci(ctx, PciDevice.VENDOR_NVIDIA, PciDevice::isDisplay);
        if (pcis.isEmpty()) {
            return new GpuView(new Scan<>(ProbeResult.missing(kind(), Cause.NO_DEVICE, "no NVIDIA GPU in "
                    + ctx.path("/sys/bus/pci/devices") + " (no vendor 0x10de display or 3D controller)",
                    "run on a host with NVIDIA GPUs", Map.of()), List.of()), null);
        }
        Loaded<Nvml> lib = ctx.loader().nvml();
        Nvml.Snapshot snap = lib.isLoaded() ? lib.library().snapshot() : null;
        List<PciDevice> ordered = new ArrayList<>();
        List<String> names = new ArrayList<>();
        if (snap != null && snap.ok()) {
            for (Nvml.Gpu g : snap.gpus()) {
                pcis.stream().filter(p -> p.address().equals(g.pciBusId())).findFirst().ifPresent(p -> {
                    ordered.add(p);
                    names.add(g.name());
                });
            }
        }
        if (ordered.isEmpty()) {
            ordered.addAll(pcis);
            pcis.forEach(p -> names.add(""));
        }
        List<Integer> visible = visible(ctx.env("CUDA_VISIBLE_DEVICES"), ordered.size());
        List<Accelerator> gpus = new ArrayList<>();
        for (int i = 0; i < visible.size(); i++) {
            int n = visible.get(i);
            PciDevice p = ordered.get(n);
            gpus.add(Accelerators.at("cuda", i, p, names.get(n), "/dev/nvidia" + minor(ctx, p, n)));
        }
        Map<String, String> details = new LinkedHashMap<>(Accelerators.details(gpus));
        if (gpus.isEmpty()) {
            return new GpuView(new Scan<>(ProbeResult.missing(kind(), Cause.FEATURE_DISABLED, "CUDA_VISIBLE_DEVICES="
                    + ctx.env("CUDA_VISIBLE_DEVICES") + " hides every GPU", "unset CUDA_VISIBLE_DEVICES or name a GPU",
                    details), gpus), snap);
        }
        List<String> files = new ArrayList<>(List.of("/dev/nvidiactl"));
        gpus.forEach(g -> files.add(g.deviceFile()));
        Optional<ProbeResult> fileProblem = Accelerators.checkFiles(ctx, kind(), files,
                "the NVIDIA kernel driver is not loaded, or the container was started without the GPU devices",
                "load the nvidia driver, or start the container with the GPUs (--gpus)",
                "give this user access to /dev/nvidia* (group video) or start the container with the GPUs", details);
        if (fileProblem.isPresent()) {
            return new GpuView(new Scan<>(fileProblem.get(), gpus), snap);
        }
        String driverFix = "install the NVIDIA driver's user-space libraries (libnvidia-ml, libcuda)";
        if (!lib.isLoaded()) {
            return new GpuView(new Scan<>(Accelerators.libraryMissing(kind(), lib, driverFix, details), gpus), null);
        }
        if (!snap.ok()) {
            Cause c = snap.status() == LibNvml.NVML_ERROR_NO_PERMISSION ? Cause.PERMISSION_DENIED
                    : snap.status() == LibNvml.NVML_ERROR_DRIVER_NOT_LOADED ? Cause.NO_DEVICE : Cause.INIT_FAILED;
            return new GpuView(new Scan<>(ProbeResult.missing(kind(), c, "NVML failed: " + snap.error() + " (code "
                    + snap.status() + ")", "check that the driver version matches the kernel module (nvidia-smi)",
                    details), gpus), snap);
        }
        details.put("driver", snap.driverVersion());
        Loaded<String> cuda = ctx.loader().library(List.of("libcuda.so.1", "cuda"));
        if (!cuda.isLoaded()) {
            return new GpuView(new Scan<>(Accelerators.libraryMissing(kind(), cuda, driverFix, details), gpus), snap);
        }
        return new GpuView(new Scan<>(ProbeResult.found(kind(), gpus.size() + " CUDA GPU(s): "
                + Accelerators.locations(gpus), details), gpus), snap);
    }

    /** The indices a numeric {@code CUDA_VISIBLE_DEVICES} leaves visible, in its order; all when unset or not numeric. */
    static List<Integer> visible(String value, int count) {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            all.add(i);
        }
        if (value == null) {
            return all;
        }
        List<Integer> out = new ArrayList<>();
        for (String s : value.split(",")) {
            try {
                int i = Integer.parseInt(s.trim());
                if (i < 0 || i >= count) {
                    break; // CUDA stops at the first invalid entry
                }
                if (!out.contains(i)) {
                    out.add(i);
                }
            } catch (NumberFormatException e) {
                return all; // UUID or MIG forms: leave the order to CUDA
            }
        }
        return out;
    }

    private static int minor(ProbeContext ctx, PciDevice p, int fallback) {
        String info = Sysfs.read(ctx.path("/proc/driver/nvidia/gpus/" + p.address() + "/information"), "");
        Matcher m = MINOR.matcher(info);
        return m.find() ? Integer.parseInt(m.group(1)) : fallback;
    }
}

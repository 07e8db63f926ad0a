package io.mooncake.probe;

import io.mooncake.engine.config.EnvironmentVariables;
import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.AcceleratorRuntime;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.RuntimeQuery;
import io.mooncake.jna.hip.LibAmdHip64;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Probe for AMD ROCm/HIP GPUs: AMD display controllers on the PCI bus, {@code /dev/kfd} and their
 * render nodes, and the HIP runtime ({@code libamdhip64.so} under {@code ROCM_PATH},
 * {@code HIP_PATH} or {@code /opt/rocm}). {@code MC_DISABLE_HIP} switches it off.
 */
public final class RocmProbe extends AbstractProbe<Accelerator> {

    /** The probe. */
    public static final RocmProbe INSTANCE = new RocmProbe();

    private RocmProbe() {
    }

    @Override
    public ProbeKind kind() {
        return ProbeKind.ROCM;
    }

    @Override
    Scan<Accelerator> doScan(ProbeContext ctx) {
        List<PciDevice> pcis = Accelerators.pci(ctx, PciDevice.VENDOR_AMD, p -> p.isDisplay() || p.isAccelerator());
        if (pcis.isEmpty()) {
            return new Scan<>(ProbeResult.missing(kind(), Cause.NO_DEVICE, "no AMD GPU in "
                    + ctx.path("/sys/bus/pci/devices") + " (no vendor 0x1002 display controller or accelerator)",
                    "run on a host with AMD Instinct/Radeon GPUs", Map.of()), List.of());
        }
        List<Accelerator> gpus = gpus(ctx, pcis, List.of());
        Map<String, String> details = Accelerators.details(gpus);
        if (EnvironmentVariables.flag(ctx.env(), "MC_DISABLE_HIP")) {
            return new Scan<>(ProbeResult.missing(kind(), Cause.FEATURE_DISABLED, "MC_DISABLE_HIP is set",
                    "unset MC_DISABLE_HIP to use the AMD GPUs", details), gpus);
        }
        List<String> files = new ArrayList<>(List.of("/dev/kfd"));
        gpus.stream().map(Accelerator::deviceFile).filter(f -> !f.isEmpty()).forEach(files::add);
        Optional<ProbeResult> fileProblem = Accelerators.checkFiles(ctx, kind(), files,
                "the amdgpu kernel driver is not loaded, or the container lacks /dev/kfd and /dev/dri",
                "load amdgpu (ROCm's amdgpu-dkms) or pass --device=/dev/kfd --device=/dev/dri",
                "add this user to the render and video groups", details);
        if (fileProblem.isPresent()) {
            return new Scan<>(fileProblem.get(), gpus);
        }
        List<String> candidates = ctx.librarySearch("libamdhip64.so", List.of("ROCM_PATH", "HIP_PATH"), "lib",
                List.of("/opt/rocm/lib"));
        Loaded<AcceleratorRuntime> lib = ctx.loader().hip(candidates);
        if (!lib.isLoaded()) {
            return new Scan<>(Accelerators.libraryMissing(kind(), lib,
                    "install ROCm's HIP runtime (libamdhip64) or set ROCM_PATH", details), gpus);
        }
        RuntimeQuery q = lib.library().query();
        if (!q.ok()) {
            return new Scan<>(ProbeResult.missing(kind(), q.status() == LibAmdHip64.HIP_ERROR_NO_DEVICE
                    ? Cause.NO_DEVICE : Cause.INIT_FAILED, "HIP runtime: " + q.error() + " (code " + q.status() + ")",
                    "check the ROCm installation with rocminfo", details), gpus);
        }
        gpus = gpus(ctx, pcis, q.pciBusIds());
        return new Scan<>(ProbeResult.found(kind(), gpus.size() + " ROCm GPU(s): " + Accelerators.locations(gpus),
                Accelerators.details(gpus)), gpus);
    }

    /** GPUs in HIP's order when it told one, else PCI order; the device file is the render node. */
    private static List<Accelerator> gpus(ProbeContext ctx, List<PciDevice> pcis, List<String> hipOrder) {
        List<PciDevice> ordered = new ArrayList<>();
        for (String bus : hipOrder) {
            pcis.stream().filter(p -> p.address().equals(bus)).findFirst().ifPresent(ordered::add);
        }
        if (ordered.isEmpty()) {
            ordered.addAll(pcis);
        }
        List<Accelerator> out = new ArrayList<>();
        for (PciDevice p : ordered) {
            String render = "";
            for (Path d : Sysfs.list(p.path().resolve("drm"))) {
                if (d.getFileName().toString().startsWith("renderD")) {
                    render = "/dev/dri/" + d.getFileName();
                }
            }
            out.add(Accelerators.at("hip", out.size(), p, "", render));
        }
        return out;
    }
}

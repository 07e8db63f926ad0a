package io.mooncake.probe;

import io.mooncake.engine.config.EnvironmentVariables;
import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.AcceleratorRuntime;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.RuntimeQuery;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Probe for Cambricon MLUs: {@code /dev/cambricon_dev<N>} and {@code /dev/cambricon_ctl},
 * Cambricon (0xcabc) functions on the PCI bus, and CNDrv ({@code libcndrv.so} under
 * {@code NEUWARE_HOME} or {@code NEUWARE_ROOT}, else {@code /usr/local/neuware}). MLU memory goes
 * over rdma only when {@code MC_USE_MLU} is set, this engine's switch for the reference's MLU
 * build flag.
 */
public final class MluProbe extends AbstractProbe<Accelerator> {

    /** The probe. */
    public static final MluProbe INSTANCE = new MluProbe();

    /** The switch that turns MLU memory detection and topology on. */
    public static final String MC_USE_MLU = "MC_USE_MLU";

    private MluProbe() {
    }

    @Override
    public ProbeKind kind() {
        return ProbeKind.MLU;
    }

    @Override
    Scan<Accelerator> doScan(ProbeContext ctx) {
        List<Integer> numbers = Accelerators.numberedFiles(ctx, "/dev", "cambricon_dev");
        List<PciDevice> pcis = Accelerators.pci(ctx, PciDevice.VENDOR_CAMBRICON, p -> true);
        if (numbers.isEmpty()) {
            String why = pcis.isEmpty() ? "no Cambricon MLU: no /dev/cambricon_dev<N> and no Cambricon (0xcabc) device in "
                    + ctx.path("/sys/bus/pci/devices")
                    : "Cambricon MLU on the PCI bus (" + pcis.get(0).address() + ") but no /dev/cambricon_dev<N>: the "
                            + "cambricon driver is not loaded";
            return new Scan<>(ProbeResult.missing(kind(), Cause.NO_DEVICE, why,
                    "install the Cambricon driver (cnmon must list the MLUs)", Map.of()), List.of());
        }
        List<Accelerator> mlus = new ArrayList<>();
        for (int i = 0; i < numbers.size(); i++) {
            PciDevice p = pcis.size() == numbers.size() ? pcis.get(i) : null;
            mlus.add(Accelerators.at("mlu", numbers.get(i), p, "", "/dev/cambricon_dev" + numbers.get(i)));
        }
        Map<String, String> details = new LinkedHashMap<>(Accelerators.details(mlus));
        String home = ctx.env("NEUWARE_HOME") != null ? "NEUWARE_HOME=" + ctx.env("NEUWARE_HOME")
                : ctx.env("NEUWARE_ROOT") != null ? "NEUWARE_ROOT=" + ctx.env("NEUWARE_ROOT")
                        : "unset (NEUWARE_HOME, NEUWARE_ROOT); trying /usr/local/neuware";
        details.put("neuware", home);
        if (!EnvironmentVariables.flag(ctx.env(), MC_USE_MLU)) {
            return new Scan<>(ProbeResult.missing(kind(), Cause.FEATURE_DISABLED, "Cambricon MLU support is off ("
                    + MC_USE_MLU + " is not set)", "set " + MC_USE_MLU + "=1 to register MLU memory for rdma", details),
                    mlus);
        }
        List<String> files = new ArrayList<>(List.of("/dev/cambricon_ctl"));
        mlus.forEach(m -> files.add(m.deviceFile()));
        Optional<ProbeResult> fileProblem = Accelerators.checkFiles(ctx, kind(), files,
                "the cambricon driver is not fully loaded, or the container lacks the device",
                "install the Cambricon driver or pass /dev/cambricon_ctl and /dev/cambricon_dev* in",
                "give this user read-write access to /dev/cambricon_*", details);
        if (fileProblem.isPresent()) {
            return new Scan<>(fileProblem.get(), mlus);
        }
        Loaded<AcceleratorRuntime> lib = ctx.loader().cndrv(ctx.librarySearch("libcndrv.so",
                List.of("NEUWARE_HOME", "NEUWARE_ROOT"), "lib64", List.of("/usr/local/neuware/lib64")));
        if (!lib.isLoaded()) {
            return new Scan<>(Accelerators.libraryMissing(kind(), lib,
                    "install Cambricon Neuware and set NEUWARE_HOME (or NEUWARE_ROOT) to it", details), mlus);
        }
        RuntimeQuery q = lib.library().query();
        if (!q.ok() || q.deviceCount() == 0) {
            return new Scan<>(ProbeResult.missing(kind(), Cause.INIT_FAILED, "CNDrv sees no MLU: "
                    + (q.ok() ? "cnDeviceGetCount returned 0" : q.error()), "check the MLUs with cnmon", details), mlus);
        }
        return new Scan<>(ProbeResult.found(kind(), mlus.size() + " Cambricon MLU(s): " + Accelerators.locations(mlus),
                details), mlus);
    }
}

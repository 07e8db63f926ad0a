package io.mooncake.probe;

import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.AcceleratorRuntime;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.RuntimeQuery;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Probe for Huawei Ascend NPUs: {@code /dev/davinci<N>} and {@code /dev/davinci_manager}, Huawei
 * accelerators on the PCI bus, and AscendCL ({@code libascendcl.so} under
 * {@code ASCEND_HOME_PATH}, {@code ASCEND_TOOLKIT_HOME} or the default CANN location).
 */
public final class AscendProbe extends AbstractProbe<Accelerator> {

    /** The probe. */
    public static final AscendProbe INSTANCE = new AscendProbe();

    /** Directories searched for CANN libraries after the environment's. */
    static final List<String> CANN_DIRS = List.of("/usr/local/Ascend/ascend-toolkit/latest/lib64");

    private AscendProbe() {
    }

    @Override
    public ProbeKind kind() {
        return ProbeKind.ASCEND;
    }

    @Override
    Scan<Accelerator> doScan(ProbeContext ctx) {
        List<Integer> numbers = Accelerators.numberedFiles(ctx, "/dev", "davinci");
        List<PciDevice> pcis = Accelerators.pci(ctx, PciDevice.VENDOR_HUAWEI, PciDevice::isAccelerator);
        if (numbers.isEmpty()) {
            String why = pcis.isEmpty() ? "no Ascend NPU: no /dev/davinci<N> and no Huawei (0x19e5) accelerator in "
                    + ctx.path("/sys/bus/pci/devices")
                    : "Ascend NPU on the PCI bus (" + pcis.get(0).address() + ") but no /dev/davinci<N>: the Ascend "
                            + "driver is not loaded";
            return new Scan<>(ProbeResult.missing(kind(), Cause.NO_DEVICE, why,
                    "install the Ascend NPU driver and firmware (npu-smi info must list the NPUs)", Map.of()), List.of());
        }
        List<Accelerator> npus = new ArrayList<>();
        for (int i = 0; i < numbers.size(); i++) {
            PciDevice p = pcis.size() == numbers.size() ? pcis.get(i) : null;
            npus.add(Accelerators.at("npu", numbers.get(i), p, "", "/dev/davinci" + numbers.get(i)));
        }
        Map<String, String> details = Accelerators.details(npus);
        List<String> files = new ArrayList<>(List.of("/dev/davinci_manager"));
        npus.forEach(n -> files.add(n.deviceFile()));
        Optional<ProbeResult> fileProblem = Accelerators.checkFiles(ctx, kind(), files,
                "the Ascend driver is not fully loaded, or the container lacks the device",
                "install the Ascend driver, or pass /dev/davinci_manager, /dev/devmm_svm and /dev/hisi_hdc in",
                "add this user to the HwHiAiUser group", details);
        if (fileProblem.isPresent()) {
            return new Scan<>(fileProblem.get(), npus);
        }
        Loaded<AcceleratorRuntime> lib = ctx.loader().ascendCl(ctx.librarySearch("libascendcl.so",
                List.of("ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME"), "lib64", CANN_DIRS));
        if (!lib.isLoaded()) {
            return new Scan<>(Accelerators.libraryMissing(kind(), lib,
                    "install the CANN toolkit and source its set_env.sh (sets ASCEND_HOME_PATH)", details), npus);
        }
        RuntimeQuery q = lib.library().query();
        if (!q.ok() || q.deviceCount() == 0) {
            return new Scan<>(ProbeResult.missing(kind(), Cause.INIT_FAILED, "AscendCL sees no NPU: "
                    + (q.ok() ? "aclrtGetDeviceCount returned 0" : q.error() + " (code " + q.status() + ")"),
                    "check the NPUs with npu-smi info", details), npus);
        }
        return new Scan<>(ProbeResult.found(kind(), npus.size() + " Ascend NPU(s): " + Accelerators.locations(npus),
                details), npus);
    }
}

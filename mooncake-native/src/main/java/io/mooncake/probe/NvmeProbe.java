package io.mooncake.probe;

import io.mooncake.engine.transport.Availability.Cause;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Probe for NVMe controllers in {@code /sys/class/nvme}: local PCIe drives and NVMe-oF
 * controllers (transport {@code rdma}, {@code tcp} or {@code fc}) with their namespaces.
 */
public final class NvmeProbe extends AbstractProbe<NvmeProbe.Controller> {

    /** The probe. */
    public static final NvmeProbe INSTANCE = new NvmeProbe();

    /**
     * One NVMe controller.
     *
     * @param name {@code nvme0}
     * @param transport {@code pcie}, {@code rdma}, {@code tcp}, {@code fc}, {@code loop}
     * @param model the model string
     * @param address the PCI address or fabric address ({@code traddr=...})
     * @param subsysnqn the subsystem NQN
     * @param namespaces block devices, {@code nvme0n1}
     */
    public record Controller(String name, String transport, String model, String address, String subsysnqn,
            List<String> namespaces) {

        public Controller {
            namespaces = List.copyOf(namespaces);
        }

        /** Whether the controller is reached over a fabric. */
        public boolean fabric() {
            return !transport.equals("pcie");
        }
    }

    private NvmeProbe() {
    }

    @Override
    public ProbeKind kind() {
        return ProbeKind.NVME;
    }

    @Override
    Scan<Controller> doScan(ProbeContext ctx) {
        List<Controller> ctrls = new ArrayList<>();
        for (Path c : Sysfs.list(ctx.path("/sys/class/nvme"))) {
            String name = c.getFileName().toString();
            List<String> ns = new ArrayList<>();
            for (Path n : Sysfs.list(c)) {
                String f = n.getFileName().toString();
                if (f.matches("nvme\\d+(c\\d+)?n\\d+")) {
                    ns.add(f);
                }
            }
            ctrls.add(new Controller(name, Sysfs.read(c.resolve("transport"), "pcie"), Sysfs.read(c.resolve("model"), ""),
                    Sysfs.read(c.resolve("address"), ""), Sysfs.read(c.resolve("subsysnqn"), ""), ns));
        }
        if (ctrls.isEmpty()) {
            return new Scan<>(ProbeResult.missing(kind(), Cause.NO_DEVICE, "no NVMe controller in "
                    + ctx.path("/sys/class/nvme"), "attach an NVMe drive, or connect an NVMe-oF target (nvme connect)",
                    Map.of()), ctrls);
        }
        Map<String, String> details = new LinkedHashMap<>();
        ctrls.forEach(c -> details.put(c.name(), c.transport() + " " + c.model() + " " + c.address() + " namespaces "
                + c.namespaces()));
        long fabric = ctrls.stream().filter(Controller::fabric).count();
        return new Scan<>(ProbeResult.found(kind(), ctrls.size() + " NVMe controller(s), " + fabric + " over a fabric",
                details), ctrls);
    }
}

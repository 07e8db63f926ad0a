package io.mooncake.probe;

import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.verbs.Verbs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Probe for RDMA HCAs (InfiniBand, RoCE, iWARP, eRDMA): devices in {@code /sys/class/infiniband}
 * that are not EFA, listed by libibverbs, whose {@code /dev/infiniband/uverbsN} opens, with an
 * ACTIVE port that has a GID.
 */
public final class RdmaProbe extends AbstractProbe<Hca> {

    /** The probe. */
    public static final RdmaProbe INSTANCE = new RdmaProbe();

    private RdmaProbe() {
    }

    @Override
    public ProbeKind kind() {
        return ProbeKind.RDMA;
    }

    @Override
    Scan<Hca> doScan(ProbeContext ctx) {
        List<Hca> all = VerbsDevices.read(ctx);
        String dir = ctx.path(VerbsDevices.CLASS_DIR).toString();
        if (all.isEmpty()) {
            return new Scan<>(ProbeResult.missing(kind(), Cause.NO_DEVICE, "no device in sysfs class/infiniband (" + dir
                    + " is empty or missing)", "load the NIC's RDMA driver (mlx5_ib, irdma, bnxt_re, erdma) and install "
                    + "rdma-core", Map.of()), List.of());
        }
        List<Hca> hcas = all.stream().filter(h -> !h.isEfa()).toList();
        if (hcas.isEmpty()) {
            String efa = String.join(", ", all.stream().map(Hca::name).toList());
            return new Scan<>(ProbeResult.missing(kind(), Cause.NO_DEVICE, "the only devices in " + dir + " are EFA ("
                    + efa + "), which do not do RDMA reliable connections", "use protocol efa on AWS", Map.of()),
                    List.of());
        }
        Loaded<Verbs> lib = ctx.loader().verbs();
        if (!lib.isLoaded()) {
            String why = lib.name() + " cannot be loaded: " + lib.failure();
            List<Hca> judged = hcas.stream().map(h -> h.withProblem(Cause.NO_LIBRARY, why)).toList();
            return new Scan<>(ProbeResult.missing(kind(), lib.permissionDenied() ? Cause.PERMISSION_DENIED
                    : Cause.NO_LIBRARY, why, "install rdma-core's libibverbs1 and ibverbs-providers",
                    details(judged, null)), judged);
        }
        Verbs.DeviceList listed = lib.library().devices();
        List<Hca> judged = hcas.stream().map(h -> VerbsDevices.judge(ctx, h, listed)).toList();
        Map<String, String> details = details(judged, listed);
        List<Hca> usable = judged.stream().filter(Hca::usable).toList();
        if (!usable.isEmpty()) {
            List<String> names = usable.stream().map(h -> h.name() + " (" + linkLayer(h) + ", NUMA " + h.numaNode() + ")")
                    .toList();
            return new Scan<>(ProbeResult.found(kind(), usable.size() + " usable RDMA HCA(s): " + String.join(", ", names),
                    details), judged);
        }
        Cause cause = worst(judged);
        List<String> problems = new ArrayList<>();
        for (Hca h : judged) {
            problems.add(h.name() + ": " + h.problem());
        }
        return new Scan<>(ProbeResult.missing(kind(), cause, "no usable RDMA HCA: " + String.join("; ", problems),
                fix(cause), details), judged);
    }

    /** The most actionable cause among unusable devices: permission, then library, then the rest. */
    static Cause worst(List<Hca> judged) {
        for (Cause c : List.of(Cause.PERMISSION_DENIED, Cause.NO_LIBRARY, Cause.INIT_FAILED)) {
            if (judged.stream().anyMatch(h -> h.problemCause() == c)) {
                return c;
            }
        }
        return Cause.NO_DEVICE;
    }

    static String fix(Cause cause) {
        switch (cause) {
            case PERMISSION_DENIED:
                return "grant this user read-write access to /dev/infiniband/uverbs* (rdma-core's udev rules) or run "
                        + "with the device passed into the container";
            case NO_LIBRARY:
                return "install rdma-core's ibverbs-providers (the user-space driver of the NIC)";
            default:
                return "bring a port up (cable, switch, subnet manager) and load ib_uverbs";
        }
    }

    private static String linkLayer(Hca h) {
        return h.ports().stream().filter(Hca.Port::active).map(p -> p.linkLayer().equals("Ethernet") ? "RoCE"
                : p.linkLayer()).findFirst().orElse("?");
    }

    static Map<String, String> details(List<Hca> hcas, Verbs.DeviceList listed) {
        Map<String, String> d = new LinkedHashMap<>();
        if (listed != null) {
            d.put("libibverbs", listed.errno() != 0 ? "ibv_get_device_list failed, errno " + listed.errno()
                    : "lists " + listed.names());
        }
        for (Hca h : hcas) {
            d.put(h.name(), VerbsDevices.summary(h));
        }
        return d;
    }
}

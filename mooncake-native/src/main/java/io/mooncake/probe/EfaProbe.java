package io.mooncake.probe;

import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.fabric.Fabric;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Probe for AWS Elastic Fabric Adapters: verbs devices bound to the {@code efa} driver, for
 * which libfabric's {@code efa} provider offers an RDM domain ({@code <device>-rdm}), with an
 * openable {@code /dev/infiniband/uverbsN}.
 */
public final class EfaProbe extends AbstractProbe<Hca> {

    /** The probe. */
    public static final EfaProbe INSTANCE = new EfaProbe();

    private EfaProbe() {
    }

    @Override
    public ProbeKind kind() {
        return ProbeKind.EFA;
    }

    @Override
    Scan<Hca> doScan(ProbeContext ctx) {
        List<Hca> efas = VerbsDevices.read(ctx).stream().filter(Hca::isEfa).toList();
        if (efas.isEmpty()) {
            return new Scan<>(ProbeResult.missing(kind(), Cause.NO_DEVICE, "no EFA device: nothing in "
                    + ctx.path(VerbsDevices.CLASS_DIR) + " is bound to the efa driver",
                    "run on an EFA-enabled EC2 instance with the efa kernel module (AWS EFA installer)", Map.of()),
                    List.of());
        }
        Loaded<Fabric> lib = ctx.loader().fabric();
        if (!lib.isLoaded()) {
            String why = lib.name() + " cannot be loaded: " + lib.failure();
            return new Scan<>(ProbeResult.missing(kind(), lib.permissionDenied() ? Cause.PERMISSION_DENIED
                    : Cause.NO_LIBRARY, why, "install libfabric with the efa provider (AWS EFA installer)",
                    RdmaProbe.details(efas, null)), efas);
        }
        Fabric fabric = lib.library();
        Fabric.Query q = fabric.getInfo("efa", true);
        Map<String, String> details = new LinkedHashMap<>();
        details.put("libfabric", fabric.version());
        if (q.rc() != 0) {
            details.putAll(RdmaProbe.details(efas, null));
            return new Scan<>(ProbeResult.missing(kind(), Cause.NO_LIBRARY, "libfabric " + fabric.version()
                    + " has no usable 'efa' provider (fi_getinfo: " + q.error() + ")",
                    "install the libfabric of the AWS EFA installer, which carries the efa provider", details), efas);
        }
        List<String> domains = q.infos().stream().filter(i -> i.coreProvider().equals("efa")).map(Fabric.Info::domain)
                .distinct().toList();
        details.put("efa domains", String.join(", ", domains));
        List<Hca> judged = new ArrayList<>();
        for (Hca h : efas) {
            if (domains.stream().noneMatch(dom -> dom.startsWith(h.name() + "-"))) {
                judged.add(h.withProblem(Cause.NO_LIBRARY, "libfabric's efa provider offers no domain for it"));
                continue;
            }
            Hca j = VerbsDevices.judge(ctx, h, null);
            judged.add(j);
        }
        details.putAll(RdmaProbe.details(judged, null));
        List<Hca> usable = judged.stream().filter(Hca::usable).toList();
        if (!usable.isEmpty()) {
            return new Scan<>(ProbeResult.found(kind(), usable.size() + " usable EFA device(s): "
                    + String.join(", ", usable.stream().map(Hca::name).toList()), details), judged);
        }
        Cause cause = RdmaProbe.worst(judged);
        return new Scan<>(ProbeResult.missing(kind(), cause, "no usable EFA device: " + String.join("; ",
                judged.stream().map(h -> h.name() + ": " + h.problem()).toList()), cause == Cause.PERMISSION_DENIED
                        ? RdmaProbe.fix(cause) : "check the efa driver and security group (EFA traffic must be allowed)",
                details), judged);
    }
}

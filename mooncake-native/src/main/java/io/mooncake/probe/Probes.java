package io.mooncake.probe;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every probe of this module, and a way to run them all. */
public final class Probes {

    /** All probes, in the order the probe command prints them. */
    public static final List<Probe<?>> ALL = List.of(RdmaProbe.INSTANCE, EfaProbe.INSTANCE, CudaProbe.INSTANCE,
            MnnvlProbe.INSTANCE, NvlinkProbe.INSTANCE, RocmProbe.INSTANCE, AscendProbe.INSTANCE, MluProbe.INSTANCE,
            CxlProbe.INSTANCE, NvmeProbe.INSTANCE);

    private Probes() {
    }

    /** Runs every probe. */
    public static Map<ProbeKind, ProbeResult> runAll(ProbeContext ctx) {
        Map<ProbeKind, ProbeResult> out = new LinkedHashMap<>();
        for (Probe<?> p : ALL) {
            out.put(p.kind(), p.probe(ctx));
        }
        return out;
    }
}

package io.mooncake.probe;

import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.nvml.Nvml;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Probe for NVLink between the GPUs of this node, from NVML: an active link whose far end is
 * another local GPU connects the two directly; GPUs with active links to NVSwitches (any far end
 * that is not a local GPU) all reach each other through the switches.
 */
public final class NvlinkProbe extends AbstractProbe<NvlinkProbe.Pair> {

    /** The probe. */
    public static final NvlinkProbe INSTANCE = new NvlinkProbe();

    /**
     * Two GPUs connected by NVLink.
     *
     * @param a the first GPU, {@code cuda:0}
     * @param b the second GPU
     * @param directLinks active links joining them directly, 0 when only through NVSwitch
     * @param viaSwitch whether they also reach each other through NVSwitches
     */
    public record Pair(String a, String b, int directLinks, boolean viaSwitch) {
    }

    private NvlinkProbe() {
    }

    @Override
    public ProbeKind kind() {
        return ProbeKind.NVLINK;
    }

    @Override
    Scan<Pair> doScan(ProbeContext ctx) {
        CudaProbe.GpuView view = CudaProbe.INSTANCE.inspect(ctx);
        ProbeResult cuda = view.scan().result();
        if (!cuda.available()) {
            return new Scan<>(ProbeResult.missing(kind(), cuda.cause(), "NVLink needs usable CUDA GPUs: "
                    + cuda.reason(), cuda.fix(), cuda.details()), List.of());
        }
        List<Accelerator> gpus = view.scan().devices();
        Map<String, String> byBus = new LinkedHashMap<>();
        gpus.forEach(g -> byBus.put(g.pciAddress(), g.location()));
        Map<String, Map<String, Integer>> direct = new LinkedHashMap<>();
        Set<String> switched = new LinkedHashSet<>();
        Map<String, String> details = new LinkedHashMap<>();
        for (Accelerator g : gpus) {
            Optional<Nvml.Gpu> n = view.nvml().gpus().stream().filter(x -> x.pciBusId().equals(g.pciAddress()))
                    .findFirst();
            List<Nvml.NvLink> active = n.map(x -> x.links().stream().filter(Nvml.NvLink::active).toList())
                    .orElse(List.of());
            details.put(g.location(), active.size() + " active NVLink(s)");
            for (Nvml.NvLink l : active) {
                String peer = byBus.get(l.remotePciBusId());
                if (peer == null) {
                    switched.add(g.location());
                } else if (!peer.equals(g.location())) {
                    direct.computeIfAbsent(g.location(), k -> new LinkedHashMap<>()).merge(peer, 1, Integer::sum);
                }
            }
        }
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < gpus.size(); i++) {
            for (int j = i + 1; j < gpus.size(); j++) {
                String a = gpus.get(i).location();
                String b = gpus.get(j).location();
                int links = direct.getOrDefault(a, Map.of()).getOrDefault(b, 0);
                boolean viaSwitch = switched.contains(a) && switched.contains(b);
                if (links > 0 || viaSwitch) {
                    pairs.add(new Pair(a, b, links, viaSwitch));
                }
            }
        }
        if (pairs.isEmpty()) {
            return new Scan<>(ProbeResult.missing(kind(), Cause.NO_DEVICE, gpus.size() < 2
                    ? "NVLink inside a node needs two GPUs; this node has " + gpus.size()
                    : "no active NVLink between the local GPUs (" + Accelerators.locations(gpus) + ")",
                    "nvlink_intra needs GPUs joined by NVLink (see nvidia-smi topo -m)", details), pairs);
        }
        details.put("pairs", String.join(", ", pairs.stream().map(p -> p.a() + "-" + p.b()
                + (p.directLinks() > 0 ? " x" + p.directLinks() : "") + (p.viaSwitch() ? " (NVSwitch)" : "")).toList()));
        return new Scan<>(ProbeResult.found(kind(), pairs.size() + " NVLink-connected GPU pair(s)", details), pairs);
    }
}

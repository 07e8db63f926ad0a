package io.mooncake.topology;

import io.mooncake.probe.Accelerator;
import io.mooncake.probe.Hca;
import io.mooncake.probe.Sysfs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the priority matrix from the same facts as the reference: one {@code cpu:<n>} entry per
 * NUMA node preferring the NICs on that node; one entry per accelerator preferring, among the
 * NICs on its NUMA node (all NICs when none is), those at the smallest PCI distance, where the
 * distance counts the components of the two resolved sysfs device paths that are not shared.
 * Every other NIC is listed as available. Stateless.
 */
public final class TopologyBuilder {

    private TopologyBuilder() {
    }

    /**
     * Builds a topology.
     *
     * @param numaNodes the NUMA nodes of the host
     * @param nics the NICs to place (already filtered to the usable, selected ones)
     * @param accelerators GPUs, NPUs and MLUs, in location order
     */
    public static Topology build(List<Integer> numaNodes, List<Hca> nics, List<Accelerator> accelerators) {
        List<Hca> byName = new ArrayList<>(nics);
        byName.sort(Comparator.comparing(Hca::name, Sysfs.NATURAL));
        Map<String, Topology.Entry> matrix = new LinkedHashMap<>();
        for (int node : numaNodes) {
            List<Hca> preferred = byName.stream().filter(h -> h.numaNode() == node).toList();
            matrix.put("cpu:" + node, entry(byName, preferred));
        }
        for (Accelerator a : accelerators) {
            List<Hca> candidates = byName.stream().filter(h -> a.numaNode() >= 0 && h.numaNode() == a.numaNode()).toList();
            if (candidates.isEmpty()) {
                candidates = byName;
            }
            int best = candidates.stream().mapToInt(h -> distance(a.pciPath(), h.pciPath())).min().orElse(0);
            List<Hca> preferred = candidates.stream().filter(h -> distance(a.pciPath(), h.pciPath()) == best).toList();
            matrix.put(a.location(), entry(byName, preferred));
        }
        return new Topology(matrix, rank(byName, matrix));
    }

    /**
     * The PCI distance of two devices: components of the resolved paths not shared by both
     * ({@code Integer.MAX_VALUE / 2} when either path is unknown, so known ones win).
     */
    public static int distance(Path a, Path b) {
        if (a == null || b == null) {
            return Integer.MAX_VALUE / 2;
        }
        Path x = a.toAbsolutePath().normalize();
        Path y = b.toAbsolutePath().normalize();
        int common = 0;
        while (common < x.getNameCount() && common < y.getNameCount()
                && x.getName(common).equals(y.getName(common))) {
            common++;
        }
        return (x.getNameCount() - common) + (y.getNameCount() - common);
    }

    private static Topology.Entry entry(List<Hca> all, List<Hca> preferred) {
        List<String> pref = preferred.stream().map(Hca::name).toList();
        List<String> rest = all.stream().map(Hca::name).filter(n -> !pref.contains(n)).toList();
        return new Topology.Entry(pref, rest);
    }

    /** Best first: preferred by more locations, then faster active port, then name. */
    private static List<String> rank(List<Hca> nics, Map<String, Topology.Entry> matrix) {
        Map<String, Long> votes = new LinkedHashMap<>();
        for (Hca h : nics) {
            votes.put(h.name(), matrix.values().stream().filter(e -> e.preferred().contains(h.name())).count());
        }
        List<Hca> ranked = new ArrayList<>(nics);
        ranked.sort(Comparator.<Hca>comparingLong(h -> -votes.get(h.name()))
                .thenComparingDouble(h -> -h.bestRateGbps())
                .thenComparing(Hca::name, Sysfs.NATURAL));
        return ranked.stream().map(Hca::name).toList();
    }
}

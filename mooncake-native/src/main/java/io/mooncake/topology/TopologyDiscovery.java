package io.mooncake.topology;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.config.EnvironmentVariables;
import io.mooncake.probe.Accelerator;
import io.mooncake.probe.AscendProbe;
import io.mooncake.probe.CudaProbe;
import io.mooncake.probe.Hca;
import io.mooncake.probe.MluProbe;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.RocmProbe;
import io.mooncake.probe.Sysfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Discovers the priority matrix of a node: from {@code MC_CUSTOM_TOPO_JSON} (a file, or the JSON
 * itself) when set, else from the selected NICs, the NUMA nodes in
 * {@code /sys/devices/system/node} and the accelerators the CUDA, ROCm, Ascend and (with
 * {@code MC_USE_MLU}) MLU probes find. Stateless.
 */
public final class TopologyDiscovery {

    public static final String MC_CUSTOM_TOPO_JSON = "MC_CUSTOM_TOPO_JSON";
    public static final String MC_TE_FILTERS = "MC_TE_FILTERS";

    private static final Pattern NODE = Pattern.compile("node(\\d+)");

    /**
     * A discovered topology.
     *
     * @param topology the matrix
     * @param selection the NICs chosen and what could not be honoured
     * @param source where the matrix came from: {@code discovery} or {@code MC_CUSTOM_TOPO_JSON=...}
     */
    public record Result(Topology topology, NicSelection selection, String source) {
    }

    private TopologyDiscovery() {
    }

    /**
     * Discovers the topology over some NICs.
     *
     * @param nics every NIC of the transport's kind the probe saw, judged
     * @param deviceNames the configured {@code device_name} list
     * @throws MooncakeException when {@code MC_CUSTOM_TOPO_JSON} cannot be read or parsed
     */
    public static Result discover(ProbeContext ctx, List<Hca> nics, List<String> deviceNames) {
        NicSelection selection = NicSelection.select(nics, deviceNames, ctx.env(MC_TE_FILTERS));
        String custom = ctx.env(MC_CUSTOM_TOPO_JSON);
        if (custom != null) {
            return new Result(custom(custom), selection, MC_CUSTOM_TOPO_JSON + "=" + abbreviate(custom));
        }
        return new Result(TopologyBuilder.build(numaNodes(ctx), selection.selected(), accelerators(ctx)), selection,
                "discovery");
    }

    /** The NUMA nodes in {@code /sys/devices/system/node}; {@code [0]} on kernels without NUMA. */
    public static List<Integer> numaNodes(ProbeContext ctx) {
        List<Integer> nodes = new ArrayList<>();
        for (Path p : Sysfs.list(ctx.path("/sys/devices/system/node"))) {
            Matcher m = NODE.matcher(p.getFileName().toString());
            if (m.matches()) {
                nodes.add(Integer.parseInt(m.group(1)));
            }
        }
        return nodes.isEmpty() ? List.of(0) : nodes;
    }

    /** The accelerators that become matrix locations. */
    public static List<Accelerator> accelerators(ProbeContext ctx) {
        List<Accelerator> out = new ArrayList<>(CudaProbe.INSTANCE.scan(ctx).devices());
        out.addAll(RocmProbe.INSTANCE.scan(ctx).devices());
        out.addAll(AscendProbe.INSTANCE.scan(ctx).devices());
        if (EnvironmentVariables.flag(ctx.env(), MluProbe.MC_USE_MLU)) {
            out.addAll(MluProbe.INSTANCE.scan(ctx).devices());
        }
        return out;
    }

    private static Topology custom(String value) {
        if (value.startsWith("{")) {
            return Topology.parse(value, MC_CUSTOM_TOPO_JSON);
        }
        try {
            return Topology.parse(Files.readString(Path.of(value)), MC_CUSTOM_TOPO_JSON + "=" + value);
        } catch (IOException e) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, MC_CUSTOM_TOPO_JSON + "=" + value
                    + " cannot be read (" + e + "); point it at a readable JSON file or give the JSON itself", e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}

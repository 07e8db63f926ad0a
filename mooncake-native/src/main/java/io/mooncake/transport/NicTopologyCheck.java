package io.mooncake.transport;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.probe.Hca;
import io.mooncake.probe.ProbeContext;
import io.mooncake.topology.NicSelection;
import io.mooncake.topology.TopologyDiscovery;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The part shared by the NIC transports (rdma, efa, barex): apply {@code device_name} and
 * {@code MC_TE_FILTERS} to the usable NICs and build the priority matrix, or say why no NIC is left.
 */
public final class NicTopologyCheck {

    /**
     * The outcome.
     *
     * @param problem why nothing can be used, {@code null} when NICs were chosen
     * @param devices the NICs chosen, best first
     * @param details facts for the availability (devices, topology JSON, what was ignored)
     */
    public record Outcome(Availability problem, List<String> devices, Map<String, String> details) {
    }

    private NicTopologyCheck() {
    }

    /**
     * Selects NICs and builds the matrix.
     *
     * @param nics every NIC of the transport's kind the probe saw, judged
     * @param probeDetails the probe's details, kept in the outcome's
     */
    public static Outcome check(ProbeContext ctx, EngineConfig config, List<Hca> nics, Map<String, String> probeDetails) {
        TopologyDiscovery.Result r = TopologyDiscovery.discover(ctx, nics, config.deviceNames());
        Map<String, String> d = new LinkedHashMap<>(probeDetails);
        NicSelection s = r.selection();
        if (!s.notFound().isEmpty()) {
            d.put("device_name not found", String.join(", ", s.notFound()));
        }
        if (!s.unusable().isEmpty()) {
            d.put("device_name unusable", String.join("; ", s.unusable()));
        }
        if (!s.filteredOut().isEmpty()) {
            d.put("excluded by MC_TE_FILTERS", String.join(", ", s.filteredOut()));
        }
        if (r.topology().isEmpty()) {
            List<String> usable = nics.stream().filter(Hca::usable).map(Hca::name).toList();
            return new Outcome(NativeTransportProvider.unavailable(Availability.Cause.NO_DEVICE,
                    s.whyEmpty(nics, config.deviceNames()), "set mooncake.device-name to some of " + usable
                            + " or to auto-discovery", d), List.of(), d);
        }
        d.put("devices", String.join(",", r.topology().devices()));
        d.put("topology", r.topology().toJson());
        d.put("topology source", r.source());
        return new Outcome(null, r.topology().devices(), d);
    }
}

package io.mooncake.health;

import io.mooncake.engine.api.PeerInfo;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.transport.Availability;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Health of a Mooncake {@link MooncakeEngine}.
 * <ul>
 * <li>{@code DOWN} when a transport failed to start: a requested protocol whose hardware is present
 * but failed to initialise ({@code INIT_FAILED}, the engine fell back to tcp), or a running transport
 * that is not listening. Details name each one with the probe's reason and fix.</li>
 * <li>{@link #DEGRADED} when the metadata service did not answer its last call: peers opened before
 * still work from cached descriptors (listed as {@code cachedPeers}), new peers cannot be resolved
 * and this node's segment cannot be re-published.</li>
 * <li>{@code UP} otherwise.</li>
 * </ul>
 * A fallback because hardware is absent ({@code NO_DEVICE}, {@code NOT_IMPLEMENTED}, ...) is
 * configuration, not ill health: it shows in the details and in {@code mooncake.transport.fallbacks}.
 * Never shows raw memory addresses or credentials. Thread-safe.
 */
public class MooncakeHealthIndicator extends AbstractHealthIndicator {

    /**
     * The engine serves, but the metadata service cannot be reached. Maps to HTTP 200 and sorts
     * between OUT_OF_SERVICE and UP (see docs/observability.md).
     */
    public static final Status DEGRADED = new Status("DEGRADED",
            "metadata service unreachable; opened peers still work from cached descriptors");

    private final MooncakeEngine engine;

    public MooncakeHealthIndicator(MooncakeEngine engine) {
        super("Mooncake health check failed");
        this.engine = engine;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        SelectionReport selection = this.engine.selection();
        Map<String, Map<String, Object>> transports = this.engine.transportStats();
        builder.withDetail("segment", this.engine.localSegmentName())
            .withDetail("protocol", selection.primary())
            .withDetail("transports", transports);
        Map<String, String> fallbacks = new LinkedHashMap<>();
        Map<String, String> failed = new LinkedHashMap<>();
        for (SelectionReport.Decision d : selection.decisions()) {
            if (d.outcome() == SelectionReport.Outcome.FELL_BACK) {
                fallbacks.put(d.protocol(), d.availability().cause() + " -> " + d.replacement());
                if (d.availability().cause() == Availability.Cause.INIT_FAILED) {
                    failed.put(d.protocol(), d.availability().describe());
                }
            }
        }
        for (String protocol : selection.active()) {
            Map<String, Object> stats = transports.get(protocol);
            if (stats == null) {
                failed.put(protocol, "selected but not running");
            }
            else if (stats.get("dataPort") instanceof Number port && port.intValue() <= 0) {
                failed.put(protocol, "running but not listening (data port " + port + ")");
            }
        }
        if (!fallbacks.isEmpty()) {
            builder.withDetail("fallbacks", fallbacks);
        }
        boolean reachable = this.engine.metadataReachable();
        builder.withDetail("metadata", this.engine.metadataDescription()).withDetail("metadataReachable", reachable);
        if (!failed.isEmpty()) {
            builder.down().withDetail("failedTransports", failed);
            return;
        }
        List<PeerInfo> peers = this.engine.peers();
        if (!reachable) {
            List<String> cached = new ArrayList<>();
            List<String> stale = new ArrayList<>();
            for (PeerInfo peer : peers) {
                (peer.stale() ? stale : cached).add(peer.name());
            }
            builder.status(DEGRADED).withDetail("cachedPeers", cached).withDetail("stalePeers", stale);
            return;
        }
        builder.up().withDetail("peers", peers.size());
    }
}

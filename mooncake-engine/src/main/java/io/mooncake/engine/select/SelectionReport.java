package io.mooncake.engine.select;

import io.mooncake.engine.transport.Availability;
import java.util.List;

/**
 * What the engine decided about transports at startup: what was requested, what runs, and
 * for every protocol considered, what its probe said and what became of it. Shown by the
 * probe command and by Actuator.
 *
 * @param requested the protocols asked for, in order
 * @param active the transports running, the published (primary) one first
 * @param decisions one line per protocol considered
 */
public record SelectionReport(List<String> requested, List<String> active, List<Decision> decisions) {

    public SelectionReport {
        requested = List.copyOf(requested);
        active = List.copyOf(active);
        decisions = List.copyOf(decisions);
    }

    /** The transport this node publishes in its descriptor. */
    public String primary() {
        return active.get(0);
    }

    /** Whether a requested protocol was replaced by tcp. */
    public boolean fellBack() {
        return decisions.stream().anyMatch(d -> d.outcome() == Outcome.FELL_BACK);
    }

    /** What became of a protocol. */
    public enum Outcome {
        /** Requested and running. */
        ACTIVE,
        /** Requested, not available, replaced by the fallback named in the decision. */
        FELL_BACK,
        /** Replaced by another protocol because of a forcing variable (MC_FORCE_TCP, MC_FORCE_MNNVL, ...). */
        OVERRIDDEN,
        /** Started in addition to the requested ones (tcp, so tcp peers can be reached). */
        ADDED
    }

    /**
     * One protocol's decision.
     *
     * @param protocol the protocol
     * @param availability what its probe said
     * @param outcome what the engine did
     * @param replacement the protocol used instead, for FELL_BACK and OVERRIDDEN
     * @param why a sentence for logs and Actuator
     */
    public record Decision(String protocol, Availability availability, Outcome outcome, String replacement,
            String why) {
    }
}

package io.mooncake.engine.core;

import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.transport.Reach;
import io.mooncake.engine.transport.Transport;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The transports that reach one target, best first, with the reason for each (and for those that
 * do not). Computed when a segment is opened or its descriptor refreshed; immutable.
 */
final class Route {

    final RemoteTarget target;
    final Transport[] candidates;
    final int[] sliceSizes;
    private final String summary;

    private Route(RemoteTarget target, Transport[] candidates, int[] sliceSizes, String summary) {
        this.target = target;
        this.candidates = candidates;
        this.sliceSizes = sliceSizes;
        this.summary = summary;
    }

    /** Asks every running transport how it reaches {@code target}. */
    static Route of(RemoteTarget target, List<Transport> running) {
        record Scored(Transport transport, Reach reach, int order) {
        }
        List<Scored> yes = new ArrayList<>();
        List<String> no = new ArrayList<>();
        int order = 0;
        for (Transport t : running) {
            Reach r;
            try {
                r = t.reach(target);
            } catch (RuntimeException e) {
                r = Reach.none("failed to judge: " + e);
            }
            if (r.reachable()) {
                yes.add(new Scored(t, r, order++));
            } else {
                no.add(t.protocol() + " (" + r.reason() + ")");
            }
        }
        yes.sort(Comparator.comparingInt((Scored s) -> -s.reach().score()).thenComparingInt(Scored::order));
        Transport[] candidates = new Transport[yes.size()];
        int[] slices = new int[yes.size()];
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < candidates.length; i++) {
            Scored s = yes.get(i);
            candidates[i] = s.transport();
            slices[i] = Math.max(1, s.transport().sliceSize(target));
            sb.append(i == 0 ? "" : "; then ").append(s.transport().protocol()).append(" (")
                    .append(s.reach().reason()).append(')');
        }
        if (!no.isEmpty()) {
            sb.append(candidates.length == 0 ? "no running transport reaches it: " : "; not: ")
                    .append(String.join(", ", no));
        }
        return new Route(target, candidates, slices, sb.toString());
    }

    /** The transport requests go over first, or {@code null}. */
    Transport best() {
        return candidates.length == 0 ? null : candidates[0];
    }

    /** Index of {@code t} among the candidates, or -1. */
    int indexOf(Object t) {
        for (int i = 0; i < candidates.length; i++) {
            if (candidates[i] == t) {
                return i;
            }
        }
        return -1;
    }

    /** In words: which transports reach the target, in order, and why; which do not, and why. */
    String summary() {
        return summary;
    }
}

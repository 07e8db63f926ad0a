package io.mooncake.topology;

import io.mooncake.probe.Hca;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Which NICs a node uses, from the usable ones: all of them for an empty {@code device_name} or
 * {@code auto-discovery}, else exactly the names listed; then only those in
 * {@code MC_TE_FILTERS} when it is set. Keeps what the request asked for that could not be met,
 * so callers can say so instead of silently ignoring it.
 *
 * @param selected the NICs to use
 * @param notFound requested names that are no device on this host
 * @param unusable requested names that exist but are not usable, each with its problem
 * @param filteredOut usable NICs dropped by {@code MC_TE_FILTERS}
 */
public record NicSelection(List<Hca> selected, List<String> notFound, List<String> unusable, List<String> filteredOut) {

    /** The {@code device_name} value that means "pick the best devices from topology". */
    public static final String AUTO_DISCOVERY = "auto-discovery";

    public NicSelection {
        selected = List.copyOf(selected);
        notFound = List.copyOf(notFound);
        unusable = List.copyOf(unusable);
        filteredOut = List.copyOf(filteredOut);
    }

    /**
     * Selects NICs.
     *
     * @param all every NIC the probe saw, judged
     * @param deviceNames the configured {@code device_name} list
     * @param teFilters the value of {@code MC_TE_FILTERS} (comma-separated names), or {@code null}
     */
    public static NicSelection select(List<Hca> all, List<String> deviceNames, String teFilters) {
        List<Hca> selected = new ArrayList<>();
        List<String> notFound = new ArrayList<>();
        List<String> unusable = new ArrayList<>();
        if (isAuto(deviceNames)) {
            all.stream().filter(Hca::usable).forEach(selected::add);
        } else {
            for (String name : deviceNames) {
                Hca h = all.stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
                if (h == null) {
                    notFound.add(name);
                } else if (!h.usable()) {
                    unusable.add(name + " (" + h.problem() + ")");
                } else if (!selected.contains(h)) {
                    selected.add(h);
                }
            }
        }
        List<String> filteredOut = new ArrayList<>();
        if (teFilters != null && !teFilters.isBlank()) {
            List<String> allow = Arrays.stream(teFilters.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
            selected.removeIf(h -> {
                boolean drop = !allow.contains(h.name());
                if (drop) {
                    filteredOut.add(h.name());
                }
                return drop;
            });
        }
        return new NicSelection(selected, notFound, unusable, filteredOut);
    }

    /** Whether a {@code device_name} list asks for every usable NIC. */
    public static boolean isAuto(List<String> deviceNames) {
        return deviceNames.isEmpty() || (deviceNames.size() == 1
                && deviceNames.get(0).toLowerCase(Locale.ROOT).equals(AUTO_DISCOVERY));
    }

    /** Why nothing was selected, naming what was asked for and what exists; empty when something was. */
    public String whyEmpty(List<Hca> all, List<String> deviceNames) {
        if (!selected.isEmpty()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        if (!notFound.isEmpty()) {
            parts.add("device_name lists " + notFound + ", which " + (notFound.size() == 1 ? "is" : "are")
                    + " not on this host (present: " + all.stream().map(Hca::name).toList() + ")");
        }
        if (!unusable.isEmpty()) {
            parts.add("device_name lists unusable devices: " + String.join("; ", unusable));
        }
        if (!filteredOut.isEmpty()) {
            parts.add("MC_TE_FILTERS excludes every usable device " + filteredOut);
        }
        if (parts.isEmpty()) {
            parts.add("no usable device" + (isAuto(deviceNames) ? "" : " among " + deviceNames));
        }
        return String.join("; ", parts);
    }
}

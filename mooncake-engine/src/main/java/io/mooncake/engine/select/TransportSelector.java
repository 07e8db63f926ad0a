package io.mooncake.engine.select;

import io.mooncake.engine.api.InvalidConfigurationException;
import io.mooncake.engine.api.Protocol;
import io.mooncake.engine.api.TransportUnavailableException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.engine.transport.TransportProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which transports run, following the protocol contract: the requested protocol is
 * honoured when its probe says it can run; otherwise the engine falls back to tcp with the
 * probe's reason, or refuses to start when fallback is off. {@code MC_FORCE_TCP},
 * {@code MC_FORCE_MNNVL} and {@code MC_INTRANODE_NVLINK} override as in the reference; rdma
 * without an HCA moves to nvlink (MNNVL) when that can run. tcp always runs too, so peers that
 * only speak tcp stay reachable.
 */
public final class TransportSelector {

    private static final Logger log = LoggerFactory.getLogger(TransportSelector.class);

    private final Map<String, TransportProvider> providers;
    private final ThreadLocal<Map<String, Availability>> memo = new ThreadLocal<>();

    /** A selector over the given providers (the last one of a protocol wins). */
    public TransportSelector(List<TransportProvider> providers) {
        this.providers = new LinkedHashMap<>();
        for (TransportProvider p : providers) {
            for (String name : p.protocols()) {
                this.providers.put(name, p);
            }
            this.providers.put(p.protocol(), p);
        }
    }

    /** A selector over the providers found by {@link ServiceLoader} in {@code loader}. */
    public static TransportSelector fromServiceLoader(ClassLoader loader) {
        return new TransportSelector(io.mooncake.engine.transport.TransportProviders.load(loader));
    }

    /** The provider of a protocol, or {@code null}. */
    public TransportProvider provider(String protocol) {
        return providers.get(protocol);
    }

    /** The probe result of every well-known protocol and every loaded transport, without deciding anything. */
    public Map<String, Availability> probeAll(TransportContext context) {
        Map<String, Availability> all = new LinkedHashMap<>();
        for (Protocol p : Protocol.values()) {
            all.put(p.id(), availability(p.id(), context));
        }
        for (String p : providers.keySet()) {
            all.computeIfAbsent(p, name -> availability(name, context));
        }
        return all;
    }

    /** Every protocol name a loaded provider serves. */
    public java.util.Set<String> loadedProtocols() {
        return new java.util.TreeSet<>(providers.keySet());
    }

    /**
     * Decides the transports to run.
     *
     * @throws TransportUnavailableException when a requested protocol cannot run and fallback is off
     */
    public SelectionReport select(TransportContext context) {
        memo.set(new java.util.HashMap<>()); // each probe runs once per decision (they scan sysfs, load libraries)
        try {
            return decide(context);
        } finally {
            memo.remove();
        }
    }

    private SelectionReport decide(TransportContext context) {
        EngineConfig config = context.config();
        List<String> requested = config.protocols();
        List<String> active = new ArrayList<>();
        List<SelectionReport.Decision> decisions = new ArrayList<>();
        for (String p : requested) {
            if (!providers.containsKey(p) && !Protocol.isWellKnown(p)) {
                throw new InvalidConfigurationException("protocol", p, "a protocol a loaded transport serves ("
                        + String.join(", ", loadedProtocols()) + ") or one of the reference's: "
                        + Protocol.validNames());
            }
        }

        if (config.forceTcp()) {
            for (String p : requested) {
                if (!p.equals("tcp")) {
                    String why = "MC_FORCE_TCP is set: using tcp instead of " + p;
                    decisions.add(new SelectionReport.Decision(p, availability(p, context),
                            SelectionReport.Outcome.OVERRIDDEN, "tcp", why));
                    log.info("Transport {}: {}", p, why);
                }
            }
            addActive(active, decisions, "tcp", context, SelectionReport.Outcome.ACTIVE, "MC_FORCE_TCP");
            addCompanions(active, decisions, context, true);
            return new SelectionReport(requested, active, decisions);
        }

        for (String wanted : requested) {
            String p = override(wanted, config, context, decisions);
            Availability a = availability(p, context);
            if (a.available()) {
                addActive(active, decisions, p, context, SelectionReport.Outcome.ACTIVE, a.reason());
                continue;
            }
            if (!config.fallbackToTcp()) {
                log.error("Protocol '{}' cannot run and fallback to tcp is off: {}", p, a.describe());
                throw new TransportUnavailableException(p, a.describe()
                        + " (fallback to tcp is off: set mooncake.fallback-to-tcp=true to run on tcp instead)");
            }
            String why = "protocol '" + p + "' unavailable (" + a.cause() + "): " + a.describe()
                    + "; falling back to tcp";
            log.warn("{}", why);
            decisions.add(new SelectionReport.Decision(p, a, SelectionReport.Outcome.FELL_BACK, "tcp", why));
            if (!active.contains("tcp")) {
                active.add("tcp");
            }
        }
        if (!active.contains("tcp") && !config.disabledTransports().contains("tcp")) {
            addActive(active, decisions, "tcp", context, SelectionReport.Outcome.ADDED,
                    "tcp runs alongside so tcp-only peers can be reached");
        }
        addCompanions(active, decisions, context, false);
        return new SelectionReport(requested, active, decisions);
    }

    /**
     * Starts the transports that run alongside whatever was requested (same process, same host)
     * where they are available and not disabled ({@code MC_DISABLE_TRANSPORTS}); none with
     * {@code MC_FORCE_TCP}, which means every request goes over tcp.
     */
    private void addCompanions(List<String> active, List<SelectionReport.Decision> decisions,
            TransportContext context, boolean forceTcp) {
        if (forceTcp) {
            return;
        }
        java.util.Set<TransportProvider> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (TransportProvider provider : providers.values()) {
            if (!provider.runsAlongside() || !seen.add(provider)) {
                continue;
            }
            String p = provider.protocol();
            if (active.contains(p)) {
                continue;
            }
            if (context.config().disabledTransports().contains(p)) {
                log.info("Transport {} not started: disabled by MC_DISABLE_TRANSPORTS / mooncake.disabled-transports", p);
                continue;
            }
            Availability a = availability(p, context);
            if (a.available()) {
                addActive(active, decisions, p, context, SelectionReport.Outcome.ADDED, a.reason());
            } else {
                log.info("Transport {} not started: {}", p, a.describe());
            }
        }
    }

    private String override(String wanted, EngineConfig config, TransportContext context,
            List<SelectionReport.Decision> decisions) {
        String replacement = null;
        String why = null;
        if (config.intranodeNvlink() && !wanted.equals("nvlink_intra") && (wanted.equals("rdma")
                || wanted.equals("nvlink"))) {
            replacement = "nvlink_intra";
            why = "MC_INTRANODE_NVLINK is set: using nvlink_intra instead of " + wanted;
        } else if (wanted.equals("rdma") && config.forceMnnvl()) {
            replacement = "nvlink";
            why = "MC_FORCE_MNNVL is set: using nvlink (MNNVL) instead of rdma";
        } else if (wanted.equals("rdma") && !config.forceHca() && !availability("rdma", context).available()
                && availability("nvlink", context).available()) {
            replacement = "nvlink";
            why = "no usable RDMA HCA, but MNNVL is available: using nvlink (set MC_FORCE_HCA to insist on rdma)";
        }
        if (replacement == null) {
            return wanted;
        }
        log.info("Transport {}: {}", wanted, why);
        decisions.add(new SelectionReport.Decision(wanted, availability(wanted, context),
                SelectionReport.Outcome.OVERRIDDEN, replacement, why));
        return replacement;
    }

    private void addActive(List<String> active, List<SelectionReport.Decision> decisions, String p,
            TransportContext context, SelectionReport.Outcome outcome, String why) {
        if (!active.contains(p)) {
            active.add(p);
            decisions.add(new SelectionReport.Decision(p, availability(p, context), outcome, null, why));
        }
    }

    private Availability availability(String protocol, TransportContext context) {
        Map<String, Availability> cache = memo.get();
        if (cache == null) {
            return probe(protocol, context);
        }
        return cache.computeIfAbsent(protocol, p -> probe(p, context));
    }

    private Availability probe(String protocol, TransportContext context) {
        TransportProvider provider = providers.get(protocol);
        if (provider == null) {
            return Availability.unavailable(Availability.Cause.NO_LIBRARY,
                    "no transport provider for '" + protocol + "' on the classpath",
                    "add the mooncake-native module (the starter brings it) or use protocol tcp");
        }
        try {
            return provider.availability(context);
        } catch (RuntimeException | LinkageError e) {
            log.debug("Probe of {} failed", protocol, e);
            return Availability.unavailable(Availability.Cause.INIT_FAILED, "probe of '" + protocol + "' failed: " + e,
                    "check the driver installation");
        }
    }
}

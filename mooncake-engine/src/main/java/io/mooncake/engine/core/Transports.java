package io.mooncake.engine.core;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.select.TransportSelector;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.engine.transport.TransportProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The running transports: chosen by the {@link TransportSelector}, started in order (the
 * published one first), told about every registration, asked for their part of the descriptor,
 * offered handshake Connection requests, and closed. Started once; then read-only.
 */
final class Transports implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Transports.class);

    private final List<Transport> running = new ArrayList<>();
    private SelectionReport selection;

    /** Selects and starts the transports; on failure closes those already started and rethrows. */
    void start(TransportContext context, ClassLoader loader) {
        TransportSelector selector = TransportSelector.fromServiceLoader(loader);
        selection = selector.select(context);
        try {
            for (String p : selection.active()) {
                TransportProvider provider = selector.provider(p);
                Transport t = provider.create(context);
                t.start();
                running.add(t);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    SelectionReport selection() {
        return selection;
    }

    /** The protocol published in the descriptor. */
    String primary() {
        return selection.primary();
    }

    /** Running transports, the published one first. */
    List<Transport> all() {
        return running;
    }

    /** Names of the running transports. */
    List<String> names() {
        List<String> names = new ArrayList<>(running.size());
        for (Transport t : running) {
            names.add(t.protocol());
        }
        return names;
    }

    /**
     * Tells every transport about a new region; when one refuses, those told already are told it
     * was unregistered, and the refusal is rethrown.
     */
    void registered(Region region) {
        List<Transport> told = new ArrayList<>(running.size());
        try {
            for (Transport t : running) {
                t.registered(region);
                told.add(t);
            }
        } catch (MooncakeException e) {
            for (Transport t : told) {
                unregisteredQuietly(t, region);
            }
            throw e;
        }
    }

    void unregistered(Region region) {
        for (Transport t : running) {
            unregisteredQuietly(t, region);
        }
    }

    private static void unregisteredQuietly(Transport t, Region region) {
        try {
            t.unregistered(region);
        } catch (RuntimeException e) {
            log.warn("Transport {} failed to release {}: {}", t.protocol(), region, e.toString());
        }
    }

    SegmentDescriptor describe(SegmentDescriptor base) {
        SegmentDescriptor d = base;
        for (Transport t : running) {
            d = t.describe(d);
        }
        return d;
    }

    /** The first transport's answer to a Connection request, or {@code null} when none takes part. */
    ObjectNode onConnectionRequest(ObjectNode request) {
        for (Transport t : running) {
            ObjectNode reply = t.onConnectionRequest(request);
            if (reply != null) {
                return reply;
            }
        }
        return null;
    }

    void peerInvalidated(String name) {
        for (Transport t : running) {
            t.peerInvalidated(name);
        }
    }

    Map<String, Map<String, Object>> stats() {
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        for (Transport t : running) {
            m.put(t.protocol(), t.stats());
        }
        return m;
    }

    @Override
    public void close() {
        for (int i = running.size() - 1; i >= 0; i--) {
            Transport t = running.get(i);
            try {
                t.close();
            } catch (RuntimeException e) {
                log.debug("closing transport {}", t.protocol(), e);
            }
        }
    }
}

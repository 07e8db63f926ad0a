package io.mooncake.autoconfigure.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.security.AuthenticationException;
import io.mooncake.engine.security.PeerAuthentication;
import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.stats.HandshakeDrop;
import io.mooncake.engine.stats.NotifyRefusal;
import io.mooncake.engine.stats.TransferStats;
import java.util.ArrayList;
import java.util.List;

/**
 * Binds the engine's own counters ({@link TransferStats}: LongAdders the engine keeps anyway) as
 * function counters and gauges, records the startup fallbacks of its {@link SelectionReport}, and
 * binds the {@link MooncakeTransferMetrics} listener (timers, per-peer bytes) to the same registry.
 *
 * <p>Meters exist from the start for every running protocol and for {@code local} (same-process
 * copies), so dashboards see zeros rather than gaps.
 */
public final class MooncakeEngineMeterBinder implements MeterBinder {

    /** The protocol of same-process copies. */
    static final String LOCAL = "local";

    private static final String TCP = "tcp";

    /** One description for startup replacements and request fallbacks (one meter name). */
    static final String FALLBACKS_DESCRIPTION = "Protocols the Mooncake engine replaced at startup, and requests "
            + "it moved from a failing transport to the next, with why";

    private final MooncakeEngine engine;

    private final MooncakeTransferMetrics transfers;

    /**
     * @param engine the engine whose counters to bind
     * @param transfers the listener given to the engine, or {@code null} when it has none
     */
    public MooncakeEngineMeterBinder(MooncakeEngine engine, MooncakeTransferMetrics transfers) {
        this.engine = engine;
        this.transfers = transfers;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        SelectionReport selection = this.engine.selection();
        List<String> protocols = new ArrayList<>(selection.active());
        protocols.add(LOCAL);
        TransferStats stats = this.engine.stats();
        for (String protocol : protocols) {
            for (OpCode op : OpCode.values()) {
                TransferStats.Counters counters = stats.counters(protocol, op);
                FunctionCounter.builder(MooncakeMeters.TRANSFER_BYTES.meterName(), counters, TransferStats.Counters::bytes)
                    .description("Bytes of completed Mooncake transfer requests")
                    .baseUnit(BaseUnits.BYTES)
                    .tags("protocol", protocol, "op", op.name())
                    .register(registry);
                for (FailureKind kind : FailureKind.values()) {
                    if (kind == FailureKind.NONE) {
                        continue;
                    }
                    FunctionCounter.builder(MooncakeMeters.TRANSFER_FAILURES.meterName(), counters,
                            (c) -> c.failures(kind))
                        .description("Mooncake transfer requests that did not complete, by reason")
                        .tags("protocol", protocol, "op", op.name(), "reason", kind.name())
                        .register(registry);
                }
            }
        }
        Gauge.builder(MooncakeMeters.TRANSFER_INFLIGHT.meterName(), stats, TransferStats::inFlight)
            .description("Mooncake transfer requests submitted and not yet ended")
            .register(registry);
        Gauge.builder(MooncakeMeters.METADATA_REACHABLE.meterName(), this.engine,
                (e) -> e.metadataReachable() ? 1 : 0)
            .description("1 when the Mooncake metadata service answered its last call, else 0")
            .register(registry);
        Gauge.builder(MooncakeMeters.PEERS.meterName(), this.engine, (e) -> e.peers().size())
            .description("Remote segments this Mooncake engine has opened")
            .register(registry);
        for (HandshakeDrop reason : HandshakeDrop.values()) {
            FunctionCounter.builder(MooncakeMeters.HANDSHAKE_DROPPED.meterName(), stats, (s) -> s.handshakeDrops(reason))
                .description("Handshake connections closed before they were answered, by reason")
                .tags("reason", reason.name())
                .register(registry);
        }
        FunctionCounter.builder(MooncakeMeters.NOTIFY_QUEUED.meterName(), stats, TransferStats::notifiesQueued)
            .description("Notifications from peers queued for getNotifies")
            .register(registry);
        for (NotifyRefusal reason : NotifyRefusal.values()) {
            FunctionCounter.builder(MooncakeMeters.NOTIFY_REFUSED.meterName(), stats, (s) -> s.notifiesRefused(reason))
                .description("Notifications from peers refused because the queue was full, by bound")
                .tags("reason", reason.name())
                .register(registry);
        }
        bindRejectedConnections(registry, stats);
        if (this.engine.transportStats().containsKey(TCP)) {
            bindTcpServer(registry, this.engine);
        }
        for (SelectionReport.Decision d : selection.decisions()) {
            String reason = fallbackReason(d);
            if (reason != null) {
                Counter.builder(MooncakeMeters.TRANSPORT_FALLBACKS.meterName())
                    .description(FALLBACKS_DESCRIPTION)
                    .tags("from", d.protocol(), "to", String.valueOf(d.replacement()), "reason", reason)
                    .register(registry)
                    .increment();
            }
        }
        if (this.transfers != null) {
            this.transfers.bindTo(registry, protocols);
        }
    }

    /**
     * The tcp data port's own counters (the transport's facts in {@code /actuator/mooncake}), read from the
     * engine at each scrape: open inbound connections, connections this node ended and why, malformed
     * requests, contained handler failures.
     */
    private static void bindTcpServer(MeterRegistry registry, MooncakeEngine engine) {
        Gauge.builder(MooncakeMeters.TCP_INBOUND_CONNECTIONS.meterName(), engine, (e) -> tcpFact(e, "inboundConnections"))
            .description("Connections open on the Mooncake tcp data port")
            .register(registry);
        String[][] closed = { { "LIMIT", "refusedConnections" }, { "IDLE", "idleClosedConnections" },
                { "STALLED", "stalledClosedConnections" } };
        for (String[] c : closed) {
            FunctionCounter.builder(MooncakeMeters.TCP_INBOUND_CLOSED.meterName(), engine, (e) -> tcpFact(e, c[1]))
                .description("Inbound Mooncake tcp connections this node refused or closed, by reason")
                .tags("reason", c[0])
                .register(registry);
        }
        FunctionCounter.builder(MooncakeMeters.TCP_REQUESTS_MALFORMED.meterName(), engine,
                (e) -> tcpFact(e, "malformedRequests"))
            .description("Peers' Mooncake tcp requests that were not requests of the wire protocol")
            .register(registry);
        FunctionCounter.builder(MooncakeMeters.TCP_IO_LOOP_FAILURES.meterName(), engine,
                (e) -> tcpFact(e, "ioLoopFailures"))
            .description("Failures of a connection's handler that a Mooncake tcp I/O loop contained")
            .register(registry);
    }

    private static double tcpFact(MooncakeEngine engine, String key) {
        java.util.Map<String, Object> tcp = engine.transportStats().get(TCP);
        Object v = (tcp != null) ? tcp.get(key) : null;
        return (v instanceof Number n) ? n.doubleValue() : Double.NaN;
    }

    /**
     * {@code mooncake.connections.rejected{port,reason}}: inbound connections refused for not proving
     * the shared secret (zero while authentication is off), one series per port and reason from the start.
     */
    private static void bindRejectedConnections(MeterRegistry registry, TransferStats stats) {
        for (String port : new String[] { PeerAuthentication.HANDSHAKE, PeerAuthentication.TCP_DATA }) {
            for (AuthenticationException.Reason reason : AuthenticationException.Reason.values()) {
                FunctionCounter.builder(MooncakeMeters.CONNECTIONS_REJECTED.meterName(), stats,
                        (s) -> s.rejectedConnections(port, reason.name()))
                    .description("Inbound Mooncake connections refused before anything was served: the peer did "
                            + "not prove the shared secret (mooncake.auth.secret)")
                    .tags("port", port, "reason", reason.name())
                    .register(registry);
            }
        }
    }

    /**
     * The {@code reason} tag of a replaced protocol: the probe's cause (NO_DEVICE, NO_LIBRARY,
     * NOT_IMPLEMENTED, ...) for a fallback, OVERRIDDEN for a forcing variable; {@code null} when
     * the protocol was not replaced.
     */
    static String fallbackReason(SelectionReport.Decision d) {
        return switch (d.outcome()) {
            case FELL_BACK -> d.availability().cause().name();
            case OVERRIDDEN -> "OVERRIDDEN";
            default -> null;
        };
    }
}

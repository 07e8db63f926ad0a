package io.mooncake.autoconfigure.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.stats.TransferListener;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link TransferListener} behind {@code mooncake.transfer.requests} (a Timer per protocol, op
 * and outcome) and {@code mooncake.transfer.peer.bytes} (a Counter per peer and op, for at most
 * {@code maxPeerSeries} peers; the rest share {@code peer="other"}).
 *
 * <p>The engine calls it on its I/O and timer threads for every ended request. Every meter is
 * created up front (per protocol, the first time the protocol is seen; per peer, the first time
 * the peer is seen), so recording is a map lookup and a meter update: no tags, no allocation.
 * Requests that end before {@link #bindTo} are not recorded (the engine's own counters, bound by
 * {@link MooncakeEngineMeterBinder}, still count them). Thread-safe.
 */
public final class MooncakeTransferMetrics implements TransferListener {

    /** The {@code peer} tag of traffic to peers beyond the cap. */
    public static final String OTHER_PEER = "other";

    private static final Logger log = LoggerFactory.getLogger(MooncakeTransferMetrics.class);

    /** The outcomes with a Timer, in index order. */
    private static final TransferState[] OUTCOMES = { TransferState.COMPLETED, TransferState.FAILED,
            TransferState.TIMEOUT, TransferState.CANCELED };

    private static final OpCode[] OPS = OpCode.values();

    private final int maxPeerSeries;

    private volatile Meters meters;

    private final java.util.concurrent.ConcurrentHashMap<String, io.micrometer.core.instrument.Counter> fallbacks =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param maxPeerSeries most peers with their own {@code peer} tag; 0 puts every peer under "other"
     */
    public MooncakeTransferMetrics(int maxPeerSeries) {
        if (maxPeerSeries < 0) {
            throw new IllegalArgumentException("mooncake.metrics.max-peer-series must be >= 0, got " + maxPeerSeries);
        }
        this.maxPeerSeries = maxPeerSeries;
    }

    /**
     * Creates the meters in {@code registry}, for {@code protocols} at once and for other protocols
     * when first seen. The first registry wins; later calls are ignored.
     */
    public synchronized void bindTo(MeterRegistry registry, Collection<String> protocols) {
        if (this.meters != null) {
            log.debug("Mooncake transfer meters already bound to {}; ignoring {}", this.meters.registry, registry);
            return;
        }
        Meters m = new Meters(registry, this.maxPeerSeries);
        for (String protocol : protocols) {
            m.timers(protocol);
        }
        this.meters = m;
    }

    /** A request moved from one transport to another: {@code mooncake.transport.fallbacks{from,to,reason}}. */
    @Override
    public void onFallback(String from, String to, String peer, FailureKind reason) {
        Meters m = this.meters;
        if (m == null) {
            return;
        }
        this.fallbacks.computeIfAbsent(from + '\n' + to + '\n' + reason.name(),
                (k) -> io.micrometer.core.instrument.Counter.builder(MooncakeMeters.TRANSPORT_FALLBACKS.meterName())
                    .description(MooncakeEngineMeterBinder.FALLBACKS_DESCRIPTION)
                    .tags("from", from, "to", to, "reason", reason.name())
                    .register(m.registry))
            .increment();
    }

    @Override
    public void onTransfer(String protocol, String peer, OpCode op, long bytes, TransferState outcome,
            long latencyNanos) {
        onTransfer(protocol, peer, op, bytes, outcome, FailureKind.of(outcome), latencyNanos);
    }

    @Override
    public void onTransfer(String protocol, String peer, OpCode op, long bytes, TransferState outcome,
            FailureKind failure, long latencyNanos) {
        Meters m = this.meters;
        if (m != null) {
            m.record(protocol, peer, op, bytes, outcome, latencyNanos);
        }
    }

    /** Index of an outcome in {@link #OUTCOMES}, or -1. */
    private static int outcomeIndex(TransferState outcome) {
        switch (outcome) {
            case COMPLETED:
                return 0;
            case FAILED:
                return 1;
            case TIMEOUT:
                return 2;
            case CANCELED:
                return 3;
            default:
                return -1;
        }
    }

    /** The meters of one registry. */
    private static final class Meters {

        final MeterRegistry registry;

        final int maxPeerSeries;

        /** Per protocol: timers indexed {@code op * OUTCOMES.length + outcome}. */
        final ConcurrentHashMap<String, Timer[]> timers = new ConcurrentHashMap<>();

        /** Per admitted peer: counters indexed by op. */
        final ConcurrentHashMap<String, Counter[]> peers = new ConcurrentHashMap<>();

        final Counter[] otherPeers;

        Meters(MeterRegistry registry, int maxPeerSeries) {
            this.registry = registry;
            this.maxPeerSeries = maxPeerSeries;
            this.otherPeers = peerCounters(OTHER_PEER);
        }

        void record(String protocol, String peer, OpCode op, long bytes, TransferState outcome, long latencyNanos) {
            int o = outcomeIndex(outcome);
            if (o < 0) {
                return;
            }
            Timer[] t = this.timers.get(protocol);
            if (t == null) {
                t = timers(protocol);
            }
            t[op.ordinal() * OUTCOMES.length + o].record(latencyNanos, TimeUnit.NANOSECONDS);
            if (outcome == TransferState.COMPLETED) {
                Counter[] c = this.peers.get(peer);
                if (c == null) {
                    c = admit(peer);
                }
                c[op.ordinal()].increment(bytes);
            }
        }

        Timer[] timers(String protocol) {
            return this.timers.computeIfAbsent(protocol, (p) -> {
                Timer[] t = new Timer[OPS.length * OUTCOMES.length];
                for (OpCode op : OPS) {
                    for (int o = 0; o < OUTCOMES.length; o++) {
                        t[op.ordinal() * OUTCOMES.length + o] = Timer
                            .builder(MooncakeMeters.TRANSFER_REQUESTS.meterName())
                            .description("Mooncake transfer requests, from submission to the end")
                            .tags("protocol", p, "op", op.name(), "outcome", OUTCOMES[o].name())
                            .publishPercentileHistogram()
                            .minimumExpectedValue(Duration.ofNanos(10_000))
                            .maximumExpectedValue(Duration.ofSeconds(60))
                            .register(this.registry);
                    }
                }
                return t;
            });
        }

        /** The counters of a peer not seen before: its own while under the cap, else "other". */
        private Counter[] admit(String peer) {
            if (this.peers.size() >= this.maxPeerSeries) {
                return this.otherPeers;
            }
            synchronized (this) {
                Counter[] c = this.peers.get(peer);
                if (c != null) {
                    return c;
                }
                if (this.peers.size() >= this.maxPeerSeries || OTHER_PEER.equals(peer)) {
                    return this.otherPeers;
                }
                c = peerCounters(peer);
                this.peers.put(peer, c);
                if (this.peers.size() == this.maxPeerSeries) {
                    log.info("Mooncake metrics: {} peers have their own series on {}; traffic to further peers is "
                            + "tagged peer=\"{}\" (raise mooncake.metrics.max-peer-series to see more)",
                            this.maxPeerSeries, MooncakeMeters.TRANSFER_PEER_BYTES.meterName(), OTHER_PEER);
                }
                return c;
            }
        }

        private Counter[] peerCounters(String peer) {
            Counter[] c = new Counter[OPS.length];
            for (OpCode op : OPS) {
                c[op.ordinal()] = Counter.builder(MooncakeMeters.TRANSFER_PEER_BYTES.meterName())
                    .description("Bytes of completed Mooncake transfer requests, per peer segment")
                    .baseUnit(BaseUnits.BYTES)
                    .tags("peer", peer, "op", op.name())
                    .register(this.registry);
            }
            return c;
        }
    }
}

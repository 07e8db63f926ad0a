package io.mooncake.engine.stats;

import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferState;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters the engine keeps for every transport: bytes moved, requests by outcome and by failure
 * category, per protocol and opcode. LongAdders, so recording costs a few nanoseconds and never blocks.
 * Thread-safe.
 */
public final class TransferStats implements TransferListener {

    /** Counters of one protocol and opcode. */
    public static final class Counters {
        final LongAdder bytes = new LongAdder();
        final LongAdder[] byOutcome = new LongAdder[TransferState.values().length];
        final LongAdder[] byFailure = new LongAdder[FailureKind.all().length];

        Counters() {
            for (int i = 0; i < byOutcome.length; i++) {
                byOutcome[i] = new LongAdder();
            }
            for (int i = 0; i < byFailure.length; i++) {
                byFailure[i] = new LongAdder();
            }
        }

        /** Bytes of requests that ended COMPLETED. */
        public long bytes() {
            return bytes.sum();
        }

        /** Requests that ended with {@code state}. */
        public long requests(TransferState state) {
            return byOutcome[state.ordinal()].sum();
        }

        /** Requests that did not complete, for {@code kind} (requests that completed for {@link FailureKind#NONE}). */
        public long failures(FailureKind kind) {
            return byFailure[kind.ordinal()].sum();
        }
    }

    private final ConcurrentHashMap<String, Counters[]> byProtocol = new ConcurrentHashMap<>();
    private final LongAdder inFlight = new LongAdder();
    private final ConcurrentHashMap<String, LongAdder> fallbacks = new ConcurrentHashMap<>();
    private final LongAdder[] handshakeDrops = {new LongAdder(), new LongAdder(), new LongAdder()};

    @Override
    public void onHandshakeDropped(HandshakeDrop reason) {
        handshakeDrops[reason.ordinal()].increment();
    }

    /** Connections the handshake listener closed before answering them, for {@code reason}. */
    public long handshakeDrops(HandshakeDrop reason) {
        return handshakeDrops[reason.ordinal()].sum();
    }

    private final LongAdder notifiesQueued = new LongAdder();
    private final LongAdder[] notifiesRefused = {new LongAdder(), new LongAdder()};

    @Override
    public void onNotify(String sender, long bytes, NotifyRefusal refusal) {
        if (refusal == null) {
            notifiesQueued.increment();
        } else {
            notifiesRefused[refusal.ordinal()].increment();
        }
    }

    /** Peers' notifications queued for {@code getNotifies} so far. */
    public long notifiesQueued() {
        return notifiesQueued.sum();
    }

    /** Peers' notifications refused so far because the queue was full, for {@code reason}. */
    public long notifiesRefused(NotifyRefusal reason) {
        return notifiesRefused[reason.ordinal()].sum();
    }

    private final ConcurrentHashMap<String, LongAdder> rejectedConnections = new ConcurrentHashMap<>();

    @Override
    public void onConnectionRejected(String port, String reason) {
        rejectedConnections.computeIfAbsent(port + ":" + reason, k -> new LongAdder()).increment();
    }

    /** Inbound connections on {@code port} refused for {@code reason} (see {@link TransferListener#onConnectionRejected}). */
    public long rejectedConnections(String port, String reason) {
        LongAdder a = rejectedConnections.get(port + ":" + reason);
        return a == null ? 0 : a.sum();
    }

    /** Inbound connections refused for not proving the shared secret, by {@code port:REASON}. */
    public Map<String, Long> rejectedConnections() {
        Map<String, Long> m = new java.util.TreeMap<>();
        rejectedConnections.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    @Override
    public void onFallback(String from, String to, String peer, FailureKind reason) {
        fallbacks.computeIfAbsent(from + "->" + to + ":" + reason.name(), k -> new LongAdder()).increment();
    }

    /** Requests handed from one transport to another, by {@code from->to:REASON}. */
    public Map<String, Long> fallbacks() {
        Map<String, Long> m = new java.util.TreeMap<>();
        fallbacks.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    @Override
    public void onTransfer(String protocol, String peer, OpCode op, long bytes, TransferState outcome,
            long latencyNanos) {
        onTransfer(protocol, peer, op, bytes, outcome, FailureKind.of(outcome), latencyNanos);
    }

    @Override
    public void onTransfer(String protocol, String peer, OpCode op, long bytes, TransferState outcome,
            FailureKind failure, long latencyNanos) {
        Counters c = counters(protocol, op);
        c.byFailure[failure.ordinal()].increment();
        if (outcome == TransferState.COMPLETED) {
            c.bytes.add(bytes);
        }
        c.byOutcome[outcome.ordinal()].increment();
        inFlight.decrement();
    }

    /** Called by the engine when a request is submitted. */
    public void submitted() {
        inFlight.increment();
    }

    /** Requests submitted and not yet ended. */
    public long inFlight() {
        return inFlight.sum();
    }

    /** Counters of one protocol and opcode (created on first use). */
    public Counters counters(String protocol, OpCode op) {
        return byProtocol.computeIfAbsent(protocol, p -> new Counters[] {new Counters(), new Counters()})[op.ordinal()];
    }

    /** Protocols seen so far, with their READ and WRITE counters. */
    public Map<String, Counters[]> snapshot() {
        return Map.copyOf(byProtocol);
    }
}

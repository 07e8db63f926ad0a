package io.mooncake.engine.stats;

import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferState;
import java.util.List;

/**
 * Told about every request that ends, on the thread that ended it (an I/O or timer thread):
 * implementations must be cheap, must not block and should not allocate. Metrics bind here; the
 * engine itself keeps {@link TransferStats}.
 *
 * <p>The engine calls {@link #onTransfer(String, String, OpCode, long, TransferState, FailureKind, long)};
 * listeners that do not care why a request failed implement only the six-argument form.
 */
public interface TransferListener {

    /**
     * A request ended.
     *
     * @param protocol the transport that carried it ({@code local} for same-process copies)
     * @param peer the target segment name
     * @param op READ or WRITE
     * @param bytes the request's length
     * @param outcome COMPLETED, FAILED, TIMEOUT or CANCELED
     * @param latencyNanos time from submission to the end
     */
    void onTransfer(String protocol, String peer, OpCode op, long bytes, TransferState outcome, long latencyNanos);

    /**
     * A request ended, with the category of its failure. The default drops the category.
     *
     * @param failure why it did not complete; {@link FailureKind#NONE} when it did
     */
    default void onTransfer(String protocol, String peer, OpCode op, long bytes, TransferState outcome,
            FailureKind failure, long latencyNanos) {
        onTransfer(protocol, peer, op, bytes, outcome, latencyNanos);
    }

    /**
     * A request's attempt on one transport failed for a reason another might not have, and the
     * engine handed it to the next transport that reaches the target. The default ignores it.
     *
     * @param from the transport that failed
     * @param to the transport that carries the request now
     * @param peer the target segment name
     * @param reason the category of the failure on {@code from}
     */
    default void onFallback(String from, String to, String peer, FailureKind reason) {
    }

    /**
     * This node served a request that a peer initiated: the target side of a transfer. Called on the
     * serving transport's threads, once per request. The default ignores it.
     *
     * <p>Which transports call it: tcp, for every request its receiver checks (a READ it answered
     * with data, a WRITE whose body is in memory, or a request it rejected because the range lies
     * outside registered remote-accessible memory). The same-process ({@code local}) and shared-memory
     * ({@code shm}) transports copy on the initiator's side, and the target does not take part in
     * the copy: they do not call it (the initiator's {@code onTransfer} counts that traffic).
     *
     * @param protocol the transport that served it
     * @param op what the peer did: READ (read from this node) or WRITE (wrote into it)
     * @param bytes the request's length; 0 when the transport does not know it
     * @param outcome COMPLETED when served, FAILED when rejected
     */
    default void onServed(String protocol, OpCode op, long bytes, TransferState outcome) {
    }

    /**
     * A peer's notification was queued for {@code getNotifies} ({@code refusal == null}) or refused
     * because the queue is full. Called on a handshake thread. The default ignores it.
     *
     * @param sender the sender's segment name, as it gave it
     * @param bytes the notification's size as counted against {@code notifyQueueMaxBytes}
     * @param refusal why it was refused, or {@code null} when it was queued
     */
    default void onNotify(String sender, long bytes, NotifyRefusal refusal) {
    }

    /**
     * The handshake listener closed a connection before answering it. Called on the listener's
     * I/O thread. The default ignores it.
     */
    default void onHandshakeDropped(HandshakeDrop reason) {
    }

    /**
     * This node refused an inbound connection that did not prove the shared secret
     * ({@code mooncake.auth.secret}), before serving anything on it. Called on an I/O or handshake
     * thread. The default ignores it.
     *
     * @param port {@code handshake} or {@code tcp-data}
     * @param reason {@code NOT_AUTHENTICATING} (no exchange: a peer without the secret),
     *        {@code WRONG_PROOF} (another secret) or {@code NO_PROOF} (closed or silent past the deadline)
     */
    default void onConnectionRejected(String port, String reason) {
    }

    /** A listener that ignores everything. */
    static TransferListener disabled() {
        return (protocol, peer, op, bytes, outcome, latencyNanos) -> {
        };
    }

    /** One listener telling each of {@code listeners} in order (no copy per call). */
    static TransferListener of(List<? extends TransferListener> listeners) {
        TransferListener[] all = listeners.toArray(new TransferListener[0]);
        if (all.length == 0) {
            return disabled();
        }
        if (all.length == 1) {
            return all[0];
        }
        return new TransferListener() {
            @Override
            public void onTransfer(String protocol, String peer, OpCode op, long bytes, TransferState outcome,
                    long latencyNanos) {
                onTransfer(protocol, peer, op, bytes, outcome, FailureKind.of(outcome), latencyNanos);
            }

            @Override
            public void onTransfer(String protocol, String peer, OpCode op, long bytes, TransferState outcome,
                    FailureKind failure, long latencyNanos) {
                for (TransferListener l : all) {
                    l.onTransfer(protocol, peer, op, bytes, outcome, failure, latencyNanos);
                }
            }

            @Override
            public void onFallback(String from, String to, String peer, FailureKind reason) {
                for (TransferListener l : all) {
                    l.onFallback(from, to, peer, reason);
                }
            }

            @Override
            public void onServed(String protocol, OpCode op, long bytes, TransferState outcome) {
                for (TransferListener l : all) {
                    l.onServed(protocol, op, bytes, outcome);
                }
            }

            @Override
            public void onHandshakeDropped(HandshakeDrop reason) {
                for (TransferListener l : all) {
                    l.onHandshakeDropped(reason);
                }
            }

            @Override
            public void onNotify(String sender, long bytes, NotifyRefusal refusal) {
                for (TransferListener l : all) {
                    l.onNotify(sender, bytes, refusal);
                }
            }

            @Override
            public void onConnectionRejected(String port, String reason) {
                for (TransferListener l : all) {
                    l.onConnectionRejected(port, reason);
                }
            }
        };
    }
}

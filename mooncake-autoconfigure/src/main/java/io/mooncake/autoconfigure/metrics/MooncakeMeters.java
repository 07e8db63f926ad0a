package io.mooncake.autoconfigure.metrics;

/**
 * The meters of the Mooncake transfer engine, with their type and tags. Names follow Micrometer's
 * convention (lowercase, dotted, no unit); the Prometheus registry adds the unit and {@code _total}.
 */
public enum MooncakeMeters {

    /** FunctionCounter, unit bytes, tags protocol, op: bytes of requests that completed. */
    TRANSFER_BYTES("mooncake.transfer.bytes"),

    /** Timer with a percentile histogram, tags protocol, op, outcome: time from submission to the end. */
    TRANSFER_REQUESTS("mooncake.transfer.requests"),

    /** FunctionCounter, tags protocol, op, reason: requests that did not complete, by category. */
    TRANSFER_FAILURES("mooncake.transfer.failures"),

    /** Gauge: requests submitted and not yet ended. */
    TRANSFER_INFLIGHT("mooncake.transfer.inflight"),

    /** Counter, unit bytes, tags peer, op: bytes of completed requests per peer (capped, see max-peer-series). */
    TRANSFER_PEER_BYTES("mooncake.transfer.peer.bytes"),

    /**
     * Counter, unit bytes, tags protocol, op: bytes this node served to peers (op READ: peers read
     * from it; WRITE: peers wrote into it). Counted where the target takes part (tcp), not for
     * same-process or shared-memory copies, which the initiator makes alone.
     */
    SERVED_BYTES("mooncake.served.bytes"),

    /** Counter, tags protocol, op, outcome (COMPLETED, REJECTED): requests peers made of this node. */
    SERVED_REQUESTS("mooncake.served.requests"),

    /** Counter, tags from, to, reason: protocols the engine replaced at startup. */
    TRANSPORT_FALLBACKS("mooncake.transport.fallbacks"),

    /**
     * FunctionCounter, tags port ({@code handshake}, {@code tcp-data}), reason ({@code NOT_AUTHENTICATING},
     * {@code WRONG_PROOF}, {@code NO_PROOF}): inbound connections refused for not proving the shared secret.
     */
    CONNECTIONS_REJECTED("mooncake.connections.rejected"),

    /** Gauge: 1 when the metadata service answered its last call, else 0. */
    METADATA_REACHABLE("mooncake.metadata.reachable"),

    /** Gauge: remote segments opened so far. */
    PEERS("mooncake.peers"),

    /** FunctionCounter, tag reason (OVER_LIMIT, DEADLINE, BUSY): handshake connections closed unanswered. */
    HANDSHAKE_DROPPED("mooncake.handshake.dropped"),

    /** FunctionCounter: peers' notifications queued for {@code getNotifies}. */
    NOTIFY_QUEUED("mooncake.notify.queued"),

    /** FunctionCounter, tag reason (QUEUE_FULL, QUEUE_BYTES): peers' notifications refused, the queue being full. */
    NOTIFY_REFUSED("mooncake.notify.refused"),

    /** Gauge: connections open on the tcp data port (peers' requests into this node). */
    TCP_INBOUND_CONNECTIONS("mooncake.tcp.inbound.connections"),

    /**
     * FunctionCounter, tag reason: inbound tcp connections this node ended - {@code LIMIT} (refused at
     * accept: mooncake.tcp.max-inbound-connections or -per-address), {@code IDLE}
     * (mooncake.tcp.idle-timeout), {@code STALLED} (a request body slower than mooncake.tcp.body-timeout).
     */
    TCP_INBOUND_CLOSED("mooncake.tcp.inbound.closed"),

    /**
     * FunctionCounter: peers' tcp requests that were not requests of the wire protocol (the connection is
     * closed); requests outside registered memory are {@code mooncake.served.requests{outcome=REJECTED}}.
     */
    TCP_REQUESTS_MALFORMED("mooncake.tcp.requests.malformed"),

    /** FunctionCounter: failures of a connection's handler that its tcp I/O loop contained (the loop went on). */
    TCP_IO_LOOP_FAILURES("mooncake.tcp.io.loop.failures");

    private final String meterName;

    MooncakeMeters(String meterName) {
        this.meterName = meterName;
    }

    /** The meter's name. */
    public String meterName() {
        return this.meterName;
    }
}

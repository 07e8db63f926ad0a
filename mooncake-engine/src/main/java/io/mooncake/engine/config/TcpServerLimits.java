package io.mooncake.engine.config;

import java.time.Duration;

/**
 * Limits of the tcp data port's inbound connections: what one unauthenticated peer, or many, can
 * hold of a node. Connections over a limit are accepted and closed at once (and counted).
 *
 * @param maxConnections inbound data connections this node keeps open at most
 * @param maxConnectionsPerAddress inbound data connections one remote IP address keeps open at most
 * @param idleTimeout an inbound connection waiting for its next request longer than this is closed;
 *        {@link Duration#ZERO} never closes idle connections
 * @param bodyTimeout a request whose body (inbound WRITE) or reply (READ) makes no progress for this
 *        long is abandoned: the connection closes and the memory it used is released
 * @param resetOnPeerClose when a peer closes its connection after its last request was answered, end
 *        the connection with a reset instead of a FIN: the peer's socket is then gone at once instead
 *        of lingering a minute in TIME_WAIT. A reference initiator opens one connection per request
 *        and closes it first, so without the reset every request leaves a TIME_WAIT socket on its
 *        host, which slows its connects and can exhaust its ephemeral ports (reference section 11).
 *        Turn it off only for a client of the data port that shuts down its output and reads its
 *        answers afterwards over a lossy network (no Mooncake initiator does)
 */
public record TcpServerLimits(int maxConnections, int maxConnectionsPerAddress, Duration idleTimeout,
        Duration bodyTimeout, boolean resetOnPeerClose) {

    /** Limits with the reset on a peer's close (the default). */
    public TcpServerLimits(int maxConnections, int maxConnectionsPerAddress, Duration idleTimeout,
            Duration bodyTimeout) {
        this(maxConnections, maxConnectionsPerAddress, idleTimeout, bodyTimeout, true);
    }

    /**
     * 4096 connections, 1024 per address, 1 hour idle, 30 s without progress in a body, a reset when
     * the peer closes first.
     */
    public static final TcpServerLimits DEFAULTS = new TcpServerLimits(
            EngineConfig.DEFAULT_TCP_MAX_INBOUND_CONNECTIONS,
            EngineConfig.DEFAULT_TCP_MAX_INBOUND_CONNECTIONS_PER_ADDRESS, EngineConfig.DEFAULT_TCP_IDLE_TIMEOUT,
            EngineConfig.DEFAULT_TCP_BODY_TIMEOUT);

    public TcpServerLimits withMaxConnections(int v) {
        return new TcpServerLimits(v, maxConnectionsPerAddress, idleTimeout, bodyTimeout, resetOnPeerClose);
    }

    public TcpServerLimits withMaxConnectionsPerAddress(int v) {
        return new TcpServerLimits(maxConnections, v, idleTimeout, bodyTimeout, resetOnPeerClose);
    }

    public TcpServerLimits withIdleTimeout(Duration v) {
        return new TcpServerLimits(maxConnections, maxConnectionsPerAddress, v, bodyTimeout, resetOnPeerClose);
    }

    public TcpServerLimits withBodyTimeout(Duration v) {
        return new TcpServerLimits(maxConnections, maxConnectionsPerAddress, idleTimeout, v, resetOnPeerClose);
    }

    public TcpServerLimits withResetOnPeerClose(boolean v) {
        return new TcpServerLimits(maxConnections, maxConnectionsPerAddress, idleTimeout, bodyTimeout, v);
    }
}

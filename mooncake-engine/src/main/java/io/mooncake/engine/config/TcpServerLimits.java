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
 */
public record TcpServerLimits(int maxConnections, int maxConnectionsPerAddress, Duration idleTimeout,
        Duration bodyTimeout) {

    /** 4096 connections, 1024 per address, 1 hour idle, 30 s without progress in a body. */
    public static final TcpServerLimits DEFAULTS = new TcpServerLimits(
            EngineConfig.DEFAULT_TCP_MAX_INBOUND_CONNECTIONS,
            EngineConfig.DEFAULT_TCP_MAX_INBOUND_CONNECTIONS_PER_ADDRESS, EngineConfig.DEFAULT_TCP_IDLE_TIMEOUT,
            EngineConfig.DEFAULT_TCP_BODY_TIMEOUT);

    public TcpServerLimits withMaxConnections(int v) {
        return new TcpServerLimits(v, maxConnectionsPerAddress, idleTimeout, bodyTimeout);
    }

    public TcpServerLimits withMaxConnectionsPerAddress(int v) {
        return new TcpServerLimits(maxConnections, v, idleTimeout, bodyTimeout);
    }

    public TcpServerLimits withIdleTimeout(Duration v) {
        return new TcpServerLimits(maxConnections, maxConnectionsPerAddress, v, bodyTimeout);
    }

    public TcpServerLimits withBodyTimeout(Duration v) {
        return new TcpServerLimits(maxConnections, maxConnectionsPerAddress, idleTimeout, v);
    }
}

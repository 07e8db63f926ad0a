/**
 * Peer authentication: the shared secret ({@code mooncake.auth.secret}), the HMAC
 * challenge-response every handshake and data connection proves before it is served
 * ({@link io.mooncake.engine.security.AuthExchange}, transport-neutral: bytes in, bytes out), and
 * the engine-wide {@link io.mooncake.engine.security.PeerAuthentication} that counts and logs
 * rejected connections. Depends on nothing else of the engine but {@code api}.
 */
package io.mooncake.engine.security;

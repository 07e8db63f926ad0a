package io.mooncake.engine.rpc;

import tools.jackson.databind.JsonNode;

/**
 * Answers handshake requests; implemented by the engine. Called on a handshake server thread.
 */
public interface HandshakeHandler {

    /**
     * Answers one request.
     *
     * @param type the request type
     * @param request the parsed request body
     * @return the reply body, serialised compactly by the server
     */
    JsonNode handle(HandshakeType type, JsonNode request);
}

package io.mooncake.engine.api;

/**
 * A notification received from a peer (the reference's {@code TransferNotify}).
 *
 * @param name the sender's segment name
 * @param message the text it sent
 */
public record Notify(String name, String message) {
}

package io.mooncake.engine.transport;

import java.util.Set;

/**
 * Factory for a transport, found with {@link java.util.ServiceLoader}
 * ({@code META-INF/services/io.mooncake.engine.transport.TransportProvider}). Adding a transport
 * is a package with its provider plus that services line: the engine knows no transport by name.
 *
 * <p>The engine asks {@link #availability} before {@link #create}; a provider's probe never
 * throws for missing hardware or libraries, it answers with the cause.
 */
public interface TransportProvider {

    /** The protocol string this provider serves: what configuration and descriptors name it by. */
    String protocol();

    /** Every name this provider answers to (the protocol set is open: configuration accepts these). */
    default Set<String> protocols() {
        return Set.of(protocol());
    }

    /**
     * Whether the transport starts on every node where it is {@link #availability available}, in
     * addition to the requested protocol (tcp, the same-host and same-process transports), rather
     * than only when requested.
     */
    default boolean runsAlongside() {
        return false;
    }

    /** Whether the transport can run here, and why not. Cheap enough to call at startup. */
    Availability availability(TransportContext context);

    /** Creates (but does not start) the transport. */
    Transport create(TransportContext context);
}

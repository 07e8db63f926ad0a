package io.mooncake.engine.transport;

/**
 * Factory for one protocol's transport, found with {@link java.util.ServiceLoader}
 * ({@code META-INF/services/io.mooncake.engine.transport.TransportProvider}).
 *
 * <p>The engine asks {@link #availability} before {@link #create}; a provider's probe never
 * throws for missing hardware or libraries, it answers with the cause.
 */
public interface TransportProvider {

    /** The protocol string this provider serves, one of {@link io.mooncake.engine.api.Protocol}. */
    String protocol();

    /** Whether the transport can run here, and why not. Cheap enough to call at startup. */
    Availability availability(TransportContext context);

    /** Creates (but does not start) the transport. */
    Transport create(TransportContext context);
}

package io.mooncake.engine.transport.local;

import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.engine.transport.TransportProvider;
import java.util.Map;

/** Provides the same-process transport, which runs alongside every other transport on any host. */
public final class LocalTransportProvider implements TransportProvider {

    /** The protocol name of the same-process transport. */
    public static final String PROTOCOL = "local";

    @Override
    public String protocol() {
        return PROTOCOL;
    }

    @Override
    public boolean runsAlongside() {
        return true;
    }

    @Override
    public Availability availability(TransportContext context) {
        return Availability.ready("same-process copies between engines of this JVM",
                Map.of("implementation", "memory copy", "scope", "process"));
    }

    @Override
    public Transport create(TransportContext context) {
        return new LocalTransport(context);
    }
}

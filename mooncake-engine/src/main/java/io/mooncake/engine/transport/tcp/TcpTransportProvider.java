package io.mooncake.engine.transport.tcp;

import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.engine.transport.TransportProvider;
import java.util.Map;

/** Provides the tcp transport, which runs on any host. */
public final class TcpTransportProvider implements TransportProvider {

    @Override
    public String protocol() {
        return "tcp";
    }

    @Override
    public Availability availability(TransportContext context) {
        return Availability.ready("tcp runs on any network", Map.of("implementation", "Java NIO"));
    }

    @Override
    public Transport create(TransportContext context) {
        return new TcpTransport(context);
    }
}

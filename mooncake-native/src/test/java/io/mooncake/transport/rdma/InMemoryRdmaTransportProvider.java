package io.mooncake.transport.rdma;

import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.engine.transport.TransportProvider;
import io.mooncake.testing.verbs.InMemoryFabric;
import io.mooncake.topology.Topology;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test-only provider of protocol {@code rdma_inmemory}: the real {@link RdmaTransport} over the
 * in-memory verbs fabric, a test fixture that stands in for HCAs (none exist on this project's
 * machines). Every engine in the JVM that asks for this protocol gets a new "host" with two
 * RoCE devices, {@code mlx5_0} and {@code mlx5_1}, on one shared fabric. Registered in this
 * module's test {@code META-INF/services} only; it lets the engine's transport contract suite run
 * against the rdma transport.
 */
public final class InMemoryRdmaTransportProvider implements TransportProvider {

    public static final String PROTOCOL = "rdma_inmemory";

    static final InMemoryFabric FABRIC = new InMemoryFabric();
    private static final AtomicInteger HOSTS = new AtomicInteger(100);

    @Override
    public String protocol() {
        return PROTOCOL;
    }

    @Override
    public Availability availability(TransportContext context) {
        return Availability.ready("in-memory verbs fabric (test fixture standing in for HCAs)", Map.of());
    }

    @Override
    public Transport create(TransportContext context) {
        int host = HOSTS.incrementAndGet();
        Map<String, Topology.Entry> m = new LinkedHashMap<>();
        m.put("cpu:0", new Topology.Entry(List.of("mlx5_0", "mlx5_1"), List.of()));
        return new RdmaTransport(context, PROTOCOL, FABRIC.host(InMemoryFabric.DeviceSpec.roce("mlx5_0", host, 0),
                InMemoryFabric.DeviceSpec.roce("mlx5_1", host, 1)), new Topology(m, List.of("mlx5_0", "mlx5_1")),
                RdmaSettings.DEFAULTS, RdmaTransport.DEFAULT_SLICE_SIZE, Path.of("/nonexistent"));
    }
}

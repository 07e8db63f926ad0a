package io.mooncake.transport.rdma;

import io.mooncake.engine.api.TransportUnavailableException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.verbs.JnaRdmaVerbs;
import io.mooncake.jna.verbs.RdmaVerbs;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.Hca;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.RdmaProbe;
import io.mooncake.probe.Scan;
import io.mooncake.topology.Topology;
import io.mooncake.topology.TopologyDiscovery;
import io.mooncake.transport.NativeTransportProvider;
import io.mooncake.transport.NicTopologyCheck;
import java.util.function.Supplier;

/**
 * Provider of protocol {@code rdma}: probes HCAs ({@link RdmaProbe}), applies {@code device_name},
 * {@code MC_TE_FILTERS} and {@code MC_CUSTOM_TOPO_JSON}, and, where at least one HCA is usable,
 * creates an {@link RdmaTransport} over libibverbs ({@link JnaRdmaVerbs}) with the NICs and
 * priority matrix found and the {@code MC_*} RDMA variables ({@link RdmaSettings}).
 */
public final class RdmaTransportProvider extends NativeTransportProvider {

    private final LibraryLoader loader;
    private final DeviceAccess access;
    private final Supplier<Loaded<RdmaVerbs>> verbs;

    /** Over the real libraries and device files. */
    public RdmaTransportProvider() {
        this(LibraryLoader.jna(), DeviceAccess.OPEN);
    }

    /** Over the given libraries and device check, with the real libibverbs for the data path. */
    public RdmaTransportProvider(LibraryLoader loader, DeviceAccess access) {
        this(loader, access, JnaRdmaVerbs::load);
    }

    /** Over the given libraries, device check and verbs implementation (tests use an in-memory device). */
    public RdmaTransportProvider(LibraryLoader loader, DeviceAccess access, Supplier<Loaded<RdmaVerbs>> verbs) {
        super(loader, access);
        this.loader = loader;
        this.access = access;
        this.verbs = verbs;
    }

    @Override
    public String protocol() {
        return "rdma";
    }

    @Override
    protected Availability judge(ProbeContext ctx, EngineConfig config) {
        Scan<Hca> scan = RdmaProbe.INSTANCE.scan(ctx);
        if (!scan.result().available()) {
            return unavailable(scan.result());
        }
        NicTopologyCheck.Outcome o = NicTopologyCheck.check(ctx, config, scan.devices(), scan.result().details());
        if (o.problem() != null) {
            return o.problem();
        }
        return Availability.ready(o.devices().size() + " usable HCA(s), best first: " + o.devices(), o.details());
    }

    @Override
    public Transport create(TransportContext context) {
        requireAvailable(context);
        Loaded<RdmaVerbs> v = verbs.get();
        if (!v.isLoaded()) {
            throw new TransportUnavailableException(protocol(), v.name() + " cannot be loaded: " + v.failure());
        }
        EngineConfig config = context.config();
        ProbeContext ctx = ProbeContext.of(config, loader, access);
        Scan<Hca> scan = RdmaProbe.INSTANCE.scan(ctx);
        Topology topology = TopologyDiscovery.discover(ctx, scan.devices(), config.deviceNames()).topology();
        return new RdmaTransport(context, protocol(), v.library(), topology, RdmaSettings.fromEnvironment(ctx.env()),
                RdmaTransport.sliceSize(ctx.env()), ctx.root());
    }
}

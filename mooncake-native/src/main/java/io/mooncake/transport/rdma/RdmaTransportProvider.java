package io.mooncake.transport.rdma;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.Hca;
import io.mooncake.probe.RdmaProbe;
import io.mooncake.probe.Scan;
import io.mooncake.transport.NicTopologyCheck;
import io.mooncake.transport.NativeTransportProvider;

/**
 * Provider of protocol {@code rdma}: probes HCAs ({@link RdmaProbe}), applies {@code device_name},
 * {@code MC_TE_FILTERS} and {@code MC_CUSTOM_TOPO_JSON}, and reports the chosen devices and matrix.
 */
public final class RdmaTransportProvider extends NativeTransportProvider {

    /** Over the real libraries and device files. */
    public RdmaTransportProvider() {
    }

    /** Over the given libraries and device check. */
    public RdmaTransportProvider(LibraryLoader loader, DeviceAccess access) {
        super(loader, access);
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
        return notImplemented(o.devices().size() + " usable HCA(s), best first: " + o.devices(), o.details());
    }
}

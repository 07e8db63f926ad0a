package io.mooncake.transport.efa;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.EfaProbe;
import io.mooncake.probe.Hca;
import io.mooncake.probe.Scan;
import io.mooncake.transport.NicTopologyCheck;
import io.mooncake.transport.NativeTransportProvider;

/**
 * Provider of protocol {@code efa}: probes EFA devices and libfabric's efa provider ({@link EfaProbe}).
 */
public final class EfaTransportProvider extends NativeTransportProvider {

    /** Over the real libraries and device files. */
    public EfaTransportProvider() {
    }

    /** Over the given libraries and device check. */
    public EfaTransportProvider(LibraryLoader loader, DeviceAccess access) {
        super(loader, access);
    }

    @Override
    public String protocol() {
        return "efa";
    }

    @Override
    protected Availability judge(ProbeContext ctx, EngineConfig config) {
        Scan<Hca> scan = EfaProbe.INSTANCE.scan(ctx);
        if (!scan.result().available()) {
            return unavailable(scan.result());
        }
        NicTopologyCheck.Outcome o = NicTopologyCheck.check(ctx, config, scan.devices(), scan.result().details());
        if (o.problem() != null) {
            return o.problem();
        }
        return notImplemented(o.devices().size() + " usable EFA device(s): " + o.devices(), o.details());
    }
}

package io.mooncake.transport.barex;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.engine.config.EnvironmentVariables;
import io.mooncake.jna.Loaded;
import io.mooncake.probe.Hca;
import io.mooncake.probe.RdmaProbe;
import io.mooncake.probe.Scan;
import io.mooncake.transport.NicTopologyCheck;
import java.util.List;
import java.util.Map;
import io.mooncake.transport.NativeTransportProvider;

/**
 * Provider of protocol {@code barex}: RDMA HCAs ({@link RdmaProbe}) plus the accl-barex library
 * ({@code libaccl_barex.so}); {@code USE_BAREX=0} switches it off, as in the reference.
 */
public final class BarexTransportProvider extends NativeTransportProvider {

    /** Over the real libraries and device files. */
    public BarexTransportProvider() {
    }

    /** Over the given libraries and device check. */
    public BarexTransportProvider(LibraryLoader loader, DeviceAccess access) {
        super(loader, access);
    }

    @Override
    public String protocol() {
        return "barex";
    }

    @Override
    protected Availability judge(ProbeContext ctx, EngineConfig config) {
        if (ctx.env("USE_BAREX") != null && !EnvironmentVariables.flag(ctx.env(), "USE_BAREX")) {
            return unavailable(Availability.Cause.FEATURE_DISABLED, "USE_BAREX=" + ctx.env("USE_BAREX")
                    + " switches barex off", "unset USE_BAREX or set it to 1", Map.of());
        }
        Scan<Hca> scan = RdmaProbe.INSTANCE.scan(ctx);
        if (!scan.result().available()) {
            return unavailable(scan.result());
        }
        Loaded<String> lib = ctx.loader().library(List.of("libaccl_barex.so", "/usr/lib/libaccl_barex.so",
                "/usr/lib64/libaccl_barex.so"));
        if (!lib.isLoaded()) {
            return unavailable(lib.permissionDenied() ? Availability.Cause.PERMISSION_DENIED
                    : Availability.Cause.NO_LIBRARY, lib.name() + " cannot be loaded: " + lib.failure(),
                    "install the accl-barex package", scan.result().details());
        }
        NicTopologyCheck.Outcome o = NicTopologyCheck.check(ctx, config, scan.devices(), scan.result().details());
        if (o.problem() != null) {
            return o.problem();
        }
        return notImplemented(o.devices().size() + " usable HCA(s) with accl-barex: " + o.devices(), o.details());
    }
}

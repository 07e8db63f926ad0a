package io.mooncake.transport.cxl;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.CxlProbe;
import io.mooncake.probe.ProbeResult;
import io.mooncake.transport.NativeTransportProvider;

/**
 * Provider of protocol {@code cxl}: probes device-DAX CXL memory and {@code MC_CXL_DEV_PATH} / {@code MC_CXL_DEV_SIZE} ({@link CxlProbe}).
 */
public final class CxlTransportProvider extends NativeTransportProvider {

    /** Over the real libraries and device files. */
    public CxlTransportProvider() {
    }

    /** Over the given libraries and device check. */
    public CxlTransportProvider(LibraryLoader loader, DeviceAccess access) {
        super(loader, access);
    }

    @Override
    public String protocol() {
        return "cxl";
    }

    @Override
    protected Availability judge(ProbeContext ctx, EngineConfig config) {
        ProbeResult r = CxlProbe.INSTANCE.probe(ctx);
        if (!r.available()) {
            return unavailable(r);
        }
        return notImplemented(r.reason(), r.details());
    }
}

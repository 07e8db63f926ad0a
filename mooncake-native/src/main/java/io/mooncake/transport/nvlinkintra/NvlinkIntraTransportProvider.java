package io.mooncake.transport.nvlinkintra;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.NvlinkProbe;
import io.mooncake.probe.ProbeResult;
import io.mooncake.transport.NativeTransportProvider;

/**
 * Provider of protocol {@code nvlink_intra}: probes NVLink between local GPUs ({@link NvlinkProbe}).
 */
public final class NvlinkIntraTransportProvider extends NativeTransportProvider {

    /** Over the real libraries and device files. */
    public NvlinkIntraTransportProvider() {
    }

    /** Over the given libraries and device check. */
    public NvlinkIntraTransportProvider(LibraryLoader loader, DeviceAccess access) {
        super(loader, access);
    }

    @Override
    public String protocol() {
        return "nvlink_intra";
    }

    @Override
    protected Availability judge(ProbeContext ctx, EngineConfig config) {
        ProbeResult r = NvlinkProbe.INSTANCE.probe(ctx);
        if (!r.available()) {
            return unavailable(r);
        }
        return notImplemented(r.reason(), r.details());
    }
}

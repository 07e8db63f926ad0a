package io.mooncake.transport.nvlink;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.MnnvlProbe;
import io.mooncake.probe.ProbeResult;
import io.mooncake.transport.NativeTransportProvider;

/**
 * Provider of protocol {@code nvlink} (multi-node NVLink): probes the GPUs'\'' fabric membership ({@link MnnvlProbe}).
 */
public final class NvlinkTransportProvider extends NativeTransportProvider {

    /** Over the real libraries and device files. */
    public NvlinkTransportProvider() {
    }

    /** Over the given libraries and device check. */
    public NvlinkTransportProvider(LibraryLoader loader, DeviceAccess access) {
        super(loader, access);
    }

    @Override
    public String protocol() {
        return "nvlink";
    }

    @Override
    protected Availability judge(ProbeContext ctx, EngineConfig config) {
        ProbeResult r = MnnvlProbe.INSTANCE.probe(ctx);
        if (!r.available()) {
            return unavailable(r);
        }
        return notImplemented(r.reason(), r.details());
    }
}

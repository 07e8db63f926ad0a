package io.mooncake.transport.hip;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.ProbeResult;
import io.mooncake.probe.RocmProbe;
import io.mooncake.transport.NativeTransportProvider;

/**
 * Provider of protocol {@code hip}: probes AMD GPUs and the HIP runtime ({@link RocmProbe}); {@code MC_DISABLE_HIP} switches it off.
 */
public final class HipTransportProvider extends NativeTransportProvider {

    /** Over the real libraries and device files. */
    public HipTransportProvider() {
    }

    /** Over the given libraries and device check. */
    public HipTransportProvider(LibraryLoader loader, DeviceAccess access) {
        super(loader, access);
    }

    @Override
    public String protocol() {
        return "hip";
    }

    @Override
    protected Availability judge(ProbeContext ctx, EngineConfig config) {
        ProbeResult r = RocmProbe.INSTANCE.probe(ctx);
        if (!r.available()) {
            return unavailable(r);
        }
        return notImplemented(r.reason(), r.details());
    }
}

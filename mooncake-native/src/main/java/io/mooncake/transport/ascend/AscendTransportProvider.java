package io.mooncake.transport.ascend;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.jna.Loaded;
import io.mooncake.probe.ProbeResult;
import io.mooncake.probe.AscendProbe;
import java.util.List;
import io.mooncake.transport.NativeTransportProvider;

/**
 * Provider of protocol {@code ascend}: probes Ascend NPUs and AscendCL ({@link AscendProbe}), then HCCL ({@code libhccl.so}).
 */
public final class AscendTransportProvider extends NativeTransportProvider {

    /** Over the real libraries and device files. */
    public AscendTransportProvider() {
    }

    /** Over the given libraries and device check. */
    public AscendTransportProvider(LibraryLoader loader, DeviceAccess access) {
        super(loader, access);
    }

    @Override
    public String protocol() {
        return "ascend";
    }

    @Override
    protected Availability judge(ProbeContext ctx, EngineConfig config) {
        ProbeResult r = AscendProbe.INSTANCE.probe(ctx);
        if (!r.available()) {
            return unavailable(r);
        }
        List<String> candidates = ctx.librarySearch("libhccl.so", List.of("ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME"),
                "lib64", List.of("/usr/local/Ascend/ascend-toolkit/latest/lib64"));
        Loaded<String> hccl = ctx.loader().library(candidates);
        if (!hccl.isLoaded()) {
            return unavailable(hccl.permissionDenied() ? Availability.Cause.PERMISSION_DENIED
                    : Availability.Cause.NO_LIBRARY, "HCCL (" + hccl.name() + ") cannot be loaded: " + hccl.failure(),
                    "install the CANN toolkit with HCCL and source its set_env.sh", r.details());
        }
        return notImplemented(r.reason(), r.details());
    }
}

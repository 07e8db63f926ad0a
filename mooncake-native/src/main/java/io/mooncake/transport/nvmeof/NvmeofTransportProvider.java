package io.mooncake.transport.nvmeof;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.jna.Loaded;
import io.mooncake.probe.NvmeProbe;
import io.mooncake.probe.ProbeResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.mooncake.transport.NativeTransportProvider;

/**
 * Provider of protocol {@code nvmeof}: probes NVMe controllers ({@link NvmeProbe}) and notes whether GPUDirect Storage
 * ({@code libcufile}) is present.
 */
public final class NvmeofTransportProvider extends NativeTransportProvider {

    /** Over the real libraries and device files. */
    public NvmeofTransportProvider() {
    }

    /** Over the given libraries and device check. */
    public NvmeofTransportProvider(LibraryLoader loader, DeviceAccess access) {
        super(loader, access);
    }

    @Override
    public String protocol() {
        return "nvmeof";
    }

    @Override
    protected Availability judge(ProbeContext ctx, EngineConfig config) {
        ProbeResult r = NvmeProbe.INSTANCE.probe(ctx);
        if (!r.available()) {
            return unavailable(r);
        }
        Map<String, String> d = new LinkedHashMap<>(r.details());
        Loaded<String> cufile = ctx.loader().library(List.of("libcufile.so.0", "cufile"));
        d.put("GPUDirect Storage", cufile.isLoaded() ? cufile.library() : "libcufile not loadable: " + cufile.failure());
        return notImplemented(r.reason(), d);
    }
}

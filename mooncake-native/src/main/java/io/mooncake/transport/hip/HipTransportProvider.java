package io.mooncake.transport.hip;

import io.mooncake.device.hip.HipRuntime;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.ProbeResult;
import io.mooncake.probe.RocmProbe;
import io.mooncake.transport.NativeTransportProvider;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Provider of protocol {@code hip}: AMD GPUs on the PCI bus, {@code /dev/kfd} and the render nodes
 * ({@link RocmProbe}), then the HIP runtime itself ({@code hipInit}, {@code hipGetDeviceCount}).
 * Where the probe finds no AMD GPU but {@code libamdhip64} is installed (a ROCm image without
 * {@code /dev/kfd}), the reason also says what the runtime answered. {@code MC_DISABLE_HIP}
 * switches it off; {@code MC_HIP_NUM_STREAMS} (default 4, at most 64) sets the copy lanes.
 */
public final class HipTransportProvider extends NativeTransportProvider {

    /** Default copy lanes: each is a thread with one stream per GPU it copies on. */
    static final int DEFAULT_STREAMS = 4;
    static final int MAX_STREAMS = 64;

    private final LibraryLoader loader;
    private final DeviceAccess access;

    /** Over the real libraries and device files. */
    public HipTransportProvider() {
        this(LibraryLoader.jna(), DeviceAccess.OPEN);
    }

    /** Over the given libraries and device check. */
    public HipTransportProvider(LibraryLoader loader, DeviceAccess access) {
        super(loader, access);
        this.loader = loader;
        this.access = access;
    }

    @Override
    public String protocol() {
        return "hip";
    }

    @Override
    protected Availability judge(ProbeContext ctx, EngineConfig config) {
        ProbeResult r = RocmProbe.INSTANCE.probe(ctx);
        if (!r.available()) {
            if (r.cause() == Availability.Cause.NO_DEVICE) {
                HipRuntime rt = HipRuntime.of(ctx);
                if (!rt.usable() && rt.unavailable().contains(" loaded but ")) {
                    Map<String, String> d = new LinkedHashMap<>(r.details());
                    d.put("runtime", rt.unavailable());
                    return unavailable(r.cause(), r.reason() + "; " + rt.unavailable(), HipRuntime.NO_GPU_FIX, d);
                }
            }
            return unavailable(r);
        }
        HipRuntime rt = HipRuntime.of(ctx);
        if (!rt.usable()) {
            return unavailable(Availability.Cause.INIT_FAILED, rt.unavailable(),
                    "check the ROCm installation with rocminfo", r.details());
        }
        return Availability.ready(r.reason() + "; " + rt.hip().library() + " sees " + rt.devices() + " GPU(s)",
                r.details());
    }

    @Override
    public Transport create(TransportContext context) {
        requireAvailable(context);
        ProbeContext ctx = ProbeContext.of(context.config(), loader, access);
        return new HipTransport(context, protocol(), HipRuntime.of(ctx), streams(context.config().environment()));
    }

    /** {@code MC_HIP_NUM_STREAMS}, as the reference reads it: a positive number, else the default. */
    static int streams(Map<String, String> env) {
        String v = env.get("MC_HIP_NUM_STREAMS");
        if (v != null) {
            try {
                int n = Integer.parseInt(v.trim());
                if (n > 0) {
                    return Math.min(n, MAX_STREAMS);
                }
            } catch (NumberFormatException e) {
                // the default, as the reference
            }
        }
        return DEFAULT_STREAMS;
    }
}

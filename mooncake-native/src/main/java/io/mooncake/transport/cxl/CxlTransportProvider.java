package io.mooncake.transport.cxl;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.probe.CxlProbe;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.ProbeResult;
import io.mooncake.transport.NativeTransportProvider;

/**
 * Provider of protocol {@code cxl}: {@link CxlProbe} checks {@code MC_CXL_DEV_PATH} (a device-DAX
 * device, or a file every engine of the host can map) and its size ({@code MC_CXL_DEV_SIZE}, else
 * sysfs, else a file's length); {@link CxlTransport} maps it and copies.
 *
 * <p>The data path needs no vendor library, only libc's {@code mmap}, so it lives here beside its
 * probe rather than in the engine: one provider per protocol, and the engine stays free of JNA.
 */
public final class CxlTransportProvider extends NativeTransportProvider {

    /** Over the real libraries and device files. */
    public CxlTransportProvider() {
        this(io.mooncake.probe.LibraryLoader.jna(), DeviceAccess.OPEN);
    }

    /** Over the given libraries and device check. */
    public CxlTransportProvider(LibraryLoader loader, DeviceAccess access) {
        // Opening and closing a device this JVM maps would drop its range locks (POSIX): skip the check then.
        super(loader, device -> CxlDevice.held(device) ? DeviceAccess.Result.OK : access.check(device));
    }

    @Override
    public String protocol() {
        return CxlTransport.PROTOCOL;
    }

    @Override
    protected Availability judge(ProbeContext ctx, EngineConfig config) {
        ProbeResult r = CxlProbe.INSTANCE.probe(ctx);
        if (!r.available()) {
            return unavailable(r);
        }
        return Availability.ready(r.reason() + "; every engine of the host maps it", r.details());
    }

    @Override
    public Transport create(TransportContext context) {
        Availability a = requireAvailable(context);
        String path = a.details().get(CxlProbe.MC_CXL_DEV_PATH);
        long size = Long.parseLong(a.details().get("size"));
        return new CxlTransport(context, path, size);
    }
}

package io.mooncake.transport.nvmeof;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.api.TransportUnavailableException;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
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
 * Provider of protocol {@code nvmeof}: reads and writes file segments ({@link NvmeofTransport}) on any host
 * (the files are NVMe-oF namespaces or plain files); reports the NVMe controllers ({@link NvmeProbe}) and
 * whether {@code libcufile} is present (GPUDirect Storage is not supported yet). Never the primary protocol.
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
        if (config.protocol().equals(protocol())) {
            return unavailable(Availability.Cause.INIT_FAILED, "nvmeof cannot be the primary protocol: an engine "
                    + "never publishes a file segment (operators write them with mooncake-nvmeof-register)",
                    "list it after the protocol of this node's memory (mooncake.protocol=rdma,nvmeof)", Map.of());
        }
        ProbeResult r = NvmeProbe.INSTANCE.probe(ctx);
        Map<String, String> d = new LinkedHashMap<>(r.details());
        d.put("NVMe", r.reason());
        Loaded<String> cufile = ctx.loader().library(List.of("libcufile.so.0", "cufile"));
        d.put("GPUDirect Storage", "not supported yet (libcufile " + (cufile.isLoaded() ? "present: "
                + cufile.library() : "not loadable: " + cufile.failure()) + "); device memory is refused per request");
        return Availability.ready("file segments are read and written here through their local_path_map "
                + "(direct I/O where the file system has it)", d);
    }

    @Override
    public Transport create(TransportContext context) {
        Availability a = availability(context);
        if (!a.available()) {
            throw new TransportUnavailableException(protocol(), a.describe());
        }
        return new NvmeofTransport(context);
    }
}

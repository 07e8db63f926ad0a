package io.mooncake.transport.nvmeof;

import io.mooncake.engine.config.EngineConfig;
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
import io.mooncake.jna.cufile.CuFile;
import io.mooncake.jna.cufile.JnaCuFile;
import java.util.function.Supplier;
import java.util.Map;
import io.mooncake.transport.NativeTransportProvider;

/**
 * Provider of protocol {@code nvmeof}: reads and writes file segments ({@link NvmeofTransport}) on any host
 * (the files are NVMe-oF namespaces or plain files); reports the NVMe controllers ({@link NvmeProbe}) and
 * whether {@code libcufile} loads (GPUDirect Storage for CUDA memory). Never the primary protocol.
 */
public final class NvmeofTransportProvider extends NativeTransportProvider {

    private final Supplier<Loaded<CuFile>> cufile;

    /** Over the real libraries and device files. */
    public NvmeofTransportProvider() {
        this.cufile = JnaCuFile::load;
    }

    /** Over the given libraries and device check. */
    public NvmeofTransportProvider(LibraryLoader loader, DeviceAccess access) {
        this(loader, access, JnaCuFile::load);
    }

    /** Over the given libraries, device check and GPUDirect Storage binding (a double where no GPU exists). */
    public NvmeofTransportProvider(LibraryLoader loader, DeviceAccess access, Supplier<Loaded<CuFile>> cufile) {
        super(loader, access);
        this.cufile = cufile;
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
        Loaded<CuFile> gds = cufile.get();
        d.put("GPUDirect Storage", gds.isLoaded() ? "libcufile loaded (" + gds.name() + "): CUDA memory is read and "
                + "written through cuFile" : "libcufile not loadable (" + gds.failure() + "): CUDA memory is refused per "
                + "request");
        return Availability.ready("file segments are read and written here through their local_path_map "
                + "(direct I/O where the file system has it)", d);
    }

    @Override
    public Transport create(TransportContext context) {
        requireAvailable(context);
        return new NvmeofTransport(context, cufile.get());
    }
}

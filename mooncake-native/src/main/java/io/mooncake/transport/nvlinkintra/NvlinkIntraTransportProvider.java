package io.mooncake.transport.nvlinkintra;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.cuda.Cuda;
import io.mooncake.probe.CudaProbe;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.NvlinkProbe;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.ProbeResult;
import io.mooncake.transport.NativeTransportProvider;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Provider of protocol {@code nvlink_intra} (selected by {@code mooncake.protocol=nvlink_intra} or
 * {@code MC_INTRANODE_NVLINK}, as in the reference): available where the CUDA driver loads and sees
 * a GPU. CUDA IPC works between processes on one GPU and, over NVLink or PCIe peer-to-peer,
 * between GPUs; {@link NvlinkProbe}'s finding (NVLink pairs from NVML) is reported beside it.
 */
public final class NvlinkIntraTransportProvider extends NativeTransportProvider {

    /** Over the real libraries and device files. */
    public NvlinkIntraTransportProvider() {
    }

    /** Over the given libraries (the CUDA driver among them: a test double where no GPU exists) and device check. */
    public NvlinkIntraTransportProvider(LibraryLoader loader, DeviceAccess access) {
        super(loader, access);
    }

    @Override
    public String protocol() {
        return NvlinkIntraTransport.PROTOCOL;
    }

    @Override
    protected Availability judge(ProbeContext ctx, EngineConfig config) {
        Loaded<Cuda> l = ctx.loader().cuda();
        Map<String, String> details = new LinkedHashMap<>();
        if (!l.isLoaded()) {
            ProbeResult sysfs = CudaProbe.INSTANCE.probe(ctx);
            if (!sysfs.available() && sysfs.cause() == Availability.Cause.NO_DEVICE) {
                return unavailable(sysfs); // no NVIDIA GPU on this host at all: say that rather than the library
            }
            return unavailable(l.permissionDenied() ? Availability.Cause.PERMISSION_DENIED : Availability.Cause.NO_LIBRARY,
                    "the CUDA driver library " + l.name() + " cannot be loaded: " + l.failure(),
                    "install the NVIDIA driver (in a container: the NVIDIA container toolkit, --gpus all)", details);
        }
        int gpus;
        try {
            gpus = l.library().deviceCount();
        } catch (RuntimeException e) {
            return unavailable(Availability.Cause.INIT_FAILED, "the CUDA driver failed to start: " + e.getMessage(),
                    "check nvidia-smi and the driver installation", details);
        }
        if (gpus == 0) {
            return unavailable(Availability.Cause.NO_DEVICE, "the CUDA driver sees no GPU", "check nvidia-smi and "
                    + "CUDA_VISIBLE_DEVICES", details);
        }
        details.put("gpus", Integer.toString(gpus));
        ProbeResult nv = NvlinkProbe.INSTANCE.probe(ctx);
        details.put("nvlink", nv.reason());
        return Availability.ready(gpus + " GPU(s): CUDA IPC between processes of this host ("
                + (nv.available() ? "NVLink: " : "no NVLink found, copies over PCIe or within a GPU: ") + nv.reason()
                + ")", details);
    }

    @Override
    public Transport create(TransportContext context) {
        requireAvailable(context);
        Cuda c = loader().cuda().library();
        return new NvlinkIntraTransport(context, c, c.deviceCount(), Integer.getInteger("mooncake.nvlink.streams", 4));
    }
}

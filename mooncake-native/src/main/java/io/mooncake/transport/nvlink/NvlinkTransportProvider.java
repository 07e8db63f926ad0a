package io.mooncake.transport.nvlink;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.cuda.Cuda;
import io.mooncake.jna.cuda.CudaAbi;
import io.mooncake.jna.libc.Pidfd;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.MnnvlProbe;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.ProbeResult;
import io.mooncake.transport.NativeTransportProvider;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Provider of protocol {@code nvlink} (multi-node NVLink). Selected as in the reference
 * ({@code mooncake.protocol=nvlink}, {@code MC_FORCE_MNNVL}, or rdma without an HCA). Needs the CUDA
 * driver, a GPU and virtual memory management; then fabric handles where every GPU supports them
 * and {@link MnnvlProbe} finds the fabric (or {@code MC_FORCE_MNNVL} is set), else POSIX
 * file-descriptor handles between processes of this host, with what is missing for MNNVL named in
 * the log, the transport's stats and every refusal of a peer on another host.
 */
public final class NvlinkTransportProvider extends NativeTransportProvider {

    /** Over the real libraries and device files. */
    public NvlinkTransportProvider() {
    }

    /** Over the given libraries (the CUDA driver among them: a test double where no GPU exists) and device check. */
    public NvlinkTransportProvider(LibraryLoader loader, DeviceAccess access) {
        super(loader, access);
    }

    @Override
    public String protocol() {
        return NvlinkTransport.PROTOCOL;
    }

    @Override
    protected Availability judge(ProbeContext ctx, EngineConfig config) {
        Map<String, String> details = new LinkedHashMap<>();
        ProbeResult mnnvl = MnnvlProbe.INSTANCE.probe(ctx);
        details.put("mnnvl", mnnvl.reason());
        boolean forced = "1".equals(ctx.env("MC_FORCE_MNNVL")) || "true".equalsIgnoreCase(ctx.env("MC_FORCE_MNNVL"));
        // no fabric at all (or the GPUs could not be inspected through NVML): the same-host fd path may still run;
        // a fabric that is there but unusable (registration unfinished, no IMEX channel) is an error of its own
        boolean noFabric = mnnvl.cause() == Availability.Cause.NO_DEVICE || mnnvl.cause() == Availability.Cause.NO_LIBRARY
                || mnnvl.reason().startsWith("MNNVL needs usable CUDA GPUs");
        if (!mnnvl.available() && !noFabric && !forced) {
            return unavailable(mnnvl); // a fabric that is there but not usable (no IMEX channel, registration unfinished)
        }
        Loaded<Cuda> l = ctx.loader().cuda();
        if (!l.isLoaded()) {
            if (!mnnvl.available()) {
                return unavailable(mnnvl);
            }
            return unavailable(l.permissionDenied() ? Availability.Cause.PERMISSION_DENIED : Availability.Cause.NO_LIBRARY,
                    "nvlink needs the CUDA driver: " + l.name() + " cannot be loaded (" + l.failure() + ")",
                    "install the NVIDIA driver (in a container: the NVIDIA container toolkit, --gpus all)", details);
        }
        Cuda c = l.library();
        int gpus;
        try {
            gpus = c.deviceCount();
        } catch (RuntimeException e) {
            return unavailable(Availability.Cause.INIT_FAILED, "the CUDA driver failed to start: " + e.getMessage(),
                    "check nvidia-smi and the driver installation", details);
        }
        if (gpus == 0) {
            return unavailable(Availability.Cause.NO_DEVICE, "nvlink needs a GPU and the CUDA driver sees none",
                    "check nvidia-smi and CUDA_VISIBLE_DEVICES", details);
        }
        Mode mode = mode(c, gpus, mnnvl, forced);
        details.put("handles", mode.kind() == null ? "none" : mode.kind().wire);
        if (mode.kind() == null) {
            return unavailable(Availability.Cause.NO_DEVICE, mode.missing(), "use nvlink_intra (CUDA IPC) on one host, "
                    + "or a GPU with virtual memory management", details);
        }
        if (mode.missing() != null) {
            details.put("noFabric", mode.missing());
        }
        return Availability.ready(gpus + " GPU(s), " + (mode.kind() == VmmHandle.Kind.FABRIC
                ? "multi-node NVLink fabric handles" : "no multi-node NVLink (" + mode.missing()
                        + "): VMM memory shared by file descriptor between processes of this host"), details);
    }

    /** The handle kind to use ({@code null}: none) and what is missing for MNNVL ({@code null}: nothing). */
    record Mode(VmmHandle.Kind kind, String missing) {
    }

    static Mode mode(Cuda c, int gpus, ProbeResult mnnvl, boolean forced) {
        String noVmm = null;
        String noFabric = null;
        boolean fd = true;
        for (int i = 0; i < gpus; i++) {
            if (c.attribute(i, CudaAbi.DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED) == 0) {
                noVmm = "cuda:" + i + " does not support CUDA virtual memory management";
            }
            if (c.attribute(i, CudaAbi.DEVICE_ATTRIBUTE_HANDLE_TYPE_FABRIC_SUPPORTED) == 0 && noFabric == null) {
                noFabric = "cuda:" + i + " does not support fabric handles (CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_FABRIC_"
                        + "SUPPORTED = 0)";
            }
            fd &= c.attribute(i, CudaAbi.DEVICE_ATTRIBUTE_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED) != 0;
        }
        if (noVmm != null) {
            return new Mode(null, noVmm);
        }
        if (noFabric == null && (mnnvl.available() || forced)) {
            return new Mode(VmmHandle.Kind.FABRIC, null);
        }
        String missing = noFabric != null ? noFabric : "no multi-node NVLink fabric: " + mnnvl.reason();
        if (!fd) {
            return new Mode(null, missing + ", and the GPUs cannot export POSIX file descriptors either");
        }
        return new Mode(VmmHandle.Kind.POSIX_FD, missing);
    }

    @Override
    public Transport create(TransportContext context) {
        Availability a = requireAvailable(context);
        Cuda c = loader().cuda().library();
        VmmHandle.Kind kind = "fabric".equals(a.details().get("handles")) ? VmmHandle.Kind.FABRIC
                : VmmHandle.Kind.POSIX_FD;
        return new NvlinkTransport(context, c, c.deviceCount(), kind, a.details().get("noFabric"),
                Integer.getInteger("mooncake.nvlink.streams", 4), Pidfd::take);
    }
}

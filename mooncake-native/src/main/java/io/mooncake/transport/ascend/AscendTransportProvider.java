package io.mooncake.transport.ascend;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.jna.AcceleratorRuntime;
import io.mooncake.jna.Loaded;
import io.mooncake.probe.AscendProbe;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.ProbeResult;
import io.mooncake.transport.NativeTransportProvider;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Provider of protocol {@code ascend}: probes Ascend NPUs and AscendCL ({@link AscendProbe}), then
 * HCCL ({@code libhccl.so}). Where there is no NPU it also says whether CANN is installed, so the
 * reason names everything that is missing.
 *
 * <p>No data path: the reference's ascend transport moves data through HCCL's internal
 * transport-memory C++ interface ({@code hccl_network_pub.h}, {@code transport_mem.h}), which
 * CANN does not publish, so it cannot be written against a documented API. Where everything is
 * present the answer is {@link Availability.Cause#NOT_IMPLEMENTED} saying so, and the engine falls
 * back to tcp (or refuses). The descriptor parts ({@link AscendDescriptors}, {@link RankInfo}) are
 * read and written like the reference's, so ascend nodes' descriptors pass through unchanged.
 */
public final class AscendTransportProvider extends NativeTransportProvider {

    static final List<String> CANN_DIRS = List.of("/usr/local/Ascend/ascend-toolkit/latest/lib64");
    static final List<String> CANN_VARIABLES = List.of("ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME");

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
        List<String> hcclCandidates = ctx.librarySearch("libhccl.so", CANN_VARIABLES, "lib64", CANN_DIRS);
        if (!r.available()) {
            if (r.cause() == Availability.Cause.NO_DEVICE) {
                Loaded<AcceleratorRuntime> acl = ctx.loader().ascendCl(ctx.librarySearch("libascendcl.so",
                        CANN_VARIABLES, "lib64", CANN_DIRS));
                Loaded<String> hccl = ctx.loader().library(hcclCandidates);
                String cann = acl.isLoaded() && hccl.isLoaded()
                        ? "CANN is installed (AscendCL " + acl.name() + ", HCCL " + hccl.name() + ")"
                        : "CANN is not installed either: " + (acl.isLoaded() ? "" : "AscendCL (" + acl.name()
                                + ") cannot be loaded: " + acl.failure() + (hccl.isLoaded() ? "" : "; "))
                                + (hccl.isLoaded() ? "" : "HCCL (" + hccl.name() + ") cannot be loaded: " + hccl.failure());
                Map<String, String> d = new LinkedHashMap<>(r.details());
                d.put("cann", cann);
                return unavailable(r.cause(), r.reason() + "; " + cann, r.fix() + (acl.isLoaded() && hccl.isLoaded()
                        ? "" : ", then install the CANN toolkit with HCCL and source its set_env.sh"), d);
            }
            return unavailable(r);
        }
        Loaded<String> hccl = ctx.loader().library(hcclCandidates);
        if (!hccl.isLoaded()) {
            return unavailable(hccl.permissionDenied() ? Availability.Cause.PERMISSION_DENIED
                    : Availability.Cause.NO_LIBRARY, "HCCL (" + hccl.name() + ") cannot be loaded: " + hccl.failure(),
                    "install the CANN toolkit with HCCL and source its set_env.sh", r.details());
        }
        Map<String, String> d = new LinkedHashMap<>(r.details());
        d.put("found", r.reason());
        return Availability.unavailable(Availability.Cause.NOT_IMPLEMENTED, "ascend data path is not implemented in "
                + "this release (" + r.reason() + "): the reference moves Ascend data through HCCL's internal "
                + "transport-memory interface, which CANN does not publish", USE_TCP_FIX, d);
    }

    private static final String USE_TCP_FIX = "set mooncake.protocol=tcp (this release moves data over tcp only)";
}

package io.mooncake.transport.barex;

import io.mooncake.engine.api.InvalidConfigurationException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.engine.config.EnvironmentVariables;
import io.mooncake.jna.Loaded;
import io.mooncake.probe.Hca;
import io.mooncake.probe.RdmaProbe;
import io.mooncake.probe.Scan;
import io.mooncake.transport.NicTopologyCheck;
import java.util.List;
import java.util.Map;
import io.mooncake.transport.NativeTransportProvider;

/**
 * Provider of protocol {@code barex}: RDMA HCAs ({@link RdmaProbe}) plus the accl-barex library
 * ({@code libaccl_barex.so}); {@code USE_BAREX=0} switches it off, as in the reference, and the
 * {@code ACCL_*} variables are checked ({@link BarexSettings}).
 *
 * <p>barex cannot run from Java, and this provider says exactly why instead of falling back in
 * silence: accl-barex offers only a C++ API ({@code accl::barex::XContext}, {@code XChannel::WriteBatch}
 * taking {@code std::shared_ptr<std::vector<rw_memp_t>>} and a {@code std::function} callback), and
 * its channels connect over its own port ({@code barex_port}, {@code ACCL_MIN_PORT}..{@code ACCL_MAX_PORT})
 * with a protocol it does not document. JNA binds C functions only, so a barex data path needs a C
 * shim compiled against accl-barex's headers, which this release does not ship. Where the library and
 * HCAs are present the answer is {@code NOT_IMPLEMENTED} with that reason and the fix: protocol
 * {@code rdma}, which publishes the same descriptor shape and needs only libibverbs.
 */
public final class BarexTransportProvider extends NativeTransportProvider {

    /** Over the real libraries and device files. */
    public BarexTransportProvider() {
    }

    /** Over the given libraries and device check. */
    public BarexTransportProvider(LibraryLoader loader, DeviceAccess access) {
        super(loader, access);
    }

    @Override
    public String protocol() {
        return "barex";
    }

    @Override
    protected Availability judge(ProbeContext ctx, EngineConfig config) {
        if (ctx.env("USE_BAREX") != null && !EnvironmentVariables.flag(ctx.env(), "USE_BAREX")) {
            return unavailable(Availability.Cause.FEATURE_DISABLED, "USE_BAREX=" + ctx.env("USE_BAREX")
                    + " switches barex off", "unset USE_BAREX or set it to 1", Map.of());
        }
        Scan<Hca> scan = RdmaProbe.INSTANCE.scan(ctx);
        if (!scan.result().available()) {
            return unavailable(scan.result());
        }
        Loaded<String> lib = ctx.loader().library(List.of("libaccl_barex.so", "/usr/lib/libaccl_barex.so",
                "/usr/lib64/libaccl_barex.so"));
        if (!lib.isLoaded()) {
            return unavailable(lib.permissionDenied() ? Availability.Cause.PERMISSION_DENIED
                    : Availability.Cause.NO_LIBRARY, lib.name() + " cannot be loaded: " + lib.failure(),
                    "install the accl-barex package", scan.result().details());
        }
        BarexSettings accl;
        try {
            accl = BarexSettings.fromEnvironment(ctx.env());
        } catch (InvalidConfigurationException e) {
            return unavailable(Availability.Cause.INIT_FAILED, e.getMessage(), "fix the ACCL_* variable",
                    scan.result().details());
        }
        NicTopologyCheck.Outcome o = NicTopologyCheck.check(ctx, config, scan.devices(), scan.result().details());
        if (o.problem() != null) {
            return o.problem();
        }
        Map<String, String> d = new java.util.LinkedHashMap<>(o.details());
        d.put("accl-barex", lib.name());
        d.put("ACCL ports", accl.minPort() + "-" + accl.maxPort());
        return Availability.unavailable(Availability.Cause.NOT_IMPLEMENTED, "barex cannot run from Java: "
                + lib.name() + " offers only a C++ API (accl::barex::XContext, XChannel) that JNA cannot call, and "
                + "this release ships no C shim for it (found " + o.devices().size() + " usable HCA(s): "
                + o.devices() + ")", "set mooncake.protocol=rdma (the same descriptor shape over libibverbs) or "
                + "set mooncake.protocol=tcp", d);
    }
}

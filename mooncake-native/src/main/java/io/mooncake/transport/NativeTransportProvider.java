package io.mooncake.transport;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.TransportUnavailableException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.engine.transport.TransportProvider;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.ProbeResult;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Base of this module's transport providers. Their {@link #availability} runs the hardware
 * probes and answers with the precise cause. A provider with a data path overrides
 * {@link #create} to build its transport; one without answers
 * {@link Availability.Cause#NOT_IMPLEMENTED} where the hardware is present, and the default
 * {@link #create} throws {@link TransportUnavailableException} with the same reason, so the
 * engine's selector falls back to tcp (or refuses) instead of pretending.
 *
 * <p>Stateless apart from the loader and device check given at construction; thread-safe.
 */
public abstract class NativeTransportProvider implements TransportProvider {

    /** The sentence every fix ends with. */
    static final String USE_TCP = "set mooncake.protocol=tcp";

    private final LibraryLoader loader;
    private final DeviceAccess access;

    /** A provider over the real libraries and device files (what {@link java.util.ServiceLoader} builds). */
    protected NativeTransportProvider() {
        this(LibraryLoader.jna(), DeviceAccess.OPEN);
    }

    /** A provider over the given libraries and device check (tests). */
    protected NativeTransportProvider(LibraryLoader loader, DeviceAccess access) {
        this.loader = Objects.requireNonNull(loader, "loader");
        this.access = Objects.requireNonNull(access, "access");
    }

    /** The libraries this provider was built over. */
    protected final LibraryLoader loader() {
        return loader;
    }

    @Override
    public final Availability availability(TransportContext context) {
        EngineConfig config = context.config();
        try {
            return judge(ProbeContext.of(config, loader, access), config);
        } catch (MooncakeException e) {
            return Availability.unavailable(Availability.Cause.INIT_FAILED, e.getMessage(), USE_TCP);
        }
    }

    /**
     * Creates the transport. This default throws, for providers without a data path: the message
     * says why it cannot run. Providers with one override it.
     */
    @Override
    public Transport create(TransportContext context) {
        throw new TransportUnavailableException(protocol(), availability(context).describe());
    }

    /**
     * This protocol's availability for {@link #create}: throws {@link TransportUnavailableException}
     * with its description where it is unavailable.
     */
    protected final Availability requireAvailable(TransportContext context) {
        Availability a = availability(context);
        if (!a.available()) {
            throw new TransportUnavailableException(protocol(), a.describe());
        }
        return a;
    }

    /** Decides availability from the probes. */
    protected abstract Availability judge(ProbeContext ctx, EngineConfig config);

    /** A negative probe verdict as this protocol's availability; the fix ends with the tcp alternative. */
    protected static Availability unavailable(ProbeResult r) {
        return Availability.unavailable(r.cause(), r.reason(), withTcp(r.fix()), r.details());
    }

    /** Unavailable for another cause, with the tcp alternative appended to the fix. */
    protected static Availability unavailable(Availability.Cause cause, String reason, String fix,
            Map<String, String> details) {
        return Availability.unavailable(cause, reason, withTcp(fix), details);
    }

    /** Hardware present, no data path: NOT_IMPLEMENTED with what was found. */
    protected Availability notImplemented(String found, Map<String, String> details) {
        Map<String, String> d = new LinkedHashMap<>(details);
        d.put("found", found);
        return Availability.unavailable(Availability.Cause.NOT_IMPLEMENTED, protocol()
                + " data path is not implemented in this release (" + found + ")",
                USE_TCP + " (this release moves data over tcp only)", d);
    }

    private static String withTcp(String fix) {
        return fix == null || fix.isBlank() ? USE_TCP : fix + " or " + USE_TCP;
    }
}

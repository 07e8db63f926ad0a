package io.mooncake.engine.transport;

import java.util.Map;
import java.util.Objects;

/**
 * Whether a transport can run on this host and, when it cannot, why and what to do.
 *
 * @param available whether the transport can be started
 * @param cause the category of the reason ({@link Cause#NONE} when available)
 * @param reason what was found missing, e.g. "no device in /sys/class/infiniband"
 * @param fix what the user can do, e.g. "install rdma-core or set mooncake.protocol=tcp"
 * @param details facts the probe found (device names, library paths), for logs and Actuator
 */
public record Availability(boolean available, Cause cause, String reason, String fix, Map<String, String> details) {

    /** Why a transport is not available. */
    public enum Cause {
        NONE,
        /** No device files or sysfs entries for the hardware. */
        NO_DEVICE,
        /** The vendor library could not be loaded. */
        NO_LIBRARY,
        /** A device exists but cannot be opened (udev rules, root). */
        PERMISSION_DENIED,
        /** Switched off by configuration or a build/feature flag. */
        FEATURE_DISABLED,
        /** The hardware and library are present but this build has no data path for it. */
        NOT_IMPLEMENTED,
        /** Present, but initialisation failed. */
        INIT_FAILED
    }

    public Availability {
        Objects.requireNonNull(cause, "cause");
        details = details == null ? Map.of() : Map.copyOf(details);
    }

    public static Availability ready(String reason, Map<String, String> details) {
        return new Availability(true, Cause.NONE, reason, null, details);
    }

    public static Availability unavailable(Cause cause, String reason, String fix) {
        return new Availability(false, cause, reason, fix, Map.of());
    }

    public static Availability unavailable(Cause cause, String reason, String fix, Map<String, String> details) {
        return new Availability(false, cause, reason, fix, details);
    }

    /** "reason; fix", for log lines and exception messages. */
    public String describe() {
        return fix == null || fix.isBlank() ? reason : reason + "; " + fix;
    }
}

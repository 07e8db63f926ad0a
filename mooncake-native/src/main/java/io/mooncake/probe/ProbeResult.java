package io.mooncake.probe;

import io.mooncake.engine.transport.Availability.Cause;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What one probe found: whether the hardware is usable here and, when it is not, why and what
 * to do about it.
 *
 * @param kind what was probed
 * @param available whether at least one device is present, reachable and usable
 * @param cause why not ({@link Cause#NONE} when available): no device files, library missing,
 *        permission denied, feature disabled, or initialisation failed
 * @param reason one sentence naming what was found or missing, with the path or library involved
 * @param fix what an operator can do about it ({@code null} when available)
 * @param details facts for logs and the probe command (device names, paths, versions), in order
 */
public record ProbeResult(ProbeKind kind, boolean available, Cause cause, String reason, String fix,
        Map<String, String> details) {

    public ProbeResult {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(cause, "cause");
        Objects.requireNonNull(reason, "reason");
        if (available != (cause == Cause.NONE)) {
            throw new IllegalArgumentException("available must be true exactly when cause is NONE, got " + cause);
        }
        details = details == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    /** Usable hardware. */
    public static ProbeResult found(ProbeKind kind, String reason, Map<String, String> details) {
        return new ProbeResult(kind, true, Cause.NONE, reason, null, details);
    }

    /** Nothing usable, with the cause. */
    public static ProbeResult missing(ProbeKind kind, Cause cause, String reason, String fix,
            Map<String, String> details) {
        return new ProbeResult(kind, false, cause, reason, fix, details);
    }

    /** "reason; fix" for log lines. */
    public String describe() {
        return fix == null || fix.isBlank() ? reason : reason + "; " + fix;
    }
}

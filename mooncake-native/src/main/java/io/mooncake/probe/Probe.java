package io.mooncake.probe;

/**
 * A hardware probe: a function of a {@link ProbeContext} (sysfs root, library loader,
 * environment) that never throws for missing hardware or libraries and says why nothing was
 * found. Implementations are stateless and thread-safe.
 *
 * @param <T> the type of device it reports
 */
public interface Probe<T> {

    /** What this probe looks for. */
    ProbeKind kind();

    /** Looks for devices and judges whether they are usable. */
    Scan<T> scan(ProbeContext context);

    /** The verdict only. */
    default ProbeResult probe(ProbeContext context) {
        return scan(context).result();
    }
}

package io.mooncake.probe;

import java.util.List;
import java.util.Objects;

/**
 * A probe's verdict together with the devices it saw, usable or not (the topology and the probe
 * command need them even when the verdict is negative).
 *
 * @param result the verdict
 * @param devices every device found, in a stable order
 * @param <T> the device type
 */
public record Scan<T>(ProbeResult result, List<T> devices) {

    public Scan {
        Objects.requireNonNull(result, "result");
        devices = List.copyOf(devices);
    }
}

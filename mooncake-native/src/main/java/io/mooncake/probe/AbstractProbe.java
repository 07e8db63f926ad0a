package io.mooncake.probe;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Base of the probes: logs each verdict once at DEBUG, and any unexpected failure with its stack at TRACE only. */
abstract class AbstractProbe<T> implements Probe<T> {

    private static final Logger log = LoggerFactory.getLogger(Probe.class);

    @Override
    public final Scan<T> scan(ProbeContext context) {
        Scan<T> scan = doScan(context);
        ProbeResult r = scan.result();
        if (r.available()) {
            log.debug("Probe {}: available: {}", kind(), r.reason());
        } else {
            log.debug("Probe {}: unavailable ({}): {}", kind(), r.cause(), r.describe());
        }
        return scan;
    }

    abstract Scan<T> doScan(ProbeContext context);
}

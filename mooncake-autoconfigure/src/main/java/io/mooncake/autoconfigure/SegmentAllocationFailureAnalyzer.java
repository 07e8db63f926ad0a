package io.mooncake.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Reports a {@link SegmentAllocationException}. */
class SegmentAllocationFailureAnalyzer extends AbstractFailureAnalyzer<SegmentAllocationException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, SegmentAllocationException cause) {
        String description = "Mooncake cannot allocate the " + Sizes.format(cause.getSize().toBytes())
                + " requested by " + cause.describeSource() + ": " + cause.getReason() + ".";
        String action = "Lower " + EnvironmentVariableNames.whereToChange(cause.getProperty(), cause.getOrigin())
                + " so that it fits in this host's memory next to the JVM heap (sizes such as 512MB or 3GB), "
                + "or remove it to start without allocating.";
        return new FailureAnalysis(description, action, cause);
    }
}

package io.mooncake.autoconfigure;

import io.mooncake.engine.api.TransportUnavailableException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a protocol that is valid but cannot run on this host while
 * {@code mooncake.fallback-to-tcp} is false.
 */
class TransportUnavailableFailureAnalyzer extends AbstractFailureAnalyzer<TransportUnavailableException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, TransportUnavailableException cause) {
        String description = "The Mooncake protocol '" + cause.protocol() + "' requested by mooncake.protocol "
                + "cannot run on this host: " + cause.reason() + ". Fallback to tcp is off (mooncake.fallback-to-tcp=false).";
        String action = "Check, in this order, the hardware, the driver library and the permissions named above; or set "
                + "mooncake.fallback-to-tcp=true to start on tcp with a warning, or mooncake.protocol=tcp.";
        return new FailureAnalysis(description, action, cause);
    }
}

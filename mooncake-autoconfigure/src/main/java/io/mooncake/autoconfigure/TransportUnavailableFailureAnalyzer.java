package io.mooncake.autoconfigure;

import io.mooncake.engine.api.TransportUnavailableException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.Environment;

/**
 * Reports a protocol that is valid but cannot run on this host while
 * {@code mooncake.fallback-to-tcp} is false, naming where the protocol and the fallback switch were
 * set (an environment variable overriding application.yml, the JSON file) and the setting to change.
 */
class TransportUnavailableFailureAnalyzer extends AbstractFailureAnalyzer<TransportUnavailableException> {

    private final Environment environment;

    TransportUnavailableFailureAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, TransportUnavailableException cause) {
        String description = "The Mooncake protocol '" + cause.protocol() + "' requested by mooncake.protocol (from "
                + PropertyOrigins.describe(this.environment, "mooncake.protocol") + ") cannot run on this host: "
                + cause.reason() + ". Fallback to tcp is off (mooncake.fallback-to-tcp=false, from "
                + PropertyOrigins.describe(this.environment, "mooncake.fallback-to-tcp") + ").";
        String action = "Check, in this order, the hardware, the driver library and the permissions named above; or "
                + PropertyOrigins.fix(this.environment, "mooncake.fallback-to-tcp", "true")
                + " to start on tcp with a warning; or "
                + PropertyOrigins.fix(this.environment, "mooncake.protocol", "tcp") + ".";
        return new FailureAnalysis(description, action, cause);
    }
}

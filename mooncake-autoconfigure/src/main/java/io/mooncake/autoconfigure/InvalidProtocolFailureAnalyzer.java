package io.mooncake.autoconfigure;

import io.mooncake.engine.api.Protocol;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.Environment;

/** Reports an {@link InvalidMooncakeProtocolException}: the value, where it was set, the valid names. */
class InvalidProtocolFailureAnalyzer extends AbstractFailureAnalyzer<InvalidMooncakeProtocolException> {

    private final Environment environment;

    InvalidProtocolFailureAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidMooncakeProtocolException cause) {
        String description = "The Mooncake protocol '" + cause.getValue() + "' set by '" + cause.getProperty()
                + "' (from " + PropertyOrigins.describe(this.environment, cause.getProperty()) + ") is not valid: "
                + cause.getCause().getMessage() + ".";
        String action = "Use one of: " + Protocol.validNames() + "; or several separated by ',' such as rdma,nvmeof: "
                + PropertyOrigins.fix(this.environment, cause.getProperty(), "tcp")
                + " where there is no RDMA, GPU or storage hardware.";
        return new FailureAnalysis(description, action, cause);
    }
}

package io.mooncake.autoconfigure;

import io.mooncake.engine.api.Protocol;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Reports an {@link InvalidMooncakeProtocolException}: the value, where it was set, the valid names. */
class InvalidProtocolFailureAnalyzer extends AbstractFailureAnalyzer<InvalidMooncakeProtocolException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidMooncakeProtocolException cause) {
        String description = "The Mooncake protocol '" + cause.getValue() + "' set by " + cause.describeSource()
                + " is not valid: " + cause.getCause().getMessage() + ".";
        String action = "Set " + EnvironmentVariableNames.propertyAndVariable(cause.getProperty())
                + " to one of: " + Protocol.validNames() + "; or to several separated by ',' such as rdma,nvmeof. "
                + "Use tcp where there is no RDMA, GPU or storage hardware.";
        return new FailureAnalysis(description, action, cause);
    }
}

package io.mooncake.autoconfigure;

import io.mooncake.engine.metadata.MetadataConnection;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Reports a {@link MetadataServerUnreachableException}. */
class MetadataServerUnreachableFailureAnalyzer extends AbstractFailureAnalyzer<MetadataServerUnreachableException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, MetadataServerUnreachableException cause) {
        String description = "The Mooncake metadata server '" + cause.getValue() + "' set by " + cause.describeSource()
                + " cannot be reached: " + cause.getReason() + ".";
        String action = "Start the metadata server, or correct "
                + EnvironmentVariableNames.whereToChange(cause.getProperty(), cause.getOrigin()) + "; the forms are "
                + MetadataConnection.FORMS + ". To run without a metadata server, set it to P2PHANDSHAKE.";
        return new FailureAnalysis(description, action, cause);
    }
}

package io.mooncake.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Reports a metadata URL whose client library (jetcd, Lettuce) the application does not have. */
class MetadataClientMissingFailureAnalyzer extends AbstractFailureAnalyzer<MetadataClientMissingException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, MetadataClientMissingException cause) {
        String[] ga = cause.getDependency().split(":");
        String description = "The Mooncake metadata server '" + cause.getValue() + "' set by " + cause.describeSource()
                + " needs the client library " + cause.getDependency()
                + ", which is not on the class path (the starter does not force the etcd and Redis clients on "
                + "every application).";
        String action = "Add the dependency to your build: <dependency><groupId>" + ga[0] + "</groupId><artifactId>"
                + ga[1] + "</artifactId></dependency> (Gradle: implementation '" + cause.getDependency()
                + "'; the version comes from the Spring Boot BOM or docs/metadata.md), or set mooncake.metadata-server "
                + "to P2PHANDSHAKE or an http:// metadata server, which need no client library.";
        return new FailureAnalysis(description, action, cause);
    }
}

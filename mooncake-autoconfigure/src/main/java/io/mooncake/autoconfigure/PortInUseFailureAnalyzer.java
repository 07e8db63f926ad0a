package io.mooncake.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Reports a {@link MooncakePortInUseException}. */
class PortInUseFailureAnalyzer extends AbstractFailureAnalyzer<MooncakePortInUseException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, MooncakePortInUseException cause) {
        String description = "Mooncake cannot listen on port " + cause.getPort() + ", set by " + cause.describeSource()
                + ": the port is already in use.";
        String action = "Stop the process that listens on port " + cause.getPort() + " (ss -ltnp 'sport = :"
                + cause.getPort() + "' shows it), or set " + cause.getProperty()
                + " to a free port, or to 0 to pick a free one from mooncake.rpc-port-range.";
        if ("mooncake.local-hostname".equals(cause.getProperty())) {
            action = "Stop the process that listens on port " + cause.getPort() + " (ss -ltnp 'sport = :"
                    + cause.getPort() + "' shows it), or change the port in " + cause.getProperty()
                    + " (host:port), or drop ':port' from it to pick a free port.";
        }
        return new FailureAnalysis(description, action, cause);
    }
}

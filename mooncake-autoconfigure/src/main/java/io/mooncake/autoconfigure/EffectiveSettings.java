package io.mooncake.autoconfigure;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.select.SelectionReport;
import org.springframework.core.env.Environment;

/**
 * The one startup line that states the effective protocol, device and metadata settings, each with
 * its origin (environment variable, Mooncake JSON file and key, application.yml line, or default)
 * and what it overrides, and the protocol that actually runs.
 */
final class EffectiveSettings {

    private EffectiveSettings() {
    }

    static String line(Environment environment, EngineConfig config, SelectionReport selection) {
        StringBuilder b = new StringBuilder("Mooncake effective settings: ");
        b.append("protocol=").append(String.join(",", config.protocols())).append(" (")
            .append(PropertyOrigins.describe(environment, "mooncake.protocol")).append(')');
        b.append(", device-name=").append(config.deviceNames().isEmpty() ? "(none)" : String.join(",",
                config.deviceNames())).append(" (").append(PropertyOrigins.describe(environment, "mooncake.device-name"))
            .append(')');
        b.append(", metadata-server=").append(config.metadataServer()).append(" (")
            .append(PropertyOrigins.describe(environment, "mooncake.metadata-server")).append(')');
        b.append(", local-hostname=").append(config.localHostname()).append(" (")
            .append(PropertyOrigins.describe(environment, "mooncake.local-hostname")).append(')');
        if (selection != null) {
            b.append("; running ").append(selection.primary());
            if (selection.fellBack()) {
                for (SelectionReport.Decision d : selection.decisions()) {
                    if (d.outcome() == SelectionReport.Outcome.FELL_BACK) {
                        b.append(" (").append(d.protocol()).append(": ").append(d.why()).append(')');
                    }
                }
                b.append("; to run ").append(selection.primary()).append(" without this fallback, ")
                    .append(PropertyOrigins.fix(environment, "mooncake.protocol", selection.primary()));
            }
        }
        return b.toString();
    }
}

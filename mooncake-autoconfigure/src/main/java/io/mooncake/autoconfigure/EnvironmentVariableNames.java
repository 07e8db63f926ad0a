package io.mooncake.autoconfigure;

import io.mooncake.engine.config.MooncakeSetting;
import java.util.Map;

/** The reference environment variable that sets a property, for failure actions. */
final class EnvironmentVariableNames {

    private EnvironmentVariableNames() {
    }

    /** {@code "mooncake.protocol (environment variable MOONCAKE_PROTOCOL)"}, or just the property. */
    static String propertyAndVariable(String property) {
        for (Map.Entry<MooncakeSetting, String> e : MooncakeEnvironmentPostProcessor.PROPERTIES.entrySet()) {
            if (e.getValue().equals(property)) {
                return property + " (environment variable " + e.getKey().environmentVariable() + ")";
            }
        }
        return property;
    }

    /**
     * The setting to change, where it wins: {@code mooncake.x (set by <origin>: change it there)}
     * when the value came from a source, else the property and its reference variable.
     */
    static String whereToChange(String property, String origin) {
        return (origin != null) ? property + " where it is set (" + origin + ", which wins over lower sources)"
                : propertyAndVariable(property);
    }
}

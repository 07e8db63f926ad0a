package io.mooncake.autoconfigure;

import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.origin.Origin;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;

/** Says where a property's value came from, for failure reports. */
final class PropertyOrigins {

    private PropertyOrigins() {
    }

    /**
     * The origin of {@code property}'s value: an environment variable, a file and line, the Mooncake
     * JSON file and key; {@code null} when no property source holds it (the documented default).
     */
    static String of(Environment environment, String property) {
        if (!(environment instanceof ConfigurableEnvironment configurable)) {
            return null;
        }
        ConfigurationPropertyName name = ConfigurationPropertyName.of(property);
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(configurable)) {
            ConfigurationProperty found = source.getConfigurationProperty(name);
            if (found != null) {
                Origin origin = found.getOrigin();
                return origin != null ? origin.toString() : "property source '" + source.getUnderlyingSource() + "'";
            }
        }
        return null;
    }
}

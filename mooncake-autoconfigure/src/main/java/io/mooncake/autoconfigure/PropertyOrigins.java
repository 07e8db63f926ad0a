package io.mooncake.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.SystemEnvironmentOrigin;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;

/**
 * Says where a property's value came from, which other sources it overrides, and what to change so
 * that a new value wins: for failure reports and the startup line of effective settings.
 */
final class PropertyOrigins {

    private PropertyOrigins() {
    }

    /** One source holding a property: its value and where it came from. */
    record Found(Object value, String origin, Origin raw) {
    }

    /**
     * The origin of {@code property}'s value: an environment variable, a file and line, the Mooncake
     * JSON file and key; {@code null} when no property source holds it (the documented default).
     */
    static String of(Environment environment, String property) {
        List<Found> all = all(environment, property);
        return all.isEmpty() ? null : all.get(0).origin();
    }

    /** Every source that holds {@code property}, the winning one first. */
    static List<Found> all(Environment environment, String property) {
        List<Found> out = new ArrayList<>();
        if (!(environment instanceof ConfigurableEnvironment configurable)) {
            return out;
        }
        ConfigurationPropertyName name = ConfigurationPropertyName.of(property);
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(configurable)) {
            ConfigurationProperty found = source.getConfigurationProperty(name);
            if (found != null) {
                Origin origin = found.getOrigin();
                String text = origin != null ? origin.toString() : null;
                if (text != null && out.stream().anyMatch((f) -> text.equals(f.origin()))) {
                    continue; // the same variable seen through Spring's relaxed binding and our mapping
                }
                out.add(new Found(found.getValue(), origin != null ? origin.toString()
                        : "property source '" + source.getUnderlyingSource() + "'", origin));
            }
        }
        return out;
    }

    /** {@code origin} or the first of its parents of {@code type}, or {@code null}. */
    private static Origin find(Origin origin, Class<? extends Origin> type) {
        for (Origin o = origin; o != null; o = o.getParent()) {
            if (type.isInstance(o)) {
                return o;
            }
            if (o instanceof org.springframework.boot.origin.PropertySourceOrigin p && type.isInstance(p.getOrigin())) {
                return p.getOrigin();
            }
        }
        return null;
    }

    /**
     * Where the value comes from and what it overrides, e.g. {@code environment variable 'MOONCAKE_PROTOCOL',
     * overriding 'tcp' from class path resource [application.yml] - 3:13}; {@code default} when unset.
     */
    static String describe(Environment environment, String property) {
        List<Found> all = all(environment, property);
        if (all.isEmpty()) {
            return "default";
        }
        StringBuilder b = new StringBuilder(all.get(0).origin());
        for (int i = 1; i < all.size(); i++) {
            b.append(i == 1 ? ", overriding " : " and ").append('\'').append(all.get(i).value()).append("' from ")
                .append(all.get(i).origin());
        }
        return b.toString();
    }

    /**
     * What to change so that {@code value} is used: the winning source, e.g. {@code set environment
     * variable MOONCAKE_PROTOCOL=tcp (or unset it: it overrides application.yml)}.
     */
    static String fix(Environment environment, String property, String value) {
        List<Found> all = all(environment, property);
        if (all.isEmpty()) {
            return "set " + property + "=" + value;
        }
        Found winner = all.get(0);
        String others = all.size() > 1 ? " (it overrides " + all.get(1).origin() + ")" : "";
        if (find(winner.raw(), SystemEnvironmentOrigin.class) instanceof SystemEnvironmentOrigin env) {
            return "set environment variable " + env.getProperty() + "=" + value + ", or unset it" + others;
        }
        if (find(winner.raw(), MooncakeEnvironmentPostProcessor.ConfigFileOrigin.class)
                instanceof MooncakeEnvironmentPostProcessor.ConfigFileOrigin file) {
            return "set \"" + file.key() + "\": \"" + value + "\" in Mooncake config file '" + file.file() + "'" + others;
        }
        return "set " + property + "=" + value + " where it is set now, " + winner.origin() + others;
    }
}

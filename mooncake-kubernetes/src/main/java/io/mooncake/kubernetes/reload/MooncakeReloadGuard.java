package io.mooncake.kubernetes.reload;

import io.mooncake.kubernetes.reload.ReloadDecision.Outcome;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.boot.origin.Origin;
import org.springframework.cloud.context.environment.EnvironmentChangeEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.CompositePropertySource;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;

/**
 * Decides, property by property, what a configuration reload (a ConfigMap or Secret changed and
 * Spring Cloud Kubernetes refreshed the environment) does to the running Mooncake instance.
 *
 * <p>It remembers the {@code mooncake.*} values the instance started with. On every
 * {@link EnvironmentChangeEvent} each changed {@code mooncake.*} property is either applied (a
 * {@link LiveSetting} of the {@link MooncakeReloadPolicy}: one INFO line) or refused (read at
 * startup only: one WARN line naming the property, the running and the new value, where the new
 * value comes from and how to apply it). A refused change is never half-applied: the engine keeps
 * every value it started with, {@code MooncakeProperties} is kept out of Spring Cloud's rebinding
 * (see {@link MooncakeRefreshEnvironmentPostProcessor}), and the change stays listed in
 * {@link #pendingRestart()} until a restart or until the value is changed back. Values of secrets
 * are never logged.
 *
 * <p>Thread-safe: events are handled one at a time.
 */
public class MooncakeReloadGuard implements ApplicationListener<EnvironmentChangeEvent> {

    private static final Logger log = LoggerFactory.getLogger(MooncakeReloadGuard.class);

    private static final String MASK = "******";

    private static final Set<String> SENSITIVE = Set.of("secret", "password", "token", "credentials", "key");

    private static final int MAX_RECENT = 50;

    /** How Spring Cloud Kubernetes names the source of one ConfigMap or Secret: kind.name.namespace. */
    private static final Pattern KUBERNETES_SOURCE = Pattern.compile("(configmap|secret)\\.(.+)\\.([^.]+)");

    private final ConfigurableEnvironment environment;

    private final MooncakeReloadPolicy policy;

    private final String restartHint;

    /** The values in use: the startup values, updated by applied live changes. */
    private final Map<ConfigurationPropertyName, String> running;

    private final Map<ConfigurationPropertyName, ReloadDecision> pending = new LinkedHashMap<>();

    private final List<ReloadDecision> recent = new ArrayList<>();

    /**
     * @param environment the application's environment, as the engine was started from it
     * @param policy which properties are live
     * @param restartHint how to restart in words, e.g. {@code kubectl rollout restart statefulset/mooncake}
     */
    public MooncakeReloadGuard(ConfigurableEnvironment environment, MooncakeReloadPolicy policy, String restartHint) {
        this.environment = environment;
        this.policy = policy;
        this.restartHint = restartHint;
        this.running = snapshot();
        log.debug("Mooncake configuration reload: live {}; every other mooncake.* property is read at startup",
                policy.liveProperties());
    }

    @Override
    public synchronized void onApplicationEvent(EnvironmentChangeEvent event) {
        Map<ConfigurationPropertyName, String> changed = new TreeMap<>();
        for (String key : event.getKeys()) {
            ConfigurationPropertyName name = ConfigurationPropertyName.adapt(key, '.');
            if (this.policy.covers(name)) {
                changed.putIfAbsent(name, key);
            }
        }
        if (changed.isEmpty()) {
            return;
        }
        Binder binder = Binder.get(this.environment);
        for (ConfigurationPropertyName name : changed.keySet()) {
            decide(name, binder);
        }
    }

    private void decide(ConfigurationPropertyName name, Binder binder) {
        ConfigurationProperty now = find(name);
        String configured = (now != null && now.getValue() != null) ? String.valueOf(now.getValue()) : null;
        String runningValue = this.running.get(name);
        String origin = (now != null) ? origin(now) : null;
        String property = name.toString();
        boolean secret = isSensitive(name);
        if (java.util.Objects.equals(configured, runningValue)) {
            if (this.pending.remove(name) != null) {
                log.info("Mooncake configuration: {} is back to the value the engine runs with; no restart pending for it",
                        property);
            }
            return;
        }
        LiveSetting live = this.policy.liveSetting(name);
        ReloadDecision decision;
        if (live != null) {
            try {
                String applied = live.apply(binder);
                this.running.put(name, configured);
                this.pending.remove(name);
                decision = new ReloadDecision(property, show(runningValue, secret), show(configured, secret), origin,
                        Outcome.APPLIED, "applied to the running instance: " + applied);
                log.info("Mooncake configuration: applied {} = {} (was {}) from {}", property,
                        show(configured, secret), show(runningValue, secret), origin);
            } catch (RuntimeException ex) {
                decision = new ReloadDecision(property, show(runningValue, secret), show(configured, secret), origin,
                        Outcome.REFUSED_INVALID, ex.getMessage());
                log.warn("Mooncake configuration: refused {} = {} from {}: {}; the instance keeps {}", property,
                        show(configured, secret), origin, ex.getMessage(), show(runningValue, secret));
            }
        } else {
            decision = new ReloadDecision(property, show(runningValue, secret), show(configured, secret), origin,
                    Outcome.REFUSED_NEEDS_RESTART, "read when the engine starts; applies at the next start");
            this.pending.put(name, decision);
            log.warn("Mooncake configuration: refused {} = {} from {}: it is read when the engine starts and cannot "
                    + "change while it runs; the engine keeps {} (nothing of the change is applied). Restart to apply "
                    + "it: {}", property, show(configured, secret), origin, show(runningValue, secret), this.restartHint);
        }
        this.recent.add(decision);
        if (this.recent.size() > MAX_RECENT) {
            this.recent.remove(0);
        }
    }

    /** Changes refused because they need a restart, by property, oldest first. */
    public synchronized Map<String, ReloadDecision> pendingRestart() {
        Map<String, ReloadDecision> copy = new LinkedHashMap<>();
        this.pending.forEach((name, decision) -> copy.put(name.toString(), decision));
        return Collections.unmodifiableMap(copy);
    }

    /** The last decisions (at most 50), oldest first. */
    public synchronized List<ReloadDecision> recentDecisions() {
        return List.copyOf(this.recent);
    }

    /** The value of a {@code mooncake.*} property the instance runs with (masked for secrets), or {@code null}. */
    public synchronized String runningValue(String property) {
        ConfigurationPropertyName name = ConfigurationPropertyName.of(property);
        return show(this.running.get(name), isSensitive(name));
    }

    private Map<ConfigurationPropertyName, String> snapshot() {
        Map<ConfigurationPropertyName, String> values = new HashMap<>();
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(this.environment)) {
            if (source instanceof IterableConfigurationPropertySource iterable) {
                iterable.filter(this.policy::covers).stream().forEach((name) -> {
                    if (!values.containsKey(name)) {
                        ConfigurationProperty property = find(name);
                        if (property != null && property.getValue() != null) {
                            values.put(name, String.valueOf(property.getValue()));
                        }
                    }
                });
            }
        }
        return values;
    }

    private ConfigurationProperty find(ConfigurationPropertyName name) {
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(this.environment)) {
            ConfigurationProperty property = source.getConfigurationProperty(name);
            if (property != null) {
                return property;
            }
        }
        return null;
    }

    private static String origin(ConfigurationProperty property) {
        Object underlying = property.getSource().getUnderlyingSource();
        if (underlying instanceof PropertySource<?> source) {
            PropertySource<?> holder = innermost(source, property.getName());
            Matcher m = KUBERNETES_SOURCE.matcher(holder.getName());
            if (m.matches()) {
                return (m.group(1).equals("secret") ? "Secret " : "ConfigMap ") + m.group(2) + " (namespace "
                        + m.group(3) + ")";
            }
            Origin origin = property.getOrigin();
            return (origin != null) ? origin.toString() : "property source '" + holder.getName() + "'";
        }
        return String.valueOf(underlying);
    }

    /** The property source inside composites that holds {@code name}. */
    private static PropertySource<?> innermost(PropertySource<?> source, ConfigurationPropertyName name) {
        if (source instanceof CompositePropertySource composite) {
            for (PropertySource<?> nested : composite.getPropertySources()) {
                if (nested instanceof EnumerablePropertySource<?> enumerable) {
                    for (String key : enumerable.getPropertyNames()) {
                        if (name.equals(ConfigurationPropertyName.adapt(key, '.'))) {
                            return innermost(nested, name);
                        }
                    }
                }
            }
        }
        return source;
    }

    private static boolean isSensitive(ConfigurationPropertyName name) {
        for (int i = 0; i < name.getNumberOfElements(); i++) {
            String element = name.getElement(i, ConfigurationPropertyName.Form.UNIFORM);
            for (String word : SENSITIVE) {
                if (element.contains(word)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String show(String value, boolean secret) {
        if (value == null) {
            return "the default";
        }
        return secret ? MASK : "'" + value + "'";
    }
}

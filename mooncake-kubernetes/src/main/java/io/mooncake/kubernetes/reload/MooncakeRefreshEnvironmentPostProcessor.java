package io.mooncake.kubernetes.reload;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;

/**
 * Keeps {@code MooncakeProperties} out of Spring Cloud's rebinding on a configuration refresh: it
 * adds the class to {@value #NEVER_REFRESHABLE} (keeping what is already listed there, by default
 * Hikari's data source). The bean then goes on describing the engine as it runs, and
 * {@link MooncakeReloadGuard} decides what a change does. Does nothing outside Kubernetes or without
 * Spring Cloud.
 */
public class MooncakeRefreshEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

    /** Spring Cloud's list of {@code @ConfigurationProperties} classes it never rebinds. */
    public static final String NEVER_REFRESHABLE = "spring.cloud.refresh.never-refreshable";

    /** Spring Cloud's default of {@value #NEVER_REFRESHABLE}. */
    static final String SPRING_CLOUD_DEFAULT = "com.zaxxer.hikari.HikariDataSource";

    static final String MOONCAKE_PROPERTIES = "io.mooncake.autoconfigure.MooncakeProperties";

    /** Name of the property source added. */
    public static final String SOURCE = "mooncakeNeverRefreshable";

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!CloudPlatform.KUBERNETES.isActive(environment) || !ClassUtils.isPresent(
                "org.springframework.cloud.context.properties.ConfigurationPropertiesRebinder", getClass().getClassLoader())) {
            return;
        }
        String current = environment.getProperty(NEVER_REFRESHABLE, SPRING_CLOUD_DEFAULT);
        Set<String> classes = new LinkedHashSet<>(StringUtils.commaDelimitedListToSet(current));
        if (classes.add(MOONCAKE_PROPERTIES)) {
            environment.getPropertySources().addFirst(new MapPropertySource(SOURCE,
                    Map.of(NEVER_REFRESHABLE, String.join(",", classes))));
        }
    }
}

package io.mooncake.autoconfigure.health;

import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.ClassUtils;

/**
 * Places the {@code DEGRADED} status of the Mooncake health indicator in the health status order
 * ({@code DOWN, OUT_OF_SERVICE, DEGRADED, UP, UNKNOWN}), as a default with the lowest precedence: an
 * application that sets {@code management.endpoint.health.status.order} itself keeps its order
 * (add DEGRADED to it, or the aggregate ignores it). Without this, Boot's aggregator would skip
 * DEGRADED and the overall status would read UP. HTTP mapping stays Boot's default: 200. Also shows
 * the readiness group's components (names and statuses only), so that mooncake's membership is
 * visible; an application that sets {@code show-components} for the group keeps its choice.
 */
public class MooncakeHealthEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

    static final String SOURCE_NAME = "mooncakeHealthDefaults";

    static final String STATUS_ORDER = "management.endpoint.health.status.order";

    static final String DEFAULT_ORDER = "DOWN,OUT_OF_SERVICE,DEGRADED,UP,UNKNOWN";

    /**
     * Shows the readiness group's members and their statuses (not their details, which follow
     * {@code show-details}), so {@code /actuator/health/readiness} says that mooncake is a member.
     */
    static final String READINESS_SHOW_COMPONENTS = "management.endpoint.health.group.readiness.show-components";

    private static final String HEALTH_CLASS = "org.springframework.boot.health.contributor.Status";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!ClassUtils.isPresent(HEALTH_CLASS, getClass().getClassLoader())
                || environment.getPropertySources().contains(SOURCE_NAME)) {
            return;
        }
        environment.getPropertySources()
            .addLast(new MapPropertySource(SOURCE_NAME, Map.of(STATUS_ORDER, DEFAULT_ORDER,
                    READINESS_SHOW_COMPONENTS, "always")));
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}

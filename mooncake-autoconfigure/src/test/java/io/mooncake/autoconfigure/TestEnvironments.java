package io.mooncake.autoconfigure;

import java.util.Map;
import org.springframework.boot.env.OriginTrackedMapPropertySource;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** Environments with a chosen system environment, for tests. */
final class TestEnvironments {

    static final DeferredLogFactory LOGS = (destination) -> destination.get();

    private TestEnvironments() {
    }

    /** What {@link MooncakeEnvironmentPostProcessor} adds for {@code env}. */
    static OriginTrackedMapPropertySource mappedEnvironment(Map<String, String> env) {
        return new OriginTrackedMapPropertySource(MooncakeEnvironmentPostProcessor.ENVIRONMENT_SOURCE,
                new MooncakeEnvironmentPostProcessor(LOGS).mapEnvironment(env), true);
    }

    /** A standard environment whose system environment is {@code env} instead of this process's. */
    static StandardEnvironment withSystemEnvironment(Map<String, String> env) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources()
            .replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, new SystemEnvironmentPropertySource(
                    StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, new java.util.HashMap<String, Object>(env)));
        return environment;
    }
}

package io.mooncake.autoconfigure;

import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.context.event.ApplicationStartingEvent;
import org.springframework.context.ApplicationListener;

/**
 * Stops an application on a Spring Boot older than 4 at its first event, before anything of the
 * starter that needs Boot 4 is loaded, with a message that says which version is needed (without
 * it, Boot 3.x dies later with {@code NoClassDefFoundError: org/springframework/boot/EnvironmentPostProcessor}).
 * Registered in {@code META-INF/spring.factories} under {@code org.springframework.context.ApplicationListener},
 * a key both Boot 3 and 4 read, and uses only classes both have.
 */
public class SpringBootVersionCheck implements ApplicationListener<ApplicationStartingEvent> {

    /** The Spring Boot major version the starter is built and tested against. */
    static final int REQUIRED_MAJOR = 4;

    @Override
    public void onApplicationEvent(ApplicationStartingEvent event) {
        check(SpringBootVersion.getVersion());
    }

    /**
     * Fails when {@code version} is a Spring Boot before 4; an unknown version (a repackaged Boot
     * without its manifest) passes.
     */
    static void check(String version) {
        if (version == null || version.isBlank()) {
            return;
        }
        int major;
        try {
            int dot = version.indexOf('.');
            major = Integer.parseInt(dot < 0 ? version : version.substring(0, dot));
        } catch (NumberFormatException ex) {
            return;
        }
        if (major < REQUIRED_MAJOR) {
            throw new IllegalStateException("The Mooncake Spring Boot starter needs Spring Boot " + REQUIRED_MAJOR
                    + ".0 or later, but this application runs Spring Boot " + version + ". Upgrade the application "
                    + "to Spring Boot " + REQUIRED_MAJOR + " (spring-boot-starter-parent or the spring-boot-dependencies "
                    + "BOM " + REQUIRED_MAJOR + ".0.x), or use io.mooncake:mooncake-engine directly, which needs no "
                    + "Spring at all.");
        }
    }
}

package io.mooncake.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatNoException;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootVersion;
import org.springframework.context.ApplicationListener;
import org.springframework.core.io.support.SpringFactoriesLoader;

/**
 * The starter needs Spring Boot 4; on Boot 3.x it stops at the first event with a message naming the
 * version needed. (No Boot 3 jar is used here: the check is fed the version Boot would report.)
 */
class SpringBootVersionCheckTests {

    @Test
    void boot3IsRefusedWithTheVersionNeeded() {
        assertThatIllegalStateException().isThrownBy(() -> SpringBootVersionCheck.check("3.5.6"))
            .withMessageStartingWith("The Mooncake Spring Boot starter needs Spring Boot 4.0 or later, but this "
                    + "application runs Spring Boot 3.5.6.")
            .withMessageContaining("io.mooncake:mooncake-engine directly");
    }

    @Test
    void boot4AndUnknownVersionsPass() {
        assertThatNoException().isThrownBy(() -> SpringBootVersionCheck.check("4.0.0"));
        assertThatNoException().isThrownBy(() -> SpringBootVersionCheck.check("4.1.0-SNAPSHOT"));
        assertThatNoException().isThrownBy(() -> SpringBootVersionCheck.check(null));
        assertThatNoException().isThrownBy(() -> SpringBootVersionCheck.check(SpringBootVersion.getVersion()));
    }

    @Test
    void registeredUnderAKeyThatBoot3Reads() {
        assertThat(SpringFactoriesLoader.forDefaultResourceLocation().load(ApplicationListener.class))
            .anyMatch(SpringBootVersionCheck.class::isInstance);
    }
}

package io.mooncake.sample;

import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * A block store that keeps blocks in its Mooncake global segment and moves them between instances
 * through the transfer engine: bytes travel engine to engine, HTTP only carries block locations.
 */
@SpringBootApplication
public class SampleApplication {

    public static void main(String[] args) {
        SpringApplication.run(SampleApplication.class, args);
    }

    /** Stops right after start-up, for measure-startup.sh. */
    @Bean
    @ConditionalOnBooleanProperty("sample.exit-after-start")
    ApplicationRunner exitAfterStart(ConfigurableApplicationContext context) {
        return (args) -> context.close();
    }
}

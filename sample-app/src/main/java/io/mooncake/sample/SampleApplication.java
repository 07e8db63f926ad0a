package io.mooncake.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A block store that keeps blocks in its Mooncake global segment and moves them between instances
 * through the transfer engine: bytes travel engine to engine, HTTP only carries block locations.
 */
@SpringBootApplication
public class SampleApplication {

    public static void main(String[] args) {
        SpringApplication.run(SampleApplication.class, args);
    }
}

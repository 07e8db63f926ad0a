package io.mooncake.engine.metadata.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The stand-alone server's defaults (issue 16, item 6). */
class HttpMetadataServerMainTests {

    @Test
    void keysExpireByDefault() throws Exception {
        try (HttpMetadataServer server = HttpMetadataServerMain.parse(new String[] {"--host", "127.0.0.1",
                "--port", "0"}).start()) {
            assertThat(server.ttl()).isEqualTo(Duration.ofSeconds(30));
        }
    }

    @Test
    void ttlZeroKeepsKeysForClientsThatNeverRefresh() throws Exception {
        try (HttpMetadataServer server = HttpMetadataServerMain.parse(new String[] {"--host", "127.0.0.1",
                "--port", "0", "--ttl", "0"}).start()) {
            assertThat(server.ttl()).isZero();
        }
    }

    @Test
    void theReadmeExamplePortDoesNotCollideWithTheSampleInstances() throws Exception {
        Path readme = Path.of("..", "README.md");
        String text = Files.readString(readme);
        assertThat(text).contains("HttpMetadataServerMain --port 8090")
            .doesNotContain("HttpMetadataServerMain --port 8080")
            .doesNotContain("HttpMetadataServerMain --port 8081");
    }
}

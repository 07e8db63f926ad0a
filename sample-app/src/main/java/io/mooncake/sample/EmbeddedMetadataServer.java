package io.mooncake.sample;

import io.mooncake.autoconfigure.EngineConfigCustomizer;
import io.mooncake.engine.metadata.http.HttpMetadataServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Runs the engine's HTTP metadata server inside this instance ({@code sample.metadata-server.enabled=true}),
 * so a small cluster needs no etcd: the other instances set
 * {@code mooncake.metadata-server=http://<this host>:<port>/metadata}. This instance uses it too.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty("sample.metadata-server.enabled")
class EmbeddedMetadataServer {

    @Bean(destroyMethod = "close")
    HttpMetadataServer httpMetadataServer(@Value("${sample.metadata-server.port:8090}") int port,
            @Value("${sample.metadata-server.ttl:30s}") Duration ttl) {
        try {
            return HttpMetadataServer.builder().host("0.0.0.0").port(port).ttl(ttl).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the HTTP metadata server on port " + port
                    + " (sample.metadata-server.port): " + e.getMessage(), e);
        }
    }

    /** Points this instance's engine at the embedded server; asking for the server starts it first. */
    @Bean
    EngineConfigCustomizer useEmbeddedMetadataServer(HttpMetadataServer server) {
        return (builder) -> builder.metadataServer("http://127.0.0.1:" + server.port() + HttpMetadataServer.DEFAULT_PATH);
    }
}
